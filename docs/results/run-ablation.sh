#!/usr/bin/env bash
# Reproduces docs/results/ablation: SCoRe's ablation table on the synthetic task, 3 seeds per
# variant, seed-major so that an interrupted run has every variant at the seeds done so far.
# Re-running continues where it stopped (finished runs are skipped, interrupted ones resume).
set -euo pipefail
cd "$(dirname "$0")/../.."
REVISE="${REVISE:-./revise}"
OUT="${OUT:-runs/ablation}"
# CONFIGS (space-separated) and REPORT override what runs and where the comparison goes.
read -r -a CONFIGS <<< "${CONFIGS:-score-synthetic ablation-no-stage1 ablation-no-shaping ablation-single-turn baseline-pair-sft baseline-star}"
REPORT="${REPORT:-docs/results/ablation}"
for seed in 0 1 2; do
  for c in "${CONFIGS[@]}"; do
    "$REVISE" sweep --config "experiments/configs/$c.yaml" --seeds 1 --set "run.seed=$seed" \
      --set eval.every=70 --set checkpoint.every=70 --dir "$OUT/seed-$seed/$c"
  done
done
dirs=()
for seed in 0 1 2; do for c in "${CONFIGS[@]}"; do dirs+=("$OUT/seed-$seed/$c"); done; done
"$REVISE" compare "${dirs[@]}" --out "$REPORT"
