#!/usr/bin/env bash
# Smoke test of the sandbox over real HTTP with curl: key check, pagination,
# multipart send + read back + download, %2F segments, gzip, every fault
# kind, latency not blocking other requests, `run` exit status. Launches the
# sandbox with each interpreter in $SANDBOX_LUAS (default: lua5.4 luajit).
#   tools/sandbox_smoke.sh            # prints the records of the first run
#   SANDBOX_LUAS=luajit tools/sandbox_smoke.sh
set -u
cd "$(dirname "$0")/.."

PASS=0 FAIL=0
ok() { PASS=$((PASS + 1)); echo "  ok   $1"; }
ko() { FAIL=$((FAIL + 1)); echo "  FAIL $1${2:+: $2}"; }
check() { # check NAME EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then ok "$1"; else ko "$1" "expected [$2], got [$3]"; fi
}

# j 'LUA EXPRESSION over d' < json : evaluate against the decoded JSON
j() {
  J=$1 "$LUA" -e 'local c = require "cjson"
    local ok, d = pcall(c.decode, io.read("*a"))
    if not ok then print("<invalid json>") return end
    local function int(x) -- cjson on Lua 5.4 decodes 401 as 401.0
      if type(x) == "number" and math.tointeger then return math.tointeger(x) or x end
      if type(x) == "table" then for k, v in pairs(x) do x[k] = int(v) end end
      return x
    end
    d = int(d)
    local f = assert((loadstring or load)("local d = ...; return " .. os.getenv("J")))
    local v = f(d)
    if type(v) == "number" and v == math.floor(v) then v = string.format("%d", v) end
    print(v == c.null and "null" or tostring(v))'
}

