--- Account connection: which inputs lead to a checkpoint, how checkpoints
-- end, hosted-auth links. Used by the accounts handlers and by the control
-- API (scan a QR code, validate in the app, complete a hosted link).
-- See docs/internals.md, "Sandbox: account connection".
-- @module unipile.sandbox.connect

local state = require "unipile.sandbox.state"
local reply = require "unipile.sandbox.reply"
local delivery = require "unipile.sandbox.delivery"
local json = require "unipile.sandbox.json"

local null = json.null

local M = {}

--- GET /accounts/{id} polls that validate an IN_APP_VALIDATION checkpoint.
M.IN_APP_POLLS = 3

--- Set by each reset: `auto_scan_ms` (nil: never) scans a QRCODE
-- checkpoint that long after it was shown, as the user's phone would, so
-- a client that waits for the connection needs no control call.
M.config = { auto_scan_ms = nil }

local function given(v) return v ~= nil and v ~= "" and v ~= null end

-- provider → function(fields) → checkpoint type, or nil (connected at
-- once), or false, name of a missing field.
local SCRIPT = {
  LINKEDIN = function(f)
    if given(f.access_token) then return nil end
    if given(f.username) and given(f.password) then return "2FA" end
    return false, given(f.username) and "password" or "access_token"
  end,
  INSTAGRAM = function(f)
    if given(f.username) and given(f.password) then return "IN_APP_VALIDATION" end
    return false, given(f.username) and "password" or "username"
  end,
  MESSENGER = function(f)
    if given(f.username) and given(f.password) then return "2FA" end
    return false, given(f.username) and "password" or "username"
  end,
  TWITTER = function(f)
    if given(f.username) and given(f.password) then return "OTP" end
    return false, given(f.username) and "password" or "username"
  end,
  WHATSAPP = function() return "QRCODE" end,
  TELEGRAM = function() return "QRCODE" end,
}

--- The checkpoint type the inputs of a connection lead to: a type, nil
-- (no checkpoint), or false, name of the missing field.
function M.script(provider, fields)
  local f = SCRIPT[provider]
  if not f then return nil end
  return f(fields)
end

--- The status of a Checkpoint answer. No source states it; the OpenAPI
-- gives POST /accounts, /accounts/{id} and /accounts/checkpoint one success
-- status, 201, so a checkpoint answers with it too (docs/internals.md).
M.CHECKPOINT_STATUS = 201

--- A `Checkpoint` answer.
function M.answer(obj) return reply.ok(obj, M.CHECKPOINT_STATUS) end

--- The answer to a connection (`intent` "create" or "reconnect") that hits
-- checkpoint `kind`: `{object = "Checkpoint", account_id, checkpoint}`.
function M.begin(account, kind, intent)
  local cp = state.checkpoint(account, kind, intent)
  if kind == "QRCODE" then M.scan_later(account.id, state.account_data(account.id).checkpoint) end
  return M.answer({ object = "Checkpoint", account_id = account.id, checkpoint = cp })
end

--- End the pending checkpoint (or connect at once): status OK, webhook
-- CREATION_SUCCESS or RECONNECTED; returns the 201 answer, whose object
-- is `object` when given (a solved checkpoint answers AccountCreated, as
-- the OpenAPI has it, even for a reconnection).
function M.finish(account, intent, object)
  local data = state.account_data(account.id)
  local cp = data.checkpoint
  data.checkpoint = nil
  intent = cp and cp.intent or intent
  state.set_status(account, "OK")
  local reconnect = intent == "reconnect"
  delivery.account_status(account, reconnect and "RECONNECTED" or "CREATION_SUCCESS")
  return reply.ok({ object = object or (reconnect and "AccountReconnected" or "AccountCreated"), account_id = account.id },
    201)
end

