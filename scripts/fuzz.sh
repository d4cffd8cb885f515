#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ (release, fuzzer + address sanitizers) and runs each:
# first every file of Fuzz/Corpus/<target>/ and Fuzz/Regressions/<target>/ once, then
# FUZZ_SECONDS of fuzzing from them. New corpus entries go to a temporary folder (removed at the
# end), never into the committed corpus. Exits non-zero if any target crashed, trapped, timed
# out or ran out of memory, naming the target and the saved input.
#
# Usage: scripts/fuzz.sh [TARGET...]     (default: all; e.g. scripts/fuzz.sh FuzzJSONPath)
#   FUZZ_SECONDS=60     seconds of fuzzing per target (0: replay the files only)
#   FUZZ_SCRATCH=.build-fuzz   SwiftPM scratch folder (gitignored); crash inputs land in its artifacts/
#   FUZZ_SANITIZERS=address   sanitizers besides libFuzzer's, comma-separated ("" for none)
#   FUZZ_ARGS="..."     more libFuzzer flags for every run (e.g. -seed=1 or -only_ascii=1)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

seconds=${FUZZ_SECONDS:-60}
scratch=${FUZZ_SCRATCH:-$root/.build-fuzz}
sanitizers=${FUZZ_SANITIZERS-address}
read -r -a extra_args <<<"${FUZZ_ARGS:-}"

