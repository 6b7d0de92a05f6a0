#!/bin/sh
# bench/run.sh - run every benchmark, print the results table and rewrite
# the results section of bench/README.md.  One command, under 2 minutes.
#
#   bench/run.sh                 (from anywhere: it cds to the repo root)
#   LUA=luajit bench/run.sh      another runtime for the SDK side (default lua5.4)
#   BENCH_NO_README=1 bench/run.sh   print only, leave README.md alone
#   BENCH_CORE_DIR=/tmp/x/build BENCH_NO_README=1 bench/run.sh   the SDK on another core.so
#   BENCH_SANDBOX_HEAD=1 bench/run.sh   benchmarks 3 and 4 on HEAD's sandbox, not the working tree's
#   bench/run.sh race 1          only the benchmarks named (any of: 1 1-gzip 1-noparse 1-parts 1-hooks journal
#                                2 3 4 5 5-tmpfs race events luv run2 cli); prints, leaves README.md alone
#   bench/run.sh race-profile    where the race's Lua CPU goes (bench/race_profile.lua), by layer;
#                                never part of a full run
#
# Servers: a plain nginx (static files, no Lua) started here in a temp
# prefix for benchmarks 1, 2 and 5; the SDK's sandbox (nginx + ngx_lua) for
# 3 and 4, from the working tree or, if that one does not start, from a
# snapshot of HEAD.  Both are stopped on exit, whatever happens.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
LUA=${LUA:-lua5.4}
case "$LUA" in lua5.4) RT=lua5.4 ;; lua5.1) RT=lua5.1 ;; luajit) RT=luajit ;; *) echo "bench: LUA must be lua5.4, lua5.1 or luajit" >&2; exit 2 ;; esac

# Benchmarks named on the command line (none: all of them).
ONLY="$*"
for b in $ONLY; do
  case "$b" in 1|1-gzip|1-noparse|1-parts|1-hooks|2|3|4|journal|5|5-tmpfs|race|race-profile|events|luv|run2|cli) ;;
    *) echo "bench: unknown benchmark '$b' (1 1-gzip 1-noparse 1-parts 1-hooks 2 3 4 journal 5 5-tmpfs race race-profile events luv run2 cli)" >&2; exit 2 ;;
  esac
done
want() { # want NAME...: is one of these benchmarks to run?
  [ -z "$ONLY" ] && return 0
  for w in "$@"; do case " $ONLY " in *" $w "*) return 0 ;; esac; done
  return 1
}

# What tools/deps.sh does not install: the curl tool (benchmark 5's
# baseline), GNU time (its peak RSS and CPU) and cJSON (benchmark 1's C
# baseline parses the page too).
need=""
command -v curl >/dev/null || need="$need curl"
[ -x /usr/bin/time ] || need="$need time"
[ -f /usr/include/cjson/cJSON.h ] || need="$need libcjson-dev"
if [ -n "$need" ]; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null
  else
    echo "bench: missing:$need; run as root: apt-get install -y$need" >&2; exit 1
  fi
fi
tools/deps.sh

