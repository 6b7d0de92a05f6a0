--- The sandbox data set: accounts, chats, messages, attendees and the bytes
-- behind attachments, built deterministically from a seed and sizes, then
-- changed by the API handlers. Objects are kept in their API shape (see
-- docs/internals.md, "Sandbox data set"); what the API does not show (chat
-- members, attachment bytes) lives in side tables. The other groups (users
-- and posts, LinkedIn, mail, calendars) seed their collections through the
-- family modules in `seed/` (FAMILIES below), each from a generator of its
-- own, so adding data to one family never changes the ids of another.
-- Runs inside nginx (one worker, so one copy of the state) and uses `ngx`
-- only for the clock of new objects.
-- @module unipile.sandbox.state

local prng = require "unipile.sandbox.prng"
local json = require "unipile.sandbox.json"

local null, array = json.null, json.array
local floor = math.floor

local M = {}

M.DEFAULT_SIZE = { accounts = 4, chats = 12, messages = 8, attendees = 4,
  types = { "LINKEDIN", "WHATSAPP", "MAIL", "GOOGLE_OAUTH" },
  connecting = 7, -- accounts waiting on a checkpoint, one of each type in turn (CONNECTING below)
  variants = 1, -- content-less accounts of each provider `types` and the connecting accounts leave out
  people = 10, invitations = 2, companies = 2, posts = 3, comments = 2, reactions = 2, -- per social account
  projects = 2, jobs = 4, applicants = 3, -- per LinkedIn account (applicants per listed job)
  emails = 10, -- per mail account
  calendars = 2, events = 6, -- per calendar account / per calendar
  webhooks = 2, -- disabled webhooks (targets for deletes; sources, data and AUTO/TRIGGER in turn)
}
local COUNTS = { "accounts", "chats", "messages", "attendees", "connecting", "variants", "people", "invitations", "companies",
  "posts", "comments", "reactions", "projects", "jobs", "applicants", "emails", "calendars", "events", "webhooks" }

-- Providers that have chats (ChatsController_listAllChats `account_type`).
M.MESSAGING = { LINKEDIN = true, WHATSAPP = true, INSTAGRAM = true, TELEGRAM = true,
  MESSENGER = true, TWITTER = true, SLACK = true }

-- Account types by feature (the family an API group needs).
M.FAMILIES = {
  messaging = M.MESSAGING,
  social = { LINKEDIN = true, INSTAGRAM = true },
  linkedin = { LINKEDIN = true },
  mail = { MAIL = true, GOOGLE_OAUTH = true, OUTLOOK = true, ICLOUD = true, EXCHANGE = true },
  calendar = { GOOGLE_OAUTH = true, OUTLOOK = true, GOOGLE_CALENDAR = true },
}

-- Modules that seed the collections of a family (`seed/<name>.lua`), in order.
local SEEDERS = { "social", "mail", "calendar", "webhooks" }

-- Every collection of the data set (S[kind][id] = object).
M.KINDS = { "accounts", "chats", "messages", "attendees", "people", "invitations_sent", "invitations_received",
  "companies", "posts", "comments", "reactions", "projects", "jobs", "applicants", "folders", "emails",
  "calendars", "events", "webhooks" }

M.PROVIDERS = { "LINKEDIN", "WHATSAPP", "INSTAGRAM", "TELEGRAM", "MESSENGER", "TWITTER",
  "SLACK", "MAIL", "GOOGLE_OAUTH", "OUTLOOK", "ICLOUD", "EXCHANGE", "MOBILE", "GOOGLE_CALENDAR" }

local FIRST = { "Alice", "Bruno", "Chloe", "David", "Emma", "Farid", "Giulia", "Hugo", "Ines",
  "Jonas", "Keiko", "Liam", "Maya", "Noah", "Olga", "Pablo", "Quentin", "Rosa", "Sami", "Tara" }
local LAST = { "Martin", "Rossi", "Dubois", "Schmidt", "Garcia", "Kowalski", "Nguyen", "Silva",
  "Okafor", "Larsen", "Tanaka", "Moreau", "Novak", "Haddad", "Brown", "Costa", "Weber", "Ivanova" }
local WORDS = { "hello", "thanks", "meeting", "tomorrow", "proposal", "quick", "question",
  "about", "the", "contract", "see", "you", "at", "noon", "sounds", "good", "let", "me", "know",
  "call", "draft", "attached", "great", "news", "update", "on", "project", "when", "free" }

