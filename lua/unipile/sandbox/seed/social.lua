--- Seed data and object builders of the users, posts and linkedin groups:
-- people (the profiles an account sees), invitations, companies, posts,
-- comments, reactions, hiring projects, job postings and their applicants.
-- People are internal records; the API shows them through the views below
-- (UserProfile, UserRelation, followers, authors). Seeded for LINKEDIN and
-- INSTAGRAM accounts (state.FAMILIES.social); projects, jobs and applicants
-- for LINKEDIN only.
-- @module unipile.sandbox.seed.social

local state = require "unipile.sandbox.state"
local json = require "unipile.sandbox.json"
local delivery = require "unipile.sandbox.delivery"
local prng = require "unipile.sandbox.prng"

local array, null = json.array, json.null
local iso = state.iso

local M = {}

local HEADLINES = { "Software engineer", "Head of growth", "Product manager", "Founder & CEO", "Data scientist",
  "Talent acquisition", "UX designer", "Sales director", "CTO", "Marketing lead" }
local CITIES = { "Paris, France", "Berlin, Germany", "Lisbon, Portugal", "London, United Kingdom",
  "Madrid, Spain", "Milan, Italy", "Amsterdam, Netherlands", "Warsaw, Poland" }
local SKILLS = { "Lua", "Project management", "Negotiation", "Public speaking", "SQL", "Recruiting",
  "Leadership", "Machine learning", "Copywriting", "Product strategy" }
local COMPANIES = { "Acme Robotics", "Blue Harbor", "Cobalt Labs", "Northwind", "Orbital Foods", "Quartz Health" }
local REACTIONS = { "LIKE", "PRAISE", "APPRECIATION", "EMPATHY", "INTEREST", "ENTERTAINMENT" }
M.REACTIONS = REACTIONS
local RATINGS = { "UNRATED", "GOOD_FIT", "MAYBE", "NOT_A_FIT" }
M.RATINGS = RATINGS
local WORKPLACES = { "ON_SITE", "HYBRID", "REMOTE" }
M.WORKPLACES = WORKPLACES
local EMPLOYMENT = { "FULL_TIME", "PART_TIME", "CONTRACT", "TEMPORARY", "INTERNSHIP" }
M.EMPLOYMENT = EMPLOYMENT

local DAY = 86400 * 1000
local DISTANCES = { "SECOND_DEGREE", "THIRD_DEGREE", "OUT_OF_NETWORK" } -- of people who are not relations

local function slug(s) return (s:lower():gsub("[^%w]+", "-"):gsub("^%-+", ""):gsub("%-+$", "")) end

local function linkedin(account) return account.type == "LINKEDIN" end

---------------------------------------------------------------------------
-- People and their views

