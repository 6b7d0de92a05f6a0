--- Handlers of the `users` and `posts` groups: profiles, relations,
-- followers, invitations, posts, comments and reactions of a social account
-- (LINKEDIN, INSTAGRAM). Data and views: seed/social.lua.
-- @module unipile.sandbox.handlers.users

local api = require "unipile.sandbox.api"
local state = require "unipile.sandbox.state"
local reply = require "unipile.sandbox.reply"
local limits = require "unipile.sandbox.limits"
local json = require "unipile.sandbox.json"
local social = require "unipile.sandbox.seed.social"

local array, null, present = json.array, json.null, api.present

local H = {}

local function by_name(p) return p.name .. "\1" .. p.id end

-- The person `identifier` names for `account` ("me", provider id, public
-- identifier). A chat attendee of the account becomes a person on first use.
local function person(account, identifier)
  if identifier == "me" then return social.self_person(account.id) end
  local p = social.find_person(account.id, identifier)
  if p then return p end
  local att = state.find_attendee(identifier, account.id)
  if att and att.is_self == 0 then
    local first, last = att.name:match("^(%S+)%s*(.*)$")
    return state.add("people", social.new_person(state.rng_for("social", att.id), account, first or att.name,
      last or "", { provider_id = att.provider_id }))
  end
  return nil, reply.not_found("User", identifier)
end

-- `account_id` names a social account; then `f(ctx, account)`.
local function social_route(f)
  return function(ctx)
    local account, err = api.account(ctx, "social")
    if err then return err end
    return f(ctx, account)
  end
end

---------------------------------------------------------------------------
-- invitations

H.UsersController_listAllUserInvitationsSent = social_route(function(ctx, account)
  return api.page(ctx, "InvitationList", state.of_account("invitations_sent", account.id), { time = "date" })
end)

H.UsersController_listAllUserInvitationsReceived = social_route(function(ctx, account)
  return api.page(ctx, "InvitationList", state.of_account("invitations_received", account.id), { time = "date" })
end)

H.UsersController_handleInvitationReceived = social_route(function(ctx, account)
  local inv, err = api.fetch("invitations_received", ctx.params.invitation_id, account)
  if err then return err end
  if tostring(ctx.fields.provider):upper() ~= account.type then
    return reply.invalid("provider", "account " .. account.id .. " is a " .. account.type .. " account")
  end
  local action, aerr = api.enum(ctx.fields.action, "action", { "accept", "decline" })
  if aerr then return aerr end
  if account.type == "LINKEDIN" then
    if not present(ctx.fields.shared_secret) then return reply.missing("shared_secret") end
    if ctx.fields.shared_secret ~= inv.specifics.shared_secret then
      return reply.invalid("shared_secret", "does not match the invitation's specifics.shared_secret")
    end
  end
  state.get().invitations_received[inv.id] = nil
  if action == "accept" then
    local p = person(account, inv.inviter.inviter_id)
    if p then social.relate(account, p) end
  end
  return reply.ok({ object = "UserInvitationHandled", status = action == "accept" and "ACCEPTED" or "DECLINED" })
end)

