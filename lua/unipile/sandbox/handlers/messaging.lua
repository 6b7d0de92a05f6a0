--- Handlers of the `chats`, `messages` and `attendees` groups.
-- @module unipile.sandbox.handlers.messaging

local api = require "unipile.sandbox.api"
local state = require "unipile.sandbox.state"
local reply = require "unipile.sandbox.reply"
local limits = require "unipile.sandbox.limits"
local json = require "unipile.sandbox.json"
local prng = require "unipile.sandbox.prng"
local delivery = require "unipile.sandbox.delivery"

local array, null = json.array, json.null
local present = api.present

local H = {}

local function messages_of(pred) return state.select("messages", pred) end

-- Attendees named by an id or provider id (or a comma-separated list).
local function attendee_set(ids)
  local set, found = {}, false
  for id in ids:gmatch("[^,]+") do
    for _, a in ipairs(state.select("attendees", function(a) return a.id == id or a.provider_id == id end)) do
      set[a.id], found = true, true
    end
  end
  return found and set
end

---------------------------------------------------------------------------
-- chats

H.ChatsController_listAllChats = function(ctx)
  return api.page(ctx, "ChatList", state.select("chats"))
end

-- By Unipile id, or by provider id (then `account_id` narrows it down).
H.ChatsController_getChat = function(ctx)
  local id, account_id = ctx.params.chat_id, ctx.args.account_id
  local chat = state.get().chats[id]
  if not chat then
    chat = state.select("chats", function(c)
      return c.provider_id == id and (account_id == nil or c.account_id == account_id)
    end)[1]
  end
  if not chat then return reply.not_found("Chat", id) end
  -- the single chat also carries its newest message (null in an empty chat)
  local newest = messages_of(function(m) return m.chat_id == chat.id end)
  table.sort(newest, state.by_time_desc("timestamp"))
  local out = {}
  for k, v in pairs(chat) do out[k] = v end
  out.lastMessage = newest[1] or null
  return reply.ok(out)
end

H.ChatsController_deleteChat = api.deleter("chats", "chat_id", "ChatDeleted", state.delete_chat)

local ACTIONS = {
  setReadStatus = function(chat, v)
    chat.unread_count = v and 0 or math.max(chat.unread_count, 1)
    if v then
      for _, m in ipairs(messages_of(function(m) return m.chat_id == chat.id end)) do m.seen = 1 end
    end
  end,
  setMuteStatus = function(chat, v) chat.muted_until = v and -1 or null end,
  setArchiveStatus = function(chat, v) chat.archived = v and 1 or 0 end,
  setPinnedStatus = function(chat, v) chat.pinned = v and 1 or 0 end,
}

H.ChatsController_patchChat = function(ctx)
  local chat, err = api.fetch("chats", ctx.params.chat_id)
  if err then return err end
  local action = ACTIONS[ctx.fields.action]
  if not action then
    return reply.invalid("action", "must be one of setReadStatus, setMuteStatus, setArchiveStatus, setPinnedStatus")
  end
  local value = api.boolean(ctx.fields.value)
  if value == nil then return reply.invalid("value", "must be a boolean") end
  action(chat, value)
  return reply.ok({ object = "ChatPatched" })
end

H.ChatsController_listChatMessages = function(ctx)
  local chat, err = api.fetch("chats", ctx.params.chat_id)
  if err then return err end
  return api.page(ctx, "MessageList", messages_of(function(m) return m.chat_id == chat.id end))
end

-- Text and files of a new message; one of them is needed.
local function content(ctx)
  local text, err = api.string_field(ctx, "text")
  if err then return nil, err end
  if not present(text) and #ctx.files == 0 then return nil, reply.missing("text") end
  return text
end

H.ChatsController_sendMessageInChat = function(ctx)
  local chat, err = api.fetch("chats", ctx.params.chat_id)
  if err then return err end
  local account_id = ctx.fields.account_id
  if present(account_id) and account_id ~= chat.account_id then
    return reply.error(403, "account_mismatch", "Chat " .. chat.id .. " does not belong to account " .. tostring(account_id))
  end
  local text, terr = content(ctx)
  if terr then return terr end
  local quote
  if present(ctx.fields.quote_id) then
    local qid = ctx.fields.quote_id
    quote = state.get().messages[qid]
      or messages_of(function(m) return m.provider_id == qid and m.chat_id == chat.id end)[1]
    if not quote then return reply.invalid("quote_id", "no message " .. tostring(qid)) end
  end
  local over = limits.spend(chat.account_id, "messages")
  if over then return over end
  local msg = api.post(chat, { text = text, files = ctx.files, quote = quote })
  return reply.ok({ object = "MessageSent", message_id = msg.id }, 201)
end

