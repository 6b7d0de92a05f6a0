--- Helpers shared by the benchmark scripts (bench/*.lua).
local core = require "unipile.core"

local M = {}

-- M.cpu(): user+sys, user, sys (s), maxrss (KiB). Its C module is built
-- for lua5.4 only: loaded on first use, so the scripts run on any runtime
-- for the rest of this file (sdk_race.lua under LuaJIT).
setmetatable(M, { __index = function(t, k)
  if k == "cpu" then
    t.cpu = require "bench_rusage"
    return t.cpu
  end
end })
M.now = core.now                    -- monotonic ms

--- A field of /proc/self/status in KiB (VmHWM = peak RSS, VmRSS = now).
function M.status_kb(field)
  local f = assert(io.open("/proc/self/status"))
  local s = f:read("*a")
  f:close()
  return tonumber(s:match(field .. ":%s*(%d+)"))
end

--- Print one result line: `key=value` pairs, sorted, for bench/run.lua.
function M.report(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  local out = {}
  for _, k in ipairs(keys) do
    local v = t[k]
    if type(v) == "number" and v ~= math.floor(v) then v = string.format("%.6g", v) end
    out[#out + 1] = k .. "=" .. tostring(v)
  end
  print(table.concat(out, " "))
end

--- Command-line `key=value` arguments as a table (numbers converted).
function M.args(argv)
  local t = {}
  for _, a in ipairs(argv) do
    local k, v = a:match("^([%w_]+)=(.*)$")
    assert(k, "bad argument " .. a .. " (expected key=value)")
    t[k] = tonumber(v) or v
  end
  return t
end

return M
