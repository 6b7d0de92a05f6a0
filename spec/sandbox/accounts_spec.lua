-- The sandbox's account connection over curl, on the default data set:
-- the checkpoint scripts of each provider, hosted auth.
local support = require "support"
local sapi = require "support.sandbox_api"
local api, status = sapi.api, sapi.status

describe("sandbox: account connection", function()
  local new_li, SOLVE, solve, sa, da, sb2, db, sc, dc, _, acc2, ig, s_r, d_r, statuses, HL, later, link, shown,
    done, notes, note, s, d
  local sb
  setup(function()
    sb = support.sandbox()
    sapi.default_set(sb)
  end)
  teardown(function() support.reset() end)

  solve = function(code) return api("POST", SOLVE, { json = { provider = "LINKEDIN", account_id = new_li, code = code } }) end

  describe("account connection: the checkpoint script", function()
    it("LINKEDIN username+password → 2FA; 000000 → 401; TRY_ANOTHER_WAY → SMS", function()
      s, d = api("POST", "/api/v1/accounts", { json = { provider = "LINKEDIN", username = "u@example.com", password = "pw" } })
      new_li = d.account_id
      SOLVE = "/api/v1/accounts/checkpoint"
      sa, da = solve("000000")
      sb2, db = solve("TRY_ANOTHER_WAY")
      assert.truthy(s == 201 and d.object == "Checkpoint"
        and d.checkpoint.type == "2FA" and d.checkpoint.source == "APP" and sa == 401
        and da.type == "errors/invalid_checkpoint_solution" and sb2 == 201 and db.checkpoint.source == "SMS")
    end)

    it("right code → AccountCreated, status OK", function()
      sc, dc = solve("123456")
      _, acc2 = api("GET", "/api/v1/accounts/" .. new_li)
      assert.truthy(sc == 201 and dc.object == "AccountCreated" and acc2.sources[1].status == "OK"
        and select(1, solve("123456")) == 400)
    end)

    it("INSTAGRAM → IN_APP_VALIDATION; resend", function()
      s, d = api("POST", "/api/v1/accounts", { json = { provider = "INSTAGRAM", username = "u", password = "pw" } })
      ig = d.account_id
      s_r, d_r = api("POST", SOLVE .. "/resend", { json = { provider = "INSTAGRAM", account_id = ig } })
      assert.truthy(s == 201 and d.checkpoint.type == "IN_APP_VALIDATION" and s_r == 200
        and d_r.object == "CheckpointResend" and d_r.account_id == ig and d_r.success == true)
    end)

    it("IN_APP_VALIDATION clears on the third poll", function()
      statuses = {}
      for i = 1, 3 do
        local _, a = api("GET", "/api/v1/accounts/" .. ig)
        statuses[i] = a.sources[1].status
      end
      assert.truthy(statuses[1] == "CONNECTING" and statuses[2] == "CONNECTING"
        and statuses[3] == "OK", table.concat(statuses, " "))
    end)

    it("LINKEDIN without credentials → 400 missing", function()
      assert.truthy(status("POST", "/api/v1/accounts", { json = { provider = "LINKEDIN" } }) == 400)
    end)
  end)

  describe("hosted auth", function()
    it("hosted: bad type → 400", function()
      HL = "/api/v1/hosted/accounts/link"
      later = os.date("!%Y-%m-%dT%H:%M:%S.000Z", os.time() + 3600)
      assert.truthy(status("POST", HL, { json = { type = "x", expiresOn = later, api_url = sb.url } }) == 400)
    end)

    it("hosted: past expiresOn → 400", function()
      assert.truthy(status("POST", HL, { json = { type = "create", expiresOn = "2020-01-01T00:00:00.000Z",
        api_url = sb.url } }) == 400)
    end)

    it("hosted link → HostedAuthUrl on the sandbox", function()
      s, d = api("POST", HL, { json = { type = "create", expiresOn = later, api_url = sb.url, providers = { "TELEGRAM" },
        name = "user-7", notify_url = sb:hook_url("notify") } })
      link = d.url
      assert.truthy(s == 200 and d.object == "HostedAuthUrl" and link:find(sb.url, 1, true) == 1)
    end)

    it("hosted completion: account created, notify_url told", function()
      shown = sb:call("GET", link:sub(#sb.url + 1))
      done = sb:call("POST", link:sub(#sb.url + 1), {})
      notes = sb:hooks("notify", { wait = 1 })
      note = notes[1] and notes[1].json
      assert.truthy(shown.type == "create" and done.status == "CREATION_SUCCESS" and note
        and note.status == "CREATION_SUCCESS" and note.account_id == done.account_id and note.name == "user-7"
        and status("GET", "/api/v1/accounts/" .. done.account_id) == 200
            and not pcall(sb.call, sb, "POST", link:sub(#sb.url + 1), {}))
    end)
  end)
end)
