--- Benchmark 3: 200 requests at concurrency 16 through unipile.map while
-- the sandbox adds 100 ms to each (fault latency_ms, count = -1).
--   sdk_map.lua dsn=URL key=KEY sandbox=URL n=200 concurrency=16 latency_ms=100 [driver=run|luv] [clients=1|2]
-- driver=luv: the map runs under unipile.luv in a lua-luv loop (bench
-- "luv"); clients=2: the items alternate between two clients, so
-- unipile.run waits on two multis (bench "run2").
local lib = require "bench.lib"
local unipile = require "unipile"
local sandbox = require "unipile.sandbox"

local a = lib.args(arg)
local sb = sandbox.attach(a.sandbox)
local clients = {}
for i = 1, a.clients or 1 do clients[i] = unipile.new { dsn = a.dsn, api_key = a.key } end

local ids = {}
for i = 1, a.n do ids[i] = i end
local function fetch(i) return clients[(i - 1) % #clients + 1].accounts:list { limit = 1 } end

-- How the map runs: blocking in unipile.run, or in a libuv loop.
local DRIVERS = {
  run = function(fn) return fn() end,
  luv = function(fn)
    local uv = require "luv"
    local out
    require("unipile.luv").new(uv):run(fn, function(...) out = { ... } end)
    uv.run()
    assert(out and out[1], out and tostring(out[2]))
    return out[2], out[3]
  end,
}
local drive = assert(DRIVERS[a.driver or "run"], "driver must be run or luv")

for i = 1, #clients do fetch(i) end              -- one warm connection each, as any client has
sb:clear_faults()
sb:fault { latency_ms = a.latency_ms, count = -1, path = "/accounts" }
local t0 = lib.now()
local results, failures = drive(function()
  return unipile.map(ids, function(_, i) return fetch(i) end, { concurrency = a.concurrency })
end)
local t1 = lib.now()
sb:clear_faults()
for _, f in ipairs(failures) do error("request " .. f.index .. " failed: " .. tostring(f.error)) end
local ok = 0
for i = 1, a.n do
  if type(results[i]) == "table" and results[i].items then ok = ok + 1 end
end
assert(ok == a.n, "not every request returned a page")
lib.report { requests = a.n, concurrency = a.concurrency, latency_ms = a.latency_ms,
  wall_s = (t1 - t0) / 1000 }
