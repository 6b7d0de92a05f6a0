--- Benchmark 4: 50 pages, the sandbox adding 50 ms to each page, the
-- consumer spending 50 ms per page in core.sleep (which does not drive
-- curl). With prefetch, page N+1 is on the wire while page N is consumed.
--   sdk_prefetch.lua dsn=URL key=KEY sandbox=URL pages=50 latency_ms=50 work_ms=50 prefetch=1|0
local lib = require "bench.lib"
local unipile = require "unipile"
local sandbox = require "unipile.sandbox"
local core = require "unipile.core"

local a = lib.args(arg)
local sb = sandbox.attach(a.sandbox)
local client = unipile.new { dsn = a.dsn, api_key = a.key }

client.messages:list { limit = 1 }               -- one warm connection
sb:clear_faults()
sb:fault { latency_ms = a.latency_ms, count = -1, path = "/messages" }
local pages = 0
local t0 = lib.now()
for page in client.messages:pages { limit = 1, max_items = a.pages, prefetch = a.prefetch ~= 0 } do
  assert(#page.items == 1)
  pages = pages + 1
  core.sleep(a.work_ms)                          -- the consumer's work
end
local t1 = lib.now()
sb:clear_faults()
assert(pages == a.pages, ("expected %d pages, got %d"):format(a.pages, pages))
lib.report { pages = pages, prefetch = a.prefetch, latency_ms = a.latency_ms, work_ms = a.work_ms,
  wall_s = (t1 - t0) / 1000 }
