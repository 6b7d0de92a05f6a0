#!/bin/sh
# libFuzzer harnesses of fuzz/: tools/fuzz.sh [seconds] [harness...]
# Builds each harness with clang (libFuzzer + ASan + UBSan) in build/fuzz/,
# runs it for `seconds` (default 40) from a copy of fuzz/corpus/<harness>/,
# and prints one line per harness with its number of runs.  A finding (a
# crash, a sanitizer report, a failed check) keeps its input in
# build/fuzz/findings/<harness>/ and makes the script exit non-zero.
set -u
cd "$(dirname "$0")/.." || exit 2
secs=${1:-40}
[ $# -gt 0 ] && shift
harnesses=${*:-"json_decode headers url"}
out=build/fuzz
mkdir -p "$out"
CC=${FUZZ_CC:-clang}
FLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Wall -Wextra -Werror
  -I/usr/include/lua5.4 -Isrc"
root_define="-DFUZZ_ROOT=\"$(pwd)\"" # the checkout, for the harnesses' package.path
# src/core.c takes its version from CMakeLists.txt's project(), as cmake passes it.
version=$(sed -n 's/^project(unipile VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
version_define="-DUNIPILE_VERSION=\"$version\""

sources() { # harness → the C files it links
  case "$1" in
    json_decode) echo "fuzz/json_decode.c src/json.c src/json_lines.c -llua5.4" ;;
    headers) echo "fuzz/headers.c src/headers.c src/buffer.c" ;;
    url) echo "fuzz/url.c src/core.c src/multi.c src/transfer.c src/headers.c src/mime.c src/buffer.c src/json.c src/json_lines.c src/events.c -llua5.4 -lcurl" ;;
    *) return 1 ;;
  esac
}

status=0
for h in $harnesses; do
  src=$(sources "$h") || { echo "fuzz: unknown harness $h" >&2; status=2; continue; }
  # shellcheck disable=SC2086 # word splitting of the flag and file lists is wanted
  if ! $CC $FLAGS "$root_define" "$version_define" $src -o "$out/$h" > "$out/$h.build.log" 2>&1; then
    cat "$out/$h.build.log" >&2; echo "FAIL fuzz $h: build failed"; status=1; continue
  fi
  rm -rf "$out/corpus/$h" "$out/findings/$h"
  mkdir -p "$out/corpus/$h" "$out/findings/$h"
  cp fuzz/corpus/"$h"/* "$out/corpus/$h/"
  "$out/$h" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$out/findings/$h/" "$out/corpus/$h" > "$out/$h.log" 2>&1
  rc=$?
  runs=$(grep -a -oE '^stat::number_of_executed_units: *[0-9]+' "$out/$h.log" | grep -oE '[0-9]+$')
  if [ $rc -eq 0 ]; then
    echo "fuzz $h: ${runs:-?} runs in ${secs} s, no finding"
  else
    status=1
    echo "FAIL fuzz $h: exit $rc after ${runs:-?} runs, input in $out/findings/$h/ (log $out/$h.log)"
    grep -a -E -m 1 -A 12 'finding:|ERROR: (Address|Leak|libFuzzer)|runtime error:|SUMMARY' "$out/$h.log" | head -n 30
  fi
done
exit $status