# target -> max_len and dictionary
declare -A max_len=(
  [FuzzRoutingScanner]=65536 [FuzzGitLabPayload]=65536 [FuzzAslanCreate]=65536
  [FuzzFlowDescriptor]=65536 [FuzzConfigLoader]=65536 [FuzzJSONPath]=1024
)
declare -A dict=(
  [FuzzRoutingScanner]=json [FuzzGitLabPayload]=json [FuzzAslanCreate]=json
  [FuzzFlowDescriptor]=yaml [FuzzConfigLoader]=yaml [FuzzJSONPath]=jsonpath
)
all_targets=(FuzzRoutingScanner FuzzGitLabPayload FuzzFlowDescriptor FuzzAslanCreate FuzzConfigLoader FuzzJSONPath)
if [ $# -gt 0 ]; then targets=("$@"); else targets=("${all_targets[@]}"); fi
for target in "${targets[@]}"; do
  [ -n "${max_len[$target]:-}" ] || { echo "fuzz: unknown target '$target' (one of: ${all_targets[*]})" >&2; exit 2; }
done

# `--sanitize fuzzer` makes SwiftPM build the executables as libraries for libFuzzer's main and
# instrument the C code (libyaml). A second `--sanitize` would reach swiftc as a second -sanitize=
# flag, and swiftc keeps only its last one (in an order that changes from build to build), so the
# other sanitizers go in one -sanitize= list after SwiftPM's, and to clang as -fsanitize.
sanitize_flags=(--sanitize fuzzer -Xswiftc "-sanitize=fuzzer${sanitizers:+,$sanitizers}")
[ -z "$sanitizers" ] || sanitize_flags+=(-Xcc "-fsanitize=$sanitizers")
echo "fuzz: building ${#all_targets[@]} targets (release, sanitizers: fuzzer${sanitizers:+,$sanitizers}) in ${scratch#"$root"/}"
build_start=$SECONDS
swift build --package-path Fuzz --scratch-path "$scratch" -c release "${sanitize_flags[@]}" 2>&1 \
  | grep -v -e "Cannot export local symbol '__asan_extra_spill_area'" -e '^warning: ' || true
test "${PIPESTATUS[0]}" -eq 0 || { echo "fuzz: build failed" >&2; exit 1; }
echo "fuzz: built in $((SECONDS - build_start)) s"
bin=$scratch/release
# Uninstrumented Swift code would leave libFuzzer blind to TrestleCore (libyaml alone has ~4,000 counters).
counters=$("$bin/FuzzJSONPath" -runs=0 2>&1 | sed -n 's/.*(\([0-9]*\) inline 8-bit counters).*/\1/p' | head -n 1)
if [ "${counters:-0}" -lt 10000 ]; then
  echo "fuzz: the targets have only ${counters:-no} coverage counters: TrestleCore was built without -sanitize=fuzzer" >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/trestle-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
logs=$scratch/logs
artifacts=$scratch/artifacts
mkdir -p "$logs"

# libFuzzer's own handler reports a trap (Swift's backtracer would fight ASan over the crash).
export SWIFT_BACKTRACE=enable=no
common=(-rss_limit_mb=2048 -timeout=10 "${extra_args[@]}")
failures=()
summary=()

# The saved input and the report's first lines, from a libFuzzer log.
report() {
  local target=$1 log=$2 input=$3
  echo "FUZZ FAILURE: target $target, input $input" >&2
  echo "--- from $log:" >&2
  # Swift's message, then the report's first 30 lines (the top of the stack) and its summary.
  grep -m 3 -E 'Fatal error|precondition|ALARM|out-of-memory|malloc\(' "$log" >&2 || true
  awk '/==[0-9]+== ?ERROR/ { on = 1 } on && n < 30 { print; n++ } /^SUMMARY/ { print }' "$log" \
    | swift demangle --simplified >&2
  failures+=("$target: $input")
}

for target in "${targets[@]}"; do
  corpus=Fuzz/Corpus/$target
  regressions=Fuzz/Regressions/$target
  files=()
  for dir in "$corpus" "$regressions"; do
    [ -d "$dir" ] || continue
    while IFS= read -r -d '' file; do files+=("$file"); done < <(find "$dir" -type f -print0 | sort -z)
  done

  # 1. Each committed input once (libFuzzer runs file arguments one by one, without fuzzing).
  log=$logs/$target-replay.log
  if [ ${#files[@]} -gt 0 ]; then
    if ! "$bin/$target" "${common[@]}" "${files[@]}" >"$log" 2>&1; then
      input=$(grep -E '^Running: ' "$log" | tail -n 1 | sed 's/^Running: //')
      report "$target" "$log" "${input:-one of ${files[*]}}"
      summary+=("$(printf '%-20s replayed %3d files: FAILED' "$target" "${#files[@]}")")
      continue
    fi
  fi
  [ "$seconds" -gt 0 ] || { summary+=("$(printf '%-20s replayed %3d files' "$target" "${#files[@]}")"); continue; }

  # 2. Fuzzing from the corpus and the regressions; new entries go to the temporary folder first in the list.
  log=$logs/$target.log
  mkdir -p "$work/$target" "$artifacts/$target"
  dirs=("$work/$target" "$corpus")
  [ -d "$regressions" ] && dirs+=("$regressions")
  status=0
  "$bin/$target" "${common[@]}" -max_len="${max_len[$target]}" -max_total_time="$seconds" \
    -dict="Fuzz/Dictionaries/${dict[$target]}.dict" -artifact_prefix="$artifacts/$target/" \
    -print_final_stats=1 "${dirs[@]}" >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -n 's/.* cov: \([0-9]*\) .*/\1/p')
  if [ "$status" -ne 0 ]; then
    input=$(sed -n 's/.*Test unit written to //p' "$log" | tail -n 1)
    report "$target" "$log" "${input:-(none saved; see the log)}"
    summary+=("$(printf '%-20s replayed %3d files, fuzzed %ss: FAILED' "$target" "${#files[@]}" "$seconds")")
  else
    summary+=("$(printf '%-20s replayed %3d files, fuzzed %ss: %9s runs, %6s exec/s, cov %s' \
      "$target" "${#files[@]}" "$seconds" "${runs:-?}" "${rate:-?}" "${cov:-?}")")
  fi
done

printf '%s\n' "${summary[@]}"
if [ ${#failures[@]} -gt 0 ]; then
  echo "fuzz: ${#failures[@]} target(s) failed:" >&2
  printf '  %s\n' "${failures[@]}" >&2
  echo "fuzz: reproduce with $bin/<target> <input>; keep the input under Fuzz/Regressions/<target>/ once fixed" >&2
  exit 1
fi
echo "fuzz: no crash in ${#targets[@]} target(s)"
