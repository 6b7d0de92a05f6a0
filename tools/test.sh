#!/bin/sh
# The whole suite: busted under each runtime and under AddressSanitizer +
# UBSan (every spec: the SDK against the sandbox, spec/core/ against its own
# nginx, spec/sandbox/ the sandbox itself and bin/unipile-sandbox), then the
# steps that are not specs: the LuaRocks install, the libFuzzer harnesses
# (with clang), the reference docs, the examples.
# Ends with one line "N passed, N failed" (CI reads it): each busted
# success or failure counts one, each other step one.
set -u
cd "$(dirname "$0")/.."
RUNTIMES=${RUNTIMES:-"lua5.4 luajit lua5.1 lua5.2 lua5.3"}
passed=0; failed=0
log=build/test-logs; mkdir -p "$log"

count_busted() { # file → adds its "N successes / N failures / N errors" line
  line=$(grep -a -E '[0-9]+ successes? / [0-9]+ failures? / [0-9]+ errors?' "$1" | tail -n 1)
  if [ -z "$line" ]; then echo "  (no busted summary: counted as 1 failure)"; failed=$((failed + 1)); return; fi
  s=$(echo "$line" | grep -oE '[0-9]+ success' | grep -oE '[0-9]+')
  f=$(echo "$line" | grep -oE '[0-9]+ failure' | grep -oE '[0-9]+')
  e=$(echo "$line" | grep -oE '[0-9]+ error' | grep -oE '[0-9]+')
  passed=$((passed + s)); failed=$((failed + f + e))
}

check() { # name, command...: one pass/fail entry
  name=$1; shift
  if "$@" > "$log/$name.log" 2>&1; then passed=$((passed + 1)); echo "ok   $name"
  else failed=$((failed + 1)); echo "FAIL $name (see $log/$name.log)"; tail -n 20 "$log/$name.log"; fi
}

run_suite() { # runtime, build dir, label, [extra env...]
  rt=$1; dir=$2; label=$3; shift 3
  echo "== busted under $label"
  env "$@" LUA_PATH="lua/?.lua;lua/?/init.lua;spec/?.lua;;" LUA_CPATH="$dir/?.so;;" \
    UNIPILE_TEST_LUA="$rt" "$rt" /usr/bin/busted -o utfTerminal > "$log/busted-$label.log" 2>&1
  tail -n 40 "$log/busted-$label.log" | grep -a -v '^$' | tail -n 25
  count_busted "$log/busted-$label.log"
}

for rt in $RUNTIMES; do
  tools/build.sh "$rt" >/dev/null || { echo "FAIL build $rt"; failed=$((failed + 1)); continue; }
  run_suite "$rt" "build/$rt" "$rt"
done

echo "== luarocks make --deps-mode=none: the SDK rock alone, then the sandbox rock (tools/rocks_check.sh)"
for rt in lua5.4 luajit; do
  check "luarocks-$rt" tools/rocks_check.sh "$rt"
done

echo "== AddressSanitizer + UndefinedBehaviorSanitizer (lua5.4)"
if tools/build.sh lua5.4 asan >/dev/null; then
  preload="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
  run_suite lua5.4 build/lua5.4-asan asan LD_PRELOAD="$preload" \
    ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=23" \
    LSAN_OPTIONS="suppressions=$(pwd)/tools/lsan.supp:print_suppressions=0" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  if grep -a -q -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$log/busted-asan.log"; then
    echo "FAIL sanitizer reports (see $log/busted-asan.log)"; failed=$((failed + 1))
    grep -a -E -A 12 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$log/busted-asan.log" | head -n 40
  fi
else
  echo "FAIL asan build"; failed=$((failed + 1))
fi

echo "== libFuzzer harnesses (fuzz/, tools/fuzz.sh: 40 s each)"
if command -v clang > /dev/null 2>&1; then
  for h in json_decode headers url; do
    check "fuzz-$h" tools/fuzz.sh 40 "$h"
    grep -a -E "^(FAIL )?fuzz $h" "$log/fuzz-$h.log" | sed 's/^/     /'
  done
else
  echo "   (no clang: skipped)"
fi

echo "== reference docs"
check docs sh -c 'make -s docs &&
  n=$(cat build/docs/modules/client.*.html | grep -o "operation <code>[A-Za-z]*_[A-Za-z]*</code>" | sort -u | wc -l) &&
  echo "$n operations documented" && [ "$n" -eq 90 ]'

echo "== examples against the sandbox"
for ex in examples/*.lua; do
  name=example-$(basename "$ex" .lua)
  check "$name" env LUA_PATH="lua/?.lua;lua/?/init.lua;;" LUA_CPATH="build/lua5.4/?.so;;" OUTREACH_SPACING_MS=10-40 \
    lua5.4 bin/unipile-sandbox run -- lua5.4 "$ex"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
