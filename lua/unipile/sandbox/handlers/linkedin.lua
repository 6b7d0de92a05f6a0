--- Handlers of the `linkedin` group: Recruiter projects, member actions,
-- companies, raw requests, InMail balance, search, job postings (draft →
-- published → closed, with an optional publishing checkpoint), applicants,
-- endorsements. Data: seed/social.lua.
-- @module unipile.sandbox.handlers.linkedin

local api = require "unipile.sandbox.api"
local state = require "unipile.sandbox.state"
local reply = require "unipile.sandbox.reply"
local json = require "unipile.sandbox.json"
local prng = require "unipile.sandbox.prng"
local social = require "unipile.sandbox.seed.social"

local array, null, present = json.array, json.null, api.present

local H = {}

-- `account_id` names a LinkedIn account; then `f(ctx, account)`.
local function route(f)
  return function(ctx)
    local account, err = api.account(ctx, "linkedin")
    if err then return err end
    return f(ctx, account)
  end
end

local function by(field) return function(o) return tostring(o[field]) .. "\1" .. o.id end end

---------------------------------------------------------------------------
-- hiring projects, member actions, companies, raw data, InMail

H.LinkedinController_getHiringProjects = route(function(ctx, account)
  local sort_by, e1 = api.enum(ctx.args.sort_by, "sort_by", { "created_at", "name" }, "created_at")
  local order, e2 = api.enum(ctx.args.sort_order, "sort_order", { "asc", "desc" }, sort_by == "name" and "asc" or "desc")
  if e1 or e2 then return e1 or e2 end
  return api.page(ctx, "RecruiterHiringProjectList", state.of_account("projects", account.id),
    { key = by(sort_by), asc = order == "asc", view = social.project_view })
end)

H.LinkedinController_getHiringProjectById = route(function(ctx, account)
  local p, err = api.fetch("projects", ctx.params.id, account)
  return err or reply.ok(social.project_view(p))
end)

