#!/usr/bin/env bash
# Reproduces docs/results/self-correction-probe under its fixed protocol (PROTOCOL.md there):
# SCoRe, single-turn GRPO, SCoRe without Stage I, SCoRe without shaping and RISE on start_search
# from experiments/base/start-search-sft, seeds 0 1 2. Each run's last checkpoint is evaluated at
# 2 and 4 turns (intrinsic feedback, 1,000 held-out problems) and probed with --intervene
# gold / corrupt / other at 2 turns on the first PROBE_LIMIT of them, at the base, the middle and
# the last checkpoint. `compare --baseline grpo-start-search` then writes the report.
#
# Wall time on 2 cores: seed 0 took 46 minutes with a CI run sharing the machine; about 2 to 2.5
# hours for the three seeds.
# Re-running continues where it stopped: finished runs and existing evaluations are skipped,
# interrupted runs resume from their latest checkpoint.
set -euo pipefail
cd "$(dirname "$0")/../.."
REVISE="${REVISE:-./revise}"
OUT="${OUT:-runs/self-correction-probe}"
REPORT="${REPORT:-docs/results/self-correction-probe}"
read -r -a SEEDS <<< "${SEEDS:-0 1 2}"
LIMIT="${LIMIT:-1000}"
PROBE_LIMIT="${PROBE_LIMIT:-500}"
BASE=experiments/base/start-search-sft
C=experiments/configs

# name|config|extra --set flags (checkpoints at the middle and the end are kept for the probe)
VARIANTS=(
  "score-start-search|$C/score-start-search.yaml|checkpoint.every=70"
  "grpo-start-search|$C/grpo-start-search.yaml|checkpoint.every=70"
  "score-no-stage1|$C/score-start-search.yaml|checkpoint.every=70 score.stage1_steps=0 score.stage2_steps=140 run.name=score-no-stage1"
  "score-alpha0|$C/score-start-search.yaml|checkpoint.every=70 rewards.progress.alpha=0 run.name=score-alpha0"
  "rise-start-search|$C/rise-start-search.yaml|checkpoint.every=2"
  # RISE on SCoRe's budget: 7 x 400 tasks with 4 candidates per prefix ~ SCoRe's 0.94M generated tokens (candidates
  # included), 7 x 20 = 140 SFT steps
  "rise-matched|$C/rise-start-search.yaml|checkpoint.every=4 rise.iterations=7 train.tasks_per_step=400 rise.sft_steps_per_iteration=20 run.name=rise-matched"
)
# ONLY="a b": run (and compare) just these variants, e.g. to add one to existing results
if [[ -n "${ONLY:-}" ]]; then
  kept=()
  for v in "${VARIANTS[@]}"; do [[ " $ONLY " == *" ${v%%|*} "* ]] && kept+=("$v"); done
  VARIANTS=("${kept[@]}")
fi

# eval CHECKPOINT OUTDIR [flags]: one evaluation, skipped when its eval.json exists
evaluate() {
  local ck="$1" out="$2"
  shift 2
  [[ -f "$out/eval.json" ]] && return 0
  "$REVISE" eval --checkpoint "$ck" --dataset start_search --feedback intrinsic --seed 0 --out "$out" "$@" > /dev/null
}

# the base, once: its evaluations are the probe's step 0 of every run
for mode in own gold corrupt other; do
  evaluate "$BASE" "$OUT/base/t2-$mode" --turns 2 --limit "$PROBE_LIMIT" --intervene "$mode"
done

for seed in "${SEEDS[@]}"; do
  for v in "${VARIANTS[@]}"; do
    IFS='|' read -r name config extra <<< "$v"
    dir="$OUT/seed-$seed/$name"
    sets=(--set "run.seed=$seed")
    for s in $extra; do sets+=(--set "$s"); done
    if [[ -e "$dir/checkpoints/latest" ]]; then
      "$REVISE" train --config "$config" "${sets[@]}" --run-dir "$dir" --resume > /dev/null
    else
      rm -rf "$dir" # a run that never checkpointed starts again
      "$REVISE" train --config "$config" "${sets[@]}" --run-dir "$dir" > /dev/null
    fi
    # the matched comparisons: the last checkpoint at K = 2 and 4
    step=$(tr -d '[:space:]' < "$dir/checkpoints/latest") # the pointer file names the step directory
    last="$dir/checkpoints/$step"
    for k in 2 4; do
      evaluate "$last" "$dir/eval/$step-start_search-t$k" --turns "$k" --limit "$LIMIT"
    done
    # the probe: the base (step 0) and every kept checkpoint
    for mode in own gold corrupt other; do
      suffix=$([[ $mode == own ]] && echo "" || echo "-$mode")
      mkdir -p "$dir/eval/step-000000-start_search-t2$suffix"
      cp "$OUT/base/t2-$mode/eval.json" "$dir/eval/step-000000-start_search-t2$suffix/"
    done
    for ck in "$dir"/checkpoints/step-*; do
      s=$(basename "$ck")
      for mode in gold corrupt other; do
        evaluate "$ck" "$dir/eval/$s-start_search-t2-$mode" --turns 2 --limit "$PROBE_LIMIT" --intervene "$mode"
      done
      [[ "$s" == "$step" ]] || evaluate "$ck" "$dir/eval/$s-start_search-t2" --turns 2 --limit "$PROBE_LIMIT"
    done
  done
done

mkdir -p "$REPORT" # tee opens compare.txt before compare creates the directory
dirs=()
for seed in "${SEEDS[@]}"; do for v in "${VARIANTS[@]}"; do dirs+=("$OUT/seed-$seed/${v%%|*}"); done; done
"$REVISE" compare "${dirs[@]}" --baseline grpo-start-search --out "$REPORT" | tee "$REPORT/compare.txt"
