#!/usr/bin/env bash
# Reproduces docs/results/offline-baselines: SCoRe against its supervised baselines trained, as in
# the paper, on samples of the frozen base policy (correction_sft.samples_from: base), 3 seeds
# each. The SCoRe runs are the same runs as in run-ablation.sh (same directories: a finished run
# is skipped), so the two scripts share them. Re-running continues where it stopped.
set -euo pipefail
cd "$(dirname "$0")/../.."
REVISE="${REVISE:-./revise}"
OUT="${OUT:-runs/ablation}"
CONFIGS=(score-synthetic baseline-pair-sft-offline baseline-star-offline)
for seed in 0 1 2; do
  for c in "${CONFIGS[@]}"; do
    "$REVISE" sweep --config "experiments/configs/$c.yaml" --seeds 1 --set "run.seed=$seed" \
      --set eval.every=70 --set checkpoint.every=70 --dir "$OUT/seed-$seed/$c"
  done
done
dirs=()
for seed in 0 1 2; do for c in "${CONFIGS[@]}"; do dirs+=("$OUT/seed-$seed/$c"); done; done
"$REVISE" compare "${dirs[@]}" --out docs/results/offline-baselines