smoke() {
  LUA=$1
  echo "== sandbox launched with $LUA"
  eval "$("$LUA" bin/unipile-sandbox start --seed 7)" || { ko "start with $LUA"; return; }
  trap '"$LUA" bin/unipile-sandbox stop "$UNIPILE_SANDBOX_PREFIX"' EXIT
  local D=$UNIPILE_DSN K="X-API-KEY: $UNIPILE_API_KEY" TMP
  TMP=$(mktemp -d)

  # --- key check
  curl -s -o "$TMP/b" -w '%{http_code} %{content_type}' "$D/api/v1/accounts" > "$TMP/s"
  check "no key → 401 json" "401 application/json; charset=utf-8" "$(cat "$TMP/s")"
  check "no key → missing_credentials" "errors/missing_credentials" "$(j d.type < "$TMP/b")"
  curl -s -H "X-API-KEY: wrong" "$D/api/v1/accounts" > "$TMP/b"
  check "wrong key → invalid_credentials" "401 errors/invalid_credentials" "$(j 'd.status.." "..d.type' < "$TMP/b")"

  # --- state and pagination until cursor null
  curl -s "$D/_sandbox/state" > "$TMP/state"
  local total chat acc
  total=$(j d.counts.chats < "$TMP/state")
  chat=$(j 'd.chats[1].id' < "$TMP/state")
  acc=$(j 'd.chats[1].account_id' < "$TMP/state")
  local seen=0 pages=0 cursor="" url
  while :; do
    url="$D/api/v1/chats?limit=5"
    [ -n "$cursor" ] && url="$url&cursor=$(C=$cursor "$LUA" -e 'io.write((os.getenv("C"):gsub("[^%w%-._~]", function(c) return string.format("%%%02X", c:byte()) end)))')"
    curl -s -H "$K" "$url" > "$TMP/page"
    seen=$((seen + $(j '#d.items' < "$TMP/page")))
    pages=$((pages + 1))
    cursor=$(j d.cursor < "$TMP/page")
    [ "$cursor" = "null" ] && break
    [ $pages -gt 50 ] && break
  done
  check "chats paginated to cursor null ($pages pages)" "$total" "$seen"
  curl -s -H "$K" "$D/v1/chats?limit=1&account_id=$acc" > "$TMP/b"
  check "/v1 prefix + account_id filter" "ChatList $acc" "$(j 'd.object.." "..d.items[1].account_id' < "$TMP/b")"
  curl -s -H "$K" "$D/api/v1/chats?limit=abc" > "$TMP/b"
  check "limit=abc → 400 naming limit" "400 true" "$(j 'd.status.." "..tostring(d.detail:find("limit") ~= nil)' < "$TMP/b")"
  curl -s -H "$K" "$D/api/v1/chats?limit=251" > "$TMP/b"
  check "limit=251 → 400" "400 errors/invalid_parameters" "$(j 'd.status.." "..d.type' < "$TMP/b")"
  curl -s -H "$K" "$D/api/v1/chats?cursor=bogus" > "$TMP/b"
  check "bad cursor → 400" "400" "$(j d.status < "$TMP/b")"

  # --- send a multipart message with an attachment, read it back, download it
  head -c 50000 /dev/urandom > "$TMP/file.bin"
  curl -s -H "$K" -F "text=hello from smoke" -F "attachments=@$TMP/file.bin;type=application/pdf;filename=report.pdf" \
    "$D/api/v1/chats/$chat/messages" -o "$TMP/sent" -w '%{http_code}' > "$TMP/s"
  check "send message → 201 MessageSent" "201 MessageSent" "$(cat "$TMP/s") $(j d.object < "$TMP/sent")"
  local mid att
  mid=$(j d.message_id < "$TMP/sent")
  curl -s -H "$K" "$D/api/v1/chats/$chat/messages?limit=1" > "$TMP/b"
  check "newest message first in chat" "$mid hello from smoke" "$(j 'd.items[1].id.." "..d.items[1].text' < "$TMP/b")"
  curl -s -H "$K" "$D/api/v1/messages/$mid" > "$TMP/msg"
  check "attachment listed" "report.pdf application/pdf 50000" \
    "$(j 'd.attachments[1].file_name.." "..d.attachments[1].mimetype.." "..d.attachments[1].file_size' < "$TMP/msg")"
  att=$(j 'd.attachments[1].id' < "$TMP/msg")
  curl -s -H "$K" -o "$TMP/down.bin" -w '%{content_type}' "$D/api/v1/messages/$mid/attachments/$att" > "$TMP/s"
  check "download content type" "application/pdf" "$(cat "$TMP/s")"
  if cmp -s "$TMP/file.bin" "$TMP/down.bin"; then ok "download byte-for-byte"; else ko "download byte-for-byte"; fi
  # a seeded attachment matches unipile.sandbox.seeded_bytes
  local sa sm
  sa=$(j 'd.attachments[1].id' < "$TMP/state"); sm=$(j 'd.attachments[1].message_id' < "$TMP/state")
  curl -s -H "$K" -o "$TMP/seeded.bin" "$D/api/v1/messages/$sm/attachments/$sa"
  "$LUA" -e 'package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
    local c = require "cjson"; local st = c.decode(io.read("*a"))
    io.write(require("unipile.sandbox").seeded_bytes(st.attachments[1]))' < "$TMP/state" > "$TMP/expected.bin"
  if cmp -s "$TMP/expected.bin" "$TMP/seeded.bin"; then ok "seeded attachment bytes"; else ko "seeded attachment bytes"; fi

  # --- an encoded slash stays inside its segment; recorded raw
  curl -s -H "$K" "$D/api/v1/chats/a%2Fb" > "$TMP/b"
  check "%2F id → 404 resource_not_found" "404 errors/resource_not_found" "$(j 'd.status.." "..d.type' < "$TMP/b")"
  curl -s "$D/_sandbox/requests?last=1" > "$TMP/b"
  check "record: raw path + decoded segment" "/api/v1/chats/a%2Fb a/b" "$(j 'd.items[1].path.." "..d.items[1].segments[4]' < "$TMP/b")"
  curl -s -X POST -H "$K" "$D/api/v1/accounts/$acc/restart" > "$TMP/b"
  check "restart (every row has a handler)" "AccountRestarted $acc" "$(j 'd.object.." "..d.account_id' < "$TMP/b")"
  curl -s -H "$K" "$D/_sandbox/examples" > "$TMP/b"
  check "examples for every row" "90" "$(j '(function() local n = 0 for _ in pairs(d) do n = n + 1 end return n end)()' < "$TMP/b")"

  # --- gzip negotiation
  curl -s -H "$K" -H "Accept-Encoding: gzip" -D "$TMP/h" -o /dev/null "$D/api/v1/chats"
  if grep -qi '^content-encoding: gzip' "$TMP/h"; then ok "gzip negotiated"; else ko "gzip negotiated"; fi

  # --- faults
  fault() { curl -sf -X POST "$D/_sandbox/faults" -d "$1" > /dev/null || ko "queue fault $1"; }
  fault '{"status":503,"retry_after":2,"path":"^/api/v1/accounts$"}'
  curl -s -H "$K" -D "$TMP/h" "$D/api/v1/accounts" > "$TMP/b"
  check "fault 503 envelope" "503 errors/service_unavailable" "$(j 'd.status.." "..d.type' < "$TMP/b")"
  if grep -qi '^retry-after: 2' "$TMP/h"; then ok "fault Retry-After"; else ko "fault Retry-After"; fi
  check "fault consumed (count 1)" "AccountList" "$(curl -s -H "$K" "$D/api/v1/accounts" | j d.object)"
  fault '{"status":429,"count":2,"method":"GET"}'
  check "fault 429 x2 (1)" "errors/too_many_requests" "$(curl -s -H "$K" "$D/api/v1/chats" | j d.type)"
  check "fault 429 x2 (2)" "errors/too_many_requests" "$(curl -s -H "$K" "$D/api/v1/chats" | j d.type)"
  check "fault 429 x2 then normal" "ChatList" "$(curl -s -H "$K" "$D/api/v1/chats" | j d.object)"
  fault '{"kind":"malformed"}'
  curl -s -H "$K" -w '%{http_code}' -o "$TMP/b" "$D/api/v1/chats" > "$TMP/s"
  check "fault malformed: 200, invalid JSON" "200 <invalid json>" "$(cat "$TMP/s") $(j d < "$TMP/b")"
  fault '{"kind":"truncated"}'
  curl -s -H "$K" -H "Accept-Encoding: gzip" -D "$TMP/h" -o "$TMP/b" "$D/api/v1/chats"
  local cl
  cl=$(grep -i '^content-length:' "$TMP/h" | tr -dc 0-9)
  check "fault truncated: Content-Length = bytes, invalid JSON" "$cl <invalid json>" "$(wc -c < "$TMP/b" | tr -d ' ') $(j d < "$TMP/b")"
  fault '{"kind":"close"}'
  curl -s -H "$K" -o /dev/null "$D/api/v1/chats"
  check "fault close: curl 18 (partial transfer)" "18" "$?"
  fault '{"kind":"html"}'
  curl -s -H "$K" -o "$TMP/b" -w '%{http_code} %{content_type}' "$D/api/v1/chats" > "$TMP/s"
  check "fault html: 502 text/html" "502 text/html" "$(cat "$TMP/s")"
  fault '{"status":200,"body":"{\"object\":\"ChatList\",\"items\":[],\"cursor\":\"x\"}"}'
  check "fault body: exact" '{"object":"ChatList","items":[],"cursor":"x"}' "$(curl -s -H "$K" "$D/api/v1/chats")"

  # --- latency on one request does not delay a concurrent one
  fault '{"latency_ms":1500,"path":"/accounts$"}'
  curl -s -H "$K" -o /dev/null -w '%{time_total}' "$D/api/v1/accounts" > "$TMP/slow" &
  sleep 0.2
  curl -s -H "$K" -o /dev/null -w '%{time_total}' "$D/api/v1/chats" > "$TMP/fast"
  wait
  if "$LUA" -e "os.exit(($(cat "$TMP/slow")) >= 1.4 and ($(cat "$TMP/fast")) < 0.5 and 0 or 1)"; then
    ok "latency: slow $(cat "$TMP/slow")s, concurrent $(cat "$TMP/fast")s"
  else ko "latency" "slow $(cat "$TMP/slow")s, concurrent $(cat "$TMP/fast")s"; fi

  # --- records from the control API
  if [ "${SHOW_RECORDS:-1}" = 1 ]; then
    echo "  -- recorded requests (method path status fault connection):"
    curl -s "$D/_sandbox/requests" | "$LUA" -e 'local c = require "cjson"
      local function n(x) return x == nil and "-" or string.format("%d", x) end
      for _, r in ipairs(c.decode(io.read("*a")).items) do
        print(string.format("     %-6s %-70s %s fault:%s conn:%s", r.method,
          (r.path .. (r.query ~= "" and "?" .. r.query or "")):sub(1, 70), n(r.status), n(r.fault), n(r.connection)))
      end'
  fi

  rm -rf "$TMP"
  "$LUA" bin/unipile-sandbox stop "$UNIPILE_SANDBOX_PREFIX" && ok "stop"
  check "prefix removed" "no" "$([ -e "$UNIPILE_SANDBOX_PREFIX" ] && echo yes || echo no)"
  trap - EXIT

  # --- the Lua-level functional checks, under the same interpreter
  if "$LUA" tools/sandbox_check.lua > "$TMP.check" 2>&1; then ok "$(tail -1 "$TMP.check") (tools/sandbox_check.lua)"
  else ko "tools/sandbox_check.lua" "$(grep -v '^ok' "$TMP.check" | tail -5)"; fi
  rm -f "$TMP.check"

  # --- run -- CMD: variables set, exit status passed through
  "$LUA" bin/unipile-sandbox run -- sh -c 'curl -sf "$UNIPILE_DSN/api/v1/accounts" -H "X-API-KEY: $UNIPILE_API_KEY" >/dev/null && exit 7'
  check "run -- CMD exit status" "7" "$?"
}

for lua in ${SANDBOX_LUAS:-lua5.4 luajit}; do
  smoke "$lua"
  SHOW_RECORDS=0
done
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
