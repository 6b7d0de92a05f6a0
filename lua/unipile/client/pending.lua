--- A request in flight: `wait()` returns what the blocking call would (or
-- raises), `result()` the same as `value` or `nil, err`. Inside a task both
-- yield to the scheduler while the transfer runs.
-- @module unipile.client.pending
-- @local

local errors = require "unipile.errors"
local scheduler = require "unipile.scheduler"
local response = require "unipile.client.response"
local watch = require "unipile.client.watch"

local M = {}

local Pending = {}
M.Pending = Pending

-- The response of a successful wait is kept for as long as the caller
-- holds what `wait` returned, and no longer: an ephemeron keyed by that
-- value (the decoded page of a call). A request in flight across a
-- collection is old to Lua 5.4's generational collector, and an old table
-- given the page would keep it alive, and ageing, through minor
-- collections long after every caller has dropped it (bench/README.md,
-- race). While the caller holds it, waiting again (or `pending.response`)
-- gives the same tables; after, the answer is read again from the
-- transfer's result. (Lua 5.1 and LuaJIT have no ephemerons: there the
-- answer lives as long as the pending request, as before.)
local BY_VALUE = { __mode = "k" }

local function kept(self)
  local answer = rawget(self, "answer")
  if answer == nil then return nil end
  if answer.response ~= nil then return answer.response end
  local _, res = next(answer)
  return res
end

-- Waits for the transfer and reads its answer: the response, or raises.
local function read(self)
  scheduler.await(self.client.multi, self.transfer)
  local result = self.transfer:result()
  local res, err = response.read(result, self.request)
  local w = rawget(self.client, "watch")
  if w and not self.watched then
    self.watched = true              -- a wait may be repeated: events once
    watch.ended(w, self.request, result, err)
  end
  if not res then errors.raise(err) end
  local value = self.request.body_only and res.body or res
  if type(value) == "table" then
    self.answer = setmetatable({ [value] = res }, BY_VALUE)
  else
    self.answer = { response = res } -- bytes, a number, nil: nothing to let go of
  end
  return res
end

-- `pending.response`: the response once a wait has succeeded (else nil).
function Pending.__index(self, key)
  if key == "response" then
    return kept(self) or (rawget(self, "answer") ~= nil and read(self) or nil)
  end
  return Pending[key]
end

--- A pending request for `transfer`, started for `request` on `client`.
function M.new(client, request, transfer)
  return setmetatable({ client = client, request = request, transfer = transfer }, Pending)
end

function Pending:wait()
  local res = kept(self) or read(self)
  if self.request.body_only then return res.body end
  return res
end

--- The values of a pcall, or `nil, err` when it caught an SDK error object;
-- anything else (a bug, not a failure of the request) is raised again.
function M.caught(ok, ...)
  if ok then return ... end
  local err = ...
  if errors.is(err) then return nil, err end
  error(err, 0)
end

--- Like `wait`, but returns `nil, err` (the error object) instead of
-- raising. Inside a task it yields like `wait`, with no pcall around the
-- yield (PUC Lua 5.1 cannot yield across one): the transfer is awaited
-- first, and only what `wait` does once it is done (no yield) runs under
-- pcall.
function Pending:result()
  scheduler.await(self.client.multi, self.transfer)
  return M.caught(pcall(self.wait, self))
end

return M
