--- Talk to a running sandbox over its control API (/_sandbox/, see
-- docs/internals.md, "Sandbox control API"): recorded requests, faults,
-- resets, webhooks... Plain HTTP with luasocket, in the caller's Lua (5.1
-- to 5.4, LuaJIT). Starting and stopping nginx is
-- `unipile.sandbox.launcher`'s job; `unipile.sandbox` joins the two.
-- @module unipile.sandbox.control_client

local socket = require "socket"
local http = require "socket.http"
local ltn12 = require "ltn12"

local M = {}

local decode, encode
do
  local ok, cjson = pcall(require, "cjson")
  if ok then
    decode, encode = cjson.decode, cjson.encode
  else
    local dk = require "dkjson"
    decode = function(s) return (dk.decode(s)) end
    encode = dk.encode
  end
end

--- The methods of a sandbox handle (`url`, `port`, `api_key`, `prefix`,
-- `timeout`: seconds per control call, 30).
local Client = {}
M.Client = Client

--- A client for the sandbox at `fields.url` (a table of the fields
-- above); `mt` (optional) is the metatable to give it, one whose
-- `__index` leads to Client.
function M.new(fields, mt)
  return setmetatable(fields, mt or { __index = Client })
end

-- One control call; raises with the server's detail on failure.
function Client:call(method, path, body)
  local chunks, src = {}, body ~= nil and encode(body) or nil
  local ok, code = http.request({
    url = self.url .. path, method = method, sink = ltn12.sink.table(chunks),
    source = src and ltn12.source.string(src),
    headers = src and { ["content-type"] = "application/json", ["content-length"] = tostring(#src) } or nil,
    create = function()
      local s = socket.tcp()
      s:settimeout(self.timeout or 30)
      return s
    end,
  })
  if not ok then error("unipile.sandbox: " .. method .. " " .. path .. ": " .. tostring(code), 3) end
  local text = table.concat(chunks)
  local okd, data = pcall(decode, text)
  if code >= 300 then
    error(string.format("unipile.sandbox: %s %s: %d %s", method, path, code,
      okd and type(data) == "table" and tostring(data.detail) or text), 3)
  end
  return okd and data or text
end

--- Rebuild the data set (`{seed=, size=, api_key=, latency_ms=,
-- webhook_retry_ms=, webhook_timeout_ms=, auto_scan_ms=}`; `auto_scan_ms`:
-- QR codes are scanned that long after they are shown); clears requests, faults,
-- deliveries and received hooks. Returns the new state.
function Client:reset(opts)
  local s = self:call("POST", "/_sandbox/reset", opts or {})
  self.api_key = s.api_key
  return s
end

function Client:state() return self:call("GET", "/_sandbox/state") end

--- Recorded API requests, oldest first.
function Client:requests() return self:call("GET", "/_sandbox/requests").items end

function Client:last_request() return self:call("GET", "/_sandbox/requests?last=1").items[1] end

function Client:clear_requests() return self:call("DELETE", "/_sandbox/requests") end

--- Queue a fault (see docs/internals.md); returns it with its `id`.
function Client:fault(f) return self:call("POST", "/_sandbox/faults", f) end

function Client:faults() return self:call("GET", "/_sandbox/faults").items end

function Client:clear_faults() return self:call("DELETE", "/_sandbox/faults") end

--- `{ [operation_id] = params }` that succeed against the current state
-- (GET /_sandbox/examples).
function Client:examples() return self:call("GET", "/_sandbox/examples") end

local function query(t)
  local out = {}
  for k, v in pairs(t or {}) do out[#out + 1] = k .. "=" .. tostring(v):gsub("[^%w%-._~]", function(c)
    return string.format("%%%02X", c:byte())
  end) end
  table.sort(out)
  return #out > 0 and "?" .. table.concat(out, "&") or ""
end

--- Webhook delivery attempts, oldest first; `filter`: webhook_id, event, last.
function Client:deliveries(filter) return self:call("GET", "/_sandbox/deliveries" .. query(filter)).items end

function Client:clear_deliveries() return self:call("DELETE", "/_sandbox/deliveries") end

--- URL of the sandbox's own webhook receiver `name`; `fail` = N answers 500
-- to the first N deliveries.
function Client:hook_url(name, fail)
  return self.url .. "/_sandbox/hook/" .. name .. (fail and fail > 0 and "?fail=" .. fail or "")
end

--- Requests the receiver got (all, or for `name`). With `wait = n`, polls
-- until there are at least n of them or `timeout` seconds (5) passed.
function Client:hooks(name, opts)
  opts = opts or {}
  local deadline = socket.gettime() + (opts.timeout or 5)
  while true do
    local items = self:call("GET", "/_sandbox/hooks" .. query({ name = name })).items
    if not opts.wait or #items >= opts.wait or socket.gettime() > deadline then return items end
    socket.sleep(0.02)
  end
end

--- A message from a chat's other member (`{chat_id, text, sender_id}`):
-- stored, unseen, delivered to `messaging` webhooks as message_received.
function Client:inbound_message(t) return self:call("POST", "/_sandbox/inbound/message", t) end

--- An email arriving in a mail account (`{account_id, from, subject, body,
-- to, folder, attachments}`): stored unread, webhook mail_received.
function Client:inbound_email(t) return self:call("POST", "/_sandbox/inbound/email", t) end

--- Change an account's status (`message`: OK, CREDENTIALS, ERROR...) and
-- deliver the AccountStatus webhook.
function Client:account_status(id, message)
  return self:call("POST", "/_sandbox/accounts/" .. id .. "/status", { message = message })
end

--- Scan the QR code of account `id`'s QRCODE checkpoint, as the user's
-- phone would: the account connects (webhook CREATION_SUCCESS or
-- RECONNECTED) and a `wait` on the checkpoint returns it.
function Client:scan(id) return self:call("POST", "/_sandbox/accounts/" .. id .. "/scan") end

--- Approve account `id`'s IN_APP_VALIDATION checkpoint in the "app".
function Client:validate(id) return self:call("POST", "/_sandbox/accounts/" .. id .. "/validate") end

--- Environment of a process using this sandbox.
function Client:env()
  return { UNIPILE_DSN = self.url, UNIPILE_API_KEY = self.api_key, UNIPILE_SANDBOX_PREFIX = self.prefix,
    UNIPILE_SANDBOX_URL = self.url }
end

--- Wait until the sandbox answers /_sandbox/health (a TCP connect first,
-- so a port nobody listens on yet costs no HTTP error), at most `timeout`
-- seconds. → whether it did
function M.wait_ready(client, timeout)
  local deadline = socket.gettime() + timeout
  repeat
    local c = socket.tcp()
    c:settimeout(0.5)
    local ok = c:connect("127.0.0.1", client.port)
    c:close()
    if ok and pcall(client.call, client, "GET", "/_sandbox/health") then return true end
    socket.sleep(0.02)
  until socket.gettime() > deadline
  return false
end

return M
