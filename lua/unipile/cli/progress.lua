--- Progress of long work on stderr (pages, items, bytes, rate, elapsed),
-- one line redrawn in place, at most every INTERVAL_MS; the CLI turns it
-- on when stderr is a terminal and `--quiet` was not given. A disabled
-- meter costs one branch per page.
-- @module unipile.cli.progress
-- @local

local core = require "unipile.core"

local M = {}

M.INTERVAL_MS = 200

local Meter = {}
Meter.__index = Meter

local function size(bytes)
  if bytes >= 1048576 then return string.format("%.1f MB", bytes / 1048576) end
  if bytes >= 1024 then return string.format("%.1f kB", bytes / 1024) end
  return bytes .. " B"
end

function Meter:line()
  local s = (core.now() - self.started) / 1000
  local rate = s > 0 and (self.items > 0 and self.items or self.bytes) / s or 0
  local unit = self.items > 0 and " items/s" or " B/s"
  return string.format("unipile: %d pages, %d items, %s, %d%s, %.1f s", self.pages, self.items, size(self.bytes),
    math.floor(rate), unit, s)
end

function Meter:draw(force)
  local now = core.now()
  if not force and now - self.drawn < M.INTERVAL_MS then return end
  self.drawn = now
  self.err:write("\r", self:line(), "\027[K")
  self.shown = true
end

--- Count a page (`pages` 1 or 0), its items and bytes.
function Meter:add(pages, items, bytes)
  if not self.on then return end
  self.pages, self.items, self.bytes = self.pages + pages, self.items + items, self.bytes + (bytes or 0)
  self:draw(false)
end

--- The last line, ended (nothing if nothing was drawn and nothing done).
function Meter:done()
  if not self.on then return end
  if self.pages + self.items + self.bytes > 0 or self.shown then
    self:draw(true)
    self.err:write("\n")
  end
end

--- A meter writing to `err` (a file) when `on`.
function M.new(on, err)
  local now = core.now()
  return setmetatable({ on = on, err = err, pages = 0, items = 0, bytes = 0, started = now, drawn = now }, Meter)
end

return M