H.LinkedinController_performActionOnMember = route(function(ctx, account)
  local f = ctx.fields
  local kind = tostring(f.api) .. "/" .. tostring(f.action)
  local user = ctx.params.user_id
  if kind == "recruiter/addCandidateToPipeline" then
    if not present(f.hiring_project_id) then return reply.missing("hiring_project_id") end
    local project, err = api.fetch("projects", f.hiring_project_id, account)
    if err then return err end
    local stage, serr = api.enum(f.stage, "stage", { "UNCONTACTED", "CONTACTED", "REPLIED" }, "UNCONTACTED")
    if serr then return serr end
    for _, c in ipairs(project.candidates) do
      if c.id == user then return reply.error(422, "action_already_performed", user .. " is already in this pipeline.") end
    end
    project.candidates[#project.candidates + 1] = { id = user, stage = stage, added_at = state.iso(state.now_ms()) }
  elseif kind == "sales_navigator/saveLead" then
    local data = state.account_data(account.id)
    data.leads = data.leads or {}
    data.leads[#data.leads + 1] = { id = user, list_id = f.list_id }
  else
    return reply.invalid("action", "api/action must be recruiter/addCandidateToPipeline or sales_navigator/saveLead")
  end
  return reply.ok({ object = "LinkedinPerformActionOnUser", success = true })
end)

H.LinkedinController_getCompanyProfile = route(function(ctx, account)
  local id = ctx.params.identifier
  local c = state.of_account("companies", account.id, function(x) return x.id == id or x.public_identifier == id end)[1]
  return c and reply.ok(social.company_view(c)) or reply.not_found("Company", id)
end)

-- Echoes the request with a deterministic body (no network).
H.LinkedinController_getRawData = route(function(ctx, account)
  local f = ctx.fields
  if type(f.request_url) ~= "string" or not f.request_url:match("^https?://[^/]+") then
    return reply.invalid("request_url", "must be an http(s) URL")
  end
  local method, merr = api.enum(f.method, "method", { "GET", "POST", "PUT", "PATCH", "DELETE" }, "GET")
  if merr then return merr end
  local me = social.self_person(account.id)
  return reply.ok({ object = "LinkedinRawData", status = 200,
    request = { url = f.request_url, method = method, query_params = f.query_params or null },
    data = { entityUrn = "urn:li:fsd_profile:" .. me.provider_id, path = f.request_url:match("^https?://[^/]+(.*)$"),
      checksum = prng.hash(method .. " " .. f.request_url) } })
end)

H.LinkedinController_getInmailBalance = route(function(_, account)
  local b = state.account_data(account.id).inmail or {}
  return reply.ok({ object = "LinkedinInmailBalance", premium = b.premium or null, recruiter = b.recruiter or null,
    sales_navigator = b.sales_navigator or null })
end)

---------------------------------------------------------------------------
-- search

local FIXED = {
  LOCATION = { { "105015875", "France" }, { "103644278", "United States" }, { "101282230", "Germany" },
    { "106057199", "Brazil" }, { "105646813", "Spain" }, { "90009659", "Greater Paris Metropolitan Region" },
    { "90009496", "London Area, United Kingdom" }, { "102890719", "Netherlands" } },
  INDUSTRY = { { "4", "Software Development" }, { "96", "IT Services and IT Consulting" }, { "43", "Financial Services" },
    { "14", "Hospitals and Health Care" }, { "27", "Retail" }, { "6", "Technology, Information and Internet" } },
  SCHOOL = { { "12345", "Sorbonne University" }, { "15101", "Technical University of Munich" },
    { "4444", "University of Lisbon" } },
  SKILL = { { "1", "Lua" }, { "2", "Project management" }, { "3", "Negotiation" }, { "4", "SQL" }, { "5", "Recruiting" } },
  JOB_FUNCTION = { { "8", "Engineering" }, { "15", "Marketing" }, { "25", "Sales" }, { "12", "Human Resources" } },
  JOB_TITLE = { { "9", "Software Engineer" }, { "25", "Product Manager" }, { "39", "Recruiter" }, { "1", "CEO" } },
  EMPLOYMENT_TYPE = { { "FULL_TIME", "Full-time" }, { "PART_TIME", "Part-time" }, { "CONTRACT", "Contract" },
    { "INTERNSHIP", "Internship" } },
  SERVICE = { { "50413", "Software Development" }, { "2461", "Consulting" }, { "220", "Design" } },
}

-- Search parameters: the fixed lists above, the account's companies and
-- people (COMPANY, PEOPLE/CONNECTIONS); keywords filter titles.
H.LinkedinController_getSearchParametersList = route(function(ctx, account)
  local types = { "LOCATION", "PEOPLE", "CONNECTIONS", "COMPANY", "SCHOOL", "INDUSTRY", "SERVICE", "JOB_FUNCTION",
    "JOB_TITLE", "EMPLOYMENT_TYPE", "SKILL" }
  local t, err = api.enum(ctx.args.type, "type", types)
  if err then return err end
  local items = {}
  local function add(id, title) items[#items + 1] = { id = id, title = title, account_id = account.id } end
  if t == "COMPANY" then
    for _, c in ipairs(state.of_account("companies", account.id)) do add(c.id, c.name) end
  elseif t == "PEOPLE" or t == "CONNECTIONS" then
    for _, p in ipairs(state.of_account("people", account.id, function(p)
      return not p.is_self and (t == "PEOPLE" or p.relation_at ~= nil)
    end)) do add(p.provider_id, p.name) end
  else
    for _, x in ipairs(FIXED[t] or {}) do add(x[1], x[2]) end
  end
  local kw = type(ctx.args.keywords) == "string" and ctx.args.keywords:lower()
  local kept = {}
  for _, it in ipairs(items) do
    if not kw or it.title:lower():find(kw, 1, true) then kept[#kept + 1] = it end
  end
  local r = api.page(ctx, "LinkedinSearchParametersList", kept, { key = function(o) return o.title .. "\1" .. o.id end,
    asc = true, view = function(o) return { object = "LinkedinSearchParameter", id = o.id, title = o.title } end })
  if r.json and r.json.items then r.json.paging = { page_count = #r.json.items } end
  return r
end)

-- What each category searches: collection, sort key, ascending, text of an
-- object (for keywords), view.
-- The network distance of a search result (the search has its own names
-- for the degrees of the profile views).
local DISTANCE = { SELF = "SELF", FIRST_DEGREE = "DISTANCE_1", SECOND_DEGREE = "DISTANCE_2",
  THIRD_DEGREE = "DISTANCE_3", OUT_OF_NETWORK = "OUT_OF_NETWORK" }

local function search_distance(d) return DISTANCE[d] or (tostring(d):match("^DISTANCE_%d$") and d) or "OUT_OF_NETWORK" end

-- The company of a job search result: one of the account's companies by name.
local function job_company(j)
  local c = state.of_account("companies", j.account_id, function(x) return x.name == j.company end)[1]
  if not c then return { id = null, name = j.company, profile_picture_url = null, profile_url = null,
    public_identifier = null } end
  return { id = c.id, name = c.name, profile_picture_url = c.logo, profile_url = c.profile_url,
    public_identifier = c.public_identifier }
end

local CATEGORY = {
  people = { "people", by("name"), true, function(p) return p.name .. " " .. p.headline end,
    function(p, account)
      local v = social.profile_view(account, p)
      return { object = "SearchResult", type = "PEOPLE", id = p.provider_id, public_identifier = p.public_identifier,
        public_profile_url = v.public_profile_url, profile_url = v.public_profile_url, name = p.name,
        first_name = p.first_name, last_name = p.last_name, member_urn = p.member_urn, industry = null,
        headline = p.headline, location = p.location, network_distance = search_distance(v.network_distance),
        profile_picture_url = v.profile_picture_url, profile_picture_url_large = v.profile_picture_url }
    end },
  companies = { "companies", by("name"), true, function(c) return c.name .. " " .. c.tagline end,
    function(c) return { object = "SearchResult", type = "COMPANY", id = c.id, name = c.name, profile_url = c.profile_url,
      industry = c.industry[1], location = c.locations[1].city, followers_count = c.followers_count, summary = c.tagline,
      headcount = c.employee_count_range.from .. "-" .. c.employee_count_range.to } end },
  posts = { "posts", by("parsed_datetime"), false, function(p) return p.text end,
    function(p)
      local v = api.without(p, { account_id = true })
      v.object, v.type = "SearchResult", "POST"
      return v
    end },
  jobs = { "jobs", by("created_at"), false, function(j) return j.title .. " " .. j.description end,
    function(j) return { object = "SearchResult", type = "JOB", id = j.id, reference_id = j.id, title = j.title,
      company = job_company(j), location = j.location, posted_at = social.ms_of(j.published_at),
      url = "https://www.linkedin.com/jobs/view/" .. j.id, benefits = array(), easy_apply = true,
      promoted = type(j.budget) == "table", reposted = false } end },
}

-- The cursor carries the search (send it alone, in the query or the body).
H.LinkedinController_search = route(function(ctx, account)
  local raw = ctx.args.cursor
  if raw == nil and present(ctx.fields.cursor) then raw = ctx.fields.cursor end
  local extra = api.cursor_extra(ctx.op, raw)
  if extra == false then return reply.invalid("cursor", "not a cursor returned by this search") end
  local params = extra and json.decode(extra)
  if not params then
    local f = ctx.fields
    local a, e1 = api.enum(f.api, "api", { "classic", "sales_navigator", "recruiter" }, "classic")
    local c, e2 = api.enum(f.category, "category", { "people", "companies", "posts", "jobs" }, "people")
    if e1 or e2 then return e1 or e2 end
    if f.keywords ~= nil and type(f.keywords) ~= "string" then return reply.invalid("keywords", "must be a string") end
    params = { api = a, category = c, keywords = f.keywords or "" }
  end
  local cat = CATEGORY[params.category]
  local kw = params.keywords:lower()
  local found = state.of_account(cat[1], account.id, function(o)
    local listed = o.state == nil or o.state == "active" -- jobs: only listed ones
    return not o.is_self and listed and (kw == "" or cat[4](o):lower():find(kw, 1, true) ~= nil)
  end)
  local id = prng.hash(json.encode(params) .. account.id)
  return api.page(ctx, "LinkedinSearch", found, { key = cat[2], asc = cat[3], cursor = raw,
    cursor_extra = json.encode(params), view = function(o) return cat[5](o, account) end,
    extra = { config = { params = params },
      metadata = { search_history_id = tostring(id), search_context_id = tostring(id * 7 % 1000003) } } })
end)

---------------------------------------------------------------------------
-- job postings

-- `category` of the jobs list → the state (the API's) of the jobs it lists.
local JOB_STATES = { draft = "draft", open = "active", published = "active", listed = "active", active = "active",
  closed = "closed" }

H.LinkedinController_getJobPostings = route(function(ctx, account)
  local want
  if ctx.args.category ~= nil then
    want = JOB_STATES[tostring(ctx.args.category):lower()]
    if not want then return reply.invalid("category", "must be one of DRAFT, OPEN, CLOSED") end
  end
  return api.page(ctx, "LinkedinJobPostingList",
    state.of_account("jobs", account.id, function(j) return not want or j.state == want end),
    { time = "created_at", view = social.job_view })
end)

local function job_fields(ctx)
  local f = ctx.fields
  if f.workplace ~= nil then
    local _, err = api.enum(f.workplace, "workplace", social.WORKPLACES)
    if err then return err end
  end
  if f.employment_status ~= nil then
    local _, err = api.enum(f.employment_status, "employment_status", social.EMPLOYMENT)
    if err then return err end
  end
end

-- What publishing a new draft may cost (a fixed estimate).
local PUBLISH_OPTIONS = {
  free = { eligible = true, estimated_monthly_applicants = 25, ineligible_reason = null },
  promoted = { currency = "EUR", estimated_monthly_applicants = 120,
    daily_budget = { min = 5, max = 100, recommended = 15 }, monthly_budget = { min = 150, max = 3000, recommended = 450 } },
}

H.LinkedinController_createJobPosting = route(function(ctx, account)
  local err = job_fields(ctx)
  if err then return err end
  local S = state.get()
  local now = state.now_ms()
  local title = type(ctx.fields.job_title) == "table" and (ctx.fields.job_title.text or ctx.fields.job_title.id)
    or ctx.fields.job_title
  local project = state.add("projects", social.new_project(S.rng, account, tostring(title), now))
  local job = state.add("jobs", social.new_job(S.rng, account, project, ctx.fields, now))
  project.job_id = job.id
  -- 200: the status the OpenAPI documents for this create
  return reply.ok({ object = "LinkedinJobPostingDraftCreated", job_id = job.id, publish_options = PUBLISH_OPTIONS })
end)

local function job_of(ctx, account, param)
  return api.fetch("jobs", ctx.params[param], account)
end

H.LinkedinController_getJobPosting = route(function(ctx, account)
  local _, serr = api.enum(tostring(ctx.args.service):upper(), "service", { "CLASSIC", "RECRUITER" })
  if serr then return serr end
  local job, err = job_of(ctx, account, "job_id")
  return err or reply.ok(social.job_view(job))
end)

local EDITABLE = { "company", "workplace", "location", "employment_status", "description",
  "auto_rejection_template", "screening_questions", "recruiter", "apply_method" }

H.LinkedinController_editJobPosting = route(function(ctx, account)
  local job, err = job_of(ctx, account, "job_id")
  if err then return err end
  if job.state == "closed" then return reply.error(422, "unprocessable_entity", "Job posting " .. job.id .. " is closed.") end
  local ferr = job_fields(ctx)
  if ferr then return ferr end
  local f = ctx.fields
  local function text(v) return type(v) == "table" and (v.text or v.id) or v end
  if present(f.job_title) then job.title = text(f.job_title) end
  for _, k in ipairs(EDITABLE) do
    if f[k] ~= nil then job[k] = k == "company" and text(f[k]) or f[k] end
  end
  job.updated_at = state.iso(state.now_ms())
  return reply.ok({ object = "LinkedinJobPostingEdited", job_id = job.id })
end)

local function publish(job)
  job.state, job.checkpoint, job.published_at = "active", null, state.iso(state.now_ms())
  return reply.ok({ object = "LinkedinJobPostingPublished", job_id = job.id, job_state = job.state })
end

-- FREE publishes at once; PROMOTED (needs a budget) first asks for a code
-- (a publishing checkpoint, solved by .../checkpoint).
H.LinkedinController_publishJobPosting = route(function(ctx, account)
  local job, err = job_of(ctx, account, "draft_id")
  if err then return err end
  local mode, merr = api.enum(ctx.fields.mode, "mode", { "FREE", "PROMOTED" })
  if merr then return merr end
  if job.state ~= "draft" then
    return reply.error(422, "action_already_performed", "Job posting " .. job.id .. " is " .. job.state .. ".")
  end
  if mode == "PROMOTED" then
    if type(ctx.fields.budget) ~= "table" then return reply.missing("budget") end
    job.budget, job.checkpoint = ctx.fields.budget, { type = "OTP" }
    -- 200 (not 202): the OpenAPI documents 200 for both answers of a publish
    return reply.ok({ object = "LinkedinJobPostingPublishCheckpoint", job_id = job.id, type = job.checkpoint.type })
  end
  return publish(job)
end)

H.LinkedinController_solveCheckpoint = route(function(ctx, account)
  local job, err = job_of(ctx, account, "draft_id")
  if err then return err end
  if job.checkpoint == null then return reply.invalid("draft_id", "job posting " .. job.id .. " has no pending checkpoint") end
  if tostring(ctx.fields.input) == "000000" then
    return reply.error(401, "invalid_checkpoint_solution", "The checkpoint resolution did not pass successfully. Please retry.")
  end
  return publish(job)
end)

H.LinkedinController_closeJobPosting = route(function(ctx, account)
  local job, err = job_of(ctx, account, "id")
  if err then return err end
  if job.state ~= "active" then
    return reply.error(422, "unprocessable_entity", "Job posting " .. job.id .. " is " .. job.state .. ", not published.")
  end
  job.state, job.closed_at = "closed", state.iso(state.now_ms())
  return reply.ok({ object = "LinkedinJobPostingClosed", job_id = job.id })
end)

local YEARS = { "max_years_in_company", "min_years_in_company", "max_years_in_position", "min_years_in_position",
  "max_years_of_experience", "min_years_of_experience" }

H.LinkedinController_getJobApplicants = route(function(ctx, account)
  local job, err = job_of(ctx, account, "id")
  if err then return err end
  local years = {}
  for _, name in ipairs(YEARS) do
    local n, nerr = api.int_arg(ctx, name, 0, 100)
    if n == false then return nerr end
    years[name] = n
  end
  local ratings
  if ctx.args.ratings ~= nil then
    ratings = {}
    for _, s in ipairs(api.strings(ctx.args.ratings)) do
      for r in s:gmatch("[^,%s]+") do
        local v, rerr = api.enum(r:upper(), "ratings", social.RATINGS)
        if rerr then return rerr end
        ratings[v] = true
      end
    end
  end
  local kw = type(ctx.args.keywords) == "string" and ctx.args.keywords:lower()
  local lo, hi = years.min_years_of_experience or 0, years.max_years_of_experience or 100
  return api.page(ctx, "LinkedinJobApplicantList", state.select("applicants", function(a)
    return a.job_id == job.id and (not ratings or ratings[a.rating]) and a.years_of_experience >= lo
      and a.years_of_experience <= hi and (not kw or (a.name .. " " .. a.headline):lower():find(kw, 1, true) ~= nil)
  end), { time = "applied_at", view = social.applicant_view, extra = { job_posting_id = job.id } })
end)

H.LinkedinController_getJobApplicant = route(function(ctx, account)
  local a, err = api.fetch("applicants", ctx.params.applicant_id, account)
  return err or reply.ok(social.applicant_view(a))
end)

H.LinkedinController_getJobApplicantResume = route(function(ctx, account)
  local a, err = api.fetch("applicants", ctx.params.applicant_id, account)
  if err then return err end
  local r = a.resume
  return reply.bytes(prng.seeded_bytes("resume:" .. a.id, r.file_size, r.mimetype), r.mimetype, 200, r.file_name)
end)

H.LinkedinController_endorseProfile = route(function(ctx, account)
  local p = social.find_person(account.id, ctx.fields.profile_id)
  if not p or p.is_self then return reply.not_found("User", ctx.fields.profile_id) end
  for _, s in ipairs(p.skills) do
    if s.endorsement_id == tostring(ctx.fields.skill_endorsement_id) then
      if s.endorsed then return reply.error(422, "action_already_performed", "Skill " .. s.name .. " is already endorsed.") end
      s.endorsed, s.endorsement_count = true, s.endorsement_count + 1
      return reply.ok({ object = "LinkedinProfileEndorse", endorsed = true })
    end
  end
  return reply.not_found("Skill endorsement", ctx.fields.skill_endorsement_id)
end)

return H
