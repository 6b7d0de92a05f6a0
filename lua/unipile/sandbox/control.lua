--- The control API under /_sandbox/ (docs/internals.md, "Sandbox control
-- API"): reset, state, recorded requests, faults, webhook deliveries and a
-- webhook receiver, events from outside (inbound messages and emails,
-- account status, checkpoints, hosted links), operation examples. No key
-- needed; control requests are not recorded themselves.
-- @module unipile.sandbox.control

local state = require "unipile.sandbox.state"
local faults = require "unipile.sandbox.faults"
local reply = require "unipile.sandbox.reply"
local json = require "unipile.sandbox.json"
local delivery = require "unipile.sandbox.delivery"
local connect = require "unipile.sandbox.connect"
local api = require "unipile.sandbox.api"

local array, null = json.array, json.null

local M = {}

--- Settings kept across resets unless a reset names them.
M.config = { api_key = "sandbox", latency_ms = nil }

-- Recorded API requests, oldest first; the oldest go past MAX_RECORDS.
local MAX_RECORDS = 5000
local records = {}

-- Requests received by the webhook receiver (/_sandbox/hook/NAME), and hits per name.
local hooks, hook_hits = {}, {}

function M.record(rec)
  records[#records + 1] = rec
  if #records > MAX_RECORDS then table.remove(records, 1) end
end

local function state_answer()
  local s = state.summary()
  s.api_key, s.latency_ms = M.config.api_key, M.config.latency_ms
  s.webhook_retry_ms, s.webhook_timeout_ms = delivery.config.retry_ms, delivery.config.timeout_ms
  s.auto_scan_ms = connect.config.auto_scan_ms
  return reply.ok(s)
end

local function number_opt(body, name)
  local v = body[name]
  if v ~= nil and (type(v) ~= "number" or v < 0) then return reply.invalid(name, "must be a number >= 0") end
end

-- Routes: { method ("ANY" for all), path segments after _sandbox ("*" =
-- one segment, passed to the function), function(rec, ...) , raw = body
-- not JSON }.
local ROUTES = {}
local function route(method, path, fn, raw)
  local segs = {}
  for s in path:gmatch("[^/]+") do segs[#segs + 1] = s end
  ROUTES[#ROUTES + 1] = { method = method, segs = segs, fn = fn, raw = raw }
end

route("GET", "health", function()
  return reply.ok({ ok = true, pid = ngx.worker.pid(), prefix = ngx.config.prefix(),
    nginx = ngx.config.nginx_version, ngx_lua = ngx.config.ngx_lua_version })
end)

route("POST", "reset", function(rec)
  local body = rec.json or {}
  if body.api_key ~= nil and (type(body.api_key) ~= "string" or body.api_key == "") then
    return reply.invalid("api_key", "must be a non-empty string")
  end
  for _, name in ipairs({ "latency_ms", "webhook_retry_ms", "webhook_timeout_ms", "auto_scan_ms" }) do
    local err = number_opt(body, name)
    if err then return err end
  end
  if body.size ~= nil and type(body.size) ~= "table" then return reply.invalid("size", "must be an object") end
  local lok, lbad = require("unipile.sandbox.limits").reset(body.limits)
  if not lok then return reply.invalid(lbad, "must be counts (integers >= 0)") end
  local ok, err = pcall(state.reset, { seed = body.seed, size = body.size })
  if not ok then return reply.error(400, "invalid_parameters", (tostring(err):gsub("^.-:%d+: ", ""))) end
  M.config.api_key = body.api_key or M.config.api_key
  M.config.latency_ms = body.latency_ms
  connect.config.auto_scan_ms = body.auto_scan_ms
  delivery.reset({ retry_ms = body.webhook_retry_ms, timeout_ms = body.webhook_timeout_ms })
  records, hooks, hook_hits = {}, {}, {}
  faults.clear()
  return state_answer()
end)

route("GET", "state", state_answer)

-- `?last=N`: only the N most recent entries of a log.
local function tail(list, rec, keep)
  local first = 1
  if rec.args.last ~= nil then
    local n = tonumber(rec.args.last)
    if not n or n < 0 then return reply.invalid("last", "must be a number >= 0") end
    first = math.max(1, #list - n + 1)
  end
  local items = array()
  for i = first, #list do
    if not keep or keep(list[i]) then items[#items + 1] = list[i] end
  end
  return reply.ok({ items = items })
end

route("GET", "requests", function(rec) return tail(records, rec) end)

route("DELETE", "requests", function()
  local n = #records
  records = {}
  return reply.ok({ cleared = n })
end)

route("POST", "faults", function(rec)
  local f, err = faults.add(rec.json)
  if not f then return reply.error(400, "invalid_parameters", err) end
  return reply.ok(f, 201)
end)

route("GET", "faults", function() return reply.ok({ items = array(faults.list()) }) end)

route("DELETE", "faults", function() return reply.ok({ cleared = faults.clear() }) end)

route("GET", "examples", function() return reply.ok(require("unipile.sandbox.examples").build()) end)

---------------------------------------------------------------------------
-- webhooks: the delivery log, a receiver

-- `?webhook_id=` and `?event=` narrow the log.
route("GET", "deliveries", function(rec)
  local w, e = rec.args.webhook_id, rec.args.event
  return tail(delivery.log(), rec, function(d)
    return (not w or d.webhook_id == w) and (not e or d.event == e)
  end)
end)

route("DELETE", "deliveries", function() return reply.ok({ cleared = delivery.clear() }) end)

-- A webhook receiver: records what it gets; `?fail=N` answers 500 (or
-- `?status=`) to the first N requests for this NAME.
route("ANY", "hook/*", function(rec, name)
  local wanted = rec.args.status == nil and 500 or tonumber(rec.args.status)
  if not faults.valid_status(wanted) then return reply.invalid("status", "must be an integer from 200 to 599") end
  hook_hits[name] = (hook_hits[name] or 0) + 1
  local fail = tonumber(rec.args.fail) or 0
  local status = hook_hits[name] <= fail and wanted or 200
  local ctype = tostring(api.header(rec, "content-type") or "")
  local entry = { name = name, hit = hook_hits[name], method = rec.method, path = rec.path, query = rec.query,
    headers = rec.headers, body = rec.body, time = rec.time, status = status,
    json = json.decode(rec.body) or null,
    form = ctype:find("x-www-form-urlencoded", 1, true) and ngx.decode_args(rec.body, 0) or null }
  hooks[#hooks + 1] = entry
  if #hooks > 2000 then table.remove(hooks, 1) end
  return reply.ok({ received = status == 200 }, status)
end, true)

route("GET", "hooks", function(rec)
  local name = rec.args.name
  return tail(hooks, rec, function(h) return not name or h.name == name end)
end)

route("DELETE", "hooks", function()
  local n = #hooks
  hooks, hook_hits = {}, {}
  return reply.ok({ cleared = n })
end)

---------------------------------------------------------------------------
-- events from outside

-- Checks of the fields of the inbound bodies: kind → test(value), why.
local function is_string(v) return type(v) == "string" end
local function list_of(test)
  return function(v)
    if type(v) ~= "table" then return false end
    for k, x in pairs(v) do
      if type(k) ~= "number" or not test(x) then return false end
    end
    return true
  end
end
local function is_address(v)
  return is_string(v) or type(v) == "table" and is_string(v.identifier)
    and (v.display_name == nil or is_string(v.display_name))
end
local function is_file(v)
  if type(v) ~= "table" then return false end
  for _, name in ipairs({ "filename", "content", "content_type" }) do
    if v[name] ~= nil and not is_string(v[name]) then return false end
  end
  return true
end
local KINDS = {
  string = { is_string, "must be a string" },
  address = { is_address, "must be an address or {identifier, display_name}" },
  addresses = { list_of(is_address), "must be an array of addresses or {identifier, display_name}" },
  files = { list_of(is_file), "must be an array of {filename, content, content_type} strings" },
}

-- Nil, or a 400 for the first field of body `b` not of its kind in
-- `fields` (name → kind; absent fields pass).
local function invalid_fields(b, fields)
  local names = {}
  for name in pairs(fields) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    local kind = KINDS[fields[name]]
    if b[name] ~= nil and not kind[1](b[name]) then return reply.invalid(name, kind[2]) end
  end
end

-- `[{filename, content, content_type}]` → multipart-like parts.
local function parts(list)
  local out = {}
  for _, f in ipairs(type(list) == "table" and list or {}) do
    out[#out + 1] = { name = "attachments", filename = f.filename or "file", content_type = f.content_type,
      data = tostring(f.content or "") }
  end
  return out
end

-- An inbound message: from `sender_id` (attendee id or provider id, default
-- the first other member), unseen; webhook message_received.
route("POST", "inbound/message", function(rec)
  local b = rec.json or {}
  local bad = invalid_fields(b, { chat_id = "string", sender_id = "string", text = "string", attachments = "files" })
  if bad then return bad end
  local chat = state.get().chats[b.chat_id]
  if not chat then return reply.not_found("Chat", b.chat_id) end
  local sender
  for _, a in ipairs(state.chat_attendees(chat.id)) do
    if a.is_self == 0 and (b.sender_id == nil or a.id == b.sender_id or a.provider_id == b.sender_id) then
      sender = sender or a
    end
  end
  if not sender then return reply.invalid("sender_id", "not a member of chat " .. chat.id) end
  if type(b.text) ~= "string" and type(b.attachments) ~= "table" then return reply.missing("text") end
  local msg = api.post(chat, { text = b.text, sender = sender, files = parts(b.attachments) })
  return reply.ok({ object = "MessageReceived", message_id = msg.id, chat_id = chat.id }, 201)
end)

-- An inbound email in the inbox (or `folder`), unread; webhook mail_received.
route("POST", "inbound/email", function(rec)
  local mail = require "unipile.sandbox.seed.mail"
  local b = rec.json or {}
  local bad = invalid_fields(b, { account_id = "string", from = "address", to = "addresses", subject = "string",
    body = "string", folder = "string", in_reply_to = "string", attachments = "files" })
  if bad then return bad end
  local account = state.get().accounts[b.account_id]
  if not account or not state.FAMILIES.mail[account.type] then return reply.not_found("Mail account", b.account_id) end
  local function who(v)
    if type(v) == "table" and v.identifier then return mail.attendee(v.display_name, v.identifier) end
    if type(v) == "string" then return mail.attendee(nil, v) end
  end
  local from = who(b.from)
  if not from then return reply.missing("from") end
  local folder = b.folder and mail.find_folder(account.id, b.folder) or mail.folder_by_role(account.id, "inbox")
  if not folder then return reply.invalid("folder", "no folder " .. tostring(b.folder)) end
  local to = {}
  for _, x in ipairs(type(b.to) == "table" and b.to or { mail.address(account) }) do to[#to + 1] = who(x) end
  local parent = b.in_reply_to and state.get().emails[b.in_reply_to]
  local S = state.get()
  local e = state.add("emails", mail.new_email(S.rng, account, { from = from, to = to, subject = b.subject or "",
    body = b.body or "", date_ms = state.now_ms(), folders = { folder }, unread = true, in_reply_to = parent }))
  for _, p in ipairs(parts(b.attachments)) do
    mail.attach(S.rng, e, p.filename, p.content_type or api.mimetype_of(p), #p.data, p.data)
  end
  delivery.email("mail_received", e)
  return reply.ok({ object = "EmailReceived", email_id = e.id }, 201)
end)

-- Status messages → the status the account's sources show.
local STATUS = { OK = "OK", ERROR = "ERROR", STOPPED = "STOPPED", CREDENTIALS = "CREDENTIALS",
  CONNECTING = "CONNECTING", PERMISSIONS = "PERMISSIONS", CREATION_SUCCESS = "OK", RECONNECTED = "OK",
  SYNC_SUCCESS = "OK", CREATION_FAIL = "ERROR", DELETED = false }

route("POST", "accounts/*/status", function(rec, id)
  local account = state.get().accounts[id]
  if not account then return reply.not_found("Account", id) end
  local message = rec.json and rec.json.message
  local status = STATUS[message]
  if status == nil then
    local names = {}
    for k in pairs(STATUS) do names[#names + 1] = k end
    table.sort(names)
    return reply.invalid("message", "must be one of " .. table.concat(names, ", "))
  end
  local n = delivery.account_status(account, message)
  if status then state.set_status(account, status) else state.delete_account(account.id) end
  return reply.ok({ account_id = id, message = message, webhooks = n })
end)

route("POST", "accounts/*/scan", function(_, id) return connect.complete(id, "QRCODE") end)
route("POST", "accounts/*/validate", function(_, id) return connect.complete(id, "IN_APP_VALIDATION") end)

-- The invitee accepts a sent invitation: a new relation (webhook new_relation).
route("POST", "invitations/*/accept", function(_, id)
  local social = require "unipile.sandbox.seed.social"
  local inv = state.get().invitations_sent[id]
  if not inv then return reply.not_found("Invitation", id) end
  local account = state.get().accounts[inv.account_id]
  state.get().invitations_sent[id] = nil
  local p = social.find_person(account.id, inv.invited_user_id)
  if p then social.relate(account, p) end
  return reply.ok({ invitation_id = id, relation = p and p.provider_id or null })
end)

-- Tracking of a sent email: `{event = "mail_opened" | "mail_link_clicked", url}`.
route("POST", "emails/*/track", function(rec, id)
  local e = state.get().emails[id]
  if not e then return reply.not_found("Email", id) end
  local b = rec.json or {}
  local event, err = api.enum(b.event, "event", { "mail_opened", "mail_link_clicked" }, "mail_opened")
  if err then return err end
  local n = delivery.tracking(event, e, event == "mail_link_clicked" and { url = b.url or "https://example.com/" } or nil)
  return reply.ok({ email_id = id, event = event, webhooks = n })
end)

-- A hosted link: GET shows it, POST `{provider}` plays the user connecting.
route("GET", "hosted/*", function(_, token)
  local link = state.get().hosted[token]
  if not link then return reply.not_found("Hosted link", token) end
  local v = api.without(link, {})
  v.expires_on = state.iso(link.expires_ms)
  return reply.ok(v)
end)

route("POST", "hosted/*", function(rec, token)
  return connect.complete_hosted(token, rec.json and rec.json.provider)
end)

---------------------------------------------------------------------------

local function find(rec)
  local segs = rec.segments
  for _, r in ipairs(ROUTES) do
    if (r.method == "ANY" or r.method == rec.method) and #r.segs == #segs - 1 then
      local args, ok = {}, true
      for i, s in ipairs(r.segs) do
        if s == "*" then args[#args + 1] = segs[i + 1]
        elseif s ~= segs[i + 1] then ok = false; break end
      end
      if ok then return r, args end
    end
  end
end

--- Response for a request under /_sandbox/.
function M.handle(rec)
  local r, args = find(rec)
  if not r then
    return reply.error(404, "resource_not_found", "No sandbox control route " .. rec.method .. " " .. rec.path)
  end
  if not r.raw then
    if rec.body ~= "" and rec.json == nil then -- JSON whatever the content type (curl -d)
      rec.json, rec.json_error = json.decode(rec.body)
    end
    if rec.body ~= "" and type(rec.json) ~= "table" then
      return reply.error(400, "malformed_request", "Control bodies are JSON objects.")
    end
  end
  return r.fn(rec, unpack(args))
end

return M
