--- Webhook receivers: check and read what Unipile delivers.
--
-- Unipile does not sign deliveries: you choose custom headers when you
-- create the webhook (`headers = {{ key = "X-Webhook-Secret", value = s }}`)
-- and it sends them with every delivery; `verify` checks one of them in
-- constant time. `parse` reads a JSON or form delivery and names its event.
--
--     local ok = webhook.verify(headers, { header = "X-Webhook-Secret", secret = s })
--     local event = webhook.parse(body, headers)
--     if event.name == "message_received" then ... event.data.message ... end
--
-- @module unipile.webhook

local cjson = require "cjson"
local header_map = require "unipile.headers"
local percent = require "unipile.percent"

local M = {}
local json = cjson.new()

--- Case-insensitive header lookup in a map (`{["X-A"] = "v"}`, values may
-- be arrays as ngx.req.get_headers gives them: the first one) or an array
-- of {name, value}: `unipile.headers.get`.
M.header = header_map.get

-- Compare two strings in time that depends only on the length of `expected`.
local function constant_time_equal(given, expected)
  local n, m = #expected, #given
  local diff = (n == m) and 0 or 1
  for i = 1, n do
    local a = expected:byte(i)
    local b = given:byte(i) or 0
    diff = diff + ((a == b) and 0 or 1)
  end
  return diff == 0
end
M.constant_time_equal = constant_time_equal

--- Check a delivery's shared-secret header: `verify(headers, opts)`, with
-- `opts.header` (default "X-Webhook-Secret") and `opts.secret` (required).
-- Returns true, or false and a reason that never contains the secret.
-- The older `verify(headers, body, opts)` is still accepted (the body was
-- never read: Unipile does not sign deliveries).
function M.verify(headers, opts, ...)
  if type(opts) ~= "table" then opts = ... end -- verify(headers, body, opts)
  opts = opts or {}
  local secret = opts.secret
  if type(secret) ~= "string" or secret == "" then error("webhook.verify: opts.secret is required", 2) end
  local name = opts.header or "X-Webhook-Secret"
  local given = M.header(headers, name)
  if type(given) ~= "string" then return false, "missing header " .. name end
  if not constant_time_equal(given, secret) then return false, "wrong value in header " .. name end
  return true
end

local function decode_form(body)
  local out = {}
  for pair in body:gmatch("[^&]+") do
    local k, v = pair:match("^([^=]*)=?(.*)$")
    k, v = percent.decode_form(k), percent.decode_form(v)
    -- tables travel as JSON text inside form fields
    if v:match("^%s*[%[{]") then
      local ok, decoded = pcall(json.decode, v)
      if ok then v = decoded end
    end
    out[k] = v
  end
  return out
end

-- Event → webhook source (api/webhook_events.tsv). Account status events
-- come wrapped in `AccountStatus` (see `parse`), never as `event`, so an
-- `event` of that name keeps the payload's own `source`.
local SOURCES = {}
for _, e in ipairs(require "unipile.webhook_events") do
  if e[2] ~= "account_status" then SOURCES[e[1]] = e[2] end
end

--- Read a delivery. Returns `{ name =, source =, data = }` where `name` is
-- the event (`message_received`, `mail_received`, `creation_success`,
-- `credentials`, ...), `source` the webhook source and `data` the payload
-- (for account status, the inner `AccountStatus` table). Raises on a body
-- that is neither JSON nor a form.
function M.parse(raw_body, headers)
  if type(raw_body) ~= "string" or raw_body == "" then error("webhook.parse: empty body", 2) end
  local ctype = (M.header(headers, "Content-Type") or ""):lower()
  local payload
  if ctype:find("x-www-form-urlencoded", 1, true) or
     (not ctype:find("json", 1, true) and not raw_body:match("^%s*[{%[]")) then
    payload = decode_form(raw_body)
  else
    local ok, decoded = pcall(json.decode, raw_body)
    if not ok or type(decoded) ~= "table" then error("webhook.parse: body is not JSON", 2) end
    payload = decoded
  end
  local status = payload.AccountStatus
  if type(status) == "table" then
    return { name = tostring(status.message or ""):lower(), source = "account_status", data = status, raw = payload }
  end
  local name = payload.event
  return { name = name, source = SOURCES[name] or payload.source, data = payload, raw = payload }
end

return M
