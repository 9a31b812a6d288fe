#!/usr/bin/env bash
# Builds the fuzz preset (clang-16, libFuzzer, ASan+UBSan) and runs fuzz targets on their
# committed seed corpora (fuzz/corpus/<target>/), one after the other (docs/fuzzing.md).
#
#   scripts/fuzz.sh                       every target: 3000 executions: the corpus, then mutations (CI)
#   scripts/fuzz.sh --runs N [target...]  N executions per target
#   scripts/fuzz.sh --seconds N [target]  N seconds per target
#
# New inputs go to build/fuzz/corpus/<target>/ (not into the committed corpus), crashes to
# build/fuzz/crashes/<target>-*. Prints executions, seconds and new inputs per target; exits
# non-zero when any target crashed, naming the input that did it.
set -euo pipefail
cd "$(dirname "$0")/.."

limit=(-runs=3000)
targets=()
while (($#)); do
  case "$1" in
    --runs) limit=(-runs="$2"); shift 2 ;;
    --seconds) limit=(-max_total_time="$2"); shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if ((${#targets[@]} == 0)); then
  for dir in fuzz/corpus/*/; do targets+=("$(basename "$dir")"); done
fi

build_targets=()
for t in "${targets[@]}"; do
  [[ -f fuzz/$t.cpp ]] || { echo "fuzz.sh: no target $t (fuzz/$t.cpp)" >&2; exit 2; }
  build_targets+=("gridsight_fuzz_$t")
done
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j2 --target "${build_targets[@]}"

out=build/fuzz
mkdir -p "$out/crashes" "$out/logs"
failed=()
printf '%-22s %12s %8s %8s\n' target executions seconds new
for t in "${targets[@]}"; do
  mkdir -p "$out/corpus/$t"
  log="$out/logs/$t.log"
  start=$SECONDS
  # -rss_limit_mb, -timeout: a leak or a hang counts as a failure too.
  if ASAN_OPTIONS=detect_leaks=1 "$out/fuzz/gridsight_fuzz_$t" "${limit[@]}" \
       -print_final_stats=1 -timeout=20 -rss_limit_mb=2048 -max_len=65536 \
       -artifact_prefix="$out/crashes/$t-" "$out/corpus/$t" "fuzz/corpus/$t" >"$log" 2>&1; then
    status=ok
  else
    status=failed
    failed+=("$t")
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  printf '%-22s %12s %8s %8s %s\n' "$t" "${execs:-?}" "$((SECONDS - start))" \
    "$(find "$out/corpus/$t" -type f | wc -l)" "$status"
done
if ((${#failed[@]})); then
  for t in "${failed[@]}"; do
    echo "--- $t failed (log $out/logs/$t.log):"
    grep -E 'ERROR|property violated|SUMMARY|Test unit written' "$out/logs/$t.log" | head -8
  done
  exit 1
fi
