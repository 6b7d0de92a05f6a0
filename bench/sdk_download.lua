--- Benchmark 5, SDK side: stream one large file to disk with
-- client:request{ output = path }; prints the transfer's wall time and the
-- process's peak RSS.
--   sdk_download.lua dsn=URL key=KEY path=/b5/big.bin out=FILE size=BYTES
local lib = require "bench.lib"
local unipile = require "unipile"

local a = lib.args(arg)
local client = unipile.new { dsn = a.dsn, api_key = a.key }
local t0 = lib.now()
local res = client:request { path = a.path, output = a.out }
local t1 = lib.now()
assert(res.status == 200, "status " .. tostring(res.status))
assert(res.bytes == a.size, ("expected %d bytes, got %s"):format(a.size, tostring(res.bytes)))
lib.report { bytes = res.bytes, wall_s = (t1 - t0) / 1000, curl_total_s = res.total_time,
  vmhwm_kb = lib.status_kb("VmHWM") }
