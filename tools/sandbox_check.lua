-- Functional checks of the sandbox through its Lua API and curl: every
-- handler of the accounts/chats/messages/attendees groups, filters, keyset
-- pagination, records, faults, reset/attach/stop. Run from anywhere:
--   lua5.4 tools/sandbox_check.lua   (tools/sandbox_smoke.sh runs it too)
local root = arg[0]:match("^(.*)/tools/[^/]*$") or "."
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. package.path
local sandbox = require "unipile.sandbox"
local cjson = require "cjson"
local socket = require "socket"

local pass, fail = 0, 0
local function check(name, cond, info)
  if cond then
    pass = pass + 1
  else
    fail = fail + 1
    print("FAIL " .. name .. " " .. tostring(info or ""))
  end
end

local function sh(cmd)
  local p = io.popen(cmd)
  local s = p:read("*a")
  p:close()
  return s
end

local function quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
local function esc(s) return (s:gsub("[^%w%-._~]", function(c) return string.format("%%%02X", c:byte()) end)) end
local function write(path, data)
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
end

local SIZE = { accounts = 3, chats = 6, messages = 4, attendees = 3, connecting = 0, variants = 0,
  types = { "LINKEDIN", "WHATSAPP", "MAIL" } }
local sb = sandbox.start({ seed = 5, size = SIZE })
local TMP = sh("mktemp -d"):gsub("%s+$", "")

