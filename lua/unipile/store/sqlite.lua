--- The SQLite store (LuaSQL, Debian `lua-sql-sqlite3`): WAL, a busy
-- timeout, and `BEGIN IMMEDIATE` around every read-then-write, so two
-- processes on one file take turns and a crash leaves no half update.
-- @module unipile.store.sqlite
-- @local

local errors = require "unipile.errors"

local M = {}
local Store = {}
Store.__index = Store

local SCHEMA = {
  "CREATE TABLE IF NOT EXISTS pace_events (key TEXT NOT NULL, t REAL NOT NULL)",
  "CREATE INDEX IF NOT EXISTS pace_events_key ON pace_events (key, t)",
  "CREATE TABLE IF NOT EXISTS pace_next (key TEXT PRIMARY KEY, t REAL NOT NULL)",
  "CREATE TABLE IF NOT EXISTS journal (key TEXT PRIMARY KEY, state TEXT NOT NULL, answer TEXT,"
    .. " operation TEXT, account TEXT, target TEXT, created REAL, updated REAL)",
}

local function quote(v)
  if v == nil then return "NULL" end
  if type(v) == "number" then return string.format("%.6f", v) end
  return "'" .. tostring(v):gsub("'", "''") .. "'"
end

local function fail(where, what, err)
  error(errors.new { kind = "store", operation = where, message = what .. ": " .. tostring(err) }, 0)
end

function Store:exec(sql)
  local res, err = self.conn:execute(sql)
  if not res then fail(self.where, "sqlite", err) end
  return res
end

-- All rows of a query, as tables keyed by column name.
function Store:rows(sql)
  local cur = self:exec(sql)
  local out = {}
  if type(cur) ~= "userdata" then return out end
  while true do
    local row = cur:fetch({}, "a")
    if not row then break end
    out[#out + 1] = row
  end
  cur:close()
  return out
end

-- Run `fn` in a write transaction; roll back if it raises.
function Store:atomically(fn)
  self:exec("BEGIN IMMEDIATE")
  local ok, a, b = pcall(fn)
  if not ok then
    self.conn:execute("ROLLBACK")
    error(a, 0)
  end
  self:exec("COMMIT")
  return a, b
end

local function mkdir_for(path)
  local dir = path:match("^(.*)/[^/]*$")
  if dir and dir ~= "" then os.execute("mkdir -p '" .. dir:gsub("'", "'\\''") .. "'") end
end

function M.open(path, where)
  local ok, driver = pcall(require, "luasql.sqlite3")
  if not ok then
    errors.usage(where, "the SQLite store needs LuaSQL (Debian: lua-sql-sqlite3; LuaRocks: luasql-sqlite3)", "store")
  end
  mkdir_for(path)
  local env = driver.sqlite3()
  local conn, err = env:connect(path)
  if not conn then fail(where, "cannot open " .. path, err) end
  local self = setmetatable({ env = env, conn = conn, where = where, path = path }, Store)
  self:rows("PRAGMA busy_timeout = 10000")
  self:rows("PRAGMA journal_mode = WAL")
  self:rows("PRAGMA synchronous = NORMAL")
  self:atomically(function() for _, sql in ipairs(SCHEMA) do self:exec(sql) end end)
  return self
end

-- The oldest time in the last `window.seconds` that keeps `key` at its
-- max: the action is allowed again when it leaves the window.
function Store:window_full(key, now, window)
  local since = now - window.seconds
  local rows = self:rows(string.format("SELECT t FROM pace_events WHERE key = %s AND t > %s ORDER BY t DESC LIMIT 1 OFFSET %d",
    quote(key), quote(since), window.max - 1))
  if rows[1] then return tonumber(rows[1].t) + window.seconds end
end

function Store:take(key, now, windows, spacing)
  return self:atomically(function()
    local allowed_at = 0
    local next_row = self:rows("SELECT t FROM pace_next WHERE key = " .. quote(key))[1]
    if next_row and tonumber(next_row.t) > now then allowed_at = tonumber(next_row.t) end
    for _, w in ipairs(windows) do
      local at = w.max < 1 and math.huge or self:window_full(key, now, w)
      if at and at > allowed_at then allowed_at = at end
    end
    if allowed_at > now then return false, allowed_at end
    self:exec(string.format("INSERT INTO pace_events (key, t) VALUES (%s, %s)", quote(key), quote(now)))
    self:exec(string.format("INSERT OR REPLACE INTO pace_next (key, t) VALUES (%s, %s)", quote(key), quote(now + spacing)))
    self:exec(string.format("DELETE FROM pace_events WHERE key = %s AND t < %s", quote(key), quote(now - 8 * 86400)))
    return true
  end)
end

local COLUMNS = "key, state, answer, operation, account, target, created, updated"

function Store:get(key)
  return self:rows("SELECT " .. COLUMNS .. " FROM journal WHERE key = " .. quote(key))[1]
end

function Store:begin(key, meta, now)
  return self:atomically(function()
    local row = self:rows("SELECT " .. COLUMNS .. " FROM journal WHERE key = " .. quote(key))[1]
    if row then return row end
    self:exec(string.format("INSERT INTO journal (%s) VALUES (%s, 'pending', NULL, %s, %s, %s, %s, %s)", COLUMNS,
      quote(key), quote(meta.operation), quote(meta.account), quote(meta.target), quote(now), quote(now)))
  end)
end

function Store:finish(key, state, answer, now)
  self:atomically(function()
    self:exec(string.format("UPDATE journal SET state = %s, answer = %s, updated = %s WHERE key = %s",
      quote(state), quote(answer), quote(now), quote(key)))
  end)
end

function Store:list(state)
  return self:rows("SELECT " .. COLUMNS .. " FROM journal WHERE state = " .. quote(state) .. " ORDER BY created")
end

function Store:forget(key)
  self:atomically(function() self:exec("DELETE FROM journal WHERE key = " .. quote(key)) end)
end

function Store:close()
  if self.conn then self.conn:close(); self.env:close(); self.conn = nil end
end

return M