--- Scan QRCODE checkpoint `cp` of `account_id` after `auto_scan_ms`
-- (if set), unless it ended (solved, reset) by then.
function M.scan_later(account_id, cp)
  local ms = M.config.auto_scan_ms
  if not ms then return end
  local ok, err = ngx.timer.at(ms / 1000, function(premature)
    if premature then return end
    local account = state.get().accounts[account_id]
    if account and state.account_data(account_id).checkpoint == cp then M.finish(account) end
  end)
  if not ok then ngx.log(ngx.ERR, "auto scan timer: ", err) end
end

--- A GET of the account: counts polls of an IN_APP_VALIDATION checkpoint.
function M.poll(account)
  local cp = (state.get().account_data[account.id] or {}).checkpoint
  if cp and cp.type == "IN_APP_VALIDATION" then
    cp.polls = cp.polls + 1
    if cp.polls >= M.IN_APP_POLLS then M.finish(account) end
  end
end

--- Control API: end a checkpoint of type `kind` (QRCODE: scan,
-- IN_APP_VALIDATION: validate). Returns the answer.
function M.complete(account_id, kind)
  local account = state.get().accounts[account_id]
  if not account then return reply.not_found("Account", account_id) end
  local cp = state.account_data(account.id).checkpoint
  if not cp or cp.type ~= kind then
    return reply.invalid("account_id", "account " .. account.id .. " has no pending " .. kind .. " checkpoint")
  end
  return M.finish(account)
end

---------------------------------------------------------------------------
-- Hosted auth

local function days(y, m, d) -- days from 1970-01-01 (civil calendar)
  y = m <= 2 and y - 1 or y
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local doy = math.floor((153 * (m + (m > 2 and -3 or 9)) + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

--- Milliseconds since the epoch of an ISO 8601 UTC datetime (with ms), or nil.
function M.parse_iso(s)
  local y, mo, d, h, mi, se, ms = tostring(s):match("^(%d%d%d%d)%-(%d%d)%-(%d%d)T(%d%d):(%d%d):(%d%d)%.(%d%d%d)Z$")
  if not y then return nil end
  return ((days(tonumber(y), tonumber(mo), tonumber(d)) * 24 + h) * 60 + mi) * 60000 + se * 1000 + tonumber(ms)
end

--- The sandbox's own base URL (hosted links point at its control API).
function M.base_url() return "http://127.0.0.1:" .. ngx.var.server_port end

--- Control API: the user went through hosted link `token` and connected
-- `provider` (default: the first allowed, LINKEDIN for "*"). Creates or
-- reconnects the account, notifies `notify_url` with `{status, account_id,
-- name}`, raises the account_status webhook; the link is then used up.
function M.complete_hosted(token, provider)
  local S = state.get()
  local link = S.hosted[token]
  if not link then return reply.not_found("Hosted link", token) end
  if link.used then return reply.error(401, "expired_link", "This link was already used.") end
  if link.expires_ms < state.now_ms() then return reply.error(401, "expired_link", "This link has expired.") end
  local account
  if link.type == "reconnect" then
    account = S.accounts[link.reconnect_account]
    if not account then return reply.not_found("Account", link.reconnect_account) end
  else
    provider = provider or (link.providers[1] == "*" and "LINKEDIN" or link.providers[1])
    local allowed = false
    for _, p in ipairs(link.providers) do allowed = allowed or p == "*" or p == provider end
    local known = false
    for _, p in ipairs(state.PROVIDERS) do known = known or p == provider end
    allowed = allowed and known
    if not allowed then return reply.invalid("provider", "this link does not offer " .. tostring(provider)) end
    account = state.create_account(provider)
  end
  link.used = true
  M.finish(account, link.type)
  local status = link.type == "reconnect" and "RECONNECTED" or "CREATION_SUCCESS"
  if link.notify_url then
    delivery.send({ url = link.notify_url, payload = { status = status, account_id = account.id, name = link.name },
      content_type = "application/json", kind = "notify", event = status })
  end
  return reply.ok({ object = "HostedAuthCompleted", status = status, account_id = account.id, name = link.name,
    redirect_url = link.success_redirect_url })
end

return M