-- curl: returns status, decoded JSON (or raw body), raw headers.
-- opts: key (false: none), form = {"-F values"}, json = table, raw = extra args
local function api(method, path, opts)
  opts = opts or {}
  local args = { "curl -s -X " .. method, "-o " .. TMP .. "/out", "-D " .. TMP .. "/hdr", "-w '%{http_code}'" }
  if opts.key ~= false then args[#args + 1] = "-H " .. quote("X-API-KEY: " .. (opts.key or sb.api_key)) end
  for _, f in ipairs(opts.form or {}) do args[#args + 1] = "-F " .. quote(f) end
  if opts.json then
    args[#args + 1] = "-H 'Content-Type: application/json' --data-binary " .. quote(cjson.encode(opts.json))
  end
  if opts.raw then args[#args + 1] = opts.raw end
  args[#args + 1] = quote(sb.url .. path)
  local status = tonumber(sh(table.concat(args, " ")))
  local f = io.open(TMP .. "/out", "rb")
  local body = f:read("*a")
  f:close()
  local ok, data = pcall(cjson.decode, body)
  return status, ok and data or body, sh("cat " .. TMP .. "/hdr")
end

local function status(method, path, opts) return (api(method, path, opts)) end

-- All items of a paginated list, following cursors.
local function all_pages(path, limit)
  local items, cursor, pages = {}, nil, 0
  repeat
    local sep = path:find("?", 1, true) and "&" or "?"
    local _, p = api("GET", path .. sep .. "limit=" .. limit .. (cursor and "&cursor=" .. esc(cursor) or ""))
    for _, it in ipairs(p.items) do items[#items + 1] = it end
    cursor = p.cursor ~= cjson.null and p.cursor or nil
    pages = pages + 1
  until not cursor or pages > 100
  return items, pages
end

---------------------------------------------------------------------------
-- data set

local st = sb:state()
check("counts", st.counts.accounts == 3 and st.counts.chats == 12 and st.counts.messages == 48, cjson.encode(st.counts))
local st2 = sb:reset({ seed = 5, size = SIZE })
check("same seed, same ids", cjson.encode(st2.chats) == cjson.encode(st.chats))
local st3 = sb:reset({ seed = 6, size = SIZE })
check("other seed, other ids", st3.chats[1].id ~= st.chats[1].id)
st = sb:reset({ seed = 5, size = SIZE })
check("id shape", #st.chats[1].id == 22 and st.chats[1].id:match("^%w+$"))
local li, wa, mail = st.accounts[1], st.accounts[2], st.accounts[3]
check("account types", li.type == "LINKEDIN" and wa.type == "WHATSAPP" and mail.type == "MAIL" and #mail.chats == 0)

---------------------------------------------------------------------------
-- start a chat: multipart with repeated attendees_ids, bracket names, a file

write(TMP .. "/a.txt", "attached text\n")
local s, d = api("POST", "/api/v1/chats", { form = { "account_id=" .. li.id, "text=hi there",
  "attendees_ids=ACoAAnewperson1", "attendees_ids=ACoAAnewperson2", "linkedin[inmail]=true", "subject=Hello",
  "attachments=@" .. TMP .. "/a.txt" } })
check("start chat 201", s == 201 and d.object == "ChatStarted" and d.chat_id and d.message_id, cjson.encode(d))
local rec = sb:last_request()
check("record parts", #rec.parts == 7 and rec.parts[4].name == "attendees_ids" and rec.parts[5].name == "linkedin[inmail]"
  and rec.parts[7].filename == "a.txt" and rec.parts[7].data == "attached text\n"
  and rec.operation == "ChatsController_startNewChat", cjson.encode(rec.parts))
local s2, chat = api("GET", "/api/v1/chats/" .. d.chat_id)
check("new group chat", s2 == 200 and chat.type == 1 and chat.content_type == "inmail" and chat.subject == "Hello")
local _, atts = api("GET", "/api/v1/chats/" .. d.chat_id .. "/attendees")
check("chat attendees", atts.object == "ChatAttendeeList" and #atts.items == 3 and atts.cursor == cjson.null
  and atts.items[1].is_self == 1, cjson.encode(atts))
local _, msg = api("GET", "/api/v1/messages/" .. d.message_id)
check("first message", msg.message_type == "INMAIL" and msg.text == "hi there" and msg.attachments[1].file_name == "a.txt"
  and msg.attachments[1].mimetype == "text/plain" and msg.is_sender == 1 and msg.chat_id == d.chat_id, cjson.encode(msg))

-- a known single attendee: the 1to1 chat is reused (JSON body this time)
local one
for _, c in ipairs(st.chats) do
  if not one and c.account_id == li.id and c.type == 0 then one = c end
end
local contact
for _, a in ipairs(st.attendees) do
  if a.id == one.attendees[2] then contact = a end
end
local s3, d3 = api("POST", "/api/v1/chats", { json = { account_id = li.id, text = "again",
  attendees_ids = { contact.provider_id } } })
check("start reuses the 1to1 chat", s3 == 201 and d3.chat_id == one.id, cjson.encode(d3))
local s4, d4 = api("POST", "/api/v1/chats", { json = { account_id = li.id, text = "x" } })
check("no attendees → 400 missing_parameters", s4 == 400 and d4.type == "errors/missing_parameters"
  and d4.detail:find("attendees_ids"), cjson.encode(d4))
local s5, d5 = api("POST", "/api/v1/chats", { json = { account_id = mail.id, text = "x", attendees_ids = { "a" } } })
check("start on a MAIL account → 422 invalid_account", s5 == 422 and d5.type == "errors/invalid_account", cjson.encode(d5))

---------------------------------------------------------------------------
-- PATCH chat

local base = "/api/v1/chats/" .. one.id
check("setReadStatus false", status("PATCH", base, { json = { action = "setReadStatus", value = false } }) == 200)
local _, ch = api("GET", base)
check("now unread", ch.unread_count >= 1)
local unread = all_pages("/api/v1/chats?unread=true", 250)
local found, all_unread = false, true
for _, c in ipairs(unread) do
  found = found or c.id == one.id
  all_unread = all_unread and c.unread_count > 0
end
check("unread filter", found and all_unread)
api("PATCH", base, { json = { action = "setPinnedStatus", value = true } })
api("PATCH", base, { json = { action = "setMuteStatus", value = "true" } })
_, ch = api("GET", base)
check("pinned and muted", ch.pinned == 1 and ch.muted_until == -1)
local s7, d7 = api("PATCH", base, { json = { action = "explode", value = true } })
check("bad action → 400", s7 == 400 and d7.detail:find("action"))
local s8, d8 = api("PATCH", base, { json = { action = "setReadStatus" } })
check("missing value → 400", s8 == 400 and d8.type == "errors/missing_parameters")
local s9, d9 = api("PATCH", base, { raw = "-H 'Content-Type: application/json' --data-binary '{bad'" })
check("invalid JSON body → 400", s9 == 400 and d9.type == "errors/malformed_request", cjson.encode(d9))

---------------------------------------------------------------------------
-- send: quote, account check, voice message

local _, list = api("GET", base .. "/messages")
local q = list.items[#list.items]
local s10, d10 = api("POST", base .. "/messages", { form = { "text=reply", "quote_id=" .. q.id, "account_id=" .. li.id } })
_, msg = api("GET", "/api/v1/messages/" .. d10.message_id)
check("quote", s10 == 201 and msg.quoted.provider_id == q.provider_id and msg.reply_to.id == q.id, cjson.encode(msg))
check("account mismatch → 403", status("POST", base .. "/messages", { form = { "text=x", "account_id=" .. wa.id } }) == 403)
local s12, d12 = api("POST", base .. "/messages", { form = { "thread_id=1" } })
check("no text, no file → 400", s12 == 400 and d12.detail:find("text"))
local voice = string.rep("\0\1\2\255", 1000)
write(TMP .. "/v.ogg", voice)
local s13, d13 = api("POST", base .. "/messages", { form = { "voice_message=@" .. TMP .. "/v.ogg" } })
_, msg = api("GET", "/api/v1/messages/" .. d13.message_id)
local a1 = msg.attachments[1]
check("voice message", s13 == 201 and a1.type == "audio" and a1.voice_note == true and a1.mimetype == "audio/ogg"
  and msg.text == cjson.null, cjson.encode(msg))
local s14, bytes, hdr = api("GET", "/api/v1/messages/" .. d13.message_id .. "/attachments/" .. a1.id)
check("voice download", s14 == 200 and bytes == voice and hdr:find("audio/ogg"))

---------------------------------------------------------------------------
-- forward, reaction

local s15, d15 = api("POST", "/api/v1/messages/" .. d13.message_id .. "/forward", { json = { chat_id = li.chats[2] } })
_, msg = api("GET", "/api/v1/messages/" .. tostring(d15.message_id))
check("forward", s15 == 200 and d15.object == "MessageForwarded" and msg.chat_id == li.chats[2]
  and msg.attachments[1].file_size == 4000, cjson.encode(d15))
local _, fb = api("GET", "/api/v1/messages/" .. d15.message_id .. "/attachments/" .. msg.attachments[1].id)
check("forwarded bytes", fb == voice)
check("forward to another account → 403",
  status("POST", "/api/v1/messages/" .. d13.message_id .. "/forward", { json = { chat_id = wa.chats[1] } }) == 403)
local s17, d17 = api("POST", "/api/v1/messages/" .. q.id .. "/reaction", { json = { reaction = "👍" } })
_, msg = api("GET", "/api/v1/messages/" .. q.id)
check("reaction", s17 == 201 and d17.object == "ReactionAdded" and msg.reactions[1].value == "👍"
  and msg.reactions[1].is_sender == true, cjson.encode(msg.reactions))

---------------------------------------------------------------------------
-- attendees

local _, al = api("GET", "/api/v1/chat_attendees?limit=5")
check("attendees page", al.object == "ChatAttendeeList" and #al.items == 5 and type(al.cursor) == "string")
local mine = all_pages("/api/v1/chat_attendees?account_id=" .. li.id, 7)
local expect, only_li = 0, true
for _, a in ipairs(sb:state().attendees) do
  if a.account_id == li.id then expect = expect + 1 end
end
for _, a in ipairs(mine) do only_li = only_li and a.account_id == li.id end
check("attendees by account, all pages", #mine == expect and only_li, #mine .. " vs " .. expect)
local _, att = api("GET", "/api/v1/chat_attendees/" .. contact.id)
check("get attendee", att.object == "ChatAttendee" and att.specifics.provider == "LINKEDIN")
local s18, pic, ph = api("GET", "/api/v1/chat_attendees/" .. contact.id .. "/picture")
check("picture", s18 == 200 and pic == sandbox.picture_bytes(contact.id) and ph:find("image/jpeg"))
local _, bychats = api("GET", "/api/v1/chat_attendees/" .. esc(contact.provider_id) .. "/chats")
check("1to1 chats by attendee provider id", #bychats.items == 1 and bychats.items[1].id == one.id, cjson.encode(bychats))
local _, bymsgs = api("GET", "/api/v1/chat_attendees/" .. contact.id .. "/messages")
local allfrom = #bymsgs.items > 0
for _, m in ipairs(bymsgs.items) do allfrom = allfrom and m.sender_attendee_id == contact.id end
check("messages by attendee", allfrom)
check("unknown attendee → 404", status("GET", "/api/v1/chat_attendees/nope/chats") == 404)

---------------------------------------------------------------------------
-- list filters and pagination

local all = all_pages("/api/v1/messages", 250)
local mid = all[10].timestamp
local bef = all_pages("/api/v1/messages?before=" .. mid, 250)
local okb = #bef == #all - 10
for _, m in ipairs(bef) do okb = okb and m.timestamp < mid end
check("before filter", okb, #bef .. " " .. #all)
check("after filter", #all_pages("/api/v1/messages?after=" .. mid, 250) == 9)
local s19, d19 = api("GET", "/api/v1/messages?before=yesterday")
check("bad before → 400", s19 == 400 and d19.detail:find("before"))
local bya = all_pages("/api/v1/messages?account_id=" .. wa.id .. "," .. mail.id, 250)
local oka = #bya > 0
for _, m in ipairs(bya) do oka = oka and m.account_id == wa.id end
check("account_id list filter", oka)
local bys = all_pages(base .. "/messages?sender_id=" .. esc(contact.provider_id), 250)
local oks = #bys > 0
for _, m in ipairs(bys) do oks = oks and m.sender_id == contact.provider_id end
check("sender_id filter", oks)
check("account_type filter", #all_pages("/api/v1/chats?account_type=WHATSAPP", 250) == 6)
check("bad account_type → 400", status("GET", "/api/v1/chats?account_type=FAX") == 400)
check("repeated limit → 400", status("GET", "/api/v1/chats?limit=1&limit=2") == 400)
-- a write between pages neither repeats nor skips
local _, p1 = api("GET", base .. "/messages?limit=2")
api("POST", base .. "/messages", { form = { "text=between pages" } })
local ids, seen, c = {}, {}, p1.cursor
for _, m in ipairs(p1.items) do ids[#ids + 1] = m.id end
while c ~= cjson.null do
  local _, p = api("GET", base .. "/messages?limit=2&cursor=" .. esc(c))
  for _, m in ipairs(p.items) do ids[#ids + 1] = m.id end
  c = p.cursor
end
local dup = false
for _, id in ipairs(ids) do
  dup = dup or seen[id]
  seen[id] = true
end
check("keyset pagination is stable", not dup and #ids == #all_pages(base .. "/messages", 250) - 1)
check("cursor of another list → 400", status("GET", "/api/v1/chats?cursor=" .. esc(p1.cursor)) == 400)

---------------------------------------------------------------------------
-- deletes, accounts, sync, routes

local victim = list.items[1].id
check("delete message", status("DELETE", "/api/v1/messages/" .. victim) == 200
  and status("GET", "/api/v1/messages/" .. victim) == 404)
local gone = "/api/v1/chats/" .. li.chats[3]
local s21, d21 = api("DELETE", gone)
check("delete chat", s21 == 200 and d21.object == "ChatDeleted" and status("GET", gone) == 404
  and status("GET", gone .. "/messages") == 404)
local s22, d22 = api("DELETE", "/api/v1/accounts/" .. wa.id)
check("delete account", s22 == 200 and d22.object == "AccountDeleted" and status("GET", "/api/v1/accounts/" .. wa.id) == 404)
check("its chats are gone", #all_pages("/api/v1/chats?account_type=WHATSAPP", 100) == 0)
local s23, d23 = api("POST", "/api/v1/accounts", { json = { provider = "TELEGRAM" } })
local s24, acc = api("GET", "/api/v1/accounts/" .. tostring(d23.account_id))
check("create account: QRCODE checkpoint", s23 == 201 and d23.object == "Checkpoint" and d23.checkpoint.type == "QRCODE"
  and type(d23.checkpoint.qrcode) == "string" and s24 == 200 and acc.type == "TELEGRAM"
  and acc.sources[1].status == "CONNECTING" and acc.connection_params.im.user_id, cjson.encode(acc))
sb:call("POST", "/_sandbox/accounts/" .. d23.account_id .. "/scan")
_, acc = api("GET", "/api/v1/accounts/" .. tostring(d23.account_id))
check("QR code scanned: connected", acc.sources[1].status == "OK", cjson.encode(acc.sources))
check("create account without provider → 400", status("POST", "/api/v1/accounts", { json = { username = "x" } }) == 400)
check("create account, unknown provider → 400", status("POST", "/api/v1/accounts", { json = { provider = "FAX" } }) == 400)
local s25, d25 = api("POST", "/api/v1/accounts/" .. li.id, { json = { provider = "LINKEDIN", access_token = "AQED" } })
check("reconnect", s25 == 201 and d25.object == "AccountReconnected")
local _, sy1 = api("GET", base .. "/sync")
local _, sy2 = api("GET", base .. "/sync")
check("sync polling", sy1.status == "SYNC_STARTED" and sy2.status == "SYNC_DONE")
check("unknown route → 404", status("GET", "/api/v1/nothing") == 404)
check("other prefix → 404 even without key", status("GET", "/api/v2/chats", { key = false }) == 404)
check("PUT → 404", status("PUT", "/api/v1/chats") == 404)
check("unknown chat → 404", status("GET", "/api/v1/chats/zzz") == 404)

---------------------------------------------------------------------------
-- records

sb:clear_requests()
sh("curl -s -H " .. quote("X-API-KEY: " .. sb.api_key) .. " -H 'X-Custom_Under: 1' "
  .. quote(sb.url .. "/api/v1/chats?a=1&a=2&b&c=x%20y+z") .. " " .. quote(sb.url .. "/api/v1/accounts") .. " > /dev/null")
local rs = sb:requests()
local r1 = rs[1]
check("two records", #rs == 2)
check("record args", r1.args.a[1] == "1" and r1.args.a[2] == "2" and r1.args.b == true and r1.args.c == "x y z"
  and r1.query == "a=1&a=2&b&c=x%20y+z", cjson.encode(r1.args))
check("record headers: the key's status, never its value", r1.api_key == "matched" and r1.headers["x-api-key"] == nil
  and r1.headers["x-custom_under"] == "1" and not cjson.encode(rs):find(sb.api_key, 1, true))
check("record keep-alive connection", rs[2].connection == r1.connection and rs[2].connection_requests == 2)
check("record time", type(r1.time) == "number" and r1.time > 1.7e9)
check("record operation and status", r1.operation == "ChatsController_listAllChats" and r1.status == 200)

---------------------------------------------------------------------------
-- faults

check("invalid fault refused", not pcall(sb.fault, sb, { kind = "explode" }))
check("empty fault refused", not pcall(sb.fault, sb, {}))
sb:fault({ status = 500, method = "POST", count = -1 })
check("method filter", status("GET", "/api/v1/chats") == 200)
local s27, d27 = api("POST", base .. "/messages", { form = { "text=x" } })
check("fault 500 envelope", s27 == 500 and d27.type == "errors/unexpected_error" and d27.title == "Unexpected error")
check("count -1 stays", status("POST", base .. "/messages", { form = { "text=x" } }) == 500 and #sb:faults() == 1)
sb:clear_faults()
check("faults cleared", #sb:faults() == 0 and status("POST", base .. "/messages", { form = { "text=x" } }) == 201)
sb:fault({ status = 504, path = "^/api/v1/messages" })
check("path pattern miss", status("GET", "/api/v1/chats") == 200)
local s28, d28 = api("GET", "/api/v1/messages")
check("path pattern hit: 504", s28 == 504 and d28.type == "errors/request_timeout")
sb:fault({ status = 502 })
local s29, d29 = api("GET", "/api/v1/messages")
check("502 proxy_error", s29 == 502 and d29.type == "errors/proxy_error")
sb:fault({ status = 401, type = "errors/disconnected_account", detail = "gone", headers = { ["X-Extra"] = "1" } })
local s30, d30, h30 = api("GET", "/api/v1/messages")
check("fault type, detail, headers", s30 == 401 and d30.type == "errors/disconnected_account" and d30.detail == "gone"
  and h30:find("X%-Extra: 1"))
local before = #sb:state().chats
sb:fault({ kind = "close", method = "POST" })
api("POST", "/api/v1/chats", { json = { account_id = li.id, text = "x", attendees_ids = { "ACoAAbrandnew" } } })
check("close: the POST happened", #sb:state().chats == before + 1)
sb:fault({ status = 503, method = "POST" })
api("POST", "/api/v1/chats", { json = { account_id = li.id, text = "x", attendees_ids = { "ACoAAother" } } })
check("status fault: nothing happened", #sb:state().chats == before + 1)

---------------------------------------------------------------------------
-- every operation with the parameters of GET /_sandbox/examples, in table
-- order, encoded as the table says (path, query, JSON or multipart body)

local registry = require "unipile.registry"

local function is_file(v) return type(v) == "table" and v.filename ~= nil and v.content ~= nil end
-- cjson on Lua 5.4 decodes 10 as 10.0
local function str(v)
  if type(v) == "number" and v == math.floor(v) then return string.format("%d", v) end
  return tostring(v)
end
local function is_list(v) return type(v) == "table" and (#v > 0 or next(v) == nil) end

-- Multipart form arguments for curl: JSON-text fields, files, repeated
-- keys for arrays, brackets for nested tables.
local function form_args(name, v, op, out, files)
  if op.json_fields[name] then
    out[#out + 1] = "--form-string " .. quote(name .. "=" .. cjson.encode(v))
  elseif is_file(v) then
    files[#files + 1] = v
    local path = TMP .. "/upload" .. #files
    write(path, v.content)
    out[#out + 1] = "-F " .. quote(name .. "=@" .. path .. ";filename=" .. v.filename .. ";type="
      .. (v.content_type or "application/octet-stream"))
  elseif type(v) == "table" and is_list(v) then
    for i, x in ipairs(v) do
      if type(x) == "table" then form_args(name .. "[" .. (i - 1) .. "]", x, op, out, files)
      else form_args(name, x, op, out, files) end
    end
  elseif type(v) == "table" then
    for k, x in pairs(v) do form_args(name .. "[" .. k .. "]", x, op, out, files) end
  else
    out[#out + 1] = "--form-string " .. quote(name .. "=" .. str(v))
  end
end

-- status, body, headers of `op` called with flat `params`.
local function call_op(op, params)
  local path = op.path:gsub("{([^}]+)}", function(n) return esc(str(params[n])) end)
  local query, body, form, files = {}, {}, {}, {}
  for name, v in pairs(params) do
    local where = op.where[name]
    if not where then error("example of " .. op.id .. " names an unknown parameter " .. name) end
    if where == "query" then
      for _, x in ipairs(type(v) == "table" and v or { v }) do query[#query + 1] = esc(name) .. "=" .. esc(str(x)) end
    elseif where == "body" then
      if op.body == "multipart" then form_args(name, v, op, form, files) else body[name] = v end
    end
  end
  table.sort(query)
  local opts = { raw = table.concat(form, " ") }
  if op.body == "json" and next(body) then opts.json = body end
  if op.body == "json" and not next(body) then opts.raw = "-H 'Content-Type: application/json' --data-binary '{}'" end
  return api(op.method, path .. (#query > 0 and "?" .. table.concat(query, "&") or ""), opts)
end

local function run_examples()
  local ex = sb:call("GET", "/_sandbox/examples")
  local missing, called, ok2xx = {}, 0, 0
  for _, op in ipairs(registry.list) do
    local params = ex[op.id]
    if not params then
      missing[#missing + 1] = op.id
    else
      called = called + 1
      local code, body = call_op(op, params)
      if code and code >= 200 and code < 300 then
        ok2xx = ok2xx + 1
      else
        print("  example " .. op.id .. " → " .. tostring(code) .. " "
          .. (type(body) == "table" and cjson.encode(body) or tostring(body):sub(1, 200)))
      end
    end
  end
  return called, ok2xx, missing
end

sb:reset({ seed = 5 })
local called, passed, missing = run_examples()
check("examples: every operation has one", #missing == 0, table.concat(missing, " "))
check("examples: every call 2xx", called == #registry.list and passed == called, passed .. "/" .. called)

---------------------------------------------------------------------------
-- the other groups, on the default data set

st = sb:reset({ seed = 5, webhook_retry_ms = 40 })
local function first_of(items, pred)
  for _, x in ipairs(items) do
    if pred(x) then return x end
  end
end
local LI = first_of(st.accounts, function(a) return a.type == "LINKEDIN" and not a.checkpoint end)
local GM = first_of(st.accounts, function(a) return a.type == "GOOGLE_OAUTH" end)
local WA = first_of(st.accounts, function(a) return a.type == "WHATSAPP" and not a.checkpoint end)
local Q = "?account_id=" .. LI.id
local GQ = "?account_id=" .. GM.id
local function ids_of(items, field) -- (field: a string; all_pages also returns a page count)
  local set = {}
  for _, it in ipairs(items) do set[it[type(field) == "string" and field or "id"]] = true end
  return set
end
local sent_email -- the email sent with Idempotency-Key key-1 (tracked later)
local send_email -- function(key, extra fields): POST /emails
check("default data set: one account of each family, one connecting per checkpoint type, one of each other provider",
  LI and GM and WA and #st.accounts == 19 and st.counts.emails == 20 and st.counts.events == 12, cjson.encode(st.counts))

local code0, body0 = api("GET", "/api/v1/users/invite/sent")
check("missing account_id → 400 missing_parameters naming it",
  code0 == 400 and body0.type == "errors/missing_parameters" and body0.detail:find("account_id"), cjson.encode(body0))
check("limit above max_limit (100) → 400", status("GET", "/api/v1/users/invite/received" .. Q .. "&limit=101") == 400)
check("limit = max_limit → 200", status("GET", "/api/v1/users/invite/received" .. Q .. "&limit=100") == 200)
s, d = api("GET", "/api/v1/emails" .. Q)
check("an account without the feature → 422 invalid_account", s == 422 and d.type == "errors/invalid_account")
check("unknown account → 404", status("GET", "/api/v1/users/relations?account_id=nope") == 404)

-- invitations sent: send, listed, cancel, gone
do
local pending = {}
for _, i in ipairs(st.invitations_sent) do pending[i.invited_user_id] = true end
for _, i in ipairs(st.invitations_received) do pending[i.inviter_id] = true end
local stranger = first_of(st.people, function(p)
  return p.account_id == LI.id and not p.is_self and not p.relation and not pending[p.provider_id]
end)
s, d = api("POST", "/api/v1/users/invite", { json = { provider_id = stranger.provider_id, account_id = LI.id, message = "hi" } })
local inv_id = d.invitation_id
local sent = all_pages("/api/v1/users/invite/sent" .. Q, 100)
check("invite → 200, listed in invitations sent", s == 200 and d.object == "UserInvitationSent" and ids_of(sent)[inv_id])
s, d = api("POST", "/api/v1/users/invite", { json = { provider_id = stranger.provider_id, account_id = LI.id } })
check("invite again → 422 already_invited_recently", s == 422 and d.type == "errors/already_invited_recently")
check("invitation message over 300 characters → 400", status("POST", "/api/v1/users/invite",
  { json = { provider_id = stranger.provider_id, account_id = LI.id, message = string.rep("x", 301) } }) == 400)
s = status("DELETE", "/api/v1/users/invite/sent/" .. inv_id .. Q)
check("cancel → gone", s == 200 and not ids_of(all_pages("/api/v1/users/invite/sent" .. Q, 100))[inv_id]
  and status("DELETE", "/api/v1/users/invite/sent/" .. inv_id .. Q) == 404)
end

-- invitations received: handle → gone, the inviter is a relation
do
local inv_a, inv_b = st.invitations_received[1], st.invitations_received[2]
s, d = api("POST", "/api/v1/users/invite/received/" .. inv_b.id,
  { json = { provider = "LINKEDIN", account_id = LI.id, action = "accept", shared_secret = "wrong" } })
check("handle with a wrong shared_secret → 400", s == 400 and d.detail:find("shared_secret"))
s, d = api("POST", "/api/v1/users/invite/received/" .. inv_a.id,
  { json = { provider = "LINKEDIN", account_id = LI.id, action = "accept", shared_secret = inv_a.shared_secret } })
check("handle (accept) → gone from received, inviter in relations", s == 200
  and not ids_of(all_pages("/api/v1/users/invite/received" .. Q, 100))[inv_a.id]
  and ids_of(all_pages("/api/v1/users/relations" .. Q, 1000), "member_id")[inv_a.inviter_id], cjson.encode(d))
end

-- profile, skills, endorsement
do
local friend = first_of(st.people, function(p) return p.account_id == LI.id and p.relation end)
local _, prof = api("GET", "/api/v1/users/" .. friend.public_identifier .. Q .. "&linkedin_sections=skills")
local skill = prof.skills and prof.skills[1]
check("profile with skills", prof.object == "UserProfile" and prof.provider_id == friend.provider_id
  and prof.network_distance == "FIRST_DEGREE" and skill and skill.endorsement_id, cjson.encode(prof))
local endorse = { json = { account_id = LI.id, profile_id = friend.provider_id, skill_endorsement_id = skill.endorsement_id } }
s = status("POST", "/api/v1/linkedin/profile/endorse", endorse)
local _, prof2 = api("GET", "/api/v1/users/" .. friend.provider_id .. Q .. "&linkedin_sections=*")
check("endorse → counted once", s == 200 and prof2.skills[1].endorsed == true
  and prof2.skills[1].endorsement_count == skill.endorsement_count + 1
  and status("POST", "/api/v1/linkedin/profile/endorse", endorse) == 422)
local _, me = api("GET", "/api/v1/users/me" .. Q)
s = status("PATCH", "/api/v1/users/me/edit", { form = { "type=LINKEDIN", "account_id=" .. LI.id, "headline=Edited",
  "location[id]=105015875", "summary=About me" } })
local _, me2 = api("GET", "/api/v1/users/me" .. Q)
-- the summary is not a field of AccountOwnerProfile: it shows on the owner's UserProfile
local _, own = api("GET", "/api/v1/users/" .. me.public_identifier .. Q)
check("edit own profile (multipart, bracket names)", me.object == "AccountOwnerProfile" and s == 200
  and me2.headline == "Edited" and own.summary == "About me" and me2.location == "location:105015875", cjson.encode(me2))
end

-- posts, comments, reactions
do
local self_pid = select(2, api("GET", "/api/v1/users/me" .. Q)).provider_id
write(TMP .. "/pic.png", "\137PNG\r\n\26\nfake")
s, d = api("POST", "/api/v1/posts",
  { form = { "account_id=" .. LI.id, "text=Hello world", "attachments=@" .. TMP .. "/pic.png" } })
local post_id = d.post_id
local _, posts = api("GET", "/api/v1/users/" .. self_pid .. "/posts" .. Q .. "&limit=2")
check("created post first in the user's posts, paging{page_count}", s == 201 and posts.items[1].id == post_id
  and posts.items[1].attachments[1].mimetype == "image/png" and posts.paging.page_count == 2
  and type(posts.cursor) == "string" and posts.object == "PostList", cjson.encode(posts.paging))
s, d = api("POST", "/api/v1/posts/" .. post_id .. "/comments", { form = { "account_id=" .. LI.id, "text=First!" } })
local _, comments = api("GET", "/api/v1/posts/" .. post_id .. "/comments" .. Q)
local _, post = api("GET", "/api/v1/posts/" .. post_id .. Q)
check("comment listed, total_items + paging{start,page_count,total_count}", s == 201 and comments.items[1].id == d.comment_id
  and comments.total_items == 1 and comments.paging.start == 0 and comments.paging.page_count == 1
  and comments.paging.total_count == 1 and post.comment_counter == 1, cjson.encode(comments))
local _, my_comments = api("GET", "/api/v1/users/" .. self_pid .. "/comments" .. Q)
check("comment in the user's comments", ids_of(my_comments.items)[d.comment_id] == true and my_comments.paging.page_count >= 1)
s = status("POST", "/api/v1/posts/reaction", { json = { account_id = LI.id, post_id = post_id, reaction_type = "celebrate" } })
local _, reacts = api("GET", "/api/v1/posts/" .. post_id .. "/reactions")
check("reaction listed, cursor inside paging", s == 201 and reacts.items[1].value == "PRAISE" and reacts.cursor == nil
  and reacts.paging.cursor == cjson.null and reacts.paging.total_count == 1, cjson.encode(reacts))
api("POST", "/api/v1/posts/reaction", { json = { account_id = LI.id, post_id = post_id, reaction_type = "love" } })
_, post = api("GET", "/api/v1/posts/" .. post_id .. Q)
check("a second reaction replaces the first", post.reaction_counter == 1)
local seeded_post = st.posts[1]
local got, cur, pages = {}, nil, 0
repeat
  local _, p = api("GET", "/api/v1/posts/" .. seeded_post.id .. "/reactions?limit=1" .. (cur and "&cursor=" .. esc(cur) or ""))
  for _, it in ipairs(p.items) do got[#got + 1] = it.id end
  cur, pages = p.paging.cursor ~= cjson.null and p.paging.cursor or nil, pages + 1
until not cur or pages > 10
local _, seeded = api("GET", "/api/v1/posts/" .. seeded_post.id .. Q)
check("post reactions paginate through paging.cursor", #got == seeded.reaction_counter and #got >= 2
  and pages == #got and got[1] ~= got[2], #got .. " of " .. seeded.reaction_counter)
end

-- LinkedIn search: the cursor alone (in the body) continues the search
do
local _, page1 = api("POST", "/api/v1/linkedin/search" .. Q .. "&limit=3", { json = { category = "people" } })
local _, page2 = api("POST", "/api/v1/linkedin/search" .. Q, { json = { cursor = page1.cursor } })
check("search: paging, config, metadata; body cursor", page1.paging.start == 0 and page1.paging.page_count == 3
  and page1.paging.total_count == 10 and page1.config.params.category == "people" and page1.metadata.search_history_id
  and page2.paging.start == 3 and page2.items[1].id ~= page1.items[1].id and page2.items[1].type == "PEOPLE",
  cjson.encode(page2.paging))
local _, locs = api("GET", "/api/v1/linkedin/search/parameters" .. Q .. "&type=LOCATION&keywords=fra")
check("search parameters", locs.items[1].title == "France" and locs.cursor == nil)
check("search parameters: limit 101 → 400",
  status("GET", "/api/v1/linkedin/search/parameters" .. Q .. "&type=LOCATION&limit=101") == 400)
end

-- job postings: draft → published → closed
do
s, d = api("POST", "/api/v1/linkedin/jobs", { json = { account_id = LI.id, job_title = { text = "Lua dev" },
  company = { text = "Acme" }, workplace = "REMOTE", location = "105015875", description = "<p>x</p>" } })
local job = "/api/v1/linkedin/jobs/" .. tostring(d.job_id)
local function job_state() local _, j = api("GET", job .. Q .. "&service=CLASSIC"); return j.state end
check("create job → draft", s == 200 and d.object == "LinkedinJobPostingDraftCreated" and job_state() == "draft"
  and d.publish_options.free.eligible == true)
s = status("POST", "/api/v1/linkedin/jobs/" .. d.job_id .. "/publish", { json = { account_id = LI.id, mode = "FREE" } })
check("publish → published", s == 200 and job_state() == "active")
check("publish again → 422", status("POST", job .. "/publish", { json = { account_id = LI.id, mode = "FREE" } }) == 422)
s = status("POST", job .. "/close" .. Q)
check("close → closed", s == 200 and job_state() == "closed" and status("POST", job .. "/close" .. Q) == 422)
local draft = first_of(st.jobs, function(j) return j.account_id == LI.id and j.state == "draft" and not j.checkpoint end)
s, d = api("POST", "/api/v1/linkedin/jobs/" .. draft.id .. "/publish",
  { json = { account_id = LI.id, mode = "PROMOTED", budget = { amount = 5, currency = "EUR" } } })
local cp_path = "/api/v1/linkedin/jobs/" .. draft.id .. "/checkpoint"
check("promoted publish → checkpoint; wrong input → 401; right → published", s == 200
  and d.object == "LinkedinJobPostingPublishCheckpoint" and d.type == "OTP"
  and status("POST", cp_path, { json = { account_id = LI.id, input = "000000" } }) == 401
  and status("POST", cp_path, { json = { account_id = LI.id, input = "424242" } }) == 200)
local _, jobs = api("GET", "/api/v1/linkedin/jobs" .. Q .. "&limit=2")
check("jobs list: paging{page_count,total_count}", jobs.paging.page_count == 2 and jobs.paging.total_count == 5
  and jobs.paging.start == nil and type(jobs.cursor) == "string")
local listed = first_of(st.jobs, function(j) return j.state == "active" end)
local _, apps = api("GET", "/api/v1/linkedin/jobs/" .. listed.id .. "/applicants" .. Q)
local app = first_of(sb:state().applicants, function(a) return a.id == apps.items[1].id end) -- with its resume
local s_resume, resume, rh = api("GET", "/api/v1/linkedin/jobs/applicants/" .. app.id .. "/resume" .. Q)
check("applicants and resume bytes", apps.paging.total_count == 3 and s_resume == 200 and #resume == app.resume.file_size
  and rh:lower():find("content%-type: application/pdf") and resume:sub(1, 5) == "%PDF-"
  and resume == sandbox.resume_bytes(app) and rh:find('filename="' .. app.resume.file_name, 1, true))
end

-- emails: move, unread, delete; send, idempotency; drafts; folders
do
local _, folders = api("GET", "/api/v1/folders" .. GQ)
local role = {}
for _, f in ipairs(folders.items) do role[f.role] = f end
check("folders of the account", folders.object == "FolderList" and #folders.items == 8 and role.inbox.provider_id == "INBOX"
  and folders.cursor == nil and role.sent.nb_mails >= 1)
local inbox = all_pages("/api/v1/emails" .. GQ .. "&folder=INBOX", 250)
local mail1 = inbox[1]
s = status("PUT", "/api/v1/emails/" .. mail1.id, { json = { folders = { role.all.provider_id }, unread = true } })
local moved = ids_of(all_pages("/api/v1/emails" .. GQ .. "&folder=" .. esc(role.all.provider_id), 250))
local _, m1 = api("GET", "/api/v1/emails/" .. mail1.id)
check("move: listed in the new folder, not the old; unread", s == 200 and moved[mail1.id]
  and not ids_of(all_pages("/api/v1/emails" .. GQ .. "&folder=INBOX", 250))[mail1.id]
  and m1.read_date == cjson.null and m1.role == "all" and m1.folders[1] == role.all.provider_id)
api("PUT", "/api/v1/emails/" .. mail1.id, { json = { unread = false } })
_, m1 = api("GET", "/api/v1/emails/" .. mail1.id)
check("mark read", type(m1.read_date) == "string" and m1.headers == nil)
check("unknown folder → 422 invalid_folder",
  status("PUT", "/api/v1/emails/" .. mail1.id, { json = { folders = { "Nope" } } }) == 422)
check("delete email → 404 after", status("DELETE", "/api/v1/emails/" .. mail1.id) == 200
  and status("GET", "/api/v1/emails/" .. mail1.id) == 404)
local to = cjson.encode({ { display_name = "Bob", identifier = "bob@example.org" } })
local form = { "account_id=" .. GM.id, "subject=Hi", "attachments=@" .. TMP .. "/a.txt" }
local function send(key, extra)
  local f = { "--form-string " .. quote("to=" .. to), "--form-string 'body=<p>Hello</p>'" }
  for _, x in ipairs(extra or {}) do f[#f + 1] = "--form-string " .. quote(x) end
  if key then f[#f + 1] = "-H 'Idempotency-Key: " .. key .. "'" end
  return api("POST", "/api/v1/emails", { form = form, raw = table.concat(f, " ") })
end
local sent_before = #all_pages("/api/v1/emails" .. GQ .. "&folder=" .. esc(role.sent.provider_id), 250)
send_email = send
local s1, e1 = send("key-1")
sent_email = e1
local s_again, e3, h3 = send("key-1")
local sent_after = all_pages("/api/v1/emails" .. GQ .. "&folder=" .. esc(role.sent.provider_id), 250)
check("send → in the sent folder; same key, same body → same answer, sent once", s1 == 201 and e1.object == "EmailSent"
  and s_again == 201 and e3.id == e1.id and h3:find("Idempotent%-Replayed: true") and #sent_after == sent_before + 1
  and ids_of(sent_after)[e1.id], cjson.encode(e3))
local s_other, e4 = send("key-1", { "cc=" .. cjson.encode({ { identifier = "carol@example.org" } }) })
check("same key, other body → 409 idempotency_conflict", s_other == 409 and e4.type == "errors/idempotency_conflict")
local _, sent1 = api("GET", "/api/v1/emails/" .. e1.id)
check("sent email: recipients from JSON text, attachment", sent1.to_attendees[1].identifier == "bob@example.org"
  and sent1.role == "sent" and sent1.attachments[1].name == "a.txt" and sent1.from_attendee.identifier)
local s_att, bytes5, h5 = api("GET", "/api/v1/emails/" .. e1.id .. "/attachments/" .. sent1.attachments[1].id)
check("email attachment bytes", s_att == 200 and bytes5 == "attached text\n" and h5:lower():find("content%-type: text/plain"))
local seeded = first_of(inbox, function(e) return #e.attachments > 0 end)
local s_seed, b_seed, h_seed = api("GET", "/api/v1/emails/" .. seeded.id .. "/attachments/" .. seeded.attachments[1].id)
check("seeded email attachment: deterministic bytes, its type",
  s_seed == 200 and b_seed == sandbox.seeded_bytes(seeded.attachments[1])
  and h_seed:lower():find("content%-type: " .. seeded.attachments[1].mime:gsub("%-", "%%-")))
local s6, e6 = api("POST", "/api/v1/emails", { form = { "account_id=" .. GM.id, "body=x", "to=bob@example.org" } })
check("`to` not JSON text → 400", s6 == 400 and e6.detail:find("'to'"))
s, d = api("POST", "/api/v1/drafts", { form = form, raw = "--form-string " .. quote("to=" .. to) .. " --form-string body=x" })
check("draft → in the drafts folder", s == 200 and d.object == "DraftCreated"
  and ids_of(all_pages("/api/v1/emails" .. GQ .. "&folder=" .. esc(role.drafts.provider_id), 250))[d.draft_id])
local _, contacts = api("GET", "/api/v1/emails/contacts" .. GQ)
check("contacts include the new recipient", ids_of(contacts.items, "identifier")["bob@example.org"] == true)
end

-- calendars: {data, next_cursor}; event create, read, edit, delete
do
local _, cals = api("GET", "/api/v1/calendars" .. GQ)
local cal = cals.data[1]
local EP = "/api/v1/calendars/" .. esc(cal.id) .. "/events"
check("calendars: data + next_cursor",
  #cals.data == 2 and cal.is_default and cals.next_cursor == nil and cals.items == nil)
local evs, c_ev, n_pages = {}, nil, 0
repeat
  local _, p = api("GET", EP .. GQ .. "&limit=4" .. (c_ev and "&cursor=" .. esc(c_ev) or ""))
  for _, e in ipairs(p.data) do evs[#evs + 1] = e end
  c_ev, n_pages = p.next_cursor ~= cjson.null and p.next_cursor or nil, n_pages + 1
until not c_ev or n_pages > 10
check("events: pages by next_cursor, by start", #evs == 6 and n_pages == 2 and evs[1].start and
  (evs[1].start.date_time or evs[1].start.date) <= (evs[2].start.date_time or evs[2].start.date))
local _, off = api("GET", EP .. GQ .. "&offset=2&limit=1")
check("events: offset", off.data[1].id == evs[3].id)
s, d = api("POST", EP .. GQ, { json = { title = "Standup", start = { date_time = "2030-01-02T09:00:00.000Z", time_zone = "UTC" },
  ["end"] = { date_time = "2030-01-02T09:15:00.000Z", time_zone = "UTC" }, attendees = { { email = "a@example.org" } } } })
local ev = EP .. "/" .. tostring(d.event_id) .. GQ
local _, all_ev = api("GET", EP .. GQ .. "&limit=50")
check("created event listed and readable", s == 201 and ids_of(all_ev.data)[d.event_id] and status("GET", ev) == 200)
s = status("PATCH", ev, { json = { title = "Standup (moved)", location = "Room 2" } })
local _, evd = api("GET", ev)
check("edited event",
  s == 200 and evd.title == "Standup (moved)" and evd.location == "Room 2" and evd.updated_at > evd.created_at)
check("end before start → 400", status("PATCH", ev, { json = { ["end"] = "2029-01-01T00:00:00.000Z" } }) == 400)
check("deleted event → 404", status("DELETE", ev) == 200 and status("GET", ev) == 404)
local ro = cals.data[2]
check("read-only calendar → 403", not ro.is_read_only or status("POST", "/api/v1/calendars/" .. esc(ro.id) .. "/events" .. GQ,
  { json = { title = "x", start = "2030-01-01T00:00:00.000Z", ["end"] = "2030-01-01T01:00:00.000Z", attendees = {} } }) == 403)
end

-- account connection: the checkpoint script
do
s, d = api("POST", "/api/v1/accounts", { json = { provider = "LINKEDIN", username = "u@example.com", password = "pw" } })
local new_li = d.account_id
local SOLVE = "/api/v1/accounts/checkpoint"
local function solve(code) return api("POST", SOLVE, { json = { provider = "LINKEDIN", account_id = new_li, code = code } }) end
local sa, da = solve("000000")
local sb2, db = solve("TRY_ANOTHER_WAY")
check("LINKEDIN username+password → 2FA; 000000 → 401; TRY_ANOTHER_WAY → SMS", s == 201 and d.object == "Checkpoint"
  and d.checkpoint.type == "2FA" and d.checkpoint.source == "APP" and sa == 401
  and da.type == "errors/invalid_checkpoint_solution" and sb2 == 201 and db.checkpoint.source == "SMS")
local sc, dc = solve("123456")
local _, acc2 = api("GET", "/api/v1/accounts/" .. new_li)
check("right code → AccountCreated, status OK", sc == 201 and dc.object == "AccountCreated" and acc2.sources[1].status == "OK"
  and select(1, solve("123456")) == 400)
s, d = api("POST", "/api/v1/accounts", { json = { provider = "INSTAGRAM", username = "u", password = "pw" } })
local ig = d.account_id
local s_r, d_r = api("POST", SOLVE .. "/resend", { json = { provider = "INSTAGRAM", account_id = ig } })
check("INSTAGRAM → IN_APP_VALIDATION; resend", s == 201 and d.checkpoint.type == "IN_APP_VALIDATION" and s_r == 200
  and d_r.object == "CheckpointResend" and d_r.account_id == ig and d_r.success == true)
local statuses = {}
for i = 1, 3 do
  local _, a = api("GET", "/api/v1/accounts/" .. ig)
  statuses[i] = a.sources[1].status
end
check("IN_APP_VALIDATION clears on the third poll", statuses[1] == "CONNECTING" and statuses[2] == "CONNECTING"
  and statuses[3] == "OK", table.concat(statuses, " "))
check("LINKEDIN without credentials → 400 missing",
  status("POST", "/api/v1/accounts", { json = { provider = "LINKEDIN" } }) == 400)
end

-- hosted auth
do
local HL = "/api/v1/hosted/accounts/link"
local later = os.date("!%Y-%m-%dT%H:%M:%S.000Z", os.time() + 3600)
check("hosted: bad type → 400", status("POST", HL, { json = { type = "x", expiresOn = later, api_url = sb.url } }) == 400)
check("hosted: past expiresOn → 400", status("POST", HL, { json = { type = "create", expiresOn = "2020-01-01T00:00:00.000Z",
  api_url = sb.url } }) == 400)
s, d = api("POST", HL, { json = { type = "create", expiresOn = later, api_url = sb.url, providers = { "TELEGRAM" },
  name = "user-7", notify_url = sb:hook_url("notify") } })
local link = d.url
check("hosted link → HostedAuthUrl on the sandbox", s == 200 and d.object == "HostedAuthUrl" and link:find(sb.url, 1, true) == 1)
local shown = sb:call("GET", link:sub(#sb.url + 1))
local done = sb:call("POST", link:sub(#sb.url + 1), {})
local notes = sb:hooks("notify", { wait = 1 })
local note = notes[1] and notes[1].json
check("hosted completion: account created, notify_url told", shown.type == "create" and done.status == "CREATION_SUCCESS" and note
  and note.status == "CREATION_SUCCESS" and note.account_id == done.account_id and note.name == "user-7"
  and status("GET", "/api/v1/accounts/" .. done.account_id) == 200 and not pcall(sb.call, sb, "POST", link:sub(#sb.url + 1), {}))
end

-- webhooks CRUD
do
s, d = api("POST", "/api/v1/webhooks", { json = { request_url = "https://example.com/hook", source = "users" } })
local wid = d.webhook_id
check("webhook created and listed", s == 201 and ids_of(all_pages("/api/v1/webhooks", 250))[wid])
check("webhook deleted",
  status("DELETE", "/api/v1/webhooks/" .. wid) == 200 and not ids_of(all_pages("/api/v1/webhooks", 250))[wid])
check("webhook: unknown source → 400",
  status("POST", "/api/v1/webhooks", { json = { request_url = "http://127.0.0.1/", source = "fax" } }) == 400)
check("webhook: unknown event → 400", status("POST", "/api/v1/webhooks",
  { json = { request_url = "http://127.0.0.1/", source = "email", events = { "message_received" } } }) == 400)
end

---------------------------------------------------------------------------
-- webhook deliveries (retry base 40 ms, see the reset above)
do

local function hook(body)
  local s_, d_ = api("POST", "/api/v1/webhooks", { json = body })
  assert(s_ == 201, cjson.encode(d_))
  return d_.webhook_id
end
-- messaging: the receiver answers 500 once, the retry gets 200
local w_msg = hook({ request_url = sb:hook_url("msg", 1), source = "messaging", name = "msgs",
  headers = { { key = "X-Secret", value = "s3cret" } }, account_ids = { LI.id } })
local msg_chat = st.accounts[1].chats[1]
local _, sent_msg = api("POST", "/api/v1/chats/" .. msg_chat .. "/messages", { form = { "text=ping" } })
local got_msg = sb:hooks("msg", { wait = 2 })
local m_body = got_msg[2] and got_msg[2].json
check("message sent → delivered; 500 then retried → 200", #got_msg == 2 and got_msg[1].status == 500
  and got_msg[2].status == 200 and got_msg[1].body == got_msg[2].body, cjson.encode(got_msg))
check("message payload", m_body and m_body.event == "message_received" and m_body.message_id == sent_msg.message_id
  and m_body.chat_id == msg_chat and m_body.account_id == LI.id and m_body.account_type == "LINKEDIN"
  and m_body.message == "ping" and m_body.sender.attendee_id == LI.self_attendee_id and #m_body.attendees >= 2
  and m_body.webhook_name == "msgs" and m_body.is_sender == true and type(m_body.timestamp) == "string",
  cjson.encode(m_body))
local hdrs = got_msg[2] and got_msg[2].headers or {}
check("custom header sent, no JSON Content-Type unless asked", hdrs["x-secret"] == "s3cret" and hdrs["content-type"] == nil)
local log = sb:deliveries({ webhook_id = w_msg })
check("delivery log: attempt 1 → 500, attempt 2 → 200", #log == 2 and log[1].attempt == 1 and log[1].status == 500
  and log[1].next_retry_ms == 40 and log[2].attempt == 2 and log[2].status == 200 and log[2].event == "message_received"
  and log[2].url == sb:hook_url("msg", 1) and log[2].body == got_msg[2].body, cjson.encode(log))
local pong = sb:call("POST", "/_sandbox/inbound/message", { chat_id = msg_chat, text = "pong" })
local in_hooks = sb:hooks("msg", { wait = 3 })
local in_body = in_hooks[3] and in_hooks[3].json
local _, inbound = api("GET", "/api/v1/messages/" .. pong.message_id)
local _, ch_after = api("GET", "/api/v1/chats/" .. msg_chat)
check("inbound message: stored unseen, chat unread, delivered", in_body and in_body.message_id == pong.message_id
  and in_body.is_sender == false and in_body.sender.attendee_id ~= LI.self_attendee_id and inbound.seen == 0
  and inbound.is_sender == 0 and ch_after.unread_count >= 1, cjson.encode(in_body))
api("POST", "/api/v1/chats/" .. WA.chats[1] .. "/messages", { form = { "text=other account" } })

-- email, form-encoded, three events
hook({ request_url = sb:hook_url("mail"), source = "email", format = "form",
  events = { "mail_received", "mail_sent", "mail_moved" },
  account_ids = { GM.id } })
local rcv = sb:inbound_email({ account_id = GM.id, from = { display_name = "Zoe", identifier = "zoe@example.org" },
  subject = "Inbound", body = "<p>hi</p>" })
send_email(nil)
api("PUT", "/api/v1/emails/" .. rcv.email_id, { json = { folders = { "[Gmail]/Trash" } } })
local mails = sb:hooks("mail", { wait = 3 })
local f1 = mails[1] and mails[1].form or {}
local events = {}
for i, h in ipairs(mails) do events[i] = h.form and h.form.event end
check("email events in order: received, sent, moved", table.concat(events, ",") == "mail_received,mail_sent,mail_moved",
  table.concat(events, ","))
check("form format: urlencoded fields, tables as JSON text", mails[1] and
  mails[1].headers["content-type"] == "application/x-www-form-urlencoded" and f1.email_id == rcv.email_id
  and f1.subject == "Inbound" and cjson.decode(f1.from_attendee).identifier == "zoe@example.org"
  and f1.account_id == GM.id, cjson.encode(f1))
local _, rcvd = api("GET", "/api/v1/emails/" .. rcv.email_id)
check("inbound email stored; moved to trash", rcvd.read_date == cjson.null and rcvd.role == "trash")

-- account status, users, tracking
hook({ request_url = sb:hook_url("status"), source = "account_status" })
sb:account_status(WA.id, "CREDENTIALS")
local stat = sb:hooks("status", { wait = 1 })
local _, wa_now = api("GET", "/api/v1/accounts/" .. WA.id)
check("account status → {AccountStatus: {account_id, account_type, message}}", stat[1] and stat[1].json.AccountStatus
  and stat[1].json.AccountStatus.account_id == WA.id and stat[1].json.AccountStatus.account_type == "WHATSAPP"
  and stat[1].json.AccountStatus.message == "CREDENTIALS" and wa_now.sources[1].status == "CREDENTIALS", cjson.encode(stat))
hook({ request_url = sb:hook_url("users"), source = "users" })
local inv2 = st.invitations_sent[1]
sb:call("POST", "/_sandbox/invitations/" .. inv2.id .. "/accept")
local rel = sb:hooks("users", { wait = 1 })
check("sent invitation accepted → new_relation", rel[1] and rel[1].json.event == "new_relation"
  and rel[1].json.user_provider_id == inv2.invited_user_id
  and ids_of(all_pages("/api/v1/users/relations" .. Q, 1000), "member_id")[inv2.invited_user_id])
hook({ request_url = sb:hook_url("track"), source = "email_tracking", events = { "mail_opened", "mail_link_clicked" } })
sb:call("POST", "/_sandbox/emails/" .. sent_email.id .. "/track",
  { event = "mail_link_clicked", url = "https://example.com/x" })
local tr = sb:hooks("track", { wait = 1 })
check("tracking event", tr[1] and tr[1].json.event == "mail_link_clicked" and tr[1].json.email_id == sent_email.id
  and tr[1].json.url == "https://example.com/x")

-- retries stop after 5; non-local targets are refused; disabled webhooks are silent
local w_dead = hook({ request_url = sb:hook_url("dead", 100), source = "messaging", account_ids = { WA.id } })
local w_far = hook({ request_url = "https://example.com/hook", source = "messaging", account_ids = { WA.id } })
hook({ request_url = sb:hook_url("off"), source = "messaging", enabled = false })
api("POST", "/api/v1/chats/" .. WA.chats[1] .. "/messages", { form = { "text=retry me" } })
local dead = sb:hooks("dead", { wait = 6, timeout = 8 })
socket.sleep(0.1)
local dlog = sb:deliveries({ webhook_id = w_dead })
local flog = sb:deliveries({ webhook_id = w_far })
check("failing receiver: 1 attempt + 5 retries, growing delay", #dead == 6 and #dlog == 6 and dlog[6].attempt == 6
  and dlog[5].next_retry_ms == 640 and dlog[6].next_retry_ms == cjson.null, #dlog)
check("non-local target refused, not retried", #flog == 1 and flog[1].error:find("^refused"), cjson.encode(flog))
check("disabled webhook: nothing delivered", #sb:hooks("off") == 0)
end

---------------------------------------------------------------------------
-- key, attach, busy port, stop

sb:reset({ api_key = "k2", size = SIZE })
check("new key", sb.api_key == "k2" and status("GET", "/api/v1/chats") == 200
  and status("GET", "/api/v1/chats", { key = "sbx" }) == 401)
local other = sandbox.attach(sb.url)
check("attach", other.api_key == "k2" and other.prefix == sb.prefix and #other:state().accounts == 3)
local ok, err = pcall(sandbox.start, { port = sb.port })
check("busy port: clear error", not ok and tostring(err):find("Address already in use"), err)
local prefix = sb.prefix
sb:stop()
check("stopped and removed", not io.open(prefix .. "/nginx.conf") and not pcall(sandbox.attach, sb.url))

os.execute("rm -rf " .. quote(TMP))
print(string.format("%d passed, %d failed", pass, fail))
os.exit(fail == 0 and 0 or 1)
