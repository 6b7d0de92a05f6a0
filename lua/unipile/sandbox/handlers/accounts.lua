--- Handlers of the `accounts` and `hosted` groups (operation_id → function(ctx)).
-- Connections follow the checkpoint script of connect.lua.
-- @module unipile.sandbox.handlers.accounts

local api = require "unipile.sandbox.api"
local state = require "unipile.sandbox.state"
local reply = require "unipile.sandbox.reply"
local connect = require "unipile.sandbox.connect"
local delivery = require "unipile.sandbox.delivery"
local json = require "unipile.sandbox.json"

local present, null = api.present, json.null

local H = {}

H.AccountsController_listAccounts = function(ctx)
  return api.page(ctx, "AccountList", state.select("accounts"), { time = "created_at" })
end

H.AccountsController_getAccountById = function(ctx)
  local account, err = api.fetch("accounts", ctx.params.id)
  if err then return err end
  connect.poll(account)
  return reply.ok(account)
end

H.AccountsController_deleteAccount = function(ctx)
  local account, err = api.fetch("accounts", ctx.params.id)
  if err then return err end
  delivery.account_status(account, "DELETED")
  state.delete_account(account.id)
  return reply.ok({ object = "AccountDeleted" })
end

local function provider(ctx)
  local p, err = api.string_field(ctx, "provider")
  if err then return nil, err end
  if p == nil then return nil, reply.missing("provider") end -- (null, or not required by the row)
  p = p:upper()
  for _, known in ipairs(state.PROVIDERS) do
    if p == known then return p end
  end
  return nil, reply.invalid("provider", "unknown provider " .. p)
end

-- Connect (create) or reconnect: at once, or a checkpoint (201, see connect.begin).
local function connection(ctx, p, account)
  local kind, missing = connect.script(p, ctx.fields)
  if kind == false then return reply.missing(missing) end
  local intent = account and "reconnect" or "create"
  account = account or state.create_account(p)
  if kind then return connect.begin(account, kind, intent) end
  return connect.finish(account, intent)
end

H.AccountsController_createAccount = function(ctx)
  local p, err = provider(ctx)
  if err then return err end
  return connection(ctx, p)
end

H.AccountsController_reconnectAccount = function(ctx)
  local account, err = api.fetch("accounts", ctx.params.id)
  if err then return err end
  local p, perr = provider(ctx)
  if perr then return perr end
  if p ~= account.type then
    return reply.invalid("provider", "account " .. account.id .. " is a " .. account.type .. " account")
  end
  return connection(ctx, p, account)
end

-- The account and the pending checkpoint of a solve/resend body.
local function pending(ctx, providers)
  local p, perr = api.enum(ctx.fields.provider, "provider", providers)
  if perr then return nil, nil, perr end
  local account, err = api.fetch("accounts", ctx.fields.account_id)
  if err then return nil, nil, err end
  if p ~= account.type then
    return nil, nil, reply.invalid("provider", "account " .. account.id .. " is a " .. account.type .. " account")
  end
  local cp = state.account_data(account.id).checkpoint
  if not cp then return nil, nil, reply.invalid("account_id", "account " .. account.id .. " has no pending checkpoint") end
  return account, cp
end

local function wrong_solution()
  return reply.error(401, "invalid_checkpoint_solution", "The checkpoint resolution did not pass successfully. Please retry.")
end

local function six_digits(code)
  if not code:match("^%d%d%d%d%d%d$") then return reply.invalid("code", "must be a 6-digit code or TRY_ANOTHER_WAY") end
  if code == "000000" then return wrong_solution() end
end

