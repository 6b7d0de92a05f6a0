--- Where the race's Lua CPU goes (bench/README.md, analysis): the same
-- 400-page walk done by layers, each layer one less than the one above, so
-- that the differences price what each layer adds per page; then the
-- per-page Lua functions timed alone. CPU = os.clock() (process CPU time).
--   bench/run.sh starts the race's nginx; by hand, against any server of
--   the race's pages:  lua5.4 bench/race_profile.lua dsn=URL key=KEY pages=400 [reps=5]
local unipile = require "unipile"
local core = require "unipile.core"
local client_mod = require "unipile.client"
local pager = require "unipile.pager"
local operations = require "unipile.operations"

local args = require("bench.lib").args(arg)
local PAGES, REPS, OP = args.pages or 400, args.reps or 5, "ChatsController_listAllChats"
local client = unipile.new { dsn = args.dsn, api_key = args.key }
local null = unipile.json.null

local function usable(c) if c ~= nil and c ~= null and c ~= "" then return c end end

-- What each walk does with a page's items: touch every id (the race's
-- `chat.id`), counted so the work cannot be skipped.
local function touch(items)
  local n = 0
  for i = 1, #items do n = n + #items[i].id / 22 end
  return n
end

-- Each walk returns the number of items it saw.
local walks = {}
walks[#walks + 1] = { "each (the race)", function()
  local n = 0
  for chat in client.chats:each { limit = 250 } do n = n + #chat.id / 22 end
  return n
end }
walks[#walks + 1] = { "pages, items by numeric for", function()
  local n = 0
  for page in client.chats:pages { limit = 250 } do
    n = n + touch(page.items)
  end
  return n
end }
walks[#walks + 1] = { "pages, prefetch = false", function()
  local n = 0
  for page in client.chats:pages({ limit = 250 }, { prefetch = false }) do
    n = n + touch(page.items)
  end
  return n
end }
walks[#walks + 1] = { "client:call loop (no pager)", function()
  local n, cursor = 0, nil
  repeat
    local page = client:call(OP, { limit = 250, cursor = cursor })
    n = n + touch(page.items)
    cursor = usable(page.cursor)
  until not cursor
  return n
end }
walks[#walks + 1] = { "client:call loop inside one coroutine", function()
  local n = 0
  local co = coroutine.wrap(function()
    local cursor = nil
    repeat
      local page = client:call(OP, { limit = 250, cursor = cursor })
      coroutine.yield(page)
      cursor = usable(page.cursor)
    until not cursor
  end)
  repeat
    local page = co()
    n = n + touch(page.items)
  until not usable(page.cursor)
  return n
end }
walks[#walks + 1] = { "client:request loop (no operation)", function()
  local n, cursor = 0, nil
  repeat
    local page = client:request({ path = "/api/v1/chats", query = { limit = 250, cursor = cursor } }).body
    n = n + touch(page.items)
    cursor = usable(page.cursor)
  until not cursor
  return n
end }
local multi, base = client.multi, client:url_for("/api/v1/chats") .. "?limit=250"
local function core_get(cursor)
  local t = multi:add { url = base .. (cursor and "&cursor=" .. cursor or ""), method = "GET",
    headers = { "X-API-KEY: " .. args.key, "Accept: application/json" } }
  while not t:done() do multi:perform(1000) end
  return t:result().body
end
walks[#walks + 1] = { "C core + core.json_decode (no Lua layer)", function()
  local n, cursor = 0, nil
  repeat
    local page = core.json_decode(core_get(cursor))
    n = n + touch(page.items)
    cursor = usable(page.cursor)
  until not cursor
  return n
end }
local bodies = {}
walks[#walks + 1] = { "C core alone (HTTP, body as a Lua string)", function()
  local cursor, i = nil, 0
  repeat
    local body = core_get(cursor)
    i = i + 1
    bodies[i] = body
    cursor = body:match('^{"cursor":"([^"]*)"')
  until not cursor
  return i * 250
end }
walks[#walks + 1] = { "core.json_decode alone (the 400 bodies, in memory)", function()
  local n = 0
  for i = 1, #bodies do
    local items = core.json_decode(bodies[i]).items
    for j = 1, #items do n = n + #items[j].id / 22 end
  end
  return n
end }

local function median(xs)
  table.sort(xs)
  return xs[math.floor((#xs + 1) / 2)]
end

local function cpu_of(fn, expect)
  local xs = {}
  for _ = 1, REPS do
    collectgarbage()
    local c0 = os.clock()
    local n = fn()
    xs[#xs + 1] = os.clock() - c0
    if expect then assert(n == expect, "walked " .. n .. " items") end
  end
  return median(xs)
end

print(("%s, %d pages of 250, median of %d walks, CPU per walk and per page"):format(_VERSION, PAGES, REPS))
for _, w in ipairs(walks) do
  local s = cpu_of(w[2], PAGES * 250)
  print(("  %-48s %7.1f ms  %6.1f us/page"):format(w[1], s * 1e3, s * 1e6 / PAGES))
end

-- The per-page functions alone, N calls each (µs per call).
local N = 4000
local op = operations.by_id[OP]
local where = "chats:list (" .. OP .. ")"
local page = core.json_decode(bodies[2])
local res_headers
do
  local t = multi:add { url = base, method = "GET" }
  while not t:done() do multi:perform(1000) end
  res_headers = t:result().headers
end
-- A client that sends nothing: what start_call/start_request cost in Lua
-- before curl sees anything (Client:send is where every request passes).
local dry = unipile.new { dsn = args.dsn, api_key = args.key }
dry.send = function(self, request) return { client = self, request = request } end
local op_values = client_mod.split_params(op, { limit = 250, cursor = "p2" }, where)
local request_mod = require "unipile.client.request"
local req_spec = { path = "/api/v1/chats", query = { limit = 250, cursor = "p2" } }
local micro = {
  { "split_params(op, {limit, cursor})",
    function() client_mod.split_params(op, { limit = 250, cursor = "p2" }, where) end },
  { "start_call, not sent (all of its checks + the request record)",
    function() dry:start_call(OP, { limit = 250, cursor = "p2" }, {}) end },
  { "request.call (the record of a page after the first)",
    function() request_mod.call(client, op, where, op_values, {}) end },
  { "start_request{path, query} (no operation), not sent", function() dry:start_request(req_spec) end },
  { "client.headers(res.headers) (response headers to a table)", function() client_mod.headers(res_headers) end },
  { "pager.read(page)", function() pager.read(page, where, op) end },
  { "encode.query{limit, cursor}", function() require("unipile.encode").query { limit = 250, cursor = "p2" } end },
}
print(("per-page functions alone, %d calls each"):format(N))
for _, m in ipairs(micro) do
  local fn = m[2]
  local s = cpu_of(function() for _ = 1, N do fn() end end)
  print(("  %-58s %6.2f us/call"):format(m[1], s * 1e6 / N))
end
