-- Functional checks of the sandbox through its Lua API and curl: every
-- handler of the accounts/chats/messages/attendees groups, filters, keyset
-- pagination, records, faults, reset/attach/stop. Run from anywhere:
--   lua5.4 tools/sandbox_check.lua   (tools/sandbox_smoke.sh runs it too)
local root = arg[0]:match("^(.*)/tools/[^/]*$") or "."
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. package.path
local sandbox = require "unipile.sandbox"
local cjson = require "cjson"

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

local SIZE = { accounts = 3, chats = 6, messages = 4, attendees = 3, connecting = 0, types = { "LINKEDIN", "WHATSAPP", "MAIL" } }
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
check("create account: QRCODE checkpoint", s23 == 202 and d23.object == "Checkpoint" and d23.checkpoint.type == "QRCODE"
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
check("record headers", r1.headers["x-api-key"] == sb.api_key and r1.headers["x-custom_under"] == "1")
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
