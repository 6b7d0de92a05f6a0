#!/bin/sh
# tools/rocks_check.sh [lua5.4|lua5.3|lua5.2|lua5.1|luajit]: `luarocks make
# --deps-mode=none` of both rockspecs into one temporary tree, checking
#  1. unipile-scm-1.rockspec alone installs the SDK and its command
#     (bin/unipile, unipile.cli) and nothing of the sandbox (no
#     lua/unipile/sandbox/, no bin/unipile-sandbox);
#  2. with unipile-sandbox-scm-1.rockspec too, the tree holds every
#     lua/unipile/**/*.lua of the checkout, and `require "unipile"`,
#     "unipile.core" and "unipile.sandbox" resolve inside the tree;
#  3. the installed unipile-sandbox, run from the tree with no LUA_PATH nor
#     LUA_CPATH, runs a sandbox from the tree that the installed SDK talks
#     to (`run` gives the interpreter the tree's paths).
set -eu
cd "$(dirname "$0")/.."
rt=${1:-lua5.4}
inc=""
case "$rt" in
  lua5.4) v=5.4 ;; lua5.3) v=5.3 ;; lua5.2) v=5.2 ;; lua5.1) v=5.1 ;;
  luajit) v=5.1; inc=LUA_INCDIR=/usr/include/luajit-2.1 ;; # LuaRocks' 5.1 is lua5.1: LuaJIT's headers
  *) echo "rocks_check: unknown runtime $rt" >&2; exit 2 ;;
esac
root=$(pwd)
tree=$(mktemp -d "${TMPDIR:-/tmp}/unipile-rocks.XXXXXX")
trap 'rm -rf "$tree"' EXIT
lmod=$tree/share/lua/$v

fail() { echo "rocks_check ($rt): $*" >&2; exit 1; }
rock() { luarocks --lua-version "$v" make --deps-mode=none --tree "$tree" "$1" $inc; }
installed() { (cd "$lmod" && find unipile -name '*.lua' | sort); }
checkout() { (cd lua && find unipile -name '*.lua' | sort); }
# Lua code run from inside the tree (not the checkout), on the tree's paths only.
in_tree() {
  (cd "$tree" && LUA_PATH="$lmod/?.lua;$lmod/?/init.lua;;" LUA_CPATH="$tree/lib/lua/$v/?.so;;" "$@")
}
resolves() { # module... → each one is found inside the tree
  ROCK_TREE=$tree MODULES="$*" in_tree "$rt" -e '
    local tree = os.getenv("ROCK_TREE")
    for name in os.getenv("MODULES"):gmatch("%S+") do
      local path = package.searchpath(name, package.path) or package.searchpath(name, package.cpath)
      assert(path and path:sub(1, #tree) == tree, name .. " resolves to " .. tostring(path) .. ", not in " .. tree)
      require(name)
    end'
}

echo "== unipile-scm-1.rockspec alone"
rock unipile-scm-1.rockspec
[ ! -e "$lmod/unipile/sandbox" ] || fail "the SDK rock installed lua/unipile/sandbox/"
[ ! -e "$tree/bin/unipile-sandbox" ] || fail "the SDK rock installed bin/unipile-sandbox"
[ "$(installed)" = "$(checkout | grep -v '^unipile/sandbox/')" ] || fail "the SDK rock's modules differ from the checkout's"
resolves unipile unipile.core unipile.cli
[ -x "$tree/bin/unipile" ] || fail "the SDK rock did not install bin/unipile"
in_tree "$rt" -e 'assert(not pcall(require, "unipile.sandbox"), "unipile.sandbox found without its rock")'

echo "== + unipile-sandbox-scm-1.rockspec"
rock unipile-sandbox-scm-1.rockspec
[ "$(installed)" = "$(checkout)" ] || fail "the tree's modules differ from the checkout's"
[ -x "$tree/bin/unipile-sandbox" ] || fail "no bin/unipile-sandbox"
resolves unipile unipile.core unipile.sandbox unipile.sandbox.launcher unipile.sandbox.control_client
in_tree "$rt" -e 'print("installed unipile", require("unipile").VERSION, require("unipile.core").version().curl)'

echo "== the installed unipile-sandbox, the installed SDK"
(cd "$tree" && env -u LUA_PATH -u LUA_CPATH ROCK_LMOD="$lmod" "$tree/bin/unipile-sandbox" run -- "$rt" -e '
  local tree = os.getenv("ROCK_LMOD")
  local conf = io.open(os.getenv("UNIPILE_SANDBOX_PREFIX") .. "/nginx.conf"):read("*a")
  assert(conf:find("lua_package_path \"" .. tree, 1, true), "nginx does not load the sandbox from the tree")
  local client = require("unipile").new { dsn = os.getenv("UNIPILE_DSN"), api_key = os.getenv("UNIPILE_API_KEY") }
  local n = #client.accounts:list().items
  assert(n > 0, "no accounts")
  print("the installed sandbox answered " .. n .. " accounts")')
echo "rocks_check ($rt): ok"