H.UsersController_addUserByIdentifier = social_route(function(ctx, account)
  local p = person(account, ctx.fields.provider_id)
  if not p or p.is_self then
    return reply.error(422, "invalid_recipient", "No member " .. tostring(ctx.fields.provider_id) .. " can be invited.")
  end
  local message = ctx.fields.message
  if message ~= nil and message ~= null and (type(message) ~= "string" or #message > 300) then
    return reply.error(400, "too_many_characters", "The invitation message is limited to 300 characters.")
  end
  if p.relation_at then return reply.error(422, "invalid_recipient", p.name .. " is already a relation.") end
  for _, kind in ipairs({ "invitations_sent", "invitations_received" }) do
    for _, inv in ipairs(state.of_account(kind, account.id)) do
      if inv.invited_user_id == p.provider_id or (inv.inviter and inv.inviter.inviter_id == p.provider_id) then
        return reply.error(422, "already_invited_recently", "An invitation with " .. p.name .. " is pending.")
      end
    end
  end
  local over = limits.spend(account.id, "invitations")
  if over then return over end
  local inv = state.add("invitations_sent", social.new_invitation_sent(state.get().rng, account, p,
    present(message) and message or nil, state.now_ms()))
  return reply.ok({ object = "UserInvitationSent", invitation_id = inv.id }) -- 200: the only success the OpenAPI lists
end)

H.UsersController_cancelInvitation = social_route(function(ctx, account)
  local inv, err = api.fetch("invitations_sent", ctx.params.invitation_id, account)
  if err then return err end
  state.get().invitations_sent[inv.id] = nil
  return reply.ok({ object = "InvitationCanceled" })
end)

---------------------------------------------------------------------------
-- profiles

-- A Recruiter or Sales Navigator seat of the owner when the account has
-- its InMail credits (seed/social.lua `inmail`), else null.
local function seat(account, credits, kind)
  if credits == nil or credits == null then return null end
  return { owner_seat_id = kind .. "-seat-" .. account.id, contract_id = kind .. "-contract-" .. account.id }
end

-- The owner's login address (the account keeps a display name, not an email).
local function owner_email(me)
  return (me.first_name .. "." .. me.last_name):lower():gsub("[^%w.]+", "") .. "@example.com"
end

-- AccountOwnerProfile, LINKEDIN variant. What the edit sets beyond these
-- fields (summary, experience...) shows on the owner's UserProfile.
local function owner_profile(account)
  local me = social.self_person(account.id)
  local data = state.account_data(account.id)
  local owner, inmail = data.owner or {}, data.inmail or {}
  local v = social.profile_view(account, me)
  local orgs = array()
  for _, c in ipairs(state.of_account("companies", account.id)) do
    orgs[#orgs + 1] = { id = c.id, mailbox_id = "urn:li:fsd_company:" .. c.id, name = c.name }
  end
  table.sort(orgs, function(x, y) return x.name .. x.id < y.name .. y.id end)
  return { object = "AccountOwnerProfile", provider = account.type, provider_id = me.provider_id,
    entity_urn = "urn:li:fsd_profile:" .. me.provider_id, object_urn = me.member_urn,
    first_name = me.first_name, last_name = me.last_name, headline = me.headline, occupation = me.headline,
    location = me.location, public_identifier = me.public_identifier, public_profile_url = v.public_profile_url,
    profile_picture_url = owner.picture_url or v.profile_picture_url, email = owner_email(me),
    premium = inmail.premium ~= nil and inmail.premium ~= null, open_profile = me.open_profile,
    organizations = orgs, recruiter = seat(account, inmail.recruiter, "recruiter"),
    sales_navigator = seat(account, inmail.sales_navigator, "sales-navigator") }
end

H.UsersController_getAccountOwnerProfile = social_route(function(_, account)
  return reply.ok(owner_profile(account))
end)

-- Multipart; nested fields in brackets (`location[id]`, `experience[role]`).
H.UsersController_editAccountOwnerProfile = social_route(function(ctx, account)
  local f = ctx.fields
  if tostring(f.type):upper() ~= account.type then
    return reply.invalid("type", "must be " .. account.type .. " for account " .. account.id)
  end
  local me = social.self_person(account.id)
  local data = state.account_data(account.id)
  local owner = data.owner or { experience = array(), education = array() }
  data.owner = owner
  if present(f.headline) then me.headline = tostring(f.headline) end
  if present(f.summary) then owner.summary = tostring(f.summary) end
  if type(f.location) == "table" and present(f.location.id) then me.location = "location:" .. tostring(f.location.id) end
  for _, k in ipairs({ "experience", "education" }) do
    if type(f[k]) == "table" then owner[k][#owner[k] + 1] = f[k] end
  end
  for _, name in ipairs(api.strings(f.skills)) do
    me.skills[#me.skills + 1] = { endorsement_id = state.get().rng:digits(10), name = name, endorsement_count = 0,
      endorsed = false }
  end
  for _, file in ipairs(ctx.files) do
    if file.name == "picture" or file.name == "cover_picture" then
      owner[file.name .. "_url"] = "https://pictures.example.com/" .. state.get().rng:id() .. "-" .. (file.filename or file.name)
    end
  end
  return reply.ok({ object = "ProfileEdited" })
end)

H.UsersController_getProfileByIdentifier = social_route(function(ctx, account)
  local p, err = person(account, ctx.params.identifier)
  if err then return err end
  if ctx.args.notify ~= nil and api.boolean(ctx.args.notify) == nil then return reply.invalid("notify", "must be a boolean") end
  if ctx.args.linkedin_api ~= nil then
    local _, aerr = api.enum(ctx.args.linkedin_api, "linkedin_api", { "classic", "recruiter", "sales_navigator" })
    if aerr then return aerr end
  end
  local sections = {}
  for _, s in ipairs(api.strings(ctx.args.linkedin_sections)) do
    for name in s:gmatch("[^,%s]+") do sections[name] = true end
  end
  return reply.ok(social.profile_view(account, p, sections))
end)

H.UsersController_getRelations = social_route(function(ctx, account)
  local filter = type(ctx.args.filter) == "string" and ctx.args.filter:lower() or nil
  local people = state.of_account("people", account.id, function(p)
    return p.relation_at ~= nil and (not filter or p.name:lower():find(filter, 1, true) ~= nil)
  end)
  return api.page(ctx, "UserRelationsList", people, { time = "relation_at",
    view = function(p) return social.relation_view(account, p) end })
end)

-- Followers / followed of the owner; another user's lists are empty here.
-- The API lists the followed people as relations (UserRelationsList).
local function follows(flag, object, view)
  return social_route(function(ctx, account)
    local people = {}
    local uid, target, err = ctx.args.user_id, social.self_person(account.id), nil
    if present(uid) then target, err = person(account, uid) end
    if err then return err end
    if target.is_self then
      people = state.of_account("people", account.id, function(p) return p[flag] and not p.is_self end)
    end
    return api.page(ctx, object, people, { key = by_name, asc = true,
      view = function(p) return view(account, p) end })
  end)
end

H.UsersController_getFollowers = follows("follower", "UserFollowersList", social.follower_view)
H.UsersController_getFollowing = follows("following", "UserRelationsList", social.following_view)

---------------------------------------------------------------------------
-- a user's posts, comments, reactions

-- Provider id of a person, or id of a company (`is_company`, or when no
-- person matches).
local function author_id(ctx, account, identifier)
  if not api.boolean(ctx.args.is_company) then
    local p = social.find_person(account.id, identifier) or (identifier == "me" and social.self_person(account.id))
    if p then return p.provider_id end
  end
  local c = state.of_account("companies", account.id, function(c)
    return c.id == identifier or c.public_identifier == identifier
  end)[1]
  if c then return c.id end
  local _, err = person(account, identifier)
  return nil, err or reply.not_found("User", identifier)
end

local function authored(kind, object, time, field, sub)
  return social_route(function(ctx, account)
    local id, err = author_id(ctx, account, ctx.params.identifier)
    if err then return err end
    return api.page(ctx, object, state.of_account(kind, account.id, function(o) return o[field][sub] == id end),
      { time = time })
  end)
end

H.UsersController_listAllPosts = authored("posts", "PostList", "parsed_datetime", "author", "id")
H.UsersController_listAllComments = authored("comments", "CommentList", "date", "author_details", "id")
H.UsersController_listAllReactions = authored("reactions", "PostReactionList", "date", "author", "id")

---------------------------------------------------------------------------
-- posts

-- A post of the account by id or social_id.
local function post_of(account, id)
  local p = state.get().posts[id]
  if p and p.account_id == account.id then return p end
  p = state.of_account("posts", account.id, function(x) return x.social_id == id end)[1]
  if p then return p end
  return nil, reply.not_found("Post", id)
end

H.PostsController_getPost = social_route(function(ctx, account)
  local post, err = post_of(account, ctx.params.post_id)
  return err or reply.ok(post)
end)

H.PostsController_createPost = social_route(function(ctx, account)
  local text, terr = api.string_field(ctx, "text")
  if terr then return terr end
  local S = state.get()
  local who = social.self_person(account.id)
  if present(ctx.fields.as_organization) then
    who = state.of_account("companies", account.id, function(c) return c.id == ctx.fields.as_organization end)[1]
    if not who then return reply.invalid("as_organization", "not a company of account " .. account.id) end
  end
  local post = state.add("posts", social.new_post(S.rng, account, who, text, state.now_ms()))
  for _, part in ipairs(ctx.files) do
    local mimetype = api.mimetype_of(part)
    local att = state.new_attachment(S.rng:id(), state.kind_of(mimetype), mimetype, part.filename or "attachment", #part.data)
    state.add_blob(att, post.id, part.data)
    post.attachments[#post.attachments + 1] = att
  end
  if present(ctx.fields.external_link) then post.external_link = ctx.fields.external_link end
  return reply.ok({ object = "PostCreated", post_id = post.id }, 201)
end)

-- Top-level comments, or the replies to `comment_id`.
H.PostsController_listAllComments = social_route(function(ctx, account)
  local post, err = post_of(account, ctx.params.post_id)
  if err then return err end
  local _, serr = api.enum(ctx.args.sort_by, "sort_by", { "MOST_RECENT", "MOST_RELEVANT" }, "MOST_RECENT")
  if serr then return serr end
  local parent = ctx.args.comment_id
  if present(parent) and not state.get().comments[parent] then return reply.not_found("Comment", parent) end
  local comments = state.select("comments", function(c)
    return c.post_id == post.id and (present(parent) and c.parent_comment_id == parent or
      not present(parent) and c.parent_comment_id == null)
  end)
  return api.page(ctx, "CommentList", comments, { time = "date" })
end)

H.PostsController_sendComment = social_route(function(ctx, account)
  local post, err = post_of(account, ctx.params.post_id)
  if err then return err end
  local text, terr = api.string_field(ctx, "text")
  if terr then return terr end
  local parent
  if present(ctx.fields.comment_id) then
    parent = state.get().comments[ctx.fields.comment_id]
    if not parent or parent.post_id ~= post.id then return reply.not_found("Comment", ctx.fields.comment_id) end
    parent.reply_counter = parent.reply_counter + 1
  end
  local c = state.add("comments", social.new_comment(state.get().rng, account, post, social.self_person(account.id),
    text, state.now_ms(), parent))
  post.comment_counter = post.comment_counter + 1
  return reply.ok({ object = "CommentSent", comment_id = c.id }, 201)
end)

-- `account_id` is optional here (oas): the post's own account otherwise.
H.PostsController_listAllReactions = function(ctx)
  local account, err = api.account(ctx, "social", true)
  if err then return err end
  local post = state.get().posts[ctx.params.post_id]
    or state.select("posts", function(x) return x.social_id == ctx.params.post_id end)[1]
  if not post or (account and post.account_id ~= account.id) then return reply.not_found("Post", ctx.params.post_id) end
  local cid = ctx.args.comment_id
  return api.page(ctx, "PostReactionList", state.select("reactions", function(r)
    return r.post_id == post.id and (present(cid) and r.comment_id == cid or not present(cid) and r.comment_id == nil)
  end), { time = "date" })
end

-- Unipile reaction types → the LinkedIn values the reactions carry.
local REACTION = { like = "LIKE", celebrate = "PRAISE", support = "APPRECIATION", love = "EMPATHY",
  insightful = "INTEREST", funny = "ENTERTAINMENT" }

-- One reaction per author and target: a new type replaces the old one.
H.PostsController_addPostReaction = social_route(function(ctx, account)
  local post, err = post_of(account, ctx.fields.post_id)
  if err then return err end
  local kind = tostring(ctx.fields.reaction_type or "like"):lower()
  if not REACTION[kind] then
    return reply.invalid("reaction_type", "must be one of like, celebrate, support, love, insightful, funny")
  end
  local comment
  if present(ctx.fields.comment_id) then
    comment = state.get().comments[ctx.fields.comment_id]
    if not comment or comment.post_id ~= post.id then return reply.not_found("Comment", ctx.fields.comment_id) end
  end
  local me = social.self_person(account.id)
  local target = comment and comment.id or nil
  local old = state.select("reactions", function(r)
    return r.post_id == post.id and r.comment_id == target and r.author.id == me.provider_id
  end)[1]
  if old then
    old.value = REACTION[kind]
  else
    state.add("reactions", social.new_reaction(state.get().rng, account, post, me, REACTION[kind], state.now_ms(), comment))
    local counted = comment or post
    counted.reaction_counter = counted.reaction_counter + 1
  end
  return reply.ok({ object = "ReactionAdded" }, 201)
end)

return H