-- How each checkpoint type takes its code: nil (solved), an error answer,
-- or "next" (the checkpoint changed and is answered again).
local SOLVERS = {
  ["2FA"] = six_digits,
  OTP = six_digits,
  -- a phone number with its dialling code in brackets; the provider then texts a code
  PHONE_REGISTER = function(code, cp)
    if not code:match("^%(%+%d+%)%d+$") then
      return reply.invalid("code", "must be a phone number with its dialling code in brackets, e.g. (+33)0612345678")
    end
    cp.type = "OTP"
    return "next"
  end,
  CAPTCHA = function(code) if code == "000000" then return wrong_solution() end end,
  CONTRACT_CHOOSER = function(code, cp, account)
    for _, c in ipairs(cp.contract_options) do
      if c.id == code then
        account.connection_params.im.premiumContractId = c.id
        return nil
      end
    end
    return reply.invalid("code", "must be the id of one of the checkpoint's contract_options")
  end,
}

local function next_checkpoint(account, cp)
  return connect.answer({ object = "Checkpoint", account_id = account.id, checkpoint = state.checkpoint_view(cp) })
end

-- Codes: see SOLVERS ("000000" is a wrong code, 401). TRY_ANOTHER_WAY
-- switches the 2FA source (APP <-> SMS), or an in-app validation to 2FA.
H.AccountsController_solveCheckpoint = function(ctx)
  local account, cp, err = pending(ctx, { "LINKEDIN", "INSTAGRAM", "TWITTER", "MESSENGER" })
  if err then return err end
  local code, cerr = api.string_field(ctx, "code")
  if cerr then return cerr end
  if code == nil then return reply.missing("code") end
  if code == "TRY_ANOTHER_WAY" and (cp.type == "2FA" or cp.type == "IN_APP_VALIDATION") then
    cp.source = cp.type == "2FA" and cp.source == "APP" and "SMS" or "APP"
    cp.type = "2FA"
    return next_checkpoint(account, cp)
  end
  local solver = SOLVERS[cp.type]
  if not solver then return reply.invalid("code", "a " .. cp.type .. " checkpoint is not solved with a code") end
  local outcome = solver(code, cp, account)
  if outcome == "next" then return next_checkpoint(account, cp) end
  if outcome then return outcome end
  return connect.finish(account, nil, "AccountCreated")
end

H.AccountsController_resendCheckpoint = function(ctx)
  local account, cp, err = pending(ctx, { "LINKEDIN", "INSTAGRAM", "MESSENGER" })
  if err then return err end
  if cp.type == "QRCODE" or cp.type == "CAPTCHA" or cp.type == "CONTRACT_CHOOSER" then
    return reply.invalid("account_id", "a " .. cp.type .. " checkpoint has no notification to resend")
  end
  cp.resends = (cp.resends or 0) + 1
  return reply.ok({ object = "CheckpointResend", account_id = account.id, success = true })
end

H.AccountsController_restartAccount = function(ctx)
  local account, err = api.fetch("accounts", ctx.params.id)
  if err then return err end
  if not state.account_data(account.id).checkpoint then
    state.set_status(account, "OK")
    delivery.account_status(account, "OK")
  end
  return reply.ok({ object = "AccountRestarted" })
end

local function time_or_ms(v)
  return v == nil or (type(v) == "string" and (v:match("^%d+$") or api.time_arg(v)))
end

H.AccountsController_resyncAccount = function(ctx)
  local account, err = api.fetch("accounts", ctx.params.account_id)
  if err then return err end
  local n, nerr = api.int_arg(ctx, "chunk_size", 1)
  if n == false then return nerr end
  if ctx.args.partial ~= nil and api.boolean(ctx.args.partial) == nil then
    return reply.invalid("partial", "must be a boolean")
  end
  for _, name in ipairs({ "before", "after" }) do
    if not time_or_ms(ctx.args[name]) then return reply.invalid(name, "must be a timestamp (ms) or an ISO 8601 datetime") end
  end
  if ctx.args.linkedin_product ~= nil then
    local _, perr = api.enum(ctx.args.linkedin_product, "linkedin_product", { "classic", "recruiter", "sales_navigator" })
    if perr then return perr end
  end
  delivery.account_status(account, "SYNC_SUCCESS")
  return reply.ok({ object = "AccountResync", status = "SYNC_STARTED" })
