--- Webhook objects and the seeded ones: `size.webhooks` disabled webhooks
-- (they never deliver; targets for deletes). Deliveries: delivery.lua.
-- @module unipile.sandbox.seed.webhooks

local state = require "unipile.sandbox.state"
local json = require "unipile.sandbox.json"
local social = require "unipile.sandbox.seed.social"

local array = json.array

local M = {}

--- Webhook (WebhooksController_listWebhooks item) from validated fields.
function M.new_webhook(id, f, created_ms)
  return { object = "Webhook", id = id, name = f.name or "", request_url = f.request_url, source = f.source,
    events = array(f.events or {}), headers = array(f.headers or {}), format = f.format or "json",
    account_ids = array(f.account_ids or {}), enabled = f.enabled ~= false, data = array(f.data or {}),
    created_at = state.iso(created_ms) }
end

function M.seed_global(size)
  local rng = state.rng_for("webhooks", "global")
  local sources = { "messaging", "email", "account_status" }
  for i = 1, size.webhooks do
    state.add("webhooks", M.new_webhook(rng:id(), { name = "seeded " .. i, source = sources[(i - 1) % 3 + 1],
      request_url = "http://127.0.0.1:9/disabled-" .. i, enabled = false }, (state.EPOCH - i * 86400) * 1000))
  end
end

M.summary = {
  webhooks = { order = "created_at", row = social.row({ "id", "name", "source", "enabled", "request_url" }) },
}

return M
