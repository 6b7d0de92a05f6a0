--- Webhook deliveries: events raised by the handlers and the control API
-- become HTTP POSTs to the webhooks that want them (source, events,
-- account_ids, enabled), sent from ngx.timer callbacks over a cosocket, only
-- to http://127.0.0.1 or http://localhost. A delivery that does not get a
-- 200 is retried up to `retries` times, the n-th retry after
-- `retry_ms * 2^(n-1)`. Every attempt is logged (GET /_sandbox/deliveries).
-- See docs/internals.md, "Sandbox webhooks".
-- @module unipile.sandbox.delivery

local state = require "unipile.sandbox.state"
local json = require "unipile.sandbox.json"

local array, null = json.array, json.null

local M = {}

M.DEFAULTS = { retry_ms = 1000, timeout_ms = 30000, retries = 5 }
M.config = { retry_ms = 1000, timeout_ms = 30000, retries = 5 }

-- Sources → their events (in table order) and → the set of events
-- delivered when a webhook lists none (api/webhook_events.tsv, after
-- NOTES.md: "(default)"; account_status: all of them).
M.EVENTS, M.DEFAULT_EVENTS = {}, {}
for _, e in ipairs(require "unipile.webhook_events") do
  local event, source = e[1], e[2]
  M.EVENTS[source] = M.EVENTS[source] or {}
  M.DEFAULT_EVENTS[source] = M.DEFAULT_EVENTS[source] or {}
  table.insert(M.EVENTS[source], event)
  M.DEFAULT_EVENTS[source][event] = e.default or nil
end

local MAX_LOG = 2000
local log, serial, generation = {}, 0, 0

--- Forget the log, drop pending retries, apply `opts` (retry_ms, timeout_ms).
function M.reset(opts)
  generation, log, serial = generation + 1, {}, 0
  for k, v in pairs(M.DEFAULTS) do M.config[k] = (opts or {})[k] or v end
end

function M.log() return log end

function M.clear()
  local n = #log
  log = {}
  return n
end

---------------------------------------------------------------------------
-- Bodies

local function escape(s) return (ngx.escape_uri(s)) end

