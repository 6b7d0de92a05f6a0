--- Handlers of the `webhooks` group. Deliveries: delivery.lua.
-- @module unipile.sandbox.handlers.webhooks

local api = require "unipile.sandbox.api"
local state = require "unipile.sandbox.state"
local reply = require "unipile.sandbox.reply"
local json = require "unipile.sandbox.json"
local delivery = require "unipile.sandbox.delivery"
local seed = require "unipile.sandbox.seed.webhooks"

local null = json.null

local H = {}

H.WebhooksController_listWebhooks = function(ctx)
  return api.page(ctx, "WebhookList", state.select("webhooks"), { time = "created_at" })
end

H.WebhooksController_deleteWebhook = api.deleter("webhooks", "id", "WebhookDeleted", function(id)
  state.get().webhooks[id] = nil
end)

local function array_of(v, name, check)
  if v == nil or v == null then return {} end
  if type(v) ~= "table" or (next(v) ~= nil and not json.is_array(v)) then return nil, reply.invalid(name, "must be an array") end
  for _, x in ipairs(v) do
    local why = check(x)
    if why then return nil, reply.invalid(name, why) end
  end
  return v
end

-- Any request_url is accepted; only local ones are delivered to.
H.WebhooksController_createWebhook = function(ctx)
  local f = ctx.fields
  if type(f.request_url) ~= "string" or not f.request_url:match("^https?://[^/]+") then
    return reply.invalid("request_url", "must be an http(s) URL")
  end
  local sources = {}
  for s in pairs(delivery.EVENTS) do sources[#sources + 1] = s end
  table.sort(sources)
  local source, serr = api.enum(f.source, "source", sources)
  if serr then return serr end
  local known = {}
  for _, e in ipairs(delivery.EVENTS[source]) do known[e] = true end
  local S = state.get()
  local checks = {
    events = function(e) return not known[e] and "unknown " .. source .. " event " .. tostring(e) end,
    headers = function(h)
      if type(h) ~= "table" or type(h.key) ~= "string" or not h.key:match("^[%w!#$%%&'*+.^_`|~-]+$")
        or type(h.value) ~= "string" or h.value:find("[%c]") then
        return "every header is {key, value}: a header name and a one-line value"
      end
    end,
    account_ids = function(id) return not S.accounts[id] and "unknown account " .. tostring(id) end,
    data = function(d) return (type(d) ~= "table" or type(d.name) ~= "string" or type(d.key) ~= "string")
      and "every entry is {name, key}" end,
  }
  local checked = {}
  for name, check in pairs(checks) do
    local v, err = array_of(f[name], name, check)
    if err then return err end
    checked[name] = v
  end
  local format, ferr = api.enum(f.format, "format", { "json", "form" }, "json")
  if ferr then return ferr end
  local enabled = true
  if f.enabled ~= nil then
    enabled = api.boolean(f.enabled)
    if enabled == nil then return reply.invalid("enabled", "must be a boolean") end
  end
  if f.name ~= nil and type(f.name) ~= "string" then return reply.invalid("name", "must be a string") end
  local w = state.add("webhooks", seed.new_webhook(S.rng:id(), { name = f.name, request_url = f.request_url,
    source = source, events = checked.events, headers = checked.headers, format = format,
    account_ids = checked.account_ids, enabled = enabled, data = checked.data }, state.now_ms()))
  return reply.ok({ object = "WebhookCreated", webhook_id = w.id }, 201)
end

return H
