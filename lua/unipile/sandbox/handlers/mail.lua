--- Handlers of the `emails`, `folders` and `drafts` groups. Emails live in
-- the folders of their account (seed/mail.lua): sending files one in the
-- sent folder, a draft goes to the drafts folder, PUT moves and marks read
-- or unread; webhooks mail_sent, mail_received (control API), mail_moved.
-- @module unipile.sandbox.handlers.mail

local api = require "unipile.sandbox.api"
local state = require "unipile.sandbox.state"
local reply = require "unipile.sandbox.reply"
local json = require "unipile.sandbox.json"
local mail = require "unipile.sandbox.seed.mail"
local delivery = require "unipile.sandbox.delivery"

local array, null, present = json.array, json.null, api.present

local H = {}

-- The email `id` (Unipile id, or provider id with `account_id`), checked
-- against `account_id` when given.
local function email_of(ctx, account)
  local id = ctx.params.email_id
  local e = state.get().emails[id]
  if not e and account then
    e = state.of_account("emails", account.id, function(x) return x.provider_id == id end)[1]
  end
  if not e or (account and e.account_id ~= account.id) then return nil, reply.not_found("Email", id) end
  return e
end

-- The Email as answered, one of the three `kind`s of the OpenAPI: a
-- reference only ("0_ref": an email whose content is not fetched yet), its
-- meta data ("1_meta", bodies empty: meta_only) or all of it ("2_full",
-- headers only with include_headers). Internal fields stay out, and so do
-- the keys without a value (in_reply_to, tracking_id, cid: never null).
local REF = { "object", "id", "account_id", "type", "date", "read_date", "message_id", "provider_id",
  "deprecated_id", "folders", "folderIds", "role" }
local INTERNAL = { ref_only = true, is_complete = true, tracking_label = true, categories = true }

local function view(args)
  local headers = api.boolean(args.include_headers)
  local meta = api.boolean(args.meta_only)
  return function(e)
    if e.ref_only then
      local v = { kind = "0_ref" }
      for _, k in ipairs(REF) do v[k] = e[k] end
      return v
    end
    local v = api.without_nulls(api.without(e, INTERNAL))
    v.read_date = e.read_date -- null: unread
    if meta then
      v.kind, v.body, v.body_plain, v.headers = "1_meta", "", "", nil
    else
      v.kind = "2_full"
      if not headers then v.headers = nil end
    end
    return v
  end
end

