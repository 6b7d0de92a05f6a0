--- The Redis store: one limit and one journal for every worker and node
-- sending for the same accounts. Each read-then-write is one Lua script
-- (EVAL), so it is atomic on the server. The client is a few lines of
-- RESP over LuaSocket (Debian `lua-socket`), which every runtime has
-- (Debian's `lua-redis` stops at Lua 5.3). Spec: `redis://host:port/db`.
-- @module unipile.store.redis
-- @local

local errors = require "unipile.errors"

local unpack = table.unpack or unpack -- luacheck: ignore 113 143 (5.2+ has one, 5.1 and LuaJIT the other)

local M = {}
local Store = {}
Store.__index = Store

local PREFIX = "unipile:"
local KEEP = 8 * 86400             -- pace events older than a week are of no use

local function fail(where, message)
  error(errors.new { kind = "store", operation = where, message = "redis: " .. message }, 0)
end

local function send_command(self, args)
  local out = { "*" .. #args .. "\r\n" }
  for _, a in ipairs(args) do
    a = tostring(a)
    out[#out + 1] = "$" .. #a .. "\r\n" .. a .. "\r\n"
  end
  local ok, err = self.sock:send(table.concat(out))
  if not ok then fail(self.where, "send: " .. tostring(err)) end
end

local function read_reply(self)
  local line, err = self.sock:receive("*l")
  if not line then fail(self.where, "receive: " .. tostring(err)) end
  local kind, rest = line:sub(1, 1), line:sub(2)
  if kind == "+" then return rest end
  if kind == "-" then fail(self.where, rest) end
  if kind == ":" then return tonumber(rest) end
  if kind == "$" then
    local n = tonumber(rest)
    if n < 0 then return nil end
    local data, derr = self.sock:receive(n + 2)
    if not data then fail(self.where, "receive: " .. tostring(derr)) end
    return data:sub(1, n)
  end
  if kind == "*" then
    local n = tonumber(rest)
    if n < 0 then return nil end
    local list = {}
    for i = 1, n do list[i] = read_reply(self) end
    return list
  end
  fail(self.where, "unexpected reply " .. line)
end

function Store:command(...)
  send_command(self, { ... })
  return read_reply(self)
end

function M.open(spec, where)
  local host, port, db = spec:match("^redis://([^:/]+):?(%d*)/?(%d*)$")
  if not host then errors.usage(where, "a Redis store is redis://host:port/db", "store") end
  local ok, socket = pcall(require, "socket")
  if not ok then errors.usage(where, "the Redis store needs LuaSocket (Debian: lua-socket)", "store") end
  local sock = socket.tcp()
  sock:settimeout(10)
  local cok, err = sock:connect(host, tonumber(port) or 6379)
  if not cok then fail(where, "cannot connect to " .. spec .. ": " .. tostring(err)) end
  local self = setmetatable({ sock = sock, where = where }, Store)
  if db ~= "" then self:command("SELECT", db) end
  return self
end

local function num(v) return string.format("%.6f", v) end

-- KEYS: events (zset), next; ARGV: now, spacing, then seconds, max per window.
local TAKE = [[
local now, spacing = tonumber(ARGV[1]), tonumber(ARGV[2])
local allowed = now
local nxt = tonumber(redis.call('GET', KEYS[2]) or '0')
if nxt > allowed then allowed = nxt end
for i = 3, #ARGV, 2 do
  local secs, max = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  if max < 1 then return { 0, 'inf' } end
  local r = redis.call('ZREVRANGEBYSCORE', KEYS[1], '+inf', '(' .. (now - secs), 'WITHSCORES', 'LIMIT', max - 1, 1)
  if r[2] and tonumber(r[2]) + secs > allowed then allowed = tonumber(r[2]) + secs end
end
if allowed > now then return { 0, tostring(allowed) } end
local seq = redis.call('INCR', KEYS[1] .. ':seq')
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[1] .. ':' .. seq)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ]] .. KEEP .. [[)
redis.call('SET', KEYS[2], tostring(now + spacing))
return { 1, '' }
]]

function Store:take(key, now, windows, spacing)
  local args = { "EVAL", TAKE, 2, PREFIX .. "pace:" .. key, PREFIX .. "pace_next:" .. key, num(now), num(spacing) }
  for _, w in ipairs(windows) do args[#args + 1] = w.seconds; args[#args + 1] = w.max end
  local r = self:command(unpack(args))
  if r[1] == 1 then return true end
  return false, r[2] == "inf" and math.huge or tonumber(r[2])
end

local FIELDS = { "key", "state", "answer", "operation", "account", "target", "created", "updated" }

local function record_of(list)
  if not list or #list == 0 then return nil end
  local r = {}
  for i = 1, #list, 2 do r[list[i]] = list[i + 1] end
  return r
end

local function jkey(key) return PREFIX .. "journal:" .. key end
local INDEX = PREFIX .. "journal_index"

-- KEYS: record, index; ARGV: key, operation, account, target, now.
local BEGIN = [[
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('HGETALL', KEYS[1]) end
redis.call('HSET', KEYS[1], 'key', ARGV[1], 'state', 'pending', 'operation', ARGV[2], 'account', ARGV[3],
  'target', ARGV[4], 'created', ARGV[5], 'updated', ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
return {}
]]

function Store:get(key)
  return record_of(self:command("HGETALL", jkey(key)))
end

function Store:begin(key, meta, now)
  return record_of(self:command("EVAL", BEGIN, 2, jkey(key), INDEX, key, meta.operation or "",
    meta.account or "", meta.target or "", num(now)))
end

-- KEYS: record; ARGV: state, updated, answer (absent: none).
local FINISH = [[
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'updated', ARGV[2])
if ARGV[3] then redis.call('HSET', KEYS[1], 'answer', ARGV[3]) else redis.call('HDEL', KEYS[1], 'answer') end
return 1
]]

function Store:finish(key, state, answer, now)
  if answer then
    self:command("EVAL", FINISH, 1, jkey(key), state, num(now), answer)
  else
    self:command("EVAL", FINISH, 1, jkey(key), state, num(now))
  end
end

function Store:list(state)
  local out = {}
  for _, key in ipairs(self:command("ZRANGE", INDEX, 0, -1)) do
    local r = self:get(key)
    if r and r.state == state then out[#out + 1] = r end
  end
  return out
end

function Store:forget(key)
  self:command("DEL", jkey(key))
  self:command("ZREM", INDEX, key)
end

function Store:close()
  if self.sock then self.sock:close(); self.sock = nil end
end

M.FIELDS = FIELDS
return M
