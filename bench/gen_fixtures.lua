-- Fixed pages for the benchmarks served by the plain nginx (bench/run.sh):
--   lua5.4 bench/gen_fixtures.lua DIR
-- writes DIR/page100.json (a 100-chat page, ~55 KB, cursor null),
-- DIR/page100.json.gz (the same, gzip -9, for gzip_static), and
-- DIR/page250.json (250 chats whose cursor is the placeholder "@CURSOR@",
-- replaced by nginx's sub_filter with the next page's cursor), and
-- DIR/messages250.json (the same for 250 messages: the `cli` benchmark).
--   lua5.4 bench/gen_fixtures.lua DIR race PAGES
-- writes DIR/race/p1.json .. pN.json instead: PAGES pages of 250 chats, all
-- different (chats 1..250 on p1, 251..500 on p2, ...), page N's cursor
-- naming page N+1 ("p2", "p3", ...) and the last one's null; the race of
-- bench/README.md serves them as static files (Content-Length, no filter).
-- Items have the shape of the API's Chat object (the sandbox's shape:
-- sorted keys, 0/1 flags, nulls); content is deterministic.
local cjson = require "cjson"
local dir = assert(arg[1], "usage: gen_fixtures.lua DIR")

local seed = 12345
local function rand(n)          -- 1..n, Park-Miller
  seed = (seed * 48271) % 2147483647
  return seed % n + 1