end

-- The proxy shows where the Account schema has it, in a LinkedIn
-- account's connection_params.im (source USER, without its password);
-- other accounts keep it out of sight.
local function set_proxy(account, proxy)
  local im = account.type == "LINKEDIN" and account.connection_params.im
  if im then im.proxy = proxy else state.account_data(account.id).proxy = proxy end
end

H.AccountsController_patchAccount = function(ctx)
  local account, err = api.fetch("accounts", ctx.params.id)
  if err then return err end
  local proxy = ctx.fields.proxy
  if proxy ~= nil and proxy ~= null then
    if type(proxy) ~= "table" or not present(proxy.host) or not tonumber(proxy.port) then
      return reply.invalid("proxy", "must be an object with host and port")
    end
    local protocol, perr = api.enum(proxy.protocol, "proxy.protocol", { "http", "https", "socks5" }, "http")
    if perr then return perr end
    set_proxy(account, { source = "USER", protocol = protocol, host = tostring(proxy.host), port = tonumber(proxy.port),
      username = type(proxy.username) == "string" and proxy.username or nil })
  elseif proxy == null then
    set_proxy(account, nil)
  end
  for _, k in ipairs({ "country", "ip" }) do -- not in the Account schema: kept out of sight
    if present(ctx.fields[k]) then state.account_data(account.id)[k] = tostring(ctx.fields[k]) end
  end
  return reply.ok({ object = "AccountUpdated", account_id = account.id })
end

---------------------------------------------------------------------------
-- hosted

local function provider_list(v)
  if v == nil or v == null or v == "*" then return { "*" } end
  local list = type(v) == "table" and v or {}
  if type(v) == "string" then
    for p in v:gmatch("[^,%s]+") do list[#list + 1] = p end
  end
  local known = {}
  for _, p in ipairs(state.PROVIDERS) do known[p] = true end
  for _, p in ipairs(list) do
    if p ~= "*" and not known[p] then return nil, reply.invalid("providers", "unknown provider " .. tostring(p)) end
  end
  if #list == 0 then return nil, reply.invalid("providers", 'must be "*" or a list of providers') end
  return list
end

-- The link points at the sandbox: GET it to see the link, POST it
-- (control API) to play the user connecting an account.
H.HostedController_requestLink = function(ctx)
  local f = ctx.fields
  local kind, kerr = api.enum(f.type, "type", { "create", "reconnect" })
  if kerr then return kerr end
  local expires = connect.parse_iso(f.expiresOn)
  if not expires then return reply.invalid("expiresOn", "must be an ISO 8601 UTC datetime (YYYY-MM-DDTHH:MM:SS.sssZ)") end
  if expires <= state.now_ms() then return reply.invalid("expiresOn", "is already past") end
  if type(f.api_url) ~= "string" or not f.api_url:match("^https?://[^/]+") then
    return reply.invalid("api_url", "must be the http(s) URL of your API (DSN)")
  end
  local link = { type = kind, expires_ms = expires, name = f.name,
    notify_url = present(f.notify_url) and f.notify_url or nil,
    success_redirect_url = f.success_redirect_url, failure_redirect_url = f.failure_redirect_url, api_url = f.api_url }
  if kind == "reconnect" then
    if not present(f.reconnect_account) then return reply.missing("reconnect_account") end
    local _, aerr = api.fetch("accounts", f.reconnect_account)
    if aerr then return aerr end
    link.reconnect_account = f.reconnect_account
  else
    local list, perr = provider_list(f.providers)
    if perr then return perr end
    link.providers = list
  end
  local token = state.get().rng:id(32)
  state.get().hosted[token] = link
  return reply.ok({ object = "HostedAuthUrl", url = connect.base_url() .. "/_sandbox/hosted/" .. token })
end

return H
