#!/usr/bin/env lua
-- Regenerates lua/unipile/operations.lua from shared/api/operations.tsv.
-- Usage: lua tools/gen_operations.lua ../shared/api/operations.tsv > lua/unipile/operations.lua
-- The method names below follow the naming rule in README.md ("Method names").

local NAMES = {
  AccountsController_listAccounts = "list",
  AccountsController_createAccount = "create",
  AccountsController_getAccountById = "get",
  AccountsController_reconnectAccount = "reconnect",
  AccountsController_deleteAccount = "delete",
  AccountsController_resyncAccount = "resync",
  AccountsController_solveCheckpoint = "solve_checkpoint",
  AccountsController_resendCheckpoint = "resend_checkpoint",
  AccountsController_restartAccount = "restart",
  AccountsController_patchAccount = "update",
  HostedController_requestLink = "request_link",
  ChatsController_listAllChats = "list",
  ChatsController_startNewChat = "start",
  ChatsController_getChat = "get",
  ChatsController_patchChat = "update",
  ChatsController_listChatMessages = "list_messages",
  ChatsController_sendMessageInChat = "send_message",
  ChatsController_listAttendees = "list_attendees",
  ChatsController_syncChatHistory = "sync",
  ChatsController_deleteChat = "delete",
  MessagesController_getMessage = "get",
  MessagesController_forwardMessage = "forward",
  MessagesController_listAllMessages = "list",
  MessagesController_getAttachment = "get_attachment",
  MessagesController_deleteMessage = "delete",
  MessagesController_addReaction = "add_reaction",
  ChatAttendeesController_listAllAttendees = "list",
  ChatAttendeesController_getAttendeeById = "get",
  ChatAttendeesController_getAttendeeProfilePicture = "get_picture",
  ChatAttendeesController_listChatsByAttendee = "list_chats",
  ChatAttendeesController_listMessagesByAttendee = "list_messages",
  UsersController_listAllUserInvitationsSent = "list_invitations_sent",
  UsersController_listAllUserInvitationsReceived = "list_invitations_received",
  UsersController_handleInvitationReceived = "handle_invitation",
  UsersController_getAccountOwnerProfile = "get_own_profile",
  UsersController_editAccountOwnerProfile = "edit_own_profile",
  UsersController_getRelations = "list_relations",
  UsersController_getFollowing = "list_following",
  UsersController_getFollowers = "list_followers",
  UsersController_getProfileByIdentifier = "get_profile",
  UsersController_addUserByIdentifier = "send_invitation",
  UsersController_listAllPosts = "list_posts",
  UsersController_listAllComments = "list_comments",
  UsersController_listAllReactions = "list_reactions",
  UsersController_cancelInvitation = "cancel_invitation",
  PostsController_getPost = "get",
  PostsController_createPost = "create",
  PostsController_listAllComments = "list_comments",
  PostsController_sendComment = "send_comment",
  PostsController_listAllReactions = "list_reactions",
  PostsController_addPostReaction = "add_reaction",
  LinkedinController_getHiringProjects = "list_hiring_projects",
  LinkedinController_getHiringProjectById = "get_hiring_project",
  LinkedinController_performActionOnMember = "perform_action",
  LinkedinController_getCompanyProfile = "get_company",
  LinkedinController_getRawData = "raw",
  LinkedinController_getInmailBalance = "get_inmail_balance",
  LinkedinController_getSearchParametersList = "list_search_parameters",
  LinkedinController_search = "search",
  LinkedinController_getJobPostings = "list_jobs",
  LinkedinController_createJobPosting = "create_job",
  LinkedinController_getJobPosting = "get_job",
  LinkedinController_editJobPosting = "edit_job",
  LinkedinController_publishJobPosting = "publish_job",
  LinkedinController_solveCheckpoint = "solve_job_checkpoint",
  LinkedinController_closeJobPosting = "close_job",
  LinkedinController_getJobApplicants = "list_job_applicants",
  LinkedinController_getJobApplicant = "get_job_applicant",
  LinkedinController_getJobApplicantResume = "get_job_applicant_resume",
  LinkedinController_endorseProfile = "endorse",
  MailsController_listMails = "list",
  MailsController_sendMail = "send",
  MailsController_getMail = "get",
  MailsController_deleteMail = "delete",
  MailsController_updateMail = "update",
  MailsController_getAttachment = "get_attachment",
  MailsController_listContacts = "list_contacts",
  FoldersController_listFolders = "list",
  FoldersController_getFolder = "get",
  DraftsController_createDraft = "create",
  WebhooksController_listWebhooks = "list",
  WebhooksController_createWebhook = "create",
  WebhooksController_deleteWebhook = "delete",
  CalendarsController_listCalendars = "list",
  CalendarsController_getCalendar = "get",
  CalendarsController_listCalendarEventsByCalendar = "list_events",
  CalendarsController_createCalendarEvent = "create_event",
  CalendarsController_getCalendarEvent = "get_event",
  CalendarsController_editCalendarEvent = "edit_event",
  CalendarsController_deleteCalendarEvent = "delete_event",
}

