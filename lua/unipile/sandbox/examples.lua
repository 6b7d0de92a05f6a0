--- GET /_sandbox/examples: for every operation of the table, parameters
-- (flat, named as in the table, path parameters included) that succeed
-- against the current state, chosen so that calling every operation once,
-- in table order, succeeds: deletes and one-time actions target objects no
-- later example needs (a connecting account, a chat of another account, a
-- spare email or event, a seeded disabled webhook...). Files are
-- `{filename, content, content_type}` tables. Operations the current data
-- set cannot serve (e.g. no calendar account in `size.types`) are left out.
-- @module unipile.sandbox.examples

local state = require "unipile.sandbox.state"
local json = require "unipile.sandbox.json"
local connect = require "unipile.sandbox.connect"
local social = require "unipile.sandbox.seed.social"
local mail = require "unipile.sandbox.seed.mail"

local null = json.null

local M = {}

local function sorted(list, field, asc)
  table.sort(list, function(a, b)
    if a[field] ~= b[field] then
      if asc then return tostring(a[field]) < tostring(b[field]) end
      return tostring(a[field]) > tostring(b[field])
    end
    return a.id < b.id
  end)
  return list
end

local function first(list, pred)
  for _, x in ipairs(list) do
    if not pred or pred(x) then return x end
  end
end