-- Seeded attachments: type, mimetype, extension, byte size range.
local KINDS = {
  { "file", "application/pdf", "pdf", 2000, 24000 },
  { "img", "image/png", "png", 1500, 16000 },
  { "img", "image/jpeg", "jpg", 1500, 16000 },
  { "audio", "audio/ogg", "ogg", 1000, 8000 },
  { "video", "video/mp4", "mp4", 4000, 30000 },
  { "file", "text/plain", "txt", 100, 3000 },
}

local EPOCH = 1735689600 -- 2025-01-01T00:00:00Z: seeded activity ends here
M.EPOCH = EPOCH
M.FIRST, M.LAST, M.WORDS, M.KINDS_OF_FILES = FIRST, LAST, WORDS, KINDS

--- ISO 8601 UTC with milliseconds, from milliseconds since the epoch.
function M.iso(ms)
  ms = floor(ms)
  return os.date("!%Y-%m-%dT%H:%M:%S", floor(ms / 1000)) .. string.format(".%03dZ", ms % 1000)
end

local S -- the current state (see M.reset)

-- Clock for new objects: real time, but strictly increasing so that two
-- writes in the same millisecond still sort in the order they happened.
function M.now_ms()
  local now = floor((ngx and ngx.now() or os.time()) * 1000)
  if now <= S.clock then now = S.clock + 1 end
  S.clock = now
  return now
end

function M.get() return S end

---------------------------------------------------------------------------
-- Object builders (shapes from shared/seeds 000 and 003, see internals.md)

local function person(rng)
  local first, last = rng:pick(FIRST), rng:pick(LAST)
  return first .. " " .. last, (first .. "." .. last):lower()
end
M.person = person

-- A provider-side id for a person on each network.
local function provider_person_id(rng, t)
  if t == "LINKEDIN" then return "ACoAA" .. rng:id(34)
  elseif t == "WHATSAPP" then return rng:digits(11) .. "@s.whatsapp.net"
  elseif t == "SLACK" then return "U" .. rng:id(10):upper()
  else return rng:digits(t == "TELEGRAM" and 10 or 16) end
end
M.provider_person_id = provider_person_id

