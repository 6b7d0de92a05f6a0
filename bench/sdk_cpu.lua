--- Benchmark 1, SDK side: N sequential requests for one 100-chat page on
-- one keep-alive connection; CPU (getrusage user + sys) per request.
--   sdk_cpu.lua dsn=URL key=KEY n=5000 warmup=200 mode=list|raw|decode
-- list:   client.chats:list{limit=100}: validation, request, JSON decode
-- hooks:  the same with a no-op hook on each of the four events
-- raw:    client:request{path="/chats", query={limit=100}, raw=true}: no decode
-- request: client:request{path="/chats", query={limit=100}}: decode, no operation lookup
-- core:   the C core alone: multi:add{url=, headers=}, perform until done,
--         result(); no Lua layer, no decode
-- decode: cjson.decode of the page body only, N times, no HTTP
-- json_decode: the same with core.json_decode (the SDK's decoder)
local lib = require "bench.lib"
local unipile = require "unipile"

local a = lib.args(arg)
local mode = a.mode or "list"
local hooks
if mode == "hooks" then
  local n = 0
  local function count() n = n + 1 end
  hooks = { request = count, attempt = count, retry = count, error = count }
end
local client = unipile.new { dsn = a.dsn, api_key = a.key, hooks = hooks }

local probe = client:request { path = "/chats", query = { limit = 100 }, raw = true }
local encoding = probe.headers["content-encoding"] or "identity"

local once
if mode == "list" or mode == "hooks" then
  once = function() return client.chats:list { limit = 100 } end
elseif mode == "raw" then
  once = function() return client:request { path = "/chats", query = { limit = 100 }, raw = true } end
elseif mode == "request" then
  once = function() return client:request({ path = "/chats", query = { limit = 100 } }).body end
elseif mode == "core" then
  local multi, url = client.multi, client:url_for("/chats") .. "?limit=100"
  once = function()
    local t = multi:add { url = url, method = "GET" }
    while not t:done() do multi:perform(1000) end
    return { status = 200, body = t:result().body }
  end
elseif mode == "decode" then
  local body = client:request({ path = "/chats", query = { limit = 100 }, raw = true }).body
  local decode = unipile.json.decode
  once = function() return decode(body) end
elseif mode == "json_decode" then
  local body = client:request({ path = "/chats", query = { limit = 100 }, raw = true }).body
  local decode = require("unipile.core").json_decode
  once = function() return decode(body) end
else
  error("unknown mode " .. mode)
end

-- sanity: the page is what we think it is
local first = once()
if mode == "raw" or mode == "core" then
  assert(first.status == 200 and #first.body > 30000, "unexpected page")
  first = unipile.json.decode(first.body)
end
assert(#first.items == 100, "expected 100 items")

for _ = 1, a.warmup do once() end
collectgarbage()
local cpu0, wall0 = lib.cpu(), lib.now()
for _ = 1, a.n do once() end
local wall1, cpu1 = lib.now(), lib.cpu()
lib.report {
  mode = mode, encoding = encoding, requests = a.n, cpu_s = cpu1 - cpu0, wall_s = (wall1 - wall0) / 1000,
  cpu_us_per_req = (cpu1 - cpu0) * 1e6 / a.n, vmhwm_kb = lib.status_kb("VmHWM"),
}
