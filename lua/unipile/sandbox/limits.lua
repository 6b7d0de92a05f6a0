--- Provider limits the sandbox enforces when a reset asks for them:
-- `limits = { invitations = N, messages = N, accounts = { [id] = { ... } } }`
-- (per account, per sandbox day: since the reset). Past N the action
-- answers 422 `errors/limit_exceeded`, as LinkedIn does through Unipile,
-- so a spec proves a pacer keeps a run under them.
-- @module unipile.sandbox.limits
-- @local

local reply = require "unipile.sandbox.reply"

local M = {}

local config, counts = {}, {}

local function valid_counts(t)
  for k, v in pairs(t) do
    if k ~= "accounts" and (type(v) ~= "number" or v < 0 or v ~= math.floor(v)) then return false, k end
  end
  return true
end

--- Set the limits (nil: none) and zero the counts; returns nil, name when invalid.
function M.reset(t)
  if t == nil then config, counts = {}, {} return true end
  if type(t) ~= "table" then return nil, "limits" end
  local ok, bad = valid_counts(t)
  if not ok then return nil, "limits." .. tostring(bad) end
  for id, per in pairs(t.accounts or {}) do
    if type(per) ~= "table" or not valid_counts(per) then return nil, "limits.accounts." .. tostring(id) end
  end
  config, counts = t, {}
  return true
end

--- Count one `class` action of `account_id`: nil when allowed, else the 422 answer.
function M.spend(account_id, class)
  local per = config.accounts and config.accounts[account_id]
  local max = per and per[class] or config[class]
  if max == nil then return nil end
  local key = tostring(account_id) .. "|" .. class
  local n = counts[key] or 0
  if n >= max then
    return reply.error(422, "limit_exceeded", "The " .. class .. " limit of this account is reached (" .. max .. " a day).")
  end
  counts[key] = n + 1
end

return M