-- `n` digits drawn from the bytes of `s` (no draws from the generator).
local function digits_of(s, n)
  local out, h = {}, 7
  for i = 1, n do
    h = (h * 31 + s:byte((i - 1) % #s + 1)) % 1000003
    out[i] = tostring(h % 10)
  end
  return table.concat(out)
end

local function connection_params(rng, t, name, login, provider_id)
  local email = login .. "@example.com"
  if t == "LINKEDIN" then
    -- the company page the user administers (its chats: INBOX_LINKEDIN_ORGANIZATION)
    local org = { name = name:match("%S+$") .. " Consulting", messaging_enabled = true,
      organization_urn = "urn:li:organization:" .. digits_of(provider_id, 8),
      mailbox_urn = "urn:li:fsd_company:" .. digits_of(provider_id, 8) }
    return { im = { id = provider_id, publicIdentifier = login:gsub("%.", "-") .. "-" .. rng:id(6):lower(),
      username = name, premiumId = null, premiumContractId = null,
      premiumFeatures = array(), organizations = array({ org }) } }
  elseif t == "WHATSAPP" then
    return { im = { phone_number = "+" .. provider_id:match("^%d+") } }
  elseif t == "TELEGRAM" then
    return { im = { user_id = provider_id, username = login } }
  elseif t == "SLACK" then
    return { im = { url = "https://example.slack.com/", user = login, user_id = provider_id,
      team = "Example", team_id = "T" .. rng:id(10):upper() } }
  elseif t == "MOBILE" then
    local sim = rng:digits(19)
    return { im = { phone_number = "+33" .. rng:digits(9), sim_serial_number = sim },
      call = { phone_number = "+33" .. rng:digits(9), sim_serial_number = sim } }
  elseif t == "GOOGLE_OAUTH" or t == "OUTLOOK" then
    return { mail = { id = provider_id, username = email }, calendar = { id = provider_id, username = email } }
  elseif t == "GOOGLE_CALENDAR" then
    return { calendar = email }
  elseif t == "MAIL" or t == "ICLOUD" or t == "EXCHANGE" then
    return { mail = { imap_host = "imap.example.com", imap_port = 993, imap_user = email,
      imap_encryption = "ssl", smtp_host = "smtp.example.com", smtp_port = 465, smtp_user = email } }
  end
  return { im = { id = provider_id, username = login } } -- INSTAGRAM, MESSENGER, TWITTER
end

local function source_names(t)
  if t == "MAIL" or t == "ICLOUD" or t == "EXCHANGE" then return { "MAILS" } end
  if t == "GOOGLE_OAUTH" or t == "OUTLOOK" then return { "MAILS", "CALENDAR" } end
  if t == "GOOGLE_CALENDAR" then return { "CALENDAR" } end
  return { "MESSAGING" }
end

--- Account (seed 000, `AccountList.items[]`).
function M.new_account(rng, t, created_ms)
  local name, login = person(rng)
  local id, provider_id = rng:id(), provider_person_id(rng, t)
  local sources = array()
  for _, s in ipairs(source_names(t)) do sources[#sources + 1] = { id = id .. "_" .. s, status = "OK" } end
  local account = { object = "Account", type = t, id = id, name = name, created_at = M.iso(created_ms),
    connection_params = connection_params(rng, t, name, login, provider_id),
    sources = sources, groups = array(), signatures = array() }
  -- the fields only one type's schema has (no draws: the ids stay as they were)
  if t == "MOBILE" then account.last_fetched_at = account.created_at
  elseif t == "GOOGLE_CALENDAR" then account.sync_token = "sync-" .. id end
  return account, provider_id
end

--- ChatAttendee (seed 003, GET /api/v1/chats/{chat_id}/attendees).
function M.new_attendee(rng, account, provider_id, name, is_self)
  local id = rng:id()
  local login = name:lower():gsub("[^%w]+", "-")
  local a = { object = "ChatAttendee", id = id, account_id = account.id, provider_id = provider_id,
    name = name, is_self = is_self and 1 or 0, hidden = 0,
    picture_url = "https://pictures.example.com/" .. id .. ".jpg" }
  if account.type == "LINKEDIN" then
    a.profile_url = "https://www.linkedin.com/in/" .. login
    a.specifics = { provider = "LINKEDIN", member_urn = "urn:li:member:" .. rng:digits(9),
      occupation = rng:pick({ "Engineer", "Product manager", "Founder", "Recruiter", "Designer" }),
      network_distance = is_self and "SELF" or rng:pick({ "DISTANCE_1", "DISTANCE_2", "DISTANCE_3" }),
      pending_invitation = false }
    if not is_self and id:byte(1) % 3 == 0 then -- some contacts show more (no draws: ids stay)
      a.specifics.network_distance = "OUT_OF_NETWORK"
      a.specifics.pending_invitation = true
      a.specifics.headline = a.specifics.occupation .. " at Example"
      a.specifics.location = "Paris, France"
      a.specifics.contact_info = { emails = array({ login .. "@example.com" }), phone_numbers = array(),
        websites = array({ "https://example.com/" .. login }), social_handles = array({ { type = "twitter", name = login } }) }
    end
  elseif account.type == "INSTAGRAM" then
    a.profile_url = "https://www.instagram.com/" .. login
    a.specifics = { provider = "INSTAGRAM", public_identifier = login,
      relationship_status = { following = true, followed_by = true,
        has_received_invitation = false, has_sent_invitation = false } }
  end
  return a
end

local function chat_provider_id(rng, t, group)
  if t == "LINKEDIN" then return "2-" .. rng:id(40) .. "=="
  elseif t == "WHATSAPP" then return rng:digits(group and 18 or 11) .. (group and "@g.us" or "@s.whatsapp.net")
  elseif t == "SLACK" then return (group and "C" or "D") .. rng:id(10):upper() end
  return rng:digits(17)
end

--- Chat (seed 003, GET /api/v1/chats `ChatList.items[]`).
function M.new_chat(rng, account, members, name, timestamp_ms)
  local group = #members > 2
  local pid = chat_provider_id(rng, account.type, group)
  local other = members[2]
  return { object = "Chat", id = rng:id(), account_id = account.id, account_type = account.type,
    provider_id = pid, attendee_provider_id = group and pid or other.provider_id,
    name = name, type = group and 1 or 0, timestamp = M.iso(timestamp_ms), unread_count = 0,
    archived = 0, muted_until = null, read_only = 0, disabledFeatures = array(),
    -- subject, organization_id, mailbox_id, content_type: absent unless the chat has them
    folder = array(account.type == "LINKEDIN" and { "INBOX", "INBOX_LINKEDIN_CLASSIC" } or { "INBOX" }),
    pinned = 0 }
end

local function message_provider_id(rng, t)
  if t == "LINKEDIN" then return "2-" .. rng:id(52) .. "=="
  elseif t == "WHATSAPP" then return "3EB0" .. rng:id(16):upper() end
  return rng:digits(19)
end

--- Message (OpenAPI of MessagesController_listAllMessages, `MessageList.items[]`).
function M.new_message(rng, chat, sender, text, timestamp_ms)
  local id = rng:id()
  local pid = message_provider_id(rng, chat.account_type)
  return { object = "Message", id = id, provider_id = pid, account_id = chat.account_id,
    chat_id = chat.id, chat_provider_id = chat.provider_id,
    sender_id = sender.provider_id, sender_attendee_id = sender.id,
    text = text or null, attachments = array(), timestamp = M.iso(timestamp_ms),
    is_sender = sender.is_self, reactions = array(), seen = 1, seen_by = {},
    hidden = 0, deleted = 0, edited = 0, is_event = 0, delivered = 1, behavior = null,
    original = json.encode({ id = pid, text = text or null }), subject = null,
    message_type = "MESSAGE", replies = 0, reply_by = array() }
end

--- Attachment entry of a Message (same OpenAPI: img | video | audio | file);
-- `file_size` is the byte count, `size` the pixel size of images/videos.
function M.new_attachment(id, kind, mimetype, file_name, file_size, voice_note)
  local a = { id = id, type = kind, mimetype = mimetype, file_name = file_name,
    file_size = file_size, unavailable = false }
  if kind == "img" then a.size, a.sticker = { width = 640, height = 480 }, false
  elseif kind == "video" then a.size, a.gif = { width = 1280, height = 720 }, false
  elseif kind == "audio" then a.voice_note, a.duration = voice_note or false, 0 end
  return a
end

--- Attachment type from a mimetype.
function M.kind_of(mimetype)
  local major = (mimetype or ""):match("^(%w+)/")
  return ({ image = "img", video = "video", audio = "audio" })[major] or "file"
end

---------------------------------------------------------------------------
-- Store

local function add(kind, obj) S[kind][obj.id] = obj; return obj end
M.add = add

--- Register the bytes of an attachment: `data` (uploaded) or nil (seeded,
-- generated from the id on download).
function M.add_blob(att, message_id, data)
  S.blobs[att.id] = { message_id = message_id, mimetype = att.mimetype, size = att.file_size, data = data }
end

--- Bytes of an attachment.
function M.blob_data(att_id)
  local b = S.blobs[att_id]
  if not b then return nil end
  return b.data or prng.seeded_bytes(att_id, b.size, b.mimetype)
end

local function sentence(rng, min, max)
  local t = {}
  for i = 1, rng:int(min or 2, max or 12) do t[i] = rng:pick(WORDS) end
  local s = table.concat(t, " ")
  return s:sub(1, 1):upper() .. s:sub(2) .. rng:pick({ ".", "!", "?", "" })
end
M.sentence = sentence

-- Variants of the Chat and Message schemas the plain seed never shows, on
-- fixed chats of a LinkedIn account (chat `ci`, messages newest first).
-- No draws: the ids of everything else stay as they were.
local LINKEDIN_CHATS = {
  [3] = { content_type = "inmail", subject = "About the role", folder = { "INBOX", "INBOX_LINKEDIN_RECRUITER" },
    types = { "INMAIL_REPLY", "INMAIL_ACCEPT", "INMAIL" } }, -- oldest last
  [5] = { content_type = "sponsored", read_only = 1, disabled = { "reply" } },
  [6] = { content_type = "linkedin_offer", folder = { "INBOX", "INBOX_LINKEDIN_SALES_NAVIGATOR" },
    disabled = { "reactions" }, attendee_type = "OTHER" }, -- sent by LinkedIn itself
  [7] = { organization = true, attendee_type = "ORGANIZATION", folder = { "INBOX", "INBOX_LINKEDIN_ORGANIZATION" },
    muted_days = 7 },
  [9] = { content_type = "inmail", subject = "Quick question", types = { "INMAIL_DECLINE", "INMAIL" } },
  [10] = { invitation = true },
}
local DISTANCE = { DISTANCE_1 = 1, DISTANCE_2 = 2, DISTANCE_3 = 3, OUT_OF_NETWORK = -1 }

local function vary_chat(account, chat, ci)
  local v = account.type == "LINKEDIN" and LINKEDIN_CHATS[ci]
  if not v then return end
  chat.content_type, chat.subject = v.content_type, v.subject
  if v.folder then chat.folder = array(v.folder) end
  if v.disabled then chat.disabledFeatures = array(v.disabled) end
  chat.read_only = v.read_only or chat.read_only
  if v.organization then
    local org = account.connection_params.im.organizations[1]
    chat.organization_id, chat.mailbox_id = org.organization_urn, org.mailbox_urn
  end
  if v.muted_days then chat.muted_until = M.iso((EPOCH + v.muted_days * 86400) * 1000) end
end

local function vary_messages(account, chat, ci, msgs)
  local v = account.type == "LINKEDIN" and LINKEDIN_CHATS[ci] or {}
  local n = #msgs
  for mi, msg in ipairs(msgs) do
    local sender = S.attendees[msg.sender_attendee_id]
    if account.type == "LINKEDIN" and sender.is_self == 0 then
      msg.sender_urn = "urn:li:fsd_profile:" .. sender.provider_id
      msg.attendee_type = v.attendee_type or "MEMBER"
      msg.attendee_distance = DISTANCE[sender.specifics.network_distance]
    end
    if v.types then msg.message_type = v.types[math.min(mi, #v.types)] end
    if v.invitation and mi == n then msg.message_type = "INVITATION" end
  end
  if chat.type == 1 and n >= 1 then -- a group starts with an event (someone joined)
    msgs[n].is_event, msgs[n].event_type = 1, 1
  end
  if ci == 2 and n >= 3 then -- a reply quoting the message before it, then edited
    local q = msgs[2]
    msgs[1].quoted = { provider_id = q.provider_id, sender_id = q.sender_id, text = q.text, attachments = q.attachments }
    msgs[1].reply_to = { id = q.id, provider_id = q.provider_id, timestamp = q.timestamp,
      sender_attendee_id = q.sender_attendee_id, sender_id = q.sender_id, text = q.text }
    msgs[3].edited = 1
  end
  -- links shared in a LinkedIn chat: a post and a video meeting (no bytes behind them)
  if account.type == "LINKEDIN" and (ci == 11 or ci == 1) and n >= 2 then
    local m = msgs[2]
    local t = floor(EPOCH * 1000)
    m.attachments[#m.attachments + 1] = ci == 11
      and { id = m.id:reverse(), type = "linkedin_post", unavailable = false,
        url = "https://www.linkedin.com/feed/update/urn:li:activity:" .. m.provider_id:sub(3, 12) }
      or { id = m.id:reverse(), type = "video_meeting", unavailable = false, url = "https://meet.example.com/" .. m.id,
        starts_at = t + 86400000, expires_at = t + 90000000, time_range = 3600000 }
  end
end

-- Seed the chats of one messaging account.
local function seed_chats(rng, account, self_att, size, ci0)
  local contacts = {}
  for i = 1, size.chats + 2 do
    local name = person(rng)
    contacts[i] = add("attendees", M.new_attendee(rng, account, provider_person_id(rng, account.type), name, false))
  end
  for ci = 1, size.chats do
    local members = { self_att }
    local name
    if ci % 4 == 0 and size.attendees > 2 then -- every fourth chat is a group
      local taken = {}
      while #members < math.min(size.attendees, #contacts + 1) do
        local c = rng:pick(contacts)
        if not taken[c.id] then taken[c.id] = true; members[#members + 1] = c end
      end
      name = "Group " .. rng:pick(WORDS) .. " " .. rng:pick(WORDS)
    else
      members[2] = contacts[ci]
      name = contacts[ci].name
    end
    local last_ms = (EPOCH - rng:int(0, 60 * 86400)) * 1000 + rng:int(0, 999)
    local chat = add("chats", M.new_chat(rng, account, members, name, last_ms))
    vary_chat(account, chat, ci)
    local ids = {}
    for i, m in ipairs(members) do ids[i] = m.id end
    S.members[chat.id] = ids
    -- Messages from the newest back in time; the newest few may be unread.
    local unread = rng:chance(0.3) and rng:int(1, 3) or 0
    local t = last_ms
    local msgs = {}
    for mi = 1, size.messages do
      local sender = rng:chance(0.4) and self_att or members[rng:int(2, #members)]
      local msg = add("messages", M.new_message(rng, chat, sender, sentence(rng), t))
      msgs[mi] = msg
      if mi <= unread and sender ~= self_att then
        msg.seen = 0
        chat.unread_count = chat.unread_count + 1
      end
      if (ci0 + ci + mi) % 4 == 2 then -- about one message in four carries a file
        local k = rng:pick(KINDS)
        local file_name = (k[1] == "file" and rng:pick(WORDS) or k[1]) .. "-" .. rng:int(1, 999) .. "." .. k[3]
        local att = M.new_attachment(rng:id(), k[1], k[2], file_name, rng:int(k[4], k[5]))
        msg.attachments[1] = att
        M.add_blob(att, msg.id, nil)
      end
      t = t - rng:int(60, 2 * 86400) * 1000 - rng:int(0, 999)
    end
    vary_messages(account, chat, ci, msgs)
  end
end

--- Normalise `size` against the defaults.
local function sizes(size)
  size = size or {}
  local out = {}
  for k, v in pairs(M.DEFAULT_SIZE) do
    out[k] = size[k] ~= nil and size[k] or v
  end
  for k in pairs(size) do
    assert(M.DEFAULT_SIZE[k] ~= nil, "unknown size key " .. tostring(k))
  end
  for _, k in ipairs(COUNTS) do
    out[k] = tonumber(out[k])
    assert(out[k] and out[k] >= 0 and out[k] == floor(out[k]) and out[k] <= 100000,
      "size." .. k .. " must be an integer in 0..100000")
  end
  assert(type(out.types) == "table" and #out.types > 0, "size.types must be a non-empty array of account types")
  for _, t in ipairs(out.types) do
    local known = false
    for _, p in ipairs(M.PROVIDERS) do known = known or p == t end
    assert(known, "unknown account type " .. tostring(t))
  end
  return out
end

local function seeders()
  local out = {}
  for i, name in ipairs(SEEDERS) do out[i] = require("unipile.sandbox.seed." .. name) end
  return out
end

-- Accounts waiting on a checkpoint at reset: type, checkpoint (every type
-- the API has, node-sdk accounts-create.types).
local CONNECTING = { { "LINKEDIN", "2FA" }, { "INSTAGRAM", "IN_APP_VALIDATION" }, { "WHATSAPP", "QRCODE" },
  { "TWITTER", "OTP" }, { "LINKEDIN", "CAPTCHA" }, { "LINKEDIN", "PHONE_REGISTER" }, { "LINKEDIN", "CONTRACT_CHOOSER" } }

-- Source statuses the variant accounts take in turn (CONNECTING: the connecting accounts).
local VARIANT_STATUS = { "OK", "STOPPED", "ERROR", "CREDENTIALS", "PERMISSIONS" }

-- Providers no seeded account shows yet, in PROVIDERS order.
local function missing_types()
  local seen, out = {}, {}
  for _, a in pairs(S.accounts) do seen[a.type] = true end
  for _, t in ipairs(M.PROVIDERS) do
    if not seen[t] then out[#out + 1] = t end
  end
  return out
end

-- A variant account: no content, a status of its own, a signature for mail.
local function add_variant(t, i)
  local account = M.create_account(t, (EPOCH - 30 * 86400 + i * 3600) * 1000)
  M.set_status(account, VARIANT_STATUS[(i - 1) % #VARIANT_STATUS + 1])
  if M.FAMILIES.mail[t] then
    account.signatures[1] = { title = "Default", content = "<p>-- <br>" .. account.name .. "</p>" }
    account.current_signature = "Default"
  end
end

--- Rebuild the data set. `opts`: seed, size. Raises on bad sizes.
function M.reset(opts)
  opts = opts or {}
  local size = sizes(opts.size)
  local seed = opts.seed or 1
  local rng = prng.new(seed)
  S = { seed = seed, size = size, rng = rng, clock = 0, sync = {},
    members = {}, blobs = {}, self_of = {}, account_order = {},
    account_data = {}, -- account id → { checkpoint=, owner=, inmail=, leads=, proxy= }
    idempotency = {}, hosted = {} }
  for _, k in ipairs(M.KINDS) do S[k] = S[k] or {} end
  for ai = 1, size.accounts do
    local t = size.types[(ai - 1) % #size.types + 1]
    local created = (EPOCH - 200 * 86400 + ai * 86400) * 1000 + rng:int(0, 86399999)
    M.create_account(t, created, ai * 1000)
  end
  for ci = 1, size.connecting do
    local c = CONNECTING[(ci - 1) % #CONNECTING + 1]
    local account = M.create_account(c[1], (EPOCH - 86400 + ci * 60) * 1000)
    M.checkpoint(account, c[2], "create")
  end
  local i = 0
  for _, t in ipairs(missing_types()) do
    for _ = 1, size.variants do
      i = i + 1
      add_variant(t, i)
    end
  end
  for _, seeder in ipairs(seeders()) do
    if seeder.seed_global then seeder.seed_global(size) end
  end
  return S
end

--- A generator of its own for `family` and `key` (same seed → same values,
-- whatever the other families draw).
function M.rng_for(family, key) return prng.new(tostring(S.seed) .. ":" .. family .. ":" .. key) end

--- Per-account data the API shows only through other objects.
function M.account_data(account_id)
  local d = S.account_data[account_id]
  if not d then d = {}; S.account_data[account_id] = d end
  return d
end

--- Add an account (with its self attendee and, for messaging providers, its
-- seeded chats). Used by reset and by POST /accounts (no chats then). The
-- family seeders add the rest: content when `seed_chats_base` is given
-- (reset), structure only (folders, calendars) otherwise.
function M.create_account(t, created_ms, seed_chats_base)
  local rng = S.rng
  local account, provider_id = M.new_account(rng, t, created_ms or M.now_ms())
  add("accounts", account)
  S.account_order[#S.account_order + 1] = account.id
  local self_att = add("attendees", M.new_attendee(rng, account, provider_id, account.name, true))
  S.self_of[account.id] = self_att.id
  if seed_chats_base and M.MESSAGING[t] then seed_chats(rng, account, self_att, S.size, seed_chats_base) end
  for _, seeder in ipairs(seeders()) do
    if seeder.seed_account then seeder.seed_account(account, seed_chats_base ~= nil) end
  end
  return account
end

--- Status of every source of an account (OK, CONNECTING, CREDENTIALS...).
function M.set_status(account, status)
  for _, s in ipairs(account.sources) do s.status = status end
end

local QR_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

--- Start a checkpoint on `account` (`intent`: "create" or "reconnect");
-- returns the `checkpoint` object of the API answer. A create intent leaves
-- the account CONNECTING until it is solved.
function M.checkpoint(account, kind, intent)
  local rng = S.rng
  local cp = { type = kind, intent = intent, provider = account.type, polls = 0 }
  if kind == "2FA" then cp.source = "APP"
  elseif kind == "CAPTCHA" then
    cp.public_key = "sandbox-" .. rng:id(32)
    cp.data = rng:id(48)
  elseif kind == "CONTRACT_CHOOSER" then
    -- the account's premium contracts, one to choose (its id is the code)
    local im = account.connection_params.im or {}
    local options = array()
    for i, name in ipairs({ "Recruiter Lite", "Sales Navigator Core" }) do
      options[i] = { id = tostring(100000000 + rng:int(0, 899999999)), name = name }
    end
    cp.contract_options = options
    im.premiumId = options[1].id:reverse()
    im.premiumFeatures = array({ "recruiter", "sales_navigator", "premium" })
  elseif kind == "QRCODE" then
    local t = {}
    for i = 1, 64 do
      local k = rng:int(1, #QR_CHARS)
      t[i] = QR_CHARS:sub(k, k)
    end
    cp.qrcode = "2@" .. table.concat(t) .. "," .. rng:id(43) .. "=," .. rng:id(43) .. "="
  end
  M.account_data(account.id).checkpoint = cp
  if intent == "create" then M.set_status(account, "CONNECTING") end
  return M.checkpoint_view(cp)
end

--- The API view of a pending checkpoint.
function M.checkpoint_view(cp)
  return { type = cp.type, source = cp.source, qrcode = cp.qrcode, public_key = cp.public_key, data = cp.data,
    contract_options = cp.contract_options }
end

--- The self attendee of an account.
function M.self_attendee(account_id) return S.attendees[S.self_of[account_id]] end

--- Attendees of a chat, in membership order.
function M.chat_attendees(chat_id)
  local out = {}
  for _, id in ipairs(S.members[chat_id] or {}) do
    if S.attendees[id] then out[#out + 1] = S.attendees[id] end
  end
  return out
end

--- Values of a collection that pass `pred` (any order).
function M.select(kind, pred)
  local out = {}
  for _, o in pairs(S[kind]) do
    if not pred or pred(o) then out[#out + 1] = o end
  end
  return out
end

--- Objects of a collection that belong to an account (any order).
function M.of_account(kind, account_id, pred)
  return M.select(kind, function(o) return o.account_id == account_id and (not pred or pred(o)) end)
end

--- Find an attendee by Unipile id or provider id (optionally within an account).
function M.find_attendee(id, account_id)
  local a = S.attendees[id]
  if a and (not account_id or a.account_id == account_id) then return a end
  for _, o in pairs(S.attendees) do
    if o.provider_id == id and (not account_id or o.account_id == account_id) then return o end
  end
end

function M.delete_message(id)
  local m = S.messages[id]
  if not m then return end
  for _, a in ipairs(m.attachments) do S.blobs[a.id] = nil end
  S.messages[id] = nil
end

function M.delete_chat(id)
  for _, m in ipairs(M.select("messages", function(m) return m.chat_id == id end)) do M.delete_message(m.id) end
  S.chats[id], S.members[id], S.sync[id] = nil, nil, nil
end

function M.delete_account(id)
  for _, c in ipairs(M.select("chats", function(c) return c.account_id == id end)) do M.delete_chat(c.id) end
  for _, kind in ipairs(M.KINDS) do
    if kind ~= "accounts" and kind ~= "chats" then
      for _, o in ipairs(M.of_account(kind, id)) do S[kind][o.id] = nil end
    end
  end
  S.accounts[id], S.self_of[id], S.account_data[id] = nil, nil, nil
end

-- Newest first, as the API lists messages and chats.
local function by_time_desc(field)
  return function(a, b)
    if a[field] ~= b[field] then return a[field] > b[field] end
    return a.id > b.id
  end
end
M.by_time_desc = by_time_desc

-- Values of a collection grouped by one of their fields, each group sorted.
local function group_by(kind, field, cmp)
  local groups = {}
  for _, o in pairs(S[kind]) do
    local g = groups[o[field]]
    if not g then g = {}; groups[o[field]] = g end
    g[#g + 1] = o
  end
  for _, g in pairs(groups) do table.sort(g, cmp) end
  return groups
end

--- Ids the tests need, reflecting the current state (GET /_sandbox/state).
function M.summary()
  local out = { seed = S.seed, size = S.size, accounts = array(), chats = array(),
    attendees = array(), attachments = array(), counts = {} }
  local chats_of = group_by("chats", "account_id", by_time_desc("timestamp"))
  local messages_of = group_by("messages", "chat_id", by_time_desc("timestamp"))
  local attendees_of = group_by("attendees", "account_id", function(x, y) return x.id < y.id end)
  for _, account_id in ipairs(S.account_order) do
    local a = S.accounts[account_id]
    if a then
      local chat_ids = array()
      local cp = (S.account_data[a.id] or {}).checkpoint
      out.accounts[#out.accounts + 1] = { id = a.id, type = a.type, name = a.name,
        self_attendee_id = S.self_of[a.id], chats = chat_ids, status = a.sources[1] and a.sources[1].status,
        checkpoint = cp and cp.type, checkpoint_intent = cp and cp.intent,
        checkpoint_view = cp and M.checkpoint_view(cp) } -- what the create answer showed (contract ids...)
      for i, c in ipairs(chats_of[a.id] or {}) do
        chat_ids[i] = c.id
        local ids = array()
        for j, m in ipairs(messages_of[c.id] or {}) do
          ids[j] = m.id
          for _, att in ipairs(m.attachments) do
            if S.blobs[att.id] then -- downloadable ones (not the links: posts, meetings)
              out.attachments[#out.attachments + 1] = { id = att.id, message_id = m.id, chat_id = c.id,
                account_id = a.id, type = att.type, mimetype = att.mimetype, file_name = att.file_name,
                file_size = att.file_size }
            end
          end
        end
        local members = array()
        for j, id in ipairs(S.members[c.id] or {}) do members[j] = id end
        out.chats[#out.chats + 1] = { id = c.id, account_id = a.id, type = c.type, attendees = members, messages = ids }
      end
      for _, x in ipairs(attendees_of[a.id] or {}) do
        out.attendees[#out.attendees + 1] = { id = x.id, account_id = a.id, provider_id = x.provider_id,
          name = x.name, is_self = x.is_self }
      end
    end
  end
  -- The other collections: `summary[kind] = { order = field, row = function(o) }` in the seeders.
  local rank = {}
  for i, id in ipairs(S.account_order) do rank[id] = i end
  for _, seeder in ipairs(seeders()) do
    for kind, spec in pairs(seeder.summary or {}) do
      local objs = M.select(kind)
      table.sort(objs, function(x, y)
        local rx, ry = rank[x.account_id] or 0, rank[y.account_id] or 0
        if rx ~= ry then return rx < ry end
        local key = spec.key or function(o) return tostring(o[spec.order] or "") end
        local kx, ky = key(x), key(y)
        if kx ~= ky then return (kx > ky) == not spec.asc end
        return x.id < y.id
      end)
      local rows = array()
      for i, o in ipairs(objs) do rows[i] = spec.row(o) end
      out[kind] = rows
    end
  end
  for _, k in ipairs(M.KINDS) do
    local n = 0
    for _ in pairs(S[k]) do n = n + 1 end
    out.counts[k] = n
  end
  out.counts.attachments = #out.attachments
  return out
end

return M
