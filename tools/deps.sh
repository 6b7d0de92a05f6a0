#!/bin/sh
# tools/deps.sh [demo|test] [--list]: install the Debian packages that `make demo`
# needs (demo: build the core for Lua 5.4, run the sandbox and
# examples/quickstart.lua), or everything `make test` needs too (test, the
# default: the other runtimes, busted, LuaRocks, the docs and lint tools,
# Neovim, valgrind, clang, the Python of the fidelity checks, LuaSQL SQLite
# and redis-server for the pacer and journal specs, lua-luv for unipile.luv).
# As root: apt-get installs what is missing. Otherwise: print the command.
set -e
DEMO_PACKAGES="build-essential cmake pkg-config libcurl4-openssl-dev ca-certificates
lua5.4 liblua5.4-dev lua-cjson lua-socket nginx libnginx-mod-http-lua
lua-argparse"
TEST_PACKAGES="lua5.1 liblua5.1-0-dev luajit2 libluajit2-5.1-dev
lua5.2 liblua5.2-dev lua5.3 liblua5.3-dev
lua-busted luarocks lua-ldoc lua-markdown lua-check chromium
neovim valgrind clang libclang-rt-14-dev
python3 python3-jsonschema python3-yaml
lua-sql-sqlite3 redis-server lua-luv"
case "${1:-test}" in
  demo) PACKAGES=$DEMO_PACKAGES ;;
  test) PACKAGES="$DEMO_PACKAGES $TEST_PACKAGES" ;;
  *) echo "usage: tools/deps.sh [demo|test] [--list]" >&2; exit 2 ;;
esac
# --list: print the packages, install nothing (spec/deps_spec.lua)
[ "${2:-}" = "--list" ] && { echo $PACKAGES; exit 0; }
missing=""
for p in $PACKAGES; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  case "$status" in *"install ok installed"*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0
echo "deps: missing:$missing"
if [ "$(id -u)" != 0 ]; then
  echo "deps: run as root:  apt-get update && apt-get install -y --no-install-recommends$missing" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# nginx must not start as a system service: the sandbox runs its own.
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: installed$missing"
