#!/usr/bin/env bash
# Coverage-guided fuzzing (Jazzer) of every parser of user files: builds once, then runs each fuzz
# target for FUZZ_SECONDS (default 30) with libFuzzer's per-input timeout of 1 s, one target per
# JVM, serially. Fails if any target finds something: a new crash-*/timeout-*/oom-*/slow-unit-*
# file (Jazzer writes it into the target's src/test/resources/**/<Class>Inputs/<method>/, where
# every `mvn verify` replays it) or a failed run; findings are printed.
#   tools/fuzz/run.sh                          # every target
#   FUZZ_SECONDS=60 tools/fuzz/run.sh Config   # the targets whose class#method matches
# FUZZ_INSTRUMENT (default dev.revise.**) widens coverage guidance, e.g. dev.revise.**,com.fasterxml.jackson.**
# The corpus each run grows goes to <module>/.cifuzz-corpus/ (not committed).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
cd "$REPO"
SECONDS_EACH="${FUZZ_SECONDS:-30}"
FILTER="${1:-}"
export OPT_OUT_TRACKING=true DJL_OFFLINE=true

# module  class#method (docs/fuzzing.md lists what each reads)
TARGETS=(
  "experiments dev.revise.experiments.config.ConfigTreeFuzzTest#resolveConfig"
  "envs dev.revise.envs.tasks.JsonlTasksFuzzTest#loadTaskFile"
  "envs dev.revise.envs.grading.AnswerGraderFuzzTest#gradeAnswers"
  "policies dev.revise.policies.checkpoint.SafetensorsFuzzTest#safetensorsFile"
  "policies dev.revise.policies.checkpoint.SafetensorsFuzzTest#shardedIndex"
  "policies dev.revise.policies.model.ConfigJsonFuzzTest#readConfigJson"
  "policies dev.revise.policies.tokenizer.TokenizerJsonFuzzTest#loadTokenizerJson"
  "policies dev.revise.policies.tokenizer.ChatTemplateFuzzTest#loadAndRenderChatTemplate"
)

# Share the machine with other builds: every maven run holds /tmp/build.lock when flock exists.
locked() {
  if command -v flock > /dev/null; then flock /tmp/build.lock "$@"; else "$@"; fi
}

findings() {
  find envs policies experiments -path '*/target' -prune -o -type f \
    \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'slow-unit-*' \) -print | sort
}

echo "fuzz: building (mvn -o install -DskipTests)" >&2
locked mvn -B -q -o install -DskipTests

LOGS="$REPO/target/fuzz"
mkdir -p "$LOGS"
before="$(findings)"
failed=()
start=$(date +%s)
for t in "${TARGETS[@]}"; do
  module="${t%% *}"
  target="${t#* }"
  [[ -z "$FILTER" || "$target" == *"$FILTER"* ]] || continue
  log="$LOGS/${target##*.}.log"
  echo "fuzz: $target for ${SECONDS_EACH}s (log: ${log#"$REPO"/})" >&2
  # The JUnit timeout default is what Jazzer turns into libFuzzer's -timeout (1 s per input);
  # JUnit's own enforcement of it is switched off. A timeout kills the forked JVM, so the exit
  # code alone says little: the finding files decide, and any other failure is reported too.
  rc=0
  JAZZER_FUZZ=1 locked mvn -B -o -pl "$module" surefire:test \
    -Dtest="$target" -Dsurefire.failIfNoSpecifiedTests=false \
    -Djazzer.max_duration="${SECONDS_EACH}s" \
    -Djazzer.instrument="${FUZZ_INSTRUMENT:-dev.revise.**}" \
    -Djunit.jupiter.execution.timeout.testtemplate.method.default=1s \
    -Djunit.jupiter.execution.timeout.mode=disabled \
    > "$log" 2>&1 || rc=$?
  if [[ $rc -ne 0 ]]; then
    failed+=("$target (exit $rc)")
    grep -E "== Java Exception|== libFuzzer crashing input|ALARM|Test unit written|FuzzTestFindingException|Caused by|^\s+at dev\.revise" "$log" | head -20 >&2 || true
  fi
done
new="$(comm -13 <(echo "$before") <(findings) | sed '/^$/d')"
echo "fuzz: $(( $(date +%s) - start ))s fuzzing" >&2
if [[ -n "$new" ]]; then
  echo "fuzz: NEW FINDINGS (replayed by every mvn verify once committed; fix them first):" >&2
  echo "$new" >&2
fi
if [[ ${#failed[@]} -gt 0 ]]; then
  printf 'fuzz: FAILED: %s\n' "${failed[@]}" >&2
fi
[[ -z "$new" && ${#failed[@]} -eq 0 ]] || exit 1
echo "fuzz: no findings" >&2