local function accounts(pred)
  local S, out = state.get(), {}
  for _, id in ipairs(S.account_order) do
    local a = S.accounts[id]
    local cp = a and (S.account_data[id] or {}).checkpoint
    if a and pred(a, cp) then out[#out + 1] = a end
  end
  return out
end

local function ready(family)
  return function(a, cp) return state.FAMILIES[family][a.type] and not (cp and cp.intent == "create") end
end

local FILE = { filename = "examples.txt", content = "Attached by the sandbox examples.\n", content_type = "text/plain" }

local function add_accounts(ex, base)
  local li = first(accounts(ready("linkedin"))) or first(accounts(ready("messaging")))
  ex.AccountsController_listAccounts = { limit = 10 }
  ex.AccountsController_createAccount = { provider = "MAIL", imap_host = "imap.example.com", imap_port = 993,
    imap_user = "examples@example.com", imap_password = "secret", imap_encryption = "ssl",
    smtp_host = "smtp.example.com", smtp_port = 465, smtp_user = "examples@example.com", smtp_password = "secret" }
  if li then
    ex.AccountsController_getAccountById = { id = li.id }
    ex.AccountsController_reconnectAccount = { id = li.id, provider = li.type,
      access_token = li.type == "LINKEDIN" and "AQEDASandboxExampleToken" or nil,
      username = li.type ~= "LINKEDIN" and "examples" or nil, password = li.type ~= "LINKEDIN" and "secret" or nil }
    ex.AccountsController_resyncAccount = { account_id = li.id, chunk_size = 100 }
    ex.AccountsController_restartAccount = { id = li.id }
    ex.AccountsController_patchAccount = { id = li.id, proxy = { protocol = "http", host = "127.0.0.1", port = 3128,
      username = "proxy-user", password = "proxy-pass" } }
  end
  local function pending(kind, providers)
    return first(accounts(function(a, cp) return cp and cp.type == kind and providers[a.type] end))
  end
  local doomed = pending("QRCODE", { WHATSAPP = true, TELEGRAM = true })
  if doomed then ex.AccountsController_deleteAccount = { id = doomed.id } end
  local code = pending("2FA", { LINKEDIN = true, INSTAGRAM = true, MESSENGER = true })
    or pending("OTP", { LINKEDIN = true, INSTAGRAM = true, TWITTER = true, MESSENGER = true })
  if code then ex.AccountsController_solveCheckpoint = { account_id = code.id, provider = code.type, code = "123456" } end
  local resend = first(accounts(function(a, cp)
    return cp and a ~= code and cp.type ~= "QRCODE" and ({ LINKEDIN = true, INSTAGRAM = true, MESSENGER = true })[a.type]
  end))
  if resend then ex.AccountsController_resendCheckpoint = { account_id = resend.id, provider = resend.type } end
  ex.HostedController_requestLink = { type = "create", providers = { "LINKEDIN", "WHATSAPP" }, api_url = base,
    expiresOn = state.iso(state.now_ms() + 86400000), name = "examples-user",
    notify_url = base .. "/_sandbox/hook/hosted-notify", success_redirect_url = "https://example.com/connected" }
  return li
end

local function add_messaging(ex, S)
  local msg_accounts = accounts(ready("messaging"))
  local acc = first(msg_accounts, function(a) return #state.of_account("chats", a.id) >= 2 end)
  if not acc then return end
  local chats = sorted(state.of_account("chats", acc.id), "timestamp")
  local function messages(chat)
    return sorted(state.select("messages", function(m) return m.chat_id == chat.id end), "timestamp")
  end
  local c1 = first(chats, function(c) return c.type == 0 and #messages(c) >= 2 end)
  if not c1 then return end
  local c2 = first(chats, function(c) return c ~= c1 end)
  -- the chat to delete: one of another messaging account, else the last one
  local other = first(msg_accounts, function(a) return a ~= acc and #state.of_account("chats", a.id) > 0 end)
  local doomed = other and sorted(state.of_account("chats", other.id), "timestamp")[1]
    or (#chats >= 3 and chats[#chats] ~= c2 and chats[#chats]) or nil
  local members = S.members[c1.id]
  local contact = S.attendees[members[2]]
  local m1 = messages(c1)[1]
  local function file_of(m) -- an attachment with bytes (not a link: post, meeting)
    return first(m.attachments, function(a) return S.blobs[a.id] ~= nil end)
  end
  local with_file = first(sorted(state.select("messages", function(m)
    return m.account_id == acc.id and file_of(m) and (not doomed or m.chat_id ~= doomed.id)
  end), "timestamp"))
  local spare = first(messages(c2), function(m)
    return m ~= m1 and m ~= with_file and #m.attachments == 0 and m.sender_attendee_id ~= contact.id
  end)
  ex.ChatsController_listAllChats = { account_id = acc.id, limit = 10 }
  local newcomer = state.provider_person_id(state.rng_for("examples", acc.id), acc.type)
  ex.ChatsController_startNewChat = { account_id = acc.id, attendees_ids = { newcomer },
    text = "Hello from the sandbox examples" }
  ex.ChatsController_getChat = { chat_id = c1.id }
  ex.ChatsController_patchChat = { chat_id = c1.id, action = "setReadStatus", value = true }
  ex.ChatsController_listChatMessages = { chat_id = c1.id, limit = 10 }
  ex.ChatsController_sendMessageInChat = { chat_id = c1.id, text = "Sent by the sandbox examples", attachments = FILE }
  ex.ChatsController_listAttendees = { chat_id = c1.id }
  ex.ChatsController_syncChatHistory = { chat_id = c1.id }
  if doomed then ex.ChatsController_deleteChat = { chat_id = doomed.id } end
  ex.MessagesController_getMessage = { message_id = m1.id }
  ex.MessagesController_forwardMessage = { message_id = m1.id, chat_id = c2.id }
  ex.MessagesController_listAllMessages = { account_id = acc.id, limit = 10 }
  if with_file then
    ex.MessagesController_getAttachment = { message_id = with_file.id, attachment_id = file_of(with_file).id }
  end
  if spare then ex.MessagesController_deleteMessage = { message_id = spare.id } end
  ex.MessagesController_addReaction = { message_id = m1.id, reaction = "👍" }
  ex.ChatAttendeesController_listAllAttendees = { account_id = acc.id, limit = 10 }
  ex.ChatAttendeesController_getAttendeeById = { id = contact.id }
  ex.ChatAttendeesController_getAttendeeProfilePicture = { id = contact.id }
  ex.ChatAttendeesController_listChatsByAttendee = { attendee_id = contact.id }
  ex.ChatAttendeesController_listMessagesByAttendee = { sender_id = contact.id }
end

local function add_social(ex, li)
  if not li or li.type ~= "LINKEDIN" then return end
  local a = li.id
  local me = social.self_person(a)
  local people = sorted(state.of_account("people", a, function(p) return not p.is_self end), "name", true)
  local received = sorted(state.of_account("invitations_received", a), "date")[1]
  local sent = sorted(state.of_account("invitations_sent", a), "date")[1]
  local pending = {}
  for _, inv in ipairs(state.of_account("invitations_sent", a)) do pending[inv.invited_user_id] = true end
  for _, inv in ipairs(state.of_account("invitations_received", a)) do pending[inv.inviter.inviter_id] = true end
  local stranger = first(people, function(p) return not p.relation_at and not pending[p.provider_id] end)
  local friend = first(people, function(p) return p.relation_at ~= nil end)
  ex.UsersController_listAllUserInvitationsSent = { account_id = a, limit = 10 }
  ex.UsersController_listAllUserInvitationsReceived = { account_id = a, limit = 10 }
  if received then
    ex.UsersController_handleInvitationReceived = { invitation_id = received.id, provider = "LINKEDIN", account_id = a,
      action = "accept", shared_secret = received.specifics.shared_secret }
  end
  ex.UsersController_getAccountOwnerProfile = { account_id = a }
  ex.UsersController_editAccountOwnerProfile = { type = "LINKEDIN", account_id = a, headline = "Lua SDK tester",
    location = { id = "105015875" } }
  ex.UsersController_getRelations = { account_id = a, limit = 10 }
  ex.UsersController_getFollowing = { account_id = a, limit = 10 }
  ex.UsersController_getFollowers = { account_id = a, limit = 10 }
  if friend then
    ex.UsersController_getProfileByIdentifier = { identifier = friend.public_identifier, account_id = a,
      linkedin_sections = "skills" }
    local skill = first(friend.skills, function(s) return not s.endorsed end)
    if skill then
      ex.LinkedinController_endorseProfile = { account_id = a, profile_id = friend.provider_id,
        skill_endorsement_id = skill.endorsement_id }
    end
  end
  if stranger then
    ex.UsersController_addUserByIdentifier = { provider_id = stranger.provider_id, account_id = a,
      message = "Hello, let's connect (sandbox examples)." }
  end
  ex.UsersController_listAllPosts = { identifier = me.provider_id, account_id = a, limit = 10 }
  ex.UsersController_listAllComments = { identifier = me.provider_id, account_id = a, limit = 10 }
  ex.UsersController_listAllReactions = { identifier = me.provider_id, account_id = a, limit = 10 }
  if sent then ex.UsersController_cancelInvitation = { invitation_id = sent.id, account_id = a } end
  local post = sorted(state.of_account("posts", a), "parsed_datetime")[1]
  if post then
    ex.PostsController_getPost = { post_id = post.id, account_id = a }
    ex.PostsController_listAllComments = { post_id = post.id, account_id = a, limit = 10 }
    ex.PostsController_sendComment = { post_id = post.id, account_id = a, text = "Commented by the sandbox examples" }
    ex.PostsController_listAllReactions = { post_id = post.id, account_id = a, limit = 10 }
    ex.PostsController_addPostReaction = { account_id = a, post_id = post.id, reaction_type = "celebrate" }
  end
  ex.PostsController_createPost = { account_id = a, text = "Posted by the sandbox examples" }

  local projects = sorted(state.of_account("projects", a), "created_at")
  local jobs = sorted(state.of_account("jobs", a), "created_at", true)
  local listed = first(jobs, function(j) return j.state == "active" end)
  local draft = first(jobs, function(j) return j.state == "draft" and j.checkpoint == null end)
  local blocked = first(jobs, function(j) return j.state == "draft" and j.checkpoint ~= null end)
  local applicant = listed
    and sorted(state.select("applicants", function(x) return x.job_id == listed.id end), "applied_at")[1]
  local company = sorted(state.of_account("companies", a), "name", true)[1]
  ex.LinkedinController_getHiringProjects = { account_id = a, limit = 10 }
  if projects[1] then
    ex.LinkedinController_getHiringProjectById = { id = projects[1].id, account_id = a }
    ex.LinkedinController_performActionOnMember = { user_id = "AEMAASandboxExampleCandidate", account_id = a,
      api = "recruiter", action = "addCandidateToPipeline", hiring_project_id = projects[1].id, stage = "CONTACTED" }
  end
  if company then ex.LinkedinController_getCompanyProfile = { identifier = company.public_identifier, account_id = a } end
  ex.LinkedinController_getRawData = { account_id = a, request_url = "https://www.linkedin.com/voyager/api/me", method = "GET" }
  ex.LinkedinController_getInmailBalance = { account_id = a }
  ex.LinkedinController_getSearchParametersList = { type = "LOCATION", keywords = "fra", account_id = a, limit = 10 }
  ex.LinkedinController_search = { account_id = a, limit = 5, api = "classic", category = "people" }
  ex.LinkedinController_getJobPostings = { account_id = a, limit = 10 }
  ex.LinkedinController_createJobPosting = { account_id = a, job_title = { text = "Lua engineer" },
    company = { text = "Sandbox Examples Inc." }, workplace = "REMOTE", location = "105015875",
    employment_status = "FULL_TIME", description = "<p>Write and test Lua SDKs.</p>" }
  if listed then
    ex.LinkedinController_getJobPosting = { job_id = listed.id, service = "CLASSIC", account_id = a }
    ex.LinkedinController_closeJobPosting = { id = listed.id, account_id = a }
    ex.LinkedinController_getJobApplicants = { id = listed.id, account_id = a, limit = 10 }
  end
  if draft then
    ex.LinkedinController_editJobPosting = { job_id = draft.id, account_id = a, description = "<p>Updated by the examples.</p>" }
    ex.LinkedinController_publishJobPosting = { draft_id = draft.id, account_id = a, mode = "FREE" }
  end
  if blocked then ex.LinkedinController_solveCheckpoint = { draft_id = blocked.id, account_id = a, input = "123456" } end
  if applicant then
    ex.LinkedinController_getJobApplicant = { applicant_id = applicant.id, account_id = a }
    ex.LinkedinController_getJobApplicantResume = { applicant_id = applicant.id, account_id = a }
  end
end

local function add_mail(ex)
  local acc = first(accounts(ready("mail")), function(a) return #state.of_account("emails", a.id) >= 3 end)
  if not acc then return end
  local a = acc.id
  local emails = sorted(state.of_account("emails", a), "date")
  local inbox = mail.folder_by_role(a, "inbox")
  local archive = mail.folder_by_role(a, "archive") or mail.folder_by_role(a, "trash")
  local with_file = first(emails, function(e) return #e.attachments > 0 end)
  local e1 = first(emails, function(e) return e ~= with_file end)
  local spare = emails[#emails] ~= e1 and emails[#emails] ~= with_file and emails[#emails] or nil
  local to = { { display_name = "Sandbox Examples", identifier = "examples@example.org" } }
  -- meta_only here and include_headers below: the email kinds 1_meta and 2_full (0_ref: seeded)
  ex.MailsController_listMails = { account_id = a, limit = 10, meta_only = true }
  ex.MailsController_sendMail = { account_id = a, to = to, subject = "Sent by the sandbox examples",
    body = "<p>Hello from the examples.</p>", tracking_options = { opens = true, links = true }, attachments = FILE }
  ex.MailsController_getMail = { email_id = e1.id, include_headers = true }
  if spare then ex.MailsController_deleteMail = { email_id = spare.id } end
  if archive then ex.MailsController_updateMail = { email_id = e1.id, folders = { archive.provider_id }, unread = false } end
  if with_file then
    ex.MailsController_getAttachment = { email_id = with_file.id, attachment_id = with_file.attachments[1].id }
  end
  ex.MailsController_listContacts = { account_id = a, limit = 10 }
  ex.FoldersController_listFolders = { account_id = a }
  if inbox then ex.FoldersController_getFolder = { folder_id = inbox.id } end
  ex.DraftsController_createDraft = { account_id = a, to = to, subject = "Draft by the sandbox examples",
    body = "<p>Not sent yet.</p>" }
end

local function add_calendars(ex)
  local acc = first(accounts(ready("calendar")), function(a)
    return first(state.of_account("calendars", a.id), function(c) return not c.is_read_only end) ~= nil
  end)
  if not acc then return end
  local a = acc.id
  local cal = first(sorted(state.of_account("calendars", a), "rank", true), function(c) return not c.is_read_only end)
  local events = sorted(state.select("events", function(e) return e.calendar_id == cal.id end), "created_at")
  ex.CalendarsController_listCalendars = { account_id = a, limit = 10 }
  ex.CalendarsController_getCalendar = { calendar_id = cal.id, account_id = a }
  ex.CalendarsController_listCalendarEventsByCalendar = { calendar_id = cal.id, account_id = a, limit = 10 }
  local day = state.iso(state.now_ms() + 86400000):sub(1, 10)
  ex.CalendarsController_createCalendarEvent = { calendar_id = cal.id, account_id = a, title = "Sandbox examples review",
    start = { date_time = day .. "T09:00:00.000Z", time_zone = "UTC" },
    ["end"] = { date_time = day .. "T10:00:00.000Z", time_zone = "UTC" },
    attendees = { { email = "guest@example.org", display_name = "Guest" } } }
  if events[1] then
    local e = events[1]
    ex.CalendarsController_getCalendarEvent = { calendar_id = cal.id, event_id = e.id, account_id = a }
    ex.CalendarsController_editCalendarEvent = { calendar_id = cal.id, event_id = e.id, account_id = a,
      title = "Renamed by the sandbox examples" }
  end
  if events[2] then
    ex.CalendarsController_deleteCalendarEvent = { calendar_id = cal.id, event_id = events[2].id, account_id = a }
  end
end

--- `{ [operation_id] = params }` for the current state.
function M.build()
  local base = connect.base_url()
  local ex = {}
  local li = add_accounts(ex, base)
  add_messaging(ex, state.get())
  add_social(ex, li)
  add_mail(ex)
  ex.WebhooksController_listWebhooks = { limit = 10 }
  ex.WebhooksController_createWebhook = { request_url = base .. "/_sandbox/hook/examples", source = "messaging",
    name = "examples", events = { "message_received" }, headers = { { key = "X-Sandbox-Secret", value = "examples" } } }
  local hook = sorted(state.select("webhooks", function(w) return not w.enabled end), "created_at", true)[1]
  if hook then ex.WebhooksController_deleteWebhook = { id = hook.id } end
  add_calendars(ex)
  return ex
end

return M
