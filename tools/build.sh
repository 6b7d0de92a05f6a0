#!/bin/sh
# Build unipile.core for one runtime: tools/build.sh lua5.4|lua5.3|lua5.2|lua5.1|luajit [asan]
# Output: build/<runtime>[-asan]/unipile/core.so (path printed on stdout).
set -e
rt=${1:-lua5.4}
case "$rt" in
  lua5.4) v=5.4 ;; lua5.3) v=5.3 ;; lua5.2) v=5.2 ;; lua5.1) v=5.1 ;; luajit) v=jit ;;
  *) echo "build: unknown runtime $rt" >&2; exit 2 ;;
esac
dir=build/$rt
flags="-DUNIPILE_WERROR=ON"
if [ "$2" = asan ]; then
  dir=$dir-asan; flags="$flags -DUNIPILE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug"
else
  flags="$flags -DCMAKE_BUILD_TYPE=Release"
fi
mkdir -p "$dir"
# Quiet when it works; the whole log when it does not.
if ! { cmake -S . -B "$dir" -DLUA_VERSION=$v $flags && cmake --build "$dir"; } > "$dir/build.log" 2>&1; then
  cat "$dir/build.log" >&2
  echo "build: $rt failed" >&2
  exit 1
fi
if grep -q "warning:" "$dir/build.log"; then grep -A3 "warning:" "$dir/build.log" >&2; fi
echo "$dir/unipile/core.so"
