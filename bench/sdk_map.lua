--- Benchmark 3: 200 requests at concurrency 16 through unipile.map while
-- the sandbox adds 100 ms to each (fault latency_ms, count = -1).
--   sdk_map.lua dsn=URL key=KEY sandbox=URL n=200 concurrency=16 latency_ms=100
local lib = require "bench.lib"
local unipile = require "unipile"
local sandbox = require "unipile.sandbox"

local a = lib.args(arg)
local sb = sandbox.attach(a.sandbox)
local client = unipile.new { dsn = a.dsn, api_key = a.key }

local ids = {}
for i = 1, a.n do ids[i] = i end
local function fetch() return client.accounts:list { limit = 1 } end

fetch()                                          -- one warm connection, as any client has
sb:clear_faults()
sb:fault { latency_ms = a.latency_ms, count = -1, path = "/accounts" }
local t0 = lib.now()
local results, failures = unipile.map(ids, fetch, { concurrency = a.concurrency })
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