-- Reuses the 1to1 chat with a single known attendee, as providers do.
H.ChatsController_startNewChat = function(ctx)
  local S = state.get()
  local account, err = api.account(ctx, "messaging")
  if err then return err end
  local text, terr = content(ctx)
  if terr then return terr end
  local me = state.self_attendee(account.id)
  local members, names = { me }, {}
  for _, pid in ipairs(api.strings(ctx.fields.attendees_ids)) do
    local a = state.find_attendee(pid, account.id)
      or state.add("attendees", state.new_attendee(S.rng, account, pid, pid, false))
    members[#members + 1], names[#names + 1] = a, a.name
  end
  if #members < 2 then return reply.missing("attendees_ids") end
  local chat
  if #members == 2 then
    chat = state.select("chats", function(c)
      local ids = S.members[c.id]
      return c.account_id == account.id and c.type == 0 and ids and ids[2] == members[2].id
    end)[1]
  end
  if not chat then
    chat = state.add("chats", state.new_chat(S.rng, account, members, table.concat(names, ", "), state.now_ms()))
    local ids = {}
    for i, m in ipairs(members) do ids[i] = m.id end
    S.members[chat.id] = ids
  end
  local subject = api.string_field(ctx, "subject")
  local linkedin = type(ctx.fields.linkedin) == "table" and ctx.fields.linkedin or {}
  local inmail = api.boolean(linkedin.inmail) or api.boolean(ctx.fields["linkedin[inmail]"])
  if present(subject) then chat.subject = subject end
  if inmail then chat.content_type = "inmail" end
  local msg = api.post(chat, { text = text, files = ctx.files, subject = present(subject) and subject or nil,
    message_type = inmail and "INMAIL" or nil })
  return reply.ok({ object = "ChatStarted", chat_id = chat.id, message_id = msg.id }, 201)
end

H.ChatsController_listAttendees = function(ctx)
  local chat, err = api.fetch("chats", ctx.params.chat_id)
  if err then return err end
  return reply.ok({ object = "ChatAttendeeList", items = array(state.chat_attendees(chat.id)), cursor = null })
end

-- Polling the sync route alternates SYNC_STARTED → SYNC_DONE.
H.ChatsController_syncChatHistory = function(ctx)
  local chat, err = api.fetch("chats", ctx.params.chat_id)
  if err then return err end
  local sync = state.get().sync
  sync[chat.id] = sync[chat.id] == "SYNC_STARTED" and "SYNC_DONE" or "SYNC_STARTED"
  return reply.ok({ object = "ChatHistorySync", chat_id = chat.id, status = sync[chat.id] })
end

---------------------------------------------------------------------------
-- messages

H.MessagesController_listAllMessages = function(ctx)
  return api.page(ctx, "MessageList", messages_of())
end

H.MessagesController_getMessage = api.getter("messages", "message_id")

H.MessagesController_deleteMessage = api.deleter("messages", "message_id", "MessageDeleted", function(id)
  delivery.message("message_deleted", state.get().messages[id])
  state.delete_message(id)
end)

H.MessagesController_getAttachment = function(ctx)
  local msg, err = api.fetch("messages", ctx.params.message_id)
  if err then return err end
  for _, att in ipairs(msg.attachments) do
    if att.id == ctx.params.attachment_id then
      return reply.bytes(state.blob_data(att.id), att.mimetype)
    end
  end
  return reply.not_found("Attachment", ctx.params.attachment_id)
end

H.MessagesController_forwardMessage = function(ctx)
  local msg, err = api.fetch("messages", ctx.params.message_id)
  if err then return err end
  local target, terr = api.fetch("chats", ctx.fields.chat_id)
  if terr then return terr end
  if target.account_id ~= msg.account_id then
    return reply.error(403, "account_mismatch", "Chat " .. target.id .. " belongs to another account")
  end
  local copy = api.post(target, { text = msg.text ~= null and msg.text or nil, copy = msg.attachments })
  return reply.ok({ object = "MessageForwarded", message_id = copy.id })
end

H.MessagesController_addReaction = function(ctx)
  local msg, err = api.fetch("messages", ctx.params.message_id)
  if err then return err end
  local value, verr = api.string_field(ctx, "reaction")
  if verr then return verr end
  local me = state.self_attendee(msg.account_id)
  local reaction = { value = value, sender_id = me.provider_id, is_sender = true }
  msg.reactions[#msg.reactions + 1] = reaction
  delivery.message("message_reaction", msg, { reaction = value,
    reaction_sender = { attendee_id = me.id, attendee_name = me.name, attendee_provider_id = me.provider_id } })
  return reply.ok({ object = "ReactionAdded" }, 201)
end

---------------------------------------------------------------------------
-- attendees

local function by_name(a) return a.name .. "\1" .. a.id end

H.ChatAttendeesController_listAllAttendees = function(ctx)
  return api.page(ctx, "ChatAttendeeList", state.select("attendees"), { key = by_name, asc = true })
end

H.ChatAttendeesController_getAttendeeById = api.getter("attendees", "id")

-- An attendee's picture, or a group chat's when given a chat id.
H.ChatAttendeesController_getAttendeeProfilePicture = function(ctx)
  local S, id = state.get(), ctx.params.id
  if not (S.attendees[id] or S.chats[id]) then return reply.not_found("Attendee", id) end
  return reply.bytes(prng.picture_bytes(id), "image/jpeg")
end

H.ChatAttendeesController_listChatsByAttendee = function(ctx)
  local set = attendee_set(ctx.params.attendee_id)
  if not set then return reply.not_found("Attendee", ctx.params.attendee_id) end
  local members = state.get().members
  return api.page(ctx, "ChatList", state.select("chats", function(c)
    local m = members[c.id] or {}
    return c.type == 0 and (set[m[1]] or set[m[2]]) ~= nil
  end))
end

H.ChatAttendeesController_listMessagesByAttendee = function(ctx)
  local set = attendee_set(ctx.params.sender_id)
  if not set then return reply.not_found("Attendee", ctx.params.sender_id) end
  return api.page(ctx, "MessageList", messages_of(function(m) return set[m.sender_attendee_id] ~= nil end))
end

return H
