-- The sandbox's users group over curl, on the default data set: the
-- shared parameter checks, invitations sent and received, profiles.
local cjson = require "cjson"
local support = require "support"
local sapi = require "support.sandbox_api"
local api, status, all_pages = sapi.api, sapi.status, sapi.all_pages
local first_of, ids_of = sapi.first_of, sapi.ids_of

describe("sandbox: users", function()
  local code0, body0, pending, stranger, inv_id, sent, inv_a, inv_b, friend, _, prof, skill, endorse, prof2, me,
    me2, own, s, d
  local st, LI, GM, WA, Q
  setup(function()
    local set = sapi.default_set(support.sandbox())
    st, LI, GM, WA, Q = set.st, set.LI, set.GM, set.WA, set.Q
  end)
  teardown(function() support.reset() end)

    it("default data set: one account of each family, one connecting per checkpoint type, one of each other provider", function()
      assert.truthy(LI and GM and WA and #st.accounts == 19 and st.counts.emails == 20
          and st.counts.events == 12, cjson.encode(st.counts))
    end)

    it("missing account_id → 400 missing_parameters naming it", function()
      code0, body0 = api("GET", "/api/v1/users/invite/sent")
      assert.truthy(code0 == 400 and body0.type == "errors/missing_parameters"
          and body0.detail:find("account_id"), cjson.encode(body0))
    end)

    it("limit above max_limit (100) → 400", function()
      assert.truthy(status("GET", "/api/v1/users/invite/received" .. Q .. "&limit=101") == 400)
    end)

    it("limit = max_limit → 200", function()
      assert.truthy(status("GET", "/api/v1/users/invite/received" .. Q .. "&limit=100") == 200)
    end)

    it("an account without the feature → 422 invalid_account", function()
      s, d = api("GET", "/api/v1/emails" .. Q)
      assert.truthy(s == 422 and d.type == "errors/invalid_account")
    end)

    it("unknown account → 404", function()
      assert.truthy(status("GET", "/api/v1/users/relations?account_id=nope") == 404)
    end)

  describe("invitations sent: send, listed, cancel, gone", function()
    it("invite → 200, listed in invitations sent", function()
      pending = {}
      for _, i in ipairs(st.invitations_sent) do pending[i.invited_user_id] = true end
      for _, i in ipairs(st.invitations_received) do pending[i.inviter_id] = true end
      stranger = first_of(st.people, function(p)
        return p.account_id == LI.id and not p.is_self and not p.relation and not pending[p.provider_id]
      end)
      s, d = api("POST", "/api/v1/users/invite", { json = { provider_id = stranger.provider_id, account_id = LI.id,
          message = "hi" } })
      inv_id = d.invitation_id
      sent = all_pages("/api/v1/users/invite/sent" .. Q, 100)
      assert.truthy(s == 200 and d.object == "UserInvitationSent" and ids_of(sent)[inv_id])
    end)

    it("invite again → 422 already_invited_recently", function()
      s, d = api("POST", "/api/v1/users/invite", { json = { provider_id = stranger.provider_id, account_id = LI.id } })
      assert.truthy(s == 422 and d.type == "errors/already_invited_recently")
    end)

    it("invitation message over 300 characters → 400", function()
      assert.truthy(status("POST", "/api/v1/users/invite",
        { json = { provider_id = stranger.provider_id, account_id = LI.id, message = string.rep("x", 301) } }) == 400)
    end)

    it("cancel → gone", function()
      s = status("DELETE", "/api/v1/users/invite/sent/" .. inv_id .. Q)
      assert.truthy(s == 200 and not ids_of(all_pages("/api/v1/users/invite/sent" .. Q, 100))[inv_id]
        and status("DELETE", "/api/v1/users/invite/sent/" .. inv_id .. Q) == 404)
    end)
  end)

  describe("invitations received: handle → gone, the inviter is a relation", function()
    it("handle with a wrong shared_secret → 400", function()
      inv_a, inv_b = st.invitations_received[1], st.invitations_received[2]
      s, d = api("POST", "/api/v1/users/invite/received/" .. inv_b.id,
        { json = { provider = "LINKEDIN", account_id = LI.id, action = "accept", shared_secret = "wrong" } })
      assert.truthy(s == 400 and d.detail:find("shared_secret"))
    end)

    it("handle (accept) → gone from received, inviter in relations", function()
      s, d = api("POST", "/api/v1/users/invite/received/" .. inv_a.id,
        { json = { provider = "LINKEDIN", account_id = LI.id, action = "accept", shared_secret = inv_a.shared_secret } })
      assert.truthy(s == 200
        and not ids_of(all_pages("/api/v1/users/invite/received" .. Q, 100))[inv_a.id]
        and ids_of(all_pages("/api/v1/users/relations" .. Q, 1000), "member_id")[inv_a.inviter_id], cjson.encode(d))
    end)
  end)

  describe("profile, skills, endorsement", function()
    it("profile with skills", function()
      friend = first_of(st.people, function(p) return p.account_id == LI.id and p.relation end)
      _, prof = api("GET", "/api/v1/users/" .. friend.public_identifier .. Q .. "&linkedin_sections=skills")
      skill = prof.skills and prof.skills[1]
      assert.truthy(prof.object == "UserProfile" and prof.provider_id == friend.provider_id
        and prof.network_distance == "FIRST_DEGREE" and skill and skill.endorsement_id, cjson.encode(prof))
    end)

    it("endorse → counted once", function()
      endorse = { json = { account_id = LI.id, profile_id = friend.provider_id, skill_endorsement_id = skill.endorsement_id } }
      s = status("POST", "/api/v1/linkedin/profile/endorse", endorse)
      _, prof2 = api("GET", "/api/v1/users/" .. friend.provider_id .. Q .. "&linkedin_sections=*")
      assert.truthy(s == 200 and prof2.skills[1].endorsed == true
        and prof2.skills[1].endorsement_count == skill.endorsement_count + 1
        and status("POST", "/api/v1/linkedin/profile/endorse", endorse) == 422)
    end)

    it("edit own profile (multipart, bracket names)", function()
      _, me = api("GET", "/api/v1/users/me" .. Q)
      s = status("PATCH", "/api/v1/users/me/edit", { form = { "type=LINKEDIN", "account_id=" .. LI.id, "headline=Edited",
        "location[id]=105015875", "summary=About me" } })
      _, me2 = api("GET", "/api/v1/users/me" .. Q)
      -- the summary is not a field of AccountOwnerProfile: it shows on the owner's UserProfile
      _, own = api("GET", "/api/v1/users/" .. me.public_identifier .. Q)
      assert.truthy(me.object == "AccountOwnerProfile" and s == 200
        and me2.headline == "Edited" and own.summary == "About me" and me2.location == "location:105015875", cjson.encode(me2))
    end)
  end)
end)
