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

local M = {}

local Checkpoint = {}
Checkpoint.__index = Checkpoint
M.Checkpoint = Checkpoint

function Checkpoint:__tostring()
  return "unipile.Checkpoint(" .. tostring(self.type) .. ", account " .. tostring(self.account_id) .. ")"
end

-- Turn an answer of create/reconnect/solve into the account or a checkpoint.
local function settle(resource, answer, provider)
  if type(answer) == "table" and answer.object == "Checkpoint" then
    local cp = answer.checkpoint or {}
    return setmetatable({
      object = "Checkpoint", resource = resource, provider = provider,
      account_id = answer.account_id, type = cp.type, qrcode = cp.qrcode,
      source = cp.source, checkpoint = cp, answer = answer,
    }, Checkpoint)
  end
  local id = type(answer) == "table" and (answer.account_id or answer.id)
  if not id then
    error(errors.new { kind = "decode", operation = "accounts:connect",
      message = "neither an account nor a checkpoint in the answer" }, 0)
  end
  return resource:get { id = id }
end

--- Connect an account (native authentication). Params as for
-- `accounts:create`, plus `account_id` to reconnect an existing account. Returns the
-- account (`object == "Account"`) or a checkpoint object.
function M.connect(resource, params, opts)
  params = params or {}
  local answer
  if params.account_id then
    local p = {}
    for k, v in pairs(params) do if k ~= "account_id" then p[k] = v end end
    p.id = params.account_id
    answer = resource:reconnect(p, opts)
  else
    answer = resource:create(params, opts)
  end
  return settle(resource, answer, params.provider)
end

--- Answer the checkpoint with a code (2FA, OTP, phone number, captcha
-- answer, contract id; `"TRY_ANOTHER_WAY"` switches method). Returns the
-- account, or the next checkpoint.
function Checkpoint:solve(code)
  if type(code) ~= "string" or code == "" then
    errors.usage("checkpoint:solve", "code must be a non-empty string", "code")
  end
  local answer = self.resource:solve_checkpoint {
    account_id = self.account_id, provider = self.provider, code = code }
  return settle(self.resource, answer, self.provider)
end

--- Ask the provider to send the code again.
function Checkpoint:resend()
  return self.resource:resend_checkpoint { account_id = self.account_id, provider = self.provider }
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

--- Poll until a checkpoint that clears outside the API (`IN_APP_VALIDATION`,
-- a scanned `QRCODE`) has cleared. Options: `timeout_ms` (default 120000),
-- `interval_ms` (default 2000). Returns the account; raises a timeout error
-- when the time is up.
function Checkpoint:wait(opts)
  opts = opts or {}
  local timeout_ms, interval_ms = opts.timeout_ms or 120000, opts.interval_ms or 2000
  local client = self.resource.client
  local deadline = core.now() + timeout_ms
  while true do
    local ok, account = pcall(self.resource.get, self.resource, { id = self.account_id })
    if ok and connected(account) then return account end
    if not ok and not (errors.is(account, "http") and account.status == 404) then error(account, 0) end
    local left = deadline - core.now()
    if left <= 0 then
      error(errors.new { kind = "timeout", phase = "checkpoint", operation = "checkpoint:wait",
        message = "checkpoint " .. tostring(self.type) .. " not cleared after " .. timeout_ms .. " ms" }, 0)
    end
    client:sleep(math.min(interval_ms, left))
  end
end

return M