# The race's other side: the official Node SDK, from the npm registry, into
# build/node (not committed). Its Lua side also runs under LuaJIT (info row).
NODE_SDK_VERSION=1.9.3
RACE_PAGES=400
if want race; then
  command -v node >/dev/null || { echo "bench: the race needs node (18+) and npm" >&2; exit 1; }
  if [ "$(node -p 'try { require("./build/node/node_modules/unipile-node-sdk/package.json").version } catch (e) { "" }')" != "$NODE_SDK_VERSION" ]; then
    echo "== npm install unipile-node-sdk@$NODE_SDK_VERSION (build/node)" >&2
    mkdir -p build/node
    npm install --prefix build/node --no-audit --no-fund --save-exact "unipile-node-sdk@$NODE_SDK_VERSION" >&2
  fi
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/unipile-bench.XXXXXX")
NGINX_PID=""
SANDBOX_PREFIX=""
SANDBOX_BIN="$ROOT/bin/unipile-sandbox"
SANDBOX_LUA_PATH="lua/?.lua;lua/?/init.lua;;"
cleanup() {
  if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
    kill -TERM "$NGINX_PID" 2>/dev/null || true
    i=0; while kill -0 "$NGINX_PID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    kill -KILL "$NGINX_PID" 2>/dev/null || true
  fi
  if [ -n "$SANDBOX_PREFIX" ]; then
    LUA_PATH="$SANDBOX_LUA_PATH" lua5.4 "$SANDBOX_BIN" stop "$SANDBOX_PREFIX" >/dev/null 2>&1 || true
  fi
  rm -rf "$TMP" "/dev/shm/$(basename "$TMP").bin"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== build" >&2
tools/build.sh "$RT" >/dev/null
RACE_JIT=""
if want race && [ "$RT" != luajit ] && command -v luajit >/dev/null; then
  tools/build.sh luajit >/dev/null
  RACE_JIT=build/luajit
fi
# events: headless Neovim (LuaJIT) loads build/luajit's core.
if want events && [ "$RT" != luajit ]; then tools/build.sh luajit >/dev/null; fi
# BENCH_CORE_DIR=DIR: the SDK side loads DIR/unipile/core.so instead (a
# build of a patched src/, e.g. bench/proposals/*.patch, to compare).
CORE_DIR=${BENCH_CORE_DIR:-build/$RT}
[ -f "$CORE_DIR/unipile/core.so" ] || { echo "bench: no $CORE_DIR/unipile/core.so" >&2; exit 2; }
CFLAGS="-O2 -Wall -Wextra"
gcc $CFLAGS -o "$TMP/c_baseline" bench/c_baseline.c -lcurl -lcjson
# The race's whole-process CPU, to the microsecond (GNU time rounds to 10 ms).
! want race || gcc $CFLAGS -o "$TMP/proc_cpu" bench/proc_cpu.c
LUAINC=/usr/include/lua5.4
[ "$RT" = lua5.4 ] || LUAINC=/usr/include/lua5.1
gcc $CFLAGS -shared -fPIC -I"$LUAINC" -o "$TMP/bench_rusage.so" bench/rusage.c

echo "== fixtures" >&2
mkdir -p "$TMP/www" "$TMP/out" "$TMP/nginx/logs" "$TMP/nginx/tmp"
lua5.4 bench/gen_fixtures.lua "$TMP/www" >&2
! want race race-profile || lua5.4 bench/gen_fixtures.lua "$TMP/www" race $RACE_PAGES >&2
# 1 GiB, sparse, with 64 random MiB scattered through it (fast to create).
if want 5 5-tmpfs; then
  truncate -s 1G "$TMP/www/big.bin"
  i=0
  while [ $i -lt 64 ]; do
    dd if=/dev/urandom of="$TMP/www/big.bin" bs=1M count=1 seek=$((i * 16)) conv=notrunc status=none
    i=$((i + 1))
  done
fi

# Page N's cursor is "pN"; the first page has none; page 4000's next is null.
PAGES=4000
awk -v n=$PAGES 'BEGIN {
  print "default null;"; print "\"\" \x27\"p2\"\x27;"
  for (i = 2; i < n; i++) printf "p%d \x27\"p%d\"\x27;\n", i, i + 1
  printf "p%d null;\n", n }' > "$TMP/nginx/cursors.map"

PORT=$(lua5.4 -e 'local s = require("socket").bind("127.0.0.1", 0) local _, p = s:getsockname() print(p) s:close()')
USER_LINE=""
[ "$(id -u)" = 0 ] && USER_LINE="user root;"
# With 2+ CPUs the static nginx worker runs on CPU 0 and every client
# (SDK and baselines alike) on CPU 1: where the scheduler puts the two
# otherwise moves benchmark 1's figures by up to 2x from run to run.
AFFINITY=""
PIN=""
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  AFFINITY="worker_cpu_affinity 01;"
  PIN="taskset -c 1"
fi
cat > "$TMP/nginx/nginx.conf" <<EOF
# unipile-bench: plain static nginx (no Lua) for benchmarks 1, 2 and 5
$USER_LINE
worker_processes 1;
$AFFINITY
daemon on;
pid $TMP/nginx/logs/nginx.pid;
error_log $TMP/nginx/logs/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $TMP/nginx/tmp/body;
  proxy_temp_path $TMP/nginx/tmp/proxy;
  fastcgi_temp_path $TMP/nginx/tmp/fastcgi;
  uwsgi_temp_path $TMP/nginx/tmp/uwsgi;
  scgi_temp_path $TMP/nginx/tmp/scgi;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  sendfile on;
  tcp_nopush on;
  gzip off;
  types { }
  default_type application/octet-stream;
  map_hash_max_size 16384;
  map_hash_bucket_size 64;
  map \$arg_cursor \$next_cursor { include $TMP/nginx/cursors.map; }
  # the race: no cursor -> p1.json, pN -> pN.json, anything else -> 404
  map \$arg_cursor \$race_page { "" p1; "~^p[0-9]+\$" \$arg_cursor; default none; }
  map \$uri \$b2_page { /b2/chats page250.json; /b2/messages messages250.json; }
  server {
    listen 127.0.0.1:$PORT;
    # 1: the 100-chat page, identity (sent as is, Content-Length)
    location = /b1/chats { default_type application/json; alias $TMP/www/page100.json; }
    # 1 (gzip): the same page pre-compressed, sent with Content-Encoding: gzip
    location = /b1gz/chats { default_type application/json; gzip_static on; alias $TMP/www/page100.json; }
    # 2: the 250-chat page, cli: 250 messages a page; the next cursor
    # spliced in by sub_filter
    location ~ ^/b2/(chats|messages)\$ {
      default_type application/json;
      alias $TMP/www/\$b2_page;
      sub_filter_types application/json;
      sub_filter '"@CURSOR@"' \$next_cursor;
      sub_filter_once on;
    }
    # the race: 400 static pages of 250 chats; the SDKs' default /api/v1 prefix
    location = /api/v1/chats { default_type application/json; root $TMP/www; try_files /race/\$race_page.json =404; }
    # 5: the 1 GiB file
    location = /b5/big.bin { alias $TMP/www/big.bin; }
  }
}
EOF
echo "== servers" >&2
nginx -p "$TMP/nginx/" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/logs/error.log"
NGINX_PID=$(cat "$TMP/nginx/logs/nginx.pid")
STATIC="http://127.0.0.1:$PORT"
i=0
until curl -s -o /dev/null "$STATIC/b1/chats"; do
  i=$((i + 1)); [ $i -lt 100 ] || { echo "bench: nginx did not answer" >&2; cat "$TMP/nginx/logs/error.log" >&2; exit 1; }
  sleep 0.05
