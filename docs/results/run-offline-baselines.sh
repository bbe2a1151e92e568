#!/usr/bin/env bash
# Reproduces docs/results/offline-baselines: SCoRe against its supervised baselines trained, as in
# the paper, on samples of the frozen base policy (correction_sft.samples_from: base), 3 seeds
# each. The SCoRe runs are the ablation's (same directories: a finished run is skipped).
# Re-running continues where it stopped.
set -euo pipefail
cd "$(dirname "$0")"
CONFIGS="score-synthetic baseline-pair-sft-offline baseline-star-offline" \
  REPORT=docs/results/offline-baselines exec ./run-ablation.sh
