-- Counting calls of methods while a function runs: how the event specs
-- tell waiting from polling without timing anything (a poll every few ms
-- makes hundreds of calls; an event-driven wait a handful).
--   local n, a, b = require("support.counting").calls(methods, { "perform" }, fn)
local M = {}

local pack = table.pack or function(...) return { n = select("#", ...), ... } end -- luacheck: ignore 143
local unpack = table.unpack or unpack -- luacheck: ignore 113 143

--- Runs `fn()` with each method `names[i]` of the table `methods` counted
-- (restored afterwards, even when fn raises); returns the total count and
-- fn's results.
function M.calls(methods, names, fn)
  local n, saved = 0, {}
  for _, name in ipairs(names) do
    local original = methods[name]
    saved[name] = original
    methods[name] = function(...) n = n + 1 return original(...) end
  end
  local r = pack(pcall(fn))
  for name, original in pairs(saved) do methods[name] = original end
  assert(r[1], r[2])
  return n, unpack(r, 2, r.n)
end

--- The methods table of the multi userdata (shared by every multi).
function M.multi_methods() return getmetatable(require("unipile.core").multi()).__index end

--- The methods table of the scheduler (shared by every scheduler).
function M.scheduler_methods() return getmetatable(require("unipile.scheduler").new()).__index end

return M