local function addresses(e)
  local list = { e.from_attendee }
  for _, k in ipairs({ "to_attendees", "cc_attendees", "bcc_attendees" }) do
    for _, a in ipairs(e[k]) do list[#list + 1] = a end
  end
  return list
end

local function has_address(list, want)
  for _, a in ipairs(list) do
    if type(a) == "table" and tostring(a.identifier):lower() == want then return true end
  end
  return false
end

H.MailsController_listMails = function(ctx)
  local account, err = api.account(ctx, "mail")
  if err then return err end
  local a = ctx.args
  local folder, excluded = nil, {}
  if present(a.folder) then
    folder = mail.find_folder(account.id, a.folder)
    if not folder then return reply.invalid("folder", "no folder " .. tostring(a.folder) .. " in account " .. account.id) end
  end
  for _, s in ipairs(api.strings(a.exclude_folders)) do
    for name in s:gmatch("[^,]+") do
      local f = mail.find_folder(account.id, name)
      if f then excluded[f.id] = true end
    end
  end
  for _, b in ipairs({ "meta_only", "include_headers" }) do
    if a[b] ~= nil and api.boolean(a[b]) == nil then return reply.invalid(b, "must be a boolean") end
  end
  local from, to, any = present(a.from) and a.from:lower(), present(a.to) and a.to:lower(), present(a.any_email) and a.any_email
  local search = present(a.search) and a.search:lower()
  local list = state.of_account("emails", account.id, function(e)
    if folder then
      local inside = false
      for _, id in ipairs(e.folderIds) do inside = inside or id == folder.id end
      if not inside then return false end
    end
    for _, id in ipairs(e.folderIds) do
      if excluded[id] then return false end
    end
    if from and tostring(e.from_attendee.identifier):lower() ~= from then return false end
    if to and not has_address(e.to_attendees, to) then return false end
    if any then
      local hit = false
      for addr in any:lower():gmatch("[^,%s]+") do hit = hit or has_address(addresses(e), addr) end
      if not hit then return false end
    end
    if present(a.thread_id) and e.thread_id ~= a.thread_id then return false end
    if present(a.message_id) and e.message_id ~= a.message_id and e.provider_id ~= a.message_id then return false end
    if search and not (e.subject .. "\n" .. e.body_plain):lower():find(search, 1, true) then return false end
    return true
  end)
  return api.page(ctx, "EmailList", list, { time = "date", view = view(a) })
end

H.MailsController_getMail = function(ctx)
  local account, aerr = api.account(ctx, "mail", true)
  if aerr then return aerr end
  local e, err = email_of(ctx, account)
  return err or reply.ok(view(ctx.args)(e))
end

H.MailsController_deleteMail = function(ctx)
  local account, aerr = api.account(ctx, "mail", true)
  if aerr then return aerr end
  local e, err = email_of(ctx, account)
  if err then return err end
  for _, att in ipairs(e.attachments) do state.get().blobs[att.id] = nil end
  state.get().emails[e.id] = nil
  return reply.ok({ object = "EmailDeleted" })
end

-- `folders`: provider ids, ids or names of the account's folders (the
-- email moves there: webhook mail_moved); `unread`: read_date cleared or set.
H.MailsController_updateMail = function(ctx)
  local account, aerr = api.account(ctx, "mail", true)
  if aerr then return aerr end
  local e, err = email_of(ctx, account)
  if err then return err end
  local f = ctx.fields
  local folders
  if f.folders ~= nil then
    folders = {}
    for _, name in ipairs(api.strings(f.folders)) do
      local folder = mail.find_folder(e.account_id, name)
      if not folder then return reply.error(422, "invalid_folder", "No folder " .. name .. " in account " .. e.account_id) end
      folders[#folders + 1] = folder
    end
    if #folders == 0 then return reply.invalid("folders", "must name at least one folder") end
  end
  local unread = f.unread
  if unread ~= nil then
    unread = api.boolean(unread)
    if unread == nil then return reply.invalid("unread", "must be a boolean") end
  end
  if unread ~= nil then e.read_date = unread and null or state.iso(state.now_ms()) end
  if f.categories ~= nil then e.categories = array(api.strings(f.categories)) end
  if folders then
    local before = e.folders
    mail.place(e, folders)
    delivery.email("mail_moved", e, { previous_folders = before })
  end
  return reply.ok({ object = "EmailUpdated" })
end

H.MailsController_getAttachment = function(ctx)
  local account, aerr = api.account(ctx, "mail", true)
  if aerr then return aerr end
  local e, err = email_of(ctx, account)
  if err then return err end
  for _, att in ipairs(e.attachments) do
    if att.id == ctx.params.attachment_id then return reply.bytes(state.blob_data(att.id), att.mime, 200, att.name) end
  end
  return reply.not_found("Attachment", ctx.params.attachment_id)
end

-- Everyone the account exchanged emails with, by name.
H.MailsController_listContacts = function(ctx)
  local account, err = api.account(ctx, "mail")
  if err then return err end
  local me, seen, list = mail.address(account):lower(), {}, {}
  for _, e in ipairs(state.of_account("emails", account.id)) do
    for _, a in ipairs(addresses(e)) do
      local id = type(a) == "table" and tostring(a.identifier):lower()
      if id and id ~= me and not seen[id] then
        seen[id] = true
        list[#list + 1] = { object = "EmailContact", id = id, account_id = account.id,
          display_name = a.display_name or id, identifier = a.identifier, identifier_type = "EMAIL_ADDRESS" }
      end
    end
  end
  return api.page(ctx, "EmailContactList", list, { key = function(c) return c.display_name:lower() .. "\1" .. c.id end,
    asc = true, view = function(c) return api.without(c, { account_id = true }) end })
end

---------------------------------------------------------------------------
-- sending and drafts

-- An array of {display_name, identifier} (JSON text in multipart, decoded
-- by api.context) → attendees; nil, 400 when malformed.
local function recipients(v, name, required)
  if v == nil or v == null then
    if required then return nil, reply.missing(name) end
    return {}
  end
  if type(v) ~= "table" then return nil, reply.invalid(name, "must be an array of {display_name, identifier}") end
  if v.identifier then v = { v } end
  local out = {}
  for _, a in ipairs(v) do
    if type(a) ~= "table" or type(a.identifier) ~= "string" or not a.identifier:find("@", 1, true) then
      return nil, reply.invalid(name, "every recipient needs an email address in `identifier`")
    end
    if a.display_name ~= nil and a.display_name ~= null and type(a.display_name) ~= "string" then
      return nil, reply.invalid(name, "a recipient's `display_name` must be a string")
    end
    out[#out + 1] = mail.attendee(a.display_name, a.identifier)
  end
  if required and #out == 0 then return nil, reply.invalid(name, "needs at least one recipient") end
  return out
end

-- Build the email of a send or a draft (nil, error response on bad input).
local function compose(ctx, account, role)
  local f = ctx.fields
  local to, e1 = recipients(f.to, "to", true)
  local cc, e2 = recipients(f.cc, "cc")
  local bcc, e3 = recipients(f.bcc, "bcc")
  if e1 or e2 or e3 then return nil, e1 or e2 or e3 end
  local from = mail.attendee(account.name, mail.address(account))
  if type(f.from) == "table" and f.from.identifier then
    local sender, err = recipients(f.from, "from", true)
    if err then return nil, err end
    from = sender[1]
  end
  local headers = {}
  if f.custom_headers ~= nil then
    if type(f.custom_headers) ~= "table" then return nil, reply.invalid("custom_headers", "must be an array of {name, value}") end
    for _, h in ipairs(f.custom_headers) do
      if type(h) ~= "table" or type(h.name) ~= "string" or not h.name:match("^X%-") then
        return nil, reply.invalid("custom_headers", "every header is {name, value} with a name starting with X-")
      end
      headers[#headers + 1] = { name = h.name, value = tostring(h.value) }
    end
  end
  local parent
  if present(f.reply_to) then
    parent = state.of_account("emails", account.id, function(e)
      return e.provider_id == f.reply_to or e.id == f.reply_to or e.message_id == f.reply_to
    end)[1]
    if not parent then
      return nil, reply.error(422, "parent_mail_not_found", "No email " .. tostring(f.reply_to) .. " to reply to.")
    end
  end
  local S = state.get()
  local tracking = type(f.tracking_options) == "table" and f.tracking_options or nil
  local subject = present(f.subject) and tostring(f.subject) or (parent and "Re: " .. parent.subject) or ""
  local e = mail.new_email(S.rng, account, { from = from, to = to, cc = cc, bcc = bcc, subject = subject,
    body = tostring(f.body or ""), date_ms = state.now_ms(), folders = { mail.folder_by_role(account.id, role) },
    origin = "unipile", in_reply_to = parent, headers = headers,
    tracking_id = S.rng:id() }) -- EmailSent always has one (the OpenAPI requires it)
  if tracking and tracking.label then e.tracking_label = tostring(tracking.label) end
  for _, part in ipairs(ctx.files) do
    mail.attach(S.rng, e, part.filename or "attachment", api.mimetype_of(part), #part.data, part.data)
  end
  return state.add("emails", e)
end

H.MailsController_sendMail = function(ctx)
  local account, err = api.account(ctx, "mail")
  if err then return err end
  local e, cerr = compose(ctx, account, "sent")
  if cerr then return cerr end
  delivery.email("mail_sent", e)
  return reply.ok({ object = "EmailSent", tracking_id = e.tracking_id, provider_id = e.provider_id, id = e.id }, 201)
end

H.DraftsController_createDraft = function(ctx)
  local account, err = api.account(ctx, "mail")
  if err then return err end
  local e, cerr = compose(ctx, account, "drafts")
  if cerr then return cerr end
  return reply.ok({ object = "DraftCreated", draft_id = e.id }) -- 200: the status the OpenAPI documents
end

---------------------------------------------------------------------------
-- folders

local function folder_view(f)
  local v = api.without(f, { rank = true })
  local n = 0
  for _, e in ipairs(state.of_account("emails", f.account_id)) do
    for _, id in ipairs(e.folderIds) do
      if id == f.id then n = n + 1 end
    end
  end
  v.nb_mails = n
  return v
end

-- Not paginated: `{object = "FolderList", items}` of one account or all.
H.FoldersController_listFolders = function(ctx)
  local account, err = api.account(ctx, "mail", true)
  if err then return err end
  local items = array()
  for _, id in ipairs(state.get().account_order) do
    if (not account or id == account.id) and state.get().accounts[id] then
      for _, f in ipairs(mail.folders(id)) do items[#items + 1] = folder_view(f) end
    end
  end
  return reply.ok({ object = "FolderList", items = items })
end

H.FoldersController_getFolder = function(ctx)
  local account, aerr = api.account(ctx, "mail", true)
  if aerr then return aerr end
  local f = state.get().folders[ctx.params.folder_id]
  if not f and account then f = mail.find_folder(account.id, ctx.params.folder_id) end
  if not f or (account and f.account_id ~= account.id) then return reply.not_found("Folder", ctx.params.folder_id) end
  return reply.ok(folder_view(f))
end

return H