--- A person seen from `account`: an internal record (kind "people").
function M.new_person(rng, account, first, last, opts)
  opts = opts or {}
  local pid = opts.provider_id or (linkedin(account) and "ACoAA" .. rng:id(34) or rng:digits(11))
  local skills = array()
  for i = 1, 3 do
    skills[i] = { endorsement_id = rng:digits(10), name = SKILLS[(rng:int(1, #SKILLS) + i) % #SKILLS + 1],
      endorsement_count = rng:int(0, 40), endorsed = false }
  end
  return { id = rng:id(), account_id = account.id, provider_id = pid,
    public_identifier = opts.public_identifier or slug(first .. " " .. last) .. "-" .. rng:id(6):lower(),
    first_name = first, last_name = last, name = first .. " " .. last,
    headline = opts.headline or rng:pick(HEADLINES), location = rng:pick(CITIES),
    member_urn = "urn:li:member:" .. rng:digits(9), relation_at = nil, relation_ms = nil, follower = false,
    following = false, followed_ms = nil, distance = nil, premium = false, open_profile = false,
    is_self = opts.is_self or false, skills = skills, follower_count = rng:int(10, 5000) }
end

local function profile_url(account, p)
  if linkedin(account) then return "https://www.linkedin.com/in/" .. p.public_identifier end
  return "https://www.instagram.com/" .. p.public_identifier
end

local function picture(p) return "https://pictures.example.com/" .. p.provider_id:sub(1, 24) .. ".jpg" end

--- Network distance of `p` from the owner: nil for the owner (the API's
-- enums have no value for oneself), FIRST_DEGREE for a relation, else the
-- seeded distance.
function M.distance(p)
  if p.is_self then return nil end
  return p.relation_at and "FIRST_DEGREE" or p.distance or "SECOND_DEGREE"
end

--- The person of the account owner.
function M.self_person(account_id)
  return state.of_account("people", account_id, function(p) return p.is_self end)[1]
end

--- A person of `account` by provider id, public identifier or internal id.
function M.find_person(account_id, identifier)
  return state.of_account("people", account_id, function(p)
    return p.provider_id == identifier or p.public_identifier == identifier or p.id == identifier
  end)[1]
end

-- "SENT" or "RECEIVED" when an invitation with `p` is pending, else nil.
local function pending_invitation(account, p)
  local S = state.get()
  for _, inv in pairs(S.invitations_sent) do
    if inv.account_id == account.id and inv.invited_user_id == p.provider_id then return "SENT" end
  end
  for _, inv in pairs(S.invitations_received) do
    if inv.account_id == account.id and inv.inviter.inviter_id == p.provider_id then return "RECEIVED" end
  end
end

local function skills_view(p)
  local skills = array()
  for i, s in ipairs(p.skills) do -- the API sends the endorsement id as a number
    skills[i] = { name = s.name, endorsement_count = s.endorsement_count, endorsement_id = tonumber(s.endorsement_id),
      endorsed = s.endorsed, insights = array() }
  end
  return skills
end

local function posts_count(account, p)
  return #state.of_account("posts", account.id, function(x) return x.author.id == p.provider_id end)
end

-- The INSTAGRAM variant of UserProfile.
local function instagram_profile(account, p, pending)
  return { object = "UserProfile", provider = "INSTAGRAM", provider_id = p.provider_id,
    provider_messaging_id = M.messaging_id(p), public_identifier = p.public_identifier, full_name = p.name,
    biography = p.headline, profile_picture_url = picture(p), followers_count = p.follower_count,
    mutual_followers_count = 0, following_count = 0, posts_count = posts_count(account, p),
    profile_type = p.premium and "BUSINESS" or (p.open_profile and "PROFESSIONNAL" or "PERSONNAL"),
    is_verified = p.premium, is_private = M.distance(p) == "OUT_OF_NETWORK", external_links = array(),
    relationship_status = { following = p.following, followed_by = p.follower,
      has_sent_invitation = pending == "SENT", has_received_invitation = pending == "RECEIVED" } }
end

--- UserProfile (GET /users/{identifier}); `sections`: set of linkedin_sections.
-- Keys the API may leave out are left out, not null: `invitation` when
-- none is pending, `network_distance` on one's own profile.
function M.profile_view(account, p, sections)
  local pending = pending_invitation(account, p)
  if account.type == "INSTAGRAM" then return instagram_profile(account, p, pending) end
  local v = { object = "UserProfile", provider = account.type, provider_id = p.provider_id,
    public_identifier = p.public_identifier, member_urn = p.member_urn, first_name = p.first_name,
    last_name = p.last_name, headline = p.headline, location = p.location,
    profile_picture_url = picture(p), public_profile_url = profile_url(account, p),
    is_relationship = p.relation_at ~= nil, network_distance = M.distance(p),
    follower_count = p.follower_count, is_self = p.is_self, is_premium = p.premium, is_open_profile = p.open_profile,
    invitation = pending and { type = pending, status = "PENDING" } or nil, websites = array() }
  if p.is_self then v.summary = (state.account_data(account.id).owner or {}).summary end
  if sections and (sections["*"] or sections.skills) then v.skills = skills_view(p) end
  return v
end

--- Instagram's messaging id of a person (followers, profiles).
function M.messaging_id(p) return "34" .. p.provider_id end

--- UserRelation (GET /users/relations; GET /users/following lists the
-- followed people in the same shape): `created_at` in ms, as the API.
function M.relation_view(account, p, created_ms)
  return { object = "UserRelation", connection_urn = "urn:li:fsd_connection:" .. p.provider_id,
    created_at = created_ms or p.relation_ms, first_name = p.first_name, last_name = p.last_name,
    member_id = p.provider_id, member_urn = p.member_urn, headline = p.headline,
    public_identifier = p.public_identifier, public_profile_url = profile_url(account, p),
    profile_picture_url = picture(p) }
end

--- UserFollower (GET /users/followers): the LINKEDIN or the INSTAGRAM variant.
function M.follower_view(account, p)
  if account.type == "INSTAGRAM" then
    return { object = "UserFollower", id = p.provider_id, messaging_id = M.messaging_id(p),
      username = p.public_identifier, name = p.name, is_private = M.distance(p) == "OUT_OF_NETWORK",
      is_verified = p.premium, profile_picture_url = picture(p) }
  end
  return { object = "UserFollower", id = p.provider_id, urn = p.member_urn, name = p.name, headline = p.headline,
    profile_url = profile_url(account, p), profile_picture_url = picture(p),
    profile_picture_url_large = "https://pictures.example.com/" .. p.provider_id:sub(1, 24) .. "-large.jpg" }
end

--- A followed account (GET /users/following): a UserRelation, `created_at`
-- the time the owner followed it.
function M.following_view(account, p) return M.relation_view(account, p, p.followed_ms) end

--- Post author (seed 001 `author`) of a person or a company.
function M.author(who)
  if who.object == "CompanyProfile" then
    return { public_identifier = who.public_identifier, id = who.id, name = who.name, is_company = true,
      headline = who.tagline }
  end
  return { public_identifier = who.public_identifier, id = who.provider_id, name = who.name, is_company = false,
    headline = who.headline }
end

-- `author_details` of a comment: `network_distance` is required there, null
-- for the owner's own comments.
local function person_details(account, p)
  return { id = p.provider_id, public_identifier = p.public_identifier, name = p.name, headline = p.headline,
    profile_url = profile_url(account, p), network_distance = M.distance(p) or null }
end

-- `author` of a reaction: a person (INDIVIDUAL) or a company (COMPANY).
local function reactor(account, who)
  if who.object == "CompanyProfile" then
    return { id = who.id, public_identifier = who.public_identifier, name = who.name, headline = who.tagline,
      profile_url = who.profile_url, type = "COMPANY" }
  end
  return { id = who.provider_id, public_identifier = who.public_identifier, name = who.name, headline = who.headline,
    profile_url = profile_url(account, who), network_distance = M.distance(who), type = "INDIVIDUAL" }
end

--- `p` becomes a relation of `account` now: it joins GET /users/relations
-- and the `users` webhooks get `new_relation`.
function M.relate(account, p)
  p.relation_ms = state.now_ms()
  p.relation_at = state.iso(p.relation_ms)
  local v = M.profile_view(account, p)
  delivery.emit("users", "new_relation", account.id, { event = "new_relation", account_id = account.id,
    account_type = account.type, user_full_name = p.name, user_provider_id = p.provider_id,
    user_public_identifier = p.public_identifier, user_profile_url = v.public_profile_url,
    user_picture_url = v.profile_picture_url })
end

---------------------------------------------------------------------------
-- Builders

-- The organization types of the OpenAPI (CompanyProfile.organization_type;
-- json null: not stated), picked per company from its id.
local ORGANIZATION_TYPES = { "PRIVATELY_HELD", "PUBLIC_COMPANY", "EDUCATIONAL", "SELF_EMPLOYED", "GOVERNMENT_AGENCY",
  "NON_PROFIT", "SELF_OWNED", "PARTNERSHIP", null }
-- What the viewer may do on a company page: nothing (not an administrator).
local PAGE_PERMISSIONS = { "canAccessAdvancedAnalytics", "canApproveContent", "canApprovePendingMembers",
  "canAssignRoles", "canCreateAds", "canCreateOrganicShare", "canEditCareerPageSettings", "canEditCurators",
  "canEditCustomTabs", "canEditOrganizationDetails", "canEditPageTheme", "canEditPendingAdministrators",
  "canEmployeesInviteToFollow", "canInviteMemberToFollow", "canManageAdBudgets", "canManageAdminRoles",
  "canManageIntegrations", "canManageMessagingAccess", "canManageOrganizationSettings",
  "canManageOrganizationalPageFollow", "canMembersInviteToFollow", "canModerateComments", "canPublishNewsletters",
  "canReadAdminDashboard", "canReadContentSuggestions", "canReadMessages", "canReadOrganizationActivity",
  "canReadOrganizationFollowerAnalytics", "canReadOrganizationLeadsAnalytics", "canSeeEmployeeExperienceAsMember",
  "canSeeOrganizationAdministrativePage", "canUpdateOrganizationProfile", "canViewBillingInformation",
  "canViewTeamPerformance" }

function M.new_company(rng, account)
  local name = rng:pick(COMPANIES) .. " " .. rng:pick({ "SAS", "GmbH", "Ltd", "Inc." })
  local id = rng:digits(8)
  local ps = slug(name)
  local city = rng:pick(CITIES)
  local permissions = {}
  for _, k in ipairs(PAGE_PERMISSIONS) do permissions[k] = false end
  local h = prng.hash("company:" .. id)
  return { object = "CompanyProfile", id = id, account_id = account.id, name = name, public_identifier = ps,
    entity_urn = "urn:li:fsd_company:" .. id,
    profile_url = "https://www.linkedin.com/company/" .. ps, tagline = state.sentence(rng, 3, 6),
    description = state.sentence(rng, 8, 20), website = "https://" .. ps .. ".example.com",
    industry = array({ rng:pick({ "Software Development", "Food Production", "Hospitals", "Robotics" }) }),
    employee_count_range = { from = 51, to = 200 }, followers_count = rng:int(100, 90000),
    locations = array({ { is_headquarter = true, city = city:match("^[^,]+"), country = city:match("[^,]+$"):sub(2),
      street = array({ (h % 90 + 1) .. " Main Street" }) } }),
    hashtags = array({ { title = "#" .. slug(name):gsub("%-", "") } }),
    messaging = { is_enabled = h % 2 == 0 }, claimed = true, viewer_permissions = permissions,
    organization_type = ORGANIZATION_TYPES[h % #ORGANIZATION_TYPES + 1] or null,
    logo = "https://pictures.example.com/company-" .. id .. ".png" }
end

--- CompanyProfile (GET /linkedin/company/{identifier}).
function M.company_view(c)
  local v = {}
  for k, x in pairs(c) do v[k] = x end
  v.account_id = nil
  return v
end

--- Post (seed 001, LINKEDIN variant) written by `who` (a person or a company).
function M.new_post(rng, account, who, text, ms)
  local id = rng:digits(19)
  return { object = "Post", provider = account.type, id = id, account_id = account.id,
    social_id = "urn:li:activity:" .. id, share_url = "https://www.linkedin.com/feed/update/urn:li:activity:" .. id,
    text = text, date = iso(ms):sub(1, 10), parsed_datetime = iso(ms),
    reaction_counter = 0, comment_counter = 0, repost_counter = rng:int(0, 5), impressions_counter = rng:int(0, 4000),
    author = M.author(who),
    permissions = { can_react = true, can_share = true, can_post_comments = true },
    is_repost = false, attachments = array() }
end

function M.new_comment(rng, account, post, p, text, ms, parent)
  return { object = "Comment", id = rng:digits(19), post_id = post.id, account_id = account.id,
    post_urn = post.social_id, date = iso(ms), author = p.name, author_details = person_details(account, p), text = text,
    reaction_counter = 0, reply_counter = 0, parent_comment_id = parent and parent.id or null }
end

--- PostReaction of `who` (a person or a company) to `post`, or to
-- `comment` of it (`comment_id` absent for the post itself).
function M.new_reaction(rng, account, post, who, value, ms, comment)
  return { object = "PostReaction", id = rng:id(), post_id = post.id, comment_id = comment and comment.id or nil,
    account_id = account.id, value = value, date = iso(ms), author = reactor(account, who) }
end

function M.new_invitation_sent(rng, account, p, text, ms)
  return { object = "InvitationSent", id = rng:digits(19), account_id = account.id, date = iso(ms),
    parsed_datetime = iso(ms), invitation_text = text or null, invited_user = p.name,
    invited_user_id = p.provider_id, invited_user_public_id = p.public_identifier,
    invited_user_description = p.headline }
end

--- InvitationReceived from `p`: the invited user is the owner; `specifics`
-- (the shared secret that handling it needs) is LinkedIn's only.
function M.new_invitation_received(rng, account, p, text, ms)
  local me = M.self_person(account.id)
  local secret = rng:id(16)
  return { object = "InvitationReceived", id = rng:digits(19), account_id = account.id, date = iso(ms),
    parsed_datetime = iso(ms), invitation_text = text or null,
    invited_user = me.name, invited_user_id = me.provider_id, invited_user_public_id = me.public_identifier,
    invited_user_description = me.headline,
    inviter = { inviter_id = p.provider_id, inviter_name = p.name, inviter_description = p.headline,
      inviter_public_identifier = p.public_identifier },
    specifics = linkedin(account) and { provider = account.type, shared_secret = secret } or nil }
end

-- Hiring projects, job postings and applicants are internal records (ISO
-- times, the budget, the checkpoint, ...); the API shows them through the
-- views below, with its times as epoch milliseconds.

--- Epoch milliseconds of an ISO 8601 UTC time of state.iso.
local function ms_of(t)
  local y, mo, d, h, mi, sec, ms = t:match("^(%d+)-(%d+)-(%d+)T(%d+):(%d+):(%d+)%.(%d+)Z$")
  y, mo = tonumber(y), tonumber(mo)
  if mo <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local doy = math.floor((153 * (mo + (mo > 2 and -3 or 9)) + 2) / 5) + tonumber(d) - 1
  local days = era * 146097 + yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy - 719468
  return ((days * 24 + tonumber(h)) * 60 + tonumber(mi)) * 60000 + tonumber(sec) * 1000 + tonumber(ms)
end
M.ms_of = ms_of

function M.new_project(rng, account, name, ms)
  local owner = M.self_person(account.id)
  return { object = "RecruiterHiringProject", id = rng:digits(10), account_id = account.id, name = name,
    owner_id = owner and owner.provider_id or account.id, owner_name = owner and owner.name or account.name,
    created_at = iso(ms), job_id = null, candidates = array() }
end

--- Job posting; `fields` = the create body (job_title/company as text or {text|id}).
-- `state`: the API's (draft, review, active, closed).
function M.new_job(rng, account, project, fields, ms)
  local function text(v) return type(v) == "table" and (v.text or v.id) or v end
  return { object = "LinkedinJobPosting", id = rng:digits(10), account_id = account.id, project_id = project.id,
    state = "draft", title = text(fields.job_title), company = text(fields.company),
    company_id = type(fields.company) == "table" and fields.company.id or nil,
    workplace = fields.workplace, location = fields.location, employment_status = fields.employment_status or "FULL_TIME",
    description = fields.description, auto_rejection_template = fields.auto_rejection_template or null,
    screening_questions = fields.screening_questions or array(), recruiter = fields.recruiter or null,
    apply_method = fields.apply_method or { type = "LINKEDIN" }, created_at = iso(ms), published_at = null,
    closed_at = null, applicants_count = 0, checkpoint = null, budget = null }
end

-- A job's screening questions as the API has them: {question, favorableAnswers}.
local function questions(list)
  local out = array()
  for _, q in ipairs(type(list) == "table" and list or {}) do
    if type(q) == "table" then
      out[#out + 1] = { question = tostring(q.question or q.text or ""),
        favorableAnswers = array(type(q.favorableAnswers) == "table" and q.favorableAnswers or {}) }
    end
  end
  return out
end

--- LinkedinJobPosting (GET /linkedin/jobs[/{job_id}]).
function M.job_view(j)
  local v = { object = "LinkedinJobPosting", id = j.id, title = tostring(j.title or ""), company = tostring(j.company or ""),
    company_id = j.company_id, location = tostring(j.location or ""), state = j.state, workplace = j.workplace,
    description = j.description, screening_questions = questions(j.screening_questions),
    applicants_counter = j.applicants_count, cost = type(j.budget) == "table" and tonumber(j.budget.amount) or 0,
    created_at = ms_of(j.created_at), apply_url = "https://www.linkedin.com/jobs/view/" .. j.id }
  if j.published_at ~= null then v.published_at = ms_of(j.published_at) end
  if j.closed_at ~= null then v.closed_at = ms_of(j.closed_at) end
  return v
end

--- RecruiterHiringProject (GET /linkedin/projects[/{id}]), with its job posting.
function M.project_view(p)
  local v = { object = "RecruiterHiringProject", id = p.id, name = p.name, owner_id = p.owner_id,
    owner_name = p.owner_name, created_at = p.created_at }
  local job = p.job_id ~= null and state.get().jobs[p.job_id]
  if job then v.job_posting = M.job_view(job) end
  return v
end

function M.new_applicant(rng, account, job, ms)
  local first, last = rng:pick(state.FIRST), rng:pick(state.LAST)
  local public_identifier = slug(first .. " " .. last) .. "-" .. rng:id(6):lower()
  local a = { object = "LinkedinJobApplicant", id = rng:id(), job_id = job.id, account_id = account.id,
    applied_at = iso(ms), rating = rng:pick(RATINGS), first_name = first, last_name = last, name = first .. " " .. last,
    headline = rng:pick(HEADLINES), location = rng:pick(CITIES),
    email = (first .. "." .. last):lower() .. "@example.org", phone = "+33" .. rng:digits(9),
    public_identifier = public_identifier, profile_url = "https://www.linkedin.com/in/" .. public_identifier,
    years_of_experience = rng:int(0, 25),
    resume = { file_name = slug(first .. " " .. last) .. "-resume.pdf", mimetype = "application/pdf",
      file_size = rng:int(3000, 20000) } }
  a.profile_id = "ACoAA" .. rng:id(34)
  return a
end

--- LinkedinJobApplicant (GET /linkedin/jobs/{id}/applicants, .../applicants/{applicant_id}).
-- Work experience and education follow from the years of experience; the
-- screening answers, from the job's questions.
function M.applicant_view(a)
  local year = tonumber(a.applied_at:sub(1, 4))
  local since = year - a.years_of_experience
  local job = state.get().jobs[a.job_id]
  local answers = array()
  for i, q in ipairs(questions(job and job.screening_questions)) do
    local fav = q.favorableAnswers[1]
    answers[i] = { question = q.question, answers = array({ fav or "Yes" }), success = fav ~= nil or i % 2 == 1 }
  end
  return { object = "LinkedinJobApplicant", id = a.id, applied_at = ms_of(a.applied_at), rating = a.rating,
    name = a.name, headline = a.headline, location = a.location, profile_id = a.profile_id,
    public_identifier = a.public_identifier, public_profile_url = a.profile_url,
    email_address = a.email, phone_number = a.phone,
    contact_info = { email_addresses = array({ a.email }), phone_numbers = array({ a.phone }) },
    work_experience = array({
      { company = COMPANIES[a.years_of_experience % #COMPANIES + 1], position = a.headline, location = a.location,
        start = { month = 1 + a.years_of_experience % 12, year = since + (a.years_of_experience > 3 and 3 or 0) },
        ["end"] = null },
      { company = null, position = null, start = null, ["end"] = null } }),
    education = array({ { school = "University of " .. a.location:match("^[^,]+"), degree = "Master",
      field_of_study = "Computer science", start = { month = 9, year = since - 5 }, ["end"] = { month = 6, year = since } } }),
    screening_questions = answers }
end

---------------------------------------------------------------------------
-- Seeding

local function split(name) return name:match("^(%S+)%s+(.*)$") end

-- The reactions' variants the crowd does not show: a company's reaction to
-- the post, the owner's reaction to its first comment. From a generator of
-- their own, so the rest of the data set keeps its ids.
local function react_variants(account, post, comment, me, company, ms)
  local rng = state.rng_for("social-variants", post.id)
  if company then
    state.add("reactions", M.new_reaction(rng, account, post, company, rng:pick(REACTIONS), ms + 90000))
    post.reaction_counter = post.reaction_counter + 1
  end
  if comment then
    state.add("reactions", M.new_reaction(rng, account, post, me, rng:pick(REACTIONS), ms + 5400000, comment))
    comment.reaction_counter = comment.reaction_counter + 1
  end
end

--- People, invitations, companies, posts with comments and reactions, and
-- (LinkedIn) projects, jobs and applicants of one account. Fresh accounts
-- (created through the API) get their own person only.
function M.seed_account(account, content)
  if not state.FAMILIES.social[account.type] then return end
  local add, size = state.add, state.get().size
  local rng = state.rng_for("social", account.id)
  local me_att = state.self_attendee(account.id)
  local first, last = split(account.name)
  local me = add("people", M.new_person(rng, account, first, last, { provider_id = me_att.provider_id,
    is_self = true, public_identifier = account.connection_params.im.publicIdentifier }))
  local data = state.account_data(account.id)
  data.inmail = { premium = linkedin(account) and 15 or null, recruiter = null, sales_navigator = null }
  if not content then return end
  local base = (state.EPOCH - 30 * 86400) * 1000
  local people, n, inv = {}, size.people, size.invitations
  for i = 1, n do
    local p = add("people", M.new_person(rng, account, rng:pick(state.FIRST), rng:pick(state.LAST)))
    people[i] = p
    if i <= math.floor(n / 2) then
      p.relation_ms = base - i * 7 * DAY - rng:int(0, DAY)
      p.relation_at = state.iso(p.relation_ms)
    end
    p.follower, p.following = i % 3 ~= 0, i % 2 == 0
    if p.following then p.followed_ms = base - i * 5 * DAY end
    -- every variant of the profiles: distances beyond the relations, premium
    -- and open profiles
    p.distance = DISTANCES[i % #DISTANCES + 1]
    p.premium, p.open_profile = i % 4 == 1, i % 3 == 2
  end
  local k = math.floor(n / 2)
  for i = 1, inv do -- received from the next people, then sent to the ones after
    local p = people[k + i]
    if p then add("invitations_received", M.new_invitation_received(rng, account, p, state.sentence(rng), base + i * DAY)) end
    p = people[k + inv + i]
    if p then add("invitations_sent", M.new_invitation_sent(rng, account, p, state.sentence(rng), base + i * DAY + 3600000)) end
  end
  local companies = {}
  for i = 1, size.companies do companies[i] = add("companies", M.new_company(rng, account)) end
  local authors = { me, companies[1], people[1], people[2] }
  local crowd = { me }
  for i = 1, math.min(n, 6) do crowd[#crowd + 1] = people[i] end
  for ai = 1, 4 do
    local who = authors[ai]
    for pi = 1, who and size.posts or 0 do
      local ms = base + (ai * 5 + pi) * DAY / 3
      local post = add("posts", M.new_post(rng, account, who, state.sentence(rng, 6, 24), ms))
      local first_comment
      for ci = 1, size.comments do
        local c = add("comments", M.new_comment(rng, account, post, crowd[(ai + pi + ci) % #crowd + 1],
          state.sentence(rng), ms + ci * 3600000, ci == 2 and first_comment or nil))
        post.comment_counter = post.comment_counter + 1
        if ci == 2 then first_comment.reply_counter = 1 end -- the second comment answers the first
        first_comment = first_comment or c
      end
      for ri = 1, math.min(size.reactions, #crowd) do
        add("reactions", M.new_reaction(rng, account, post, crowd[(ai * 2 + pi + ri) % #crowd + 1],
          rng:pick(REACTIONS), ms + ri * 60000))
        post.reaction_counter = post.reaction_counter + 1
      end
      react_variants(account, post, first_comment, me, companies[1], ms)
    end
  end
  if not linkedin(account) then return end
  for i = 1, size.projects do
    add("projects", M.new_project(rng, account, rng:pick(HEADLINES) .. " hiring", base - i * DAY))
  end
  -- Jobs cycle through the states a posting goes through: listed (active),
  -- draft, draft waiting on a publishing checkpoint, closed.
  for i = 1, size.jobs do
    local project = add("projects", M.new_project(rng, account, "Job posting " .. i, base + i * DAY))
    local title = rng:pick(HEADLINES)
    local job = add("jobs", M.new_job(rng, account, project, { job_title = title, company = rng:pick(COMPANIES),
      workplace = rng:pick(WORKPLACES), location = rng:pick(CITIES), employment_status = rng:pick(EMPLOYMENT),
      description = "<p>" .. state.sentence(rng, 10, 30) .. "</p>" }, base + i * DAY))
    project.job_id, project.name = job.id, title
    local phase = (i - 1) % 4
    if phase == 2 then
      job.checkpoint, job.budget = { type = "OTP" }, { amount = 10, currency = "EUR" }
    elseif phase ~= 1 then
      job.state, job.published_at = "active", state.iso(base + i * DAY + 3600000)
      if phase == 3 then job.state, job.closed_at = "closed", state.iso(base + (i + 10) * DAY) end
      for j = 1, size.applicants do
        add("applicants", M.new_applicant(rng, account, job, base + (i + j) * DAY))
        job.applicants_count = job.applicants_count + 1
      end
    end
  end
end

local function row(fields)
  return function(o)
    local r = {}
    for k, path in pairs(fields) do
      local v = o
      for part in path:gmatch("[^.]+") do v = type(v) == "table" and v[part] or nil end
      r[type(k) == "number" and path or k] = v
    end
    return r
  end
end
M.row = row

--- GET /_sandbox/state lists (see state.summary).
M.summary = {
  people = { order = "name", asc = true, row = function(p)
    return { id = p.id, account_id = p.account_id, provider_id = p.provider_id, public_identifier = p.public_identifier,
      name = p.name, is_self = p.is_self, relation = p.relation_at ~= nil, follower = p.follower,
      following = p.following }
  end },
  invitations_sent = { order = "date", row = row({ "id", "account_id", "invited_user_id" }) },
  invitations_received = { order = "date", row = row({ "id", "account_id", inviter_id = "inviter.inviter_id",
    shared_secret = "specifics.shared_secret" }) },
  companies = { order = "name", asc = true, row = row({ "id", "account_id", "public_identifier", "name" }) },
  posts = { order = "parsed_datetime", row = row({ "id", "account_id", "social_id", author_id = "author.id" }) },
  comments = { order = "date", row = row({ "id", "account_id", "post_id", author_id = "author_details.id" }) },
  reactions = { order = "date", row = row({ "id", "account_id", "post_id", "comment_id", author_id = "author.id" }) },
  projects = { order = "created_at", row = row({ "id", "account_id", "name", "job_id" }) },
  jobs = { order = "created_at", row = row({ "id", "account_id", "state", "project_id", checkpoint = "checkpoint.type" }) },
  applicants = { order = "applied_at", row = row({ "id", "account_id", "job_id", "resume" }) },
}

return M