end
local B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
local function id(len, alphabet)
  alphabet = alphabet or B62
  local t = {}
  for i = 1, len do local k = rand(#alphabet) t[i] = alphabet:sub(k, k) end
  return table.concat(t)
end
local FIRST = { "Olga", "Pablo", "Quentin", "Amira", "Bjorn", "Chen", "Dalia", "Emeka", "Fatima", "Goran",
  "Hiro", "Ines", "Jonas", "Keiko", "Luca", "Maya", "Nadia", "Omar", "Priya", "Rafael" }
local LAST = { "Martin", "Garcia", "Nguyen", "Smith", "Kowalski", "Rossi", "Dubois", "Okafor", "Tanaka",
  "Silva", "Novak", "Haddad", "Jensen", "Moreau", "Schmidt" }
local ACCOUNTS = {
  { id = id(22), type = "LINKEDIN", folder = { "INBOX", "INBOX_LINKEDIN_CLASSIC" } },
  { id = id(22), type = "WHATSAPP", folder = { "INBOX" } },
  { id = id(22), type = "INSTAGRAM", folder = { "INBOX" } },
  { id = id(22), type = "TELEGRAM", folder = { "INBOX" } },
}
local null = cjson.null
local EMPTY = {}                -- an empty JSON array (this cjson has no empty_array_mt)
local t0 = 1735682572 -- 2024-12-31T22:02:52Z, newest first

local function provider_ids(kind)
  if kind == "WHATSAPP" then
    local n = tostring(rand(89999999999) + 10000000000) .. "@s.whatsapp.net"
    return tostring(rand(89999999999) + 10000000000) .. "@s.whatsapp.net", n
  elseif kind == "LINKEDIN" then
    return "2-" .. id(42) .. "==", "ACoAA" .. id(34)
  end
  return id(18, "0123456789"), id(16, "0123456789")
end

local function chat(i)
  local acc = ACCOUNTS[rand(#ACCOUNTS)]
  local group = i % 4 == 0
  local chat_pid, att_pid = provider_ids(acc.type)
  local ts = t0 - i * 3607 - rand(3600)
  local name = group and ("Project " .. LAST[rand(#LAST)] .. " " .. FIRST[rand(#FIRST)])
    or (FIRST[rand(#FIRST)] .. " " .. LAST[rand(#LAST)])
  return {
    account_id = acc.id, account_type = acc.type, archived = rand(10) == 1 and 1 or 0,
    attendee_provider_id = group and null or att_pid, content_type = null,
    disabledFeatures = rand(5) == 1 and { "reactions" } or EMPTY,
    folder = acc.folder, id = id(22), mailbox_id = null,
    muted_until = rand(8) == 1 and -1 or null, name = name, object = "Chat",
    organization_id = null, pinned = rand(12) == 1 and 1 or 0, provider_id = chat_pid,
    read_only = 0, subject = null,
    timestamp = os.date("!%Y-%m-%dT%H:%M:%S", ts) .. string.format(".%03dZ", rand(1000) - 1),
    type = group and 1 or 0, unread_count = rand(3) == 1 and rand(9) or 0,
  }
end

-- cjson sorts nothing: write keys in sorted order, like the sandbox and the API.
local function encode_sorted(v)
  if v == EMPTY then return "[]" end
  if type(v) ~= "table" then return cjson.encode(v) end
  if v[1] ~= nil then
    local out = {}
    for i, x in ipairs(v) do out[i] = encode_sorted(x) end
    return "[" .. table.concat(out, ",") .. "]"
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys)
  local out = {}
  for i, k in ipairs(keys) do out[i] = cjson.encode(k) .. ":" .. encode_sorted(v[k]) end
  return "{" .. table.concat(out, ",") .. "}"
end

local function page(n, cursor, first)
  first = first or 1
  local items = {}
  for i = 1, n do items[i] = encode_sorted(chat(first + i - 1)) end
  return '{"cursor":' .. cursor .. ',"items":[' .. table.concat(items, ",") .. '],"object":"ChatList"}'
end

local function write(name, s)
  local f = assert(io.open(dir .. "/" .. name, "wb"))
  f:write(s)
  f:close()
end

if arg[2] == "race" then
  local pages = assert(tonumber(arg[3]), "usage: gen_fixtures.lua DIR race PAGES")
  assert(os.execute("mkdir -p " .. dir .. "/race"))
  local bytes = 0
  for p = 1, pages do
    local s = page(250, p < pages and ('"p' .. (p + 1) .. '"') or "null", (p - 1) * 250 + 1)
    write("race/p" .. p .. ".json", s)
    bytes = bytes + #s
  end
  print(string.format("race: %d pages, %d bytes", pages, bytes))
  return
end

-- A message of the API's shape (the sandbox's keys), for the cli benchmark.
local function message(i)
  local acc = ACCOUNTS[rand(#ACCOUNTS)]
  local ts = t0 - i * 61 - rand(60)
  return {
    account_id = acc.id, attachments = EMPTY, behavior = null, chat_id = id(22), chat_provider_id = (provider_ids(acc.type)),
    deleted = 0, delivered = 1, edited = 0, hidden = 0, id = id(22), is_event = 0, is_sender = rand(2) - 1,
    message_type = "MESSAGE", object = "Message", original = null, provider_id = id(20), reactions = EMPTY,
    replies = 0, reply_by = EMPTY, seen = rand(2) - 1, seen_by = EMPTY, sender_attendee_id = id(22),
    sender_id = (provider_ids(acc.type)), subject = null,
    text = FIRST[rand(#FIRST)] .. ", see you at " .. rand(12) .. " with " .. LAST[rand(#LAST)] .. "?",
    timestamp = os.date("!%Y-%m-%dT%H:%M:%S", ts) .. string.format(".%03dZ", rand(1000) - 1),
  }
end
local messages = {}
for i = 1, 250 do messages[i] = encode_sorted(message(i)) end
write("messages250.json", '{"cursor":"@CURSOR@","items":[' .. table.concat(messages, ",") .. '],"object":"MessageList"}')

local p100 = page(100, "null")
assert(#cjson.decode(p100).items == 100)
write("page100.json", p100)
assert(os.execute("gzip -9 -n -k -f " .. dir .. "/page100.json"))
local p250 = page(250, '"@CURSOR@"')
assert(#cjson.decode(p250).items == 250)
write("page250.json", p250)
print(string.format("page100=%d page250=%d", #p100, #p250))
