--- Webhook objects and the seeded ones: `size.webhooks` disabled webhooks
-- (they never deliver; targets for deletes). Deliveries: delivery.lua.
-- @module unipile.sandbox.seed.webhooks

local state = require "unipile.sandbox.state"
local json = require "unipile.sandbox.json"
local social = require "unipile.sandbox.seed.social"

local array = json.array

local M = {}

-- The account types of a webhook's account_ids as the API names them.
local ACCOUNT_TYPE = { GOOGLE_OAUTH = "GOOGLE" }

--- An entry of a webhook's `account_ids`: `{id, type, name}` of the account.
function M.account_ref(account)
  return { id = account.id, type = ACCOUNT_TYPE[account.type] or account.type, name = account.name }
end

--- Webhook (WebhooksController_listWebhooks item) from validated fields
-- (`account_ids`: account ids). `f.trigger` ({icon, name, context}) makes
-- a TRIGGER webhook (one the dashboard's automations made), else AUTO.
function M.new_webhook(id, f, created_ms)
  local accounts = state.get().accounts
  local refs = array()
  for i, account_id in ipairs(f.account_ids or {}) do
    refs[i] = accounts[account_id] and M.account_ref(accounts[account_id]) or { id = account_id, type = "MAIL" }
  end
  return { object = "Webhook", id = id, type = f.trigger and "TRIGGER" or "AUTO", trigger = f.trigger,
    name = f.name or "", request_url = f.request_url, source = f.source,
    events = array(f.events or {}), headers = array(f.headers or {}), format = f.format or "json",
    account_ids = refs, enabled = f.enabled ~= false, data = array(f.data or {}),
    created_at = state.iso(created_ms) }
end

-- The seeded webhooks take these in turn: a source, its `data` renames
-- (one key of the source's payload), a TRIGGER for every second one.
local SEEDED = {
  { source = "messaging", data = { { name = "id", key = "message_id" } } },
  { source = "email", data = { { name = "id", key = "email_id" } },
    trigger = { icon = "WebhookIcon", name = "Forward new emails", context = "MESSAGE" } },
  { source = "account_status" },
  { source = "users", data = { { name = "who", key = "user_full_name" } },
    trigger = { icon = "LinkedInIcon", name = "New relations", context = "CHAT" } },
  { source = "email_tracking", data = { { name = "opened", key = "date" } } },
}

function M.seed_global(size)
  local rng = state.rng_for("webhooks", "global")
  for i = 1, size.webhooks do
    local v = SEEDED[(i - 1) % #SEEDED + 1]
    state.add("webhooks", M.new_webhook(rng:id(), { name = "seeded " .. i, source = v.source, data = v.data,
      trigger = v.trigger, request_url = "http://127.0.0.1:9/disabled-" .. i, enabled = false },
      (state.EPOCH - i * 86400) * 1000))
  end
end

M.summary = {
  webhooks = { order = "created_at", row = social.row({ "id", "name", "source", "enabled", "request_url" }) },
}

return M
