--- Seed data and object builders of the emails, folders and drafts groups.
-- Every mail account (state.FAMILIES.mail) has the folders of its provider
-- (also when created through the API); seeded accounts get `size.emails`
-- emails spread over those folders, some unread, some with an attachment,
-- some answering the one before (same thread).
-- @module unipile.sandbox.seed.mail

local state = require "unipile.sandbox.state"
local json = require "unipile.sandbox.json"
local prng = require "unipile.sandbox.prng"
local social = require "unipile.sandbox.seed.social"

local array, null = json.array, json.null

local M = {}

-- Folders per provider: provider_id (full path), role.
local FOLDERS = {
  default = { { "INBOX", "inbox" }, { "Sent", "sent" }, { "Drafts", "drafts" }, { "Archive", "archive" },
    { "Trash", "trash" }, { "Junk", "spam" } },
  GOOGLE_OAUTH = { { "INBOX", "inbox" }, { "[Gmail]/Sent Mail", "sent" }, { "[Gmail]/Drafts", "drafts" },
    { "[Gmail]/All Mail", "all" }, { "[Gmail]/Trash", "trash" }, { "[Gmail]/Spam", "spam" },
    { "[Gmail]/Starred", "starred" }, { "[Gmail]/Important", "important" } },
  OUTLOOK = { { "Inbox", "inbox" }, { "Sent Items", "sent" }, { "Drafts", "drafts" }, { "Archive", "archive" },
    { "Deleted Items", "trash" }, { "Junk Email", "spam" } },
}

-- Roles of the seeded emails, in turn.
local ROLES = { "inbox", "inbox", "sent", "inbox", "archive", "inbox", "spam", "inbox", "sent", "drafts" }

local FILES = { { "pdf", "application/pdf" }, { "png", "image/png" }, { "txt", "text/plain" } }

--- The address of a mail account.
function M.address(account)
  local mail = account.connection_params.mail or {}
  return mail.imap_user or mail.username or (account.name:lower():gsub("%s+", ".") .. "@example.com")
end

--- `{display_name, identifier, identifier_type}` of an address.
function M.attendee(name, address)
  return { display_name = name or address, identifier = address, identifier_type = "EMAIL_ADDRESS" }
end

--- Folders of an account, in provider order.
function M.folders(account_id)
  local list = state.of_account("folders", account_id)
  table.sort(list, function(a, b) return a.rank < b.rank end)
  return list
end

--- The folder of an account named by id, provider_id or (case-insensitive) name.
function M.find_folder(account_id, name)
  for _, f in ipairs(M.folders(account_id)) do
    if f.id == name or f.provider_id == name or f.name:lower() == tostring(name):lower() then return f end
  end
end

function M.folder_by_role(account_id, role)
  for _, f in ipairs(M.folders(account_id)) do
    if f.role == role then return f end
  end
end

--- Put an email in `folders` (an array of Folder objects).
function M.place(email, folders)
  local names, ids = array(), array()
  for i, f in ipairs(folders) do names[i], ids[i] = f.provider_id, f.id end
  email.folders, email.folderIds, email.role = names, ids, folders[1] and folders[1].role or "unknown"
end

