-- The sandbox's social data set shows every variant the OpenAPI defines for
-- the users and posts answers, and every one of them is in its schema:
-- the profile of every seeded person (each network distance, premium and
-- open profiles, pending invitations both ways), followers and followed
-- people, relations, reactions of persons and companies, to posts and to
-- comments, on a LinkedIn and an Instagram account. The answers are
-- validated by tools/schemas.py (python3-jsonschema), as in fidelity_spec.
local cjson = require "cjson"
local operations = require "unipile.operations"
local support = require "support"

local PYTHON = support.PYTHON

-- Validates `answers` ({op, status, body}) with tools/schemas.py; the
-- mismatch lines it printed (none when all are valid).
local function mismatches(answers)
  local lines = {}
  for i, a in ipairs(answers) do
    lines[i] = string.format('{"operation":%s,"method":%s,"path":%s,"status":%d,"body":%s}\n', cjson.encode(a.op.id),
      cjson.encode(a.op.method), cjson.encode(a.op.path), a.status, a.body)
  end
  local path = support.kept_file("social-answers", table.concat(lines))
  local out = {}
  local p = assert(io.popen(PYTHON .. " tools/schemas.py check api/response-schemas.json " .. path .. " 2>&1"))
  for l in p:lines() do
    if not l:find("^schemas:") then out[#out + 1] = l end
  end
  p:close()
  return out
end

describe("sandbox social data: every variant, in its schema", function()
  local answers, decoded, st = {}, {}, nil

  -- Calls `id` with `params`; keeps the raw answer for the check and
  -- returns it decoded.
  local function call(client, id, params)
    local pending = client:start_call(id, params, { raw = true })
    local body, err = pending:result()
    assert(body, tostring(err))
    answers[#answers + 1] = { op = operations.by_id[id], status = pending.response.status, body = body }
    local v = cjson.decode(body)
    decoded[id] = decoded[id] or {}
    table.insert(decoded[id], v)
    return v
  end

  local function accounts_of(kind)
    local out = {}
    for _, a in ipairs(st.raw.accounts) do
      if a.type == kind then out[#out + 1] = a.id end
    end
    return out
  end

  setup(function()
    support.reset { seed = 7, size = { types = { "LINKEDIN", "INSTAGRAM" }, accounts = 2 } }
    st = support.state()
    local client = support.client { retries = 0 }
    for _, kind in ipairs({ "LINKEDIN", "INSTAGRAM" }) do
      local a = accounts_of(kind)[1]
      for _, p in ipairs(st.raw.people) do
        if p.account_id == a then
          call(client, "UsersController_getProfileByIdentifier", { identifier = p.provider_id, account_id = a,
            linkedin_sections = "*" })
        end
      end
      call(client, "UsersController_getFollowers", { account_id = a })
      call(client, "UsersController_getFollowing", { account_id = a })
      call(client, "UsersController_getRelations", { account_id = a })
      call(client, "UsersController_listAllUserInvitationsReceived", { account_id = a })
      call(client, "UsersController_listAllUserInvitationsSent", { account_id = a })
      if kind == "LINKEDIN" then -- the OpenAPI's posts, comments and own profile are LinkedIn's only
        local me = call(client, "UsersController_getAccountOwnerProfile", { account_id = a })
        call(client, "UsersController_listAllReactions", { identifier = me.provider_id, account_id = a })
        for _, post in ipairs(st.raw.posts) do
          if post.account_id == a then
            call(client, "PostsController_listAllReactions", { post_id = post.id, account_id = a })
          end
        end
      end
    end
  end)

  it("every answer is in its schema", function()
    local bad = mismatches(answers)
    assert(#bad == 0, "\n" .. table.concat(bad, "\n"))
  end)

  -- The values a field takes across the answers of `id`: `pick(answer)`
  -- returns a list of values.
  local function seen(id, pick)
    local set = {}
    for _, answer in ipairs(decoded[id] or {}) do
      for _, v in ipairs(pick(answer)) do set[tostring(v)] = true end
    end
    return set
  end

  local function items_field(field, sub)
    return function(answer)
      local out = {}
      for _, it in ipairs(answer.items) do
        local v = it[field]
        if sub and type(v) == "table" then v = v[sub] end
        out[#out + 1] = v == nil and "absent" or v
      end
      return out
    end
  end

  local function field(name) return function(answer) return { answer[name] == nil and "absent" or answer[name] } end end

  local function has_all(set, values)
    for _, v in ipairs(values) do
      assert(set[v], "never seen: " .. v .. " (seen: " .. table.concat((function()
        local l = {}
        for k in pairs(set) do l[#l + 1] = k end
        table.sort(l)
        return l
      end)(), ", ") .. ")")
    end
  end

  -- What each variant looks like and the values it must take.
  local VARIANTS = {
    { "profiles: every network distance, the own profile without one", "UsersController_getProfileByIdentifier",
      field("network_distance"), { "FIRST_DEGREE", "SECOND_DEGREE", "THIRD_DEGREE", "OUT_OF_NETWORK", "absent" } },
    { "profiles: premium or not", "UsersController_getProfileByIdentifier", field("is_premium"),
      { "true", "false" } },
    { "profiles: open or not", "UsersController_getProfileByIdentifier", field("is_open_profile"), { "true", "false" } },
    { "profiles: pending invitations both ways, none (absent)", "UsersController_getProfileByIdentifier",
      function(a) return { a.invitation and a.invitation.type or "absent" } end, { "SENT", "RECEIVED", "absent" } },
    { "profiles: LinkedIn and Instagram", "UsersController_getProfileByIdentifier", field("provider"),
      { "LINKEDIN", "INSTAGRAM" } },
    { "followers: LinkedIn (urn) and Instagram (username)", "UsersController_getFollowers",
      function(a)
        local out = {}
        for _, it in ipairs(a.items) do out[#out + 1] = it.urn and "urn" or it.username and "username" end
        return out
      end, { "urn", "username" } },
    { "following: relations", "UsersController_getFollowing", items_field("object"), { "UserRelation" } },
    { "reactions of persons and companies", "PostsController_listAllReactions", items_field("author", "type"),
      { "INDIVIDUAL", "COMPANY" } },
    { "a user's reactions, to posts (no comment_id) and to comments", "UsersController_listAllReactions",
      function(a)
        local out = {}
        for _, it in ipairs(a.items) do out[#out + 1] = it.comment_id and "comment" or "post" end
        return out
      end, { "post", "comment" } },
  }
  for _, v in ipairs(VARIANTS) do
    it(v[1], function() has_all(seen(v[2], v[3]), v[4]) end)
  end

  it("relation and follow times are milliseconds", function()
    for _, id in ipairs({ "UsersController_getRelations", "UsersController_getFollowing" }) do
      for _, answer in ipairs(decoded[id]) do
        for _, it in ipairs(answer.items) do
          assert.is_number(it.created_at)
          assert.is_true(it.created_at > 1e12, tostring(it.created_at))
        end
      end
    end
  end)

  it("the own profile's email is an address, its name is the owner's", function()
    local me = decoded.UsersController_getAccountOwnerProfile[1]
    assert.matches("^[%w.]+@[%w.]+$", me.email)
    for _, a in ipairs(st.raw.accounts) do
      if a.id == accounts_of("LINKEDIN")[1] then assert.are.equal(a.name, me.first_name .. " " .. me.last_name) end
    end
  end)
end)