done

# The sandbox: the working tree's, else HEAD's (it may be mid-rewrite).
sandbox_check() { # the calls benchmarks 3 and 4 make, on $UNIPILE_DSN
  LUA_PATH="$SANDBOX_LUA_PATH" LUA_CPATH="build/$RT/?.so;;" "$LUA" -e '
    local dsn, key = os.getenv("UNIPILE_DSN"), os.getenv("UNIPILE_API_KEY")
    local sb = require("unipile.sandbox").attach(dsn)
    local c = require("unipile").new { dsn = dsn, api_key = key }
    sb:fault { latency_ms = 1, count = -1, path = "/accounts" }
    assert(#c.accounts:list({ limit = 1 }).items == 1)
    sb:clear_faults()
    local n = 0
    for _ in c.messages:pages { limit = 1, max_items = 50 } do n = n + 1 end
    assert(n == 50, "fewer than 50 messages")'
}
start_sandbox() {
  out=$(LUA_PATH="$SANDBOX_LUA_PATH" lua5.4 "$SANDBOX_BIN" start 2>"$TMP/sandbox.err") || return 1
  eval "$out"
  SANDBOX_PREFIX=$UNIPILE_SANDBOX_PREFIX
  sandbox_check 2>>"$TMP/sandbox.err"
}
SANDBOX_SOURCE="working tree"
UNIPILE_DSN="" UNIPILE_API_KEY=""
if ! want 3 4 journal events luv run2; then
  :
elif [ -n "${BENCH_SANDBOX_HEAD:-}" ] || ! start_sandbox; then
  [ -n "${BENCH_SANDBOX_HEAD:-}" ] || {
    echo "bench: the working tree's sandbox failed; using a snapshot of HEAD" >&2
    tail -n 5 "$TMP/sandbox.err" >&2
  }
  if [ -n "$SANDBOX_PREFIX" ]; then
    LUA_PATH="$SANDBOX_LUA_PATH" lua5.4 "$SANDBOX_BIN" stop "$SANDBOX_PREFIX" >/dev/null 2>&1 || true
    SANDBOX_PREFIX=""
  fi
  mkdir -p "$TMP/snap"
  git archive HEAD lua bin | tar -x -C "$TMP/snap"
  SANDBOX_BIN="$TMP/snap/bin/unipile-sandbox"
  SANDBOX_LUA_PATH="$TMP/snap/lua/?.lua;$TMP/snap/lua/?/init.lua;;"
  SANDBOX_SOURCE="HEAD snapshot $(git rev-parse --short HEAD)"
  start_sandbox || { cat "$TMP/sandbox.err" >&2; echo "bench: no sandbox" >&2; exit 1; }
fi

echo "== benchmarks" >&2
README=bench/README.md
[ -z "${BENCH_NO_README:-}" ] && [ -z "$ONLY" ] || README=""
export LUA_PATH="lua/?.lua;lua/?/init.lua;./?.lua;;"
export LUA_CPATH="$CORE_DIR/?.so;$TMP/?.so;;"
BENCH_PIN="$PIN" BENCH_TMP="$TMP" BENCH_STATIC="$STATIC" BENCH_LUA="$LUA" BENCH_PAGES=$PAGES \
BENCH_SANDBOX="$UNIPILE_DSN" BENCH_SANDBOX_KEY="$UNIPILE_API_KEY" BENCH_SANDBOX_SOURCE="$SANDBOX_SOURCE" \
BENCH_ONLY="$ONLY" BENCH_RACE_PAGES=$RACE_PAGES BENCH_RACE_JIT="$RACE_JIT" BENCH_NODE_SDK="$NODE_SDK_VERSION" \
BENCH_README="$README" lua5.4 bench/run.lua
