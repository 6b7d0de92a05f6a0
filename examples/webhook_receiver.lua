-- A webhook receiver: registers itself as a webhook, then verifies and
-- parses what Unipile delivers.
--
--   lua examples/webhook_receiver.lua [count]
--
-- Listens on 127.0.0.1 (a free port), creates a `messaging` webhook whose
-- deliveries carry a shared-secret header, sends a message so that an event
-- is delivered, and handles `count` deliveries (default 1). In production
-- the same verify/parse calls go in your OpenResty or other HTTP handler.
local socket = require "socket"
local unipile = require "unipile"

local webhook = unipile.webhook
local client = unipile.new()
local want = tonumber(arg[1]) or 1
local secret = ("%08x%08x"):format(math.random(0, 0x7fffffff), os.time())

local server = assert(socket.bind("127.0.0.1", 0))
local _, port = server:getsockname()
server:settimeout(10)

local created = client.webhooks:create {
  request_url = ("http://127.0.0.1:%d/unipile"):format(port),
  source = "messaging", name = "lua-unipile example",
  headers = {
    { key = "X-Webhook-Secret", value = secret },
    { key = "Content-Type", value = "application/json" },
  },
}
print("webhook " .. created.webhook_id .. " -> 127.0.0.1:" .. port)

-- Read one HTTP request: request line, headers, body by Content-Length.
local function read_request(conn)
  conn:settimeout(5)
  local line = assert(conn:receive("*l"))
  local headers = {}
  while true do
    local h = assert(conn:receive("*l"))
    if h == "" then break end
    local name, value = h:match("^([^:]+):%s*(.-)%s*$")
    if name then headers[name] = value end
  end
  local len = tonumber(webhook.header(headers, "Content-Length") or 0)
  local body = len > 0 and assert(conn:receive(len)) or ""
  return line, headers, body
end

-- Make an event happen: send a message in the first chat.
local chat = assert(client.chats:list { limit = 1 }.items[1], "no chat")
client.chats:send_message { chat_id = chat.id, text = "ping for the webhook example" }

local handled = 0
while handled < want do
  local conn = assert(server:accept(), "no delivery within 10 s")
  local _, headers, body = read_request(conn)
  local ok, why = webhook.verify(headers, { header = "X-Webhook-Secret", secret = secret })
  if not ok then
    conn:send("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    print("refused a delivery: " .. why)
  else
    conn:send("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    local event = webhook.parse(body, headers)
    handled = handled + 1
    print(("event %s (%s) chat %s: %s"):format(event.name, event.source,
      tostring(event.data.chat_id), tostring(event.data.message)))
  end
  conn:close()
end

client.webhooks:delete { id = created.webhook_id }
server:close()
print(("handled %d deliveries"):format(handled))