--- Email (OpenAPI of MailsController_getMail, full variant). `fields`:
-- from, to, cc, bcc, reply_to (attendee arrays), subject, body, date_ms,
-- folders (Folder objects), unread, origin, in_reply_to (Email), headers.
function M.new_email(rng, account, fields)
  local id = rng:id()
  local body = fields.body or ""
  local plain = body:gsub("<[^>]*>", "")
  local msgid = "<" .. rng:id(24) .. "@" .. (M.address(account):match("@(.+)$") or "example.com") .. ">"
  local parent = fields.in_reply_to
  local e = { object = "Email", id = id, account_id = account.id, type = account.type,
    date = state.iso(fields.date_ms), read_date = fields.unread and null or state.iso(fields.date_ms),
    message_id = msgid, provider_id = account.type == "GOOGLE_OAUTH" and rng:id(16):lower() or rng:digits(6),
    subject = fields.subject or "", body = body, body_plain = plain,
    from_attendee = fields.from, to_attendees = array(fields.to or {}), cc_attendees = array(fields.cc or {}),
    bcc_attendees = array(fields.bcc or {}), reply_to_attendees = array(fields.reply_to or {}),
    has_attachments = false, attachments = array(), origin = fields.origin or "external",
    in_reply_to = parent and { message_id = parent.message_id, id = parent.id } or null,
    thread_id = parent and parent.thread_id or rng:id(16), tracking_id = fields.tracking_id or null,
    deprecated_id = tostring(prng.hash("email:" .. id)), is_complete = true, headers = array() }
  local h = e.headers
  h[#h + 1] = { name = "Message-ID", value = msgid }
  h[#h + 1] = { name = "Subject", value = e.subject }
  h[#h + 1] = { name = "From", value = fields.from and fields.from.identifier or "" }
  for _, x in ipairs(fields.headers or {}) do h[#h + 1] = x end
  M.place(e, fields.folders or {})
  return e
end

--- Attach a file to an email: `data` (uploaded bytes) or nil (seeded).
function M.attach(rng, email, name, mime, size, data)
  local att = { id = rng:id(), name = name, extension = name:match("%.(%w+)$") or "", size = size, mime = mime,
    cid = null }
  email.attachments[#email.attachments + 1] = att
  email.has_attachments = true
  state.add_blob({ id = att.id, mimetype = mime, file_size = size }, email.id, data)
  return att
end

--- Folders for every mail account; seeded emails for the seeded ones.
function M.seed_account(account, content)
  if not state.FAMILIES.mail[account.type] then return end
  local rng = state.rng_for("mail", account.id)
  for i, f in ipairs(FOLDERS[account.type] or FOLDERS.default) do
    local name = f[1]:match("([^/]+)$")
    state.add("folders", { object = "Folder", id = rng:id(), account_id = account.id, name = name,
      provider_id = f[1], role = f[2], rank = i })
  end
  if not content then return end
  local me = M.attendee(account.name, M.address(account))
  local contacts = {}
  for i = 1, 5 do
    local name, login = state.person(rng)
    contacts[i] = M.attendee(name, login .. "@" .. rng:pick({ "example.org", "example.net", "mail.example.com" }))
  end
  local ms = (state.EPOCH - 20 * 86400) * 1000
  local previous
  for i = 1, state.get().size.emails do
    local role = ROLES[(i - 1) % #ROLES + 1]
    local other = contacts[(i - 1) % #contacts + 1]
    local outgoing = role == "sent" or role == "drafts"
    local reply = previous and i % 4 == 0
    local subject = reply and ("Re: " .. previous.subject) or state.sentence(rng, 2, 6):gsub("[%.!?]$", "")
    ms = ms + rng:int(3600, 2 * 86400) * 1000
    local e = state.add("emails", M.new_email(rng, account, {
      from = outgoing and me or other, to = { outgoing and other or me },
      cc = i % 5 == 0 and { contacts[(i % #contacts) + 1] } or nil,
      subject = subject, body = "<p>" .. state.sentence(rng, 8, 30) .. "</p>", date_ms = ms,
      folders = { M.folder_by_role(account.id, role) }, unread = role == "inbox" and rng:chance(0.4),
      origin = outgoing and "unipile" or "external", in_reply_to = reply and previous or nil }))
    -- the first archived email is a reference only (kind 0_ref): its content is not fetched yet
    e.ref_only = role == "archive" and i <= #ROLES or nil
    -- every third email, and every unread one (so a digest of unread mail
    -- has attachments to save), carries a file
    if i % 3 == 0 or e.read_date == null then
      local f = FILES[(math.ceil(i / 3) - 1) % #FILES + 1]
      M.attach(rng, e, state.WORDS[rng:int(1, #state.WORDS)] .. "-" .. i .. "." .. f[1], f[2], rng:int(500, 9000))
    end
    previous = e
  end
end

M.summary = {
  folders = { order = "rank", asc = true, row = social.row({ "id", "account_id", "provider_id", "role", "name" }) },
  emails = { order = "date", row = function(e)
    local atts = array()
    for i, a in ipairs(e.attachments) do atts[i] = a.id end
    return { id = e.id, account_id = e.account_id, role = e.role, folders = e.folders, unread = e.read_date == null,
      thread_id = e.thread_id, provider_id = e.provider_id, message_id = e.message_id, attachments = atts,
      subject = e.subject }
  end },
}

return M
