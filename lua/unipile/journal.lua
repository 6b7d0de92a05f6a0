--- The journal: never send the same thing twice. Every call that sends
-- something to a person is recorded under a key (account, operation,
-- recipient or chat, a hash of the content; or the caller's
-- `journal_key`) before it is sent, and marked done with its answer. A
-- re-run returns the recorded answer (`replayed = true`) instead of
-- sending; a call that was sent but got no answer (timeout, connection lost,
-- the process killed) is "uncertain" and is not sent again unless the call
-- says `resend = true`. The records live in a store (`unipile.store`).
-- @module unipile.journal

local cjson = require "cjson"
local errors = require "unipile.errors"
local scheduler = require "unipile.scheduler"
local store_mod = require "unipile.store"

local M = {}

--- The journaled operations and where their recipient is: a list of
-- param names, looked up in the path, then the body.
M.TARGETS = {
  ChatsController_startNewChat = { "attendees_ids" },
  ChatsController_sendMessageInChat = { "chat_id" },
  MessagesController_forwardMessage = { "message_id", "chat_id" },
  MessagesController_addReaction = { "message_id" },
  UsersController_addUserByIdentifier = { "provider_id" },
  PostsController_createPost = {},
  PostsController_sendComment = { "post_id", "comment_id" },
  PostsController_addPostReaction = { "post_id", "comment_id" },
  MailsController_sendMail = { "to", "cc", "bcc" },
  LinkedinController_endorseProfile = { "profile_id" },
}

local json = cjson.new()
json.encode_sparse_array(true)

-- JSON with sorted keys: the same content always hashes the same.
local function canonical(v)
  if type(v) ~= "table" then return json.encode(v) end
  if #v > 0 or next(v) == nil then
    local out = {}
    for i = 1, #v do out[i] = canonical(v[i]) end
    return "[" .. table.concat(out, ",") .. "]"
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  local out = {}
  for i, k in ipairs(keys) do out[i] = json.encode(k) .. ":" .. canonical(v[k]) end
  return "{" .. table.concat(out, ",") .. "}"
end
M.canonical = canonical

-- Two 32-bit multiplicative hashes in doubles (exact: h * 65599 + 255 <
-- 2^53), for every runtime from 5.1 on: 64 bits, as hex.
function M.hash(s)
  local a, b = 5381, 2166136
  for i = 1, #s do
    local c = s:byte(i)
    a = (a * 33 + c) % 4294967296
    b = (b * 65599 + c) % 4294967296
  end
  return string.format("%08x%08x", a, b)
end

local function value_of(values, name)
  local v = values.path[name]
  if v == nil and type(values.body) == "table" then v = values.body[name] end
  if v == nil then v = values.query[name] end
  return v
end

--- The journal key and record fields of a call, or nil when it is not journaled.
function M.key(op_id, values, journal_key)
  local targets = M.TARGETS[op_id]
  if not targets then return nil end
  local account = value_of(values, "account_id")
  local target = {}
  for _, name in ipairs(targets) do
    local v = value_of(values, name)
    if v ~= nil then target[#target + 1] = type(v) == "table" and canonical(v) or tostring(v) end
  end
  local meta = { operation = op_id, account = account and tostring(account) or "", target = table.concat(target, " ") }
  if journal_key then return "key:" .. journal_key, meta end
  local content = canonical { path = values.path, query = values.query, body = values.body }
  return table.concat({ meta.account, op_id, meta.target, M.hash(content) }, "|"), meta
end

local Journal = {}
Journal.__index = Journal

local function wall_clock()
  local ok, socket = pcall(require, "socket")
  if ok and socket.gettime then return socket.gettime end
  return os.time
end

--- Open the journal on `spec` (a path, `redis://...`, a store, or true:
-- the default store).
function M.new(spec, where, clock)
  return setmetatable({ store = store_mod.open(spec, where), where = where, clock = clock or wall_clock() }, Journal)
end

-- A request that failed before reaching the server (or was refused by
-- it) sent nothing: it may be tried again.
local CONNECT_CODES = { [5] = true, [6] = true, [7] = true }
local function nothing_sent(err)
  if not errors.is(err) then return true end
  if err.kind == "http" then return err.status and err.status < 500 end
  if err.kind == "network" then return CONNECT_CODES[err.curl_code] == true end
  if err.kind == "timeout" then return err.phase == "connect" end
  return err.kind == "usage" or err.kind == "pace"
end

-- What stands in for a pending request when the answer is recorded.
local Replayed = {}
Replayed.__index = Replayed
function Replayed:wait() return self.value end
function Replayed:result() return self.value end

local function replayed(record)
  local value = record.answer and json.decode(record.answer)
  if type(value) == "table" then value.replayed = true end
  return setmetatable({ value = value, replayed = true }, Replayed)
end

-- A pending request whose end is written to the journal.
local Recorded = {}
Recorded.__index = Recorded

function Recorded:wait()
  if self.done then
    if self.err then errors.raise(self.err) end
    return self.value
  end
  local inner = self.inner
  -- the transfer is awaited outside pcall: PUC 5.1 cannot yield across it
  scheduler.await(inner.client.multi, inner.transfer)
  local ok, v = pcall(inner.wait, inner)
  self.done = true
  local j = self.journal
  if ok then
    self.value = v
    local encoded = select(2, pcall(json.encode, v))
    j.store:finish(self.key, "done", type(encoded) == "string" and encoded or "null", j.clock())
    return v
  end
  self.err = v
  if nothing_sent(v) then j.store:forget(self.key) else j.store:finish(self.key, "uncertain", nil, j.clock()) end
  error(v, 0)
end

function Recorded:result()
  if not self.done then
    scheduler.await(self.inner.client.multi, self.inner.transfer)
  end
  local ok, v = pcall(self.wait, self)
  if ok then return v end
  if errors.is(v) then return nil, v end
  error(v, 0)
end

local function refuse(where, key, record)
  errors.raise(errors.new { kind = "journal", operation = where, key = key, state = record.state,
    message = "already sent, answer unknown (" .. record.state .. "): not sent again; pass resend = true to send anyway" })
end

--- Check the journal for `key`: returns a replayed pending when it is
-- done, raises a `journal` error when it is uncertain (unless `resend`),
-- or nil: the call may go on.
function Journal:check(key, where, resend)
  local record = self.store:get(key)
  if not record then return nil end
  if record.state == "done" then return replayed(record) end
  if not resend then refuse(where, key, record) end
  self.store:forget(key)
end

--- Claim `key` just before sending and wrap the pending of `send()`.
function Journal:around(key, meta, where, send)
  local record = self.store:begin(key, meta, self.clock())
  if record then                    -- another process claimed it meanwhile
    if record.state == "done" then return replayed(record) end
    refuse(where, key, record)
  end
  local ok, pending = pcall(send)
  if not ok then self.store:forget(key); error(pending, 0) end
  return setmetatable({ inner = pending, journal = self, key = key, request = pending.request }, Recorded)
end

--- The records sent with no known answer: `{ key, state, operation, account, target, created }`.
function Journal:uncertain()
  local out = {}
  for _, state in ipairs { "pending", "uncertain" } do
    for _, r in ipairs(self.store:list(state)) do out[#out + 1] = r end
  end
  return out
end

function Journal:forget(key) self.store:forget(key) end

return M
