--- Account connection with checkpoints: `client.accounts:connect{...}`.
--
--     local result = client.accounts:connect { provider = "LINKEDIN", username = u, password = p }
--     while result.object == "Checkpoint" do
--       if result.type == "IN_APP_VALIDATION" then result = result:wait { timeout_ms = 120000 }
--       elseif result.type == "QRCODE" then show(result.qrcode) result = result:wait()
--       else result = result:solve(ask_user(result.type)) end
--     end
--     print(result.id)  -- the connected account
--
-- @module unipile.helpers.accounts

local core = require "unipile.core"
local errors = require "unipile.errors"
local resources = require "unipile.resources"

-- Every function here is written non-raising (value or `nil, err`) over the
-- safe twin of the resource, so it works inside `unipile.run` on PUC Lua 5.1
-- (no pcall around a request); `resources.deliver` raises for callers of
-- the raising form (`client.accounts`, and checkpoints made from it).
local M = {}

local Checkpoint = {}
Checkpoint.__index = Checkpoint
M.Checkpoint = Checkpoint

function Checkpoint:__tostring()
  return "unipile.Checkpoint(" .. tostring(self.type) .. ", account " .. tostring(self.account_id) .. ")"
end

-- The objects that say the account is connected: create and solve answer
-- AccountCreated, reconnect AccountReconnected (with `account_id`).
local CONNECTED = { AccountCreated = true, AccountReconnected = true }

-- Turn an answer of create/reconnect/solve into the account or a checkpoint
-- (whose methods raise or not as `resource` does).
local function settle(resource, answer, err, provider)
  if err then return nil, err end
  if type(answer) == "table" and answer.object == "Checkpoint" then
    local cp = answer.checkpoint or {}
    return setmetatable({
      object = "Checkpoint", resource = resource, provider = provider,
      account_id = answer.account_id, type = cp.type, qrcode = cp.qrcode,
      source = cp.source, checkpoint = cp, answer = answer,
    }, Checkpoint)
  end
  local object = type(answer) == "table" and answer.object
  if not CONNECTED[object] or type(answer.account_id) ~= "string" then
    return nil, errors.new { kind = "decode", operation = "accounts:connect",
      message = "neither an account nor a checkpoint in the answer (object " .. tostring(object) .. ")" }
  end
  return resource:non_raising():get { id = answer.account_id }
end

--- Connect an account (native authentication). Params as for
-- `accounts:create`, plus `account_id` to reconnect an existing account. Returns the
-- account (`object == "Account"`) or a checkpoint object.
function M.connect(resource, params, opts)
  params = params or {}
  if type(params) ~= "table" then return nil, resources.usage_error("accounts:connect", "params must be a table") end
  local safe = resource:non_raising()
  local answer, err
  if params.account_id then
    local p = {}
    for k, v in pairs(params) do if k ~= "account_id" then p[k] = v end end
    p.id = params.account_id
    answer, err = safe:reconnect(p, opts)
  else
    answer, err = safe:create(params, opts)
  end
  return settle(resource, answer, err, params.provider)
end

local function solve(self, code)
  if type(code) ~= "string" or code == "" then
    return nil, resources.usage_error("checkpoint:solve", "code must be a non-empty string", "code")
  end
  local answer, err = self.resource:non_raising():solve_checkpoint {
    account_id = self.account_id, provider = self.provider, code = code }
  return settle(self.resource, answer, err, self.provider)
end

--- Answer the checkpoint with a code (2FA, OTP, phone number, captcha
-- answer, contract id; `"TRY_ANOTHER_WAY"` switches method). Returns the
-- account, or the next checkpoint.
function Checkpoint:solve(code)
  return resources.deliver(self.resource, solve(self, code))
end

--- Ask the provider to send the code again.
function Checkpoint:resend()
  return resources.deliver(self.resource, self.resource:non_raising():resend_checkpoint {
    account_id = self.account_id, provider = self.provider })
end

-- An account is still being validated while it is missing or its sources
-- are connecting.
local function connected(account)
  local sources = account.sources
  if type(sources) ~= "table" or #sources == 0 then return true end
  for _, s in ipairs(sources) do
    if s.status == "OK" then return true end
  end
  return false
end

local function wait(self, opts)
  opts = opts or {}
  local timeout_ms, interval_ms = opts.timeout_ms or 120000, opts.interval_ms or 2000
  local client = self.resource.client
  local safe = self.resource:non_raising()
  local deadline = core.now() + timeout_ms
  while true do
    local account, err = safe:get { id = self.account_id }
    if not err and type(account) == "table" and connected(account) then return account end
    if err and not (errors.is(err, "http") and err.status == 404) then return nil, err end
    local left = deadline - core.now()
    if left <= 0 then
      return nil, errors.new { kind = "timeout", phase = "checkpoint", operation = "checkpoint:wait",
        message = "checkpoint " .. tostring(self.type) .. " not cleared after " .. timeout_ms .. " ms" }
    end
    client:sleep(math.min(interval_ms, left))
  end
end

--- Poll until a checkpoint that clears outside the API (`IN_APP_VALIDATION`,
-- a scanned `QRCODE`) has cleared. Options: `timeout_ms` (default 120000),
-- `interval_ms` (default 2000). Returns the account; raises a timeout error
-- when the time is up (returns `nil, err` for a checkpoint of `client.safe`).
function Checkpoint:wait(opts)
  return resources.deliver(self.resource, wait(self, opts))
end

return M