--- `format = "form"`: one field per top-level key, sorted; strings as they
-- are, numbers and booleans as text, tables as JSON text, null as "".
function M.form_encode(t)
  local keys, out = {}, {}
  for k in pairs(t) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local v = t[k]
    if type(v) == "table" then v = json.encode(v)
    elseif v == null or v == nil then v = ""
    else v = tostring(v) end
    out[#out + 1] = escape(k) .. "=" .. escape(v)
  end
  return table.concat(out, "&")
end

-- The payload a webhook gets: its `data` renames/selects keys ([{name, key}]
-- → {name = payload[key]}), `webhook_name` is added (not to AccountStatus).
local function shape(w, payload)
  local out = {}
  if payload.AccountStatus then return payload end
  if #w.data > 0 then
    for _, d in ipairs(w.data) do
      if d.name and d.key then out[d.name] = payload[d.key] end
    end
    return out
  end
  for k, v in pairs(payload) do out[k] = v end
  out.webhook_name = w.name
  return out
end

---------------------------------------------------------------------------
-- Sending

--- host, port, path of a local http URL, or nil, why.
function M.target(url)
  local scheme, host, port, path = tostring(url):match("^(%a+)://([^/:%?#]+):?(%d*)([^#]*)")
  if not scheme or scheme:lower() ~= "http" then
    return nil, "refused: the sandbox delivers only to http://127.0.0.1 or http://localhost"
  end
  host = host:lower()
  if host ~= "127.0.0.1" and host ~= "localhost" then
    return nil, "refused: the sandbox delivers only to http://127.0.0.1 or http://localhost"
  end
  if path == "" then path = "/" elseif path:sub(1, 1) == "?" then path = "/" .. path end
  return "127.0.0.1", tonumber(port) or 80, path, host
end

-- One POST; returns the status or nil, error.
local function post(job)
  local host, port, path, name = M.target(job.url)
  if not host then return nil, port end
  local sock = ngx.socket.tcp()
  sock:settimeouts(math.min(5000, M.config.timeout_ms), M.config.timeout_ms, M.config.timeout_ms)
  local ok, err = sock:connect(host, port)
  if not ok then return nil, "connect: " .. tostring(err) end
  local lines = { "POST " .. path .. " HTTP/1.1", "Host: " .. name .. ":" .. port }
  for _, h in ipairs(job.headers) do lines[#lines + 1] = h[1] .. ": " .. h[2] end
  lines[#lines + 1] = "Content-Length: " .. #job.body
  lines[#lines + 1] = "Connection: close"
  ok, err = sock:send(table.concat(lines, "\r\n") .. "\r\n\r\n" .. job.body)
  if not ok then
    sock:close()
    return nil, "send: " .. tostring(err)
  end
  local line, rerr = sock:receive("*l")
  sock:close()
  if not line then return nil, "receive: " .. tostring(rerr) end
  local status = tonumber(line:match("^HTTP/%d%.%d (%d%d%d)"))
  if not status then return nil, "not an HTTP answer: " .. line:sub(1, 80) end
  return status
end

local function attempt(premature, job)
  if premature or job.generation ~= generation then return end
  if job.webhook_id then -- deleted or disabled since: stop
    local w = state.get().webhooks[job.webhook_id]
    if not w or not w.enabled then return end
  end
  job.attempt = job.attempt + 1
  local started = ngx.now()
  local status, err = post(job)
  ngx.update_time()
  local entry = { id = serial + 1, webhook_id = job.webhook_id or null, kind = job.kind, url = job.url,
    event = job.event, attempt = job.attempt, status = status or null, error = err or null,
    time = started, duration_ms = math.floor((ngx.now() - started) * 1000), body = job.body,
    headers = job.header_map, format = job.format, next_retry_ms = null }
  serial = entry.id
  local refused = err and err:find("^refused") ~= nil
  if status ~= 200 and not refused and job.attempt <= M.config.retries then
    local delay = M.config.retry_ms * 2 ^ (job.attempt - 1)
    entry.next_retry_ms = delay
    ngx.timer.at(delay / 1000, attempt, job)
  end
  log[#log + 1] = entry
  if #log > MAX_LOG then table.remove(log, 1) end
end

--- Queue one delivery. `d`: url, payload (table), format ("json" | "form"),
-- headers ([{key, value}]), event, webhook_id, kind ("webhook" | "notify"),
-- content_type (sent for json when given).
function M.send(d)
  local headers, map = {}, {}
  local function add(k, v)
    headers[#headers + 1] = { k, v }
    map[k] = v
  end
  add("User-Agent", "unipile-sandbox")
  local body
  if d.format == "form" then
    body = M.form_encode(d.payload)
    add("Content-Type", "application/x-www-form-urlencoded")
  else
    body = json.encode(d.payload)
    if d.content_type then add("Content-Type", d.content_type) end
  end
  for _, h in ipairs(d.headers or {}) do
    if map[h.key] then -- a custom header replaces ours
      for _, x in ipairs(headers) do
        if x[1] == h.key then x[2] = h.value end
      end
      map[h.key] = h.value
    else
      add(h.key, h.value)
    end
  end
  local job = { url = d.url, body = body, headers = headers, header_map = map, event = d.event or null,
    webhook_id = d.webhook_id, kind = d.kind or "webhook", format = d.format or "json", attempt = 0,
    generation = generation }
  local ok, err = ngx.timer.at(0, attempt, job)
  if not ok then ngx.log(ngx.ERR, "webhook timer: ", err) end
end

-- `list` holds strings, or the {id, type, name} of a webhook's account_ids.
local function contains(list, v)
  for _, x in ipairs(list) do
    if x == v or (type(x) == "table" and x.id == v) then return true end
  end
  return false
end

--- Deliver `payload` to every enabled webhook of `source` that wants
-- `event` for `account_id`.
function M.emit(source, event, account_id, payload)
  local hooks = state.select("webhooks", function(w)
    if not w.enabled or w.source ~= source then return false end
    if #w.account_ids > 0 and not contains(w.account_ids, account_id) then return false end
    if #w.events > 0 then return contains(w.events, event) end
    local defaults = M.DEFAULT_EVENTS[source]
    return defaults == nil or defaults[event] == true
  end)
  table.sort(hooks, function(a, b) return a.created_at < b.created_at or (a.created_at == b.created_at and a.id < b.id) end)
  for _, w in ipairs(hooks) do
    M.send({ url = w.request_url, payload = shape(w, payload), format = w.format, headers = w.headers,
      event = event, webhook_id = w.id })
  end
  return #hooks
end

---------------------------------------------------------------------------
-- Payloads

--- AccountStatus (account-lifecycle docs): `message` in OK, ERROR, STOPPED,
-- CREDENTIALS, CONNECTING, DELETED, CREATION_SUCCESS, RECONNECTED,
-- SYNC_SUCCESS, PERMISSIONS, CREATION_FAIL; the event is its lower case.
function M.account_status(account, message)
  return M.emit("account_status", message:lower(), account.id,
    { AccountStatus = { account_id = account.id, account_type = account.type, message = message } })
end

local function attendee(a)
  return { attendee_id = a.id, attendee_name = a.name, attendee_provider_id = a.provider_id,
    attendee_profile_url = a.profile_url or "" }
end

--- A messaging event about `msg` (new-messages webhook docs). `extra` is
-- merged in (reaction, reaction_sender...).
function M.message(event, msg, extra)
  local S = state.get()
  local chat = S.chats[msg.chat_id]
  local sender = S.attendees[msg.sender_attendee_id]
  local attendees = array()
  for _, a in ipairs(state.chat_attendees(msg.chat_id)) do attendees[#attendees + 1] = attendee(a) end
  local p = { event = event, account_id = msg.account_id, account_type = chat and chat.account_type or null,
    chat_id = msg.chat_id, provider_chat_id = msg.chat_provider_id, timestamp = msg.timestamp,
    message_id = msg.id, provider_message_id = msg.provider_id, message = msg.text, subject = msg.subject,
    is_sender = msg.is_sender == 1, is_group = chat and chat.type == 1 or false,
    chat_content_type = chat and chat.content_type or null, quoted = msg.quoted or null,
    sender = sender and attendee(sender) or null, attendees = attendees, attachments = msg.attachments }
  for k, v in pairs(extra or {}) do p[k] = v end
  return M.emit("messaging", event, msg.account_id, p)
end

--- An email event: the Email fields with `email_id` and `event`.
function M.email(event, email, extra)
  local p = { event = event, email_id = email.id }
  for k, v in pairs(email) do
    if k ~= "id" and k ~= "object" and k ~= "headers" then p[k] = v end
  end
  for k, v in pairs(extra or {}) do p[k] = v end
  return M.emit("email", event, email.account_id, p)
end

--- An email_tracking event (mail_opened, mail_link_clicked) of a sent email.
function M.tracking(event, email, extra)
  local p = { event = event, event_id = state.get().rng:id(), tracking_id = email.tracking_id,
    date = state.iso(state.now_ms()), email_id = email.id, account_id = email.account_id,
    ip = "127.0.0.1", user_agent = "Mozilla/5.0 (sandbox)" }
  for k, v in pairs(extra or {}) do p[k] = v end
  return M.emit("email_tracking", event, email.account_id, p)
end

return M
