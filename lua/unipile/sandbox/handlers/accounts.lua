--- Handlers of the `accounts` group (operation_id → function(ctx)).
-- @module unipile.sandbox.handlers.accounts

local api = require "unipile.sandbox.api"
local state = require "unipile.sandbox.state"
local reply = require "unipile.sandbox.reply"

local H = {}

H.AccountsController_listAccounts = function(ctx)
  return api.page(ctx, "AccountList", state.select("accounts"), { time = "created_at" })
end

H.AccountsController_getAccountById = api.getter("accounts", "id")

H.AccountsController_deleteAccount = api.deleter("accounts", "id", "AccountDeleted", state.delete_account)

local function provider(ctx)
  local p, err = api.string_field(ctx, "provider")
  if err then return nil, err end
  p = p:upper()
  for _, known in ipairs(state.PROVIDERS) do
    if p == known then return p end
  end
  return nil, reply.invalid("provider", "unknown provider " .. p)
end

-- Native authentication always succeeds at once here (no checkpoint).
H.AccountsController_createAccount = function(ctx)
  local p, err = provider(ctx)
  if err then return err end
  local account = state.create_account(p)
  return reply.ok({ object = "AccountCreated", account_id = account.id }, 201)
end

H.AccountsController_reconnectAccount = function(ctx)
  local account, err = api.fetch("accounts", ctx.params.id)
  if err then return err end
  local _, perr = provider(ctx)
  if perr then return perr end
  return reply.ok({ object = "AccountReconnected", account_id = account.id }, 201)
end

return H