-- Encoding facts the TSV has no column for (NOTES.md): multipart fields sent
-- as JSON text, and operations that honour an Idempotency-Key header.
local EXTRA = {
  MailsController_sendMail = { json_fields = "from,to,cc,bcc,custom_headers,tracking_options", idempotency = true },
  DraftsController_createDraft = { json_fields = "from,to,cc,bcc,custom_headers,tracking_options" },
}

local path = arg[1] or "../shared/api/operations.tsv"
local f = assert(io.open(path, "r"))
local header
local out = {}
local function q(s) return string.format("%q", s) end
for line in f:lines() do
  local cols = {}
  for c in (line .. "\t"):gmatch("([^\t]*)\t") do cols[#cols + 1] = c end
  if not header then
    header = cols
  else
    local r = {}
    for i, h in ipairs(header) do r[h] = cols[i] or "" end
    local name = assert(NAMES[r.operation_id], "no method name for " .. r.operation_id)
    local parts = {
      q(r.operation_id), q(r.group), q(name), q(r.method), q(r.path),
    }
    local opt = {}
    local function add(k, v) if v ~= "" and v ~= "-" and v ~= "no" then opt[#opt + 1] = k .. " = " .. v end end
    add("path_params", r.path_params ~= "" and q(r.path_params) or "")
    add("query", r.query_params ~= "" and q(r.query_params) or "")
    add("body", r.body ~= "none" and q(r.body) or "")
    add("fields", r.body_fields ~= "" and q(r.body_fields) or "")
    add("paginated", r.paginated ~= "no" and q(r.paginated) or "")
    add("max_limit", r.max_limit)
    add("response", r.response ~= "json" and q(r.response) or "")
    local extra = EXTRA[r.operation_id] or {}
    add("json_fields", extra.json_fields and q(extra.json_fields) or "")
    add("idempotency", extra.idempotency and "true" or "")
    opt[#opt + 1] = "title = " .. q(r.title)
    opt[#opt + 1] = "confidence = " .. q(r.confidence)
    out[#out + 1] = "  { " .. table.concat(parts, ", ") .. ",\n    " .. table.concat(opt, ", ") .. " },"
  end
end
f:close()

io.write([[
-- The Unipile v1 operations: one row per operation, the single source the
-- SDK methods, the sandbox routes and the docs are built from.
-- Generated from shared/api/operations.tsv by tools/gen_operations.lua (the
-- method names come from that script); spec/operations_spec.lua checks that
-- this file and the TSV agree.
--
-- Row: { operation_id, group, method_name, http_method, path, ... }
--   path_params / query / fields: comma-separated names, "!" = required
--   body: "json" | "multipart" (absent: no body)
--   paginated: "cursor" | "cursor+paging" | "data+next_cursor" (absent: no)
--   response: "binary" (absent: json)
--   json_fields: multipart fields sent as JSON text (email address lists)
--   idempotency: the operation honours an Idempotency-Key header
return {
]])
io.write(table.concat(out, "\n"), "\n}\n")
