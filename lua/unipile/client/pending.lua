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
Pending.__index = Pending
M.Pending = Pending

--- A pending request for `transfer`, started for `request` on `client`.
function M.new(client, request, transfer)
  return setmetatable({ client = client, request = request, transfer = transfer }, Pending)
end

function Pending:wait()
  if not self.response then
    scheduler.await(self.client.multi, self.transfer)
    local result = self.transfer:result()
    local res, err = response.read(result, self.request)
    local w = rawget(self.client, "watch")
    if w and not self.watched then
      self.watched = true            -- a failed wait may be repeated: events once
      watch.ended(w, self.request, result, err)
    end
    if not res then errors.raise(err) end
    self.response = res
  end
  if self.request.body_only then return self.response.body end
  return self.response
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
