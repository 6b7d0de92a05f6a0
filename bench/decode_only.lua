--- Benchmark 2's reference: cjson.decode of the same 250-chat page,
-- N times in memory (no HTTP), touching every item like sdk_each.lua.
--   decode_only.lua file=PATH pages=4000
local lib = require "bench.lib"
local cjson = require "cjson"

local a = lib.args(arg)
local f = assert(io.open(a.file, "rb"))
local body = f:read("*a"):gsub('"@CURSOR@"', '"p2"')
f:close()
local decode = cjson.new().decode
local count, n = 0, 0
local t0 = lib.now()
for _ = 1, a.pages do
  for _, chat in ipairs(decode(body).items) do count = count + 1 n = n + #chat.id end
end
local t1 = lib.now()
lib.report { items = count, wall_s = (t1 - t0) / 1000, items_per_s = count / ((t1 - t0) / 1000),
  vmhwm_kb = lib.status_kb("VmHWM") }
