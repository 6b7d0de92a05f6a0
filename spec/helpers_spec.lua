local support = require "support"
local unipile = require "unipile"

describe("helpers", function()
  local sb, client
  before_each(function()
    sb = support.reset()
    client = support.client()
  end)

  describe("accounts:connect", function()
    it("returns the account when no checkpoint is needed", function()
      local account = client.accounts:connect { provider = "LINKEDIN", access_token = "li_at-token" }
      assert.are.equal("Account", account.object)
      assert.are.equal("LINKEDIN", account.type)
      assert.are.same({ provider = "LINKEDIN", access_token = "li_at-token" }, support.requests()[1].json)
    end)

    it("returns a checkpoint, solved with a code", function()
      local cp = client.accounts:connect { provider = "LINKEDIN", username = "me@x.io", password = "pw" }
      assert.are.equal("Checkpoint", cp.object)
      assert.are.equal("2FA", cp.type)
      assert.is_string(cp.account_id)
      local err = support.catch(cp.solve, cp, "000000")
      assert.are.equal(401, err.status)
      assert.are.equal("errors/invalid_checkpoint_solution", err.type)
      local account = cp:solve("123456")
      assert.are.equal("Account", account.object)
      assert.are.equal(cp.account_id, account.id)
      local solve
      for _, r in ipairs(support.requests()) do
        if r.path == "/api/v1/accounts/checkpoint" then solve = r end
      end
      assert.are.same({ provider = "LINKEDIN", account_id = cp.account_id, code = "123456" }, solve.json)
      assert.has_error(function() cp:solve("") end)
    end)

    it("resends the code", function()
      local cp = client.accounts:connect { provider = "LINKEDIN", username = "me@x.io", password = "pw" }
      local res = cp:resend()
      assert.are.equal("CheckpointResend", res.object)
      assert.are.equal(cp.account_id, res.account_id)
      assert.is_true(res.success)
      local req = support.last("POST")
      assert.are.equal("/api/v1/accounts/checkpoint/resend", req.path)
      assert.are.same({ provider = "LINKEDIN", account_id = cp.account_id }, req.json)
    end)

    -- The helpers run inside tasks on every runtime: no pcall around a
    -- request (PUC Lua 5.1 cannot yield across one).
    for _, ctx in ipairs { { "", function(fn) return fn() end }, { " inside unipile.run", unipile.run } } do
      it("polls an in-app validation until it clears" .. ctx[1], function()
        local cp, account = ctx[2](function()
          local cp = client.accounts:connect { provider = "INSTAGRAM", username = "me", password = "pw" }
          assert.are.equal("IN_APP_VALIDATION", cp.type)
          return cp, cp:wait { interval_ms = 20, timeout_ms = 5000 }
        end)
        assert.are.equal(cp.account_id, account.id)
        local polls = 0
        for _, r in ipairs(support.requests()) do
          if r.method == "GET" and r.path == "/api/v1/accounts/" .. cp.account_id then polls = polls + 1 end
        end
        assert.is_true(polls >= 2)
      end)

      it("gets a hosted link and solves a checkpoint" .. ctx[1], function()
        local url, account = ctx[2](function()
          local link = client.hosted:link { name = "user-42" }
          local cp = client.accounts:connect { provider = "LINKEDIN", username = "me@x.io", password = "pw" }
          return link, cp:solve("123456")
        end)
        assert.matches("^https?://", url)
        assert.are.equal("Account", account.object)
      end)
    end

    -- The helper reads the answer by its object name: an answer that is
    -- neither AccountCreated/AccountReconnected nor Checkpoint is no account.
    for _, body in ipairs { '{"object":"AccountSyncStarted","account_id":"acc1"}', '{"account_id":"acc1"}',
      '{"object":"AccountCreated"}' } do
      it("refuses an answer that is not a connection's: " .. body, function()
        sb:fault { method = "POST", path = "^/api/v1/accounts$", body = body }
        local err = support.catch(client.accounts.connect, client.accounts, { provider = "LINKEDIN", access_token = "t" })
        assert.are.equal("decode", err.kind)
        assert.are.equal(1, #support.requests()) -- no GET of an account it does not have
      end)
    end

    it("a reconnection answers AccountReconnected, then the account", function()
      local id = sb:state().accounts[1].id
      local account = client.accounts:connect { account_id = id, provider = "LINKEDIN", access_token = "t" }
      assert.are.equal(id, account.id)
      assert.are.equal("/api/v1/accounts/" .. id, support.requests()[1].path)
    end)

    it("exposes the raw QR code, and times out when nobody scans it", function()
      local cp = client.accounts:connect { provider = "WHATSAPP" }
      assert.are.equal("QRCODE", cp.type)
      assert.is_string(cp.qrcode)
      assert.is_true(#cp.qrcode > 10)
      local t0 = support.now()
      local err = support.catch(cp.wait, cp, { interval_ms = 20, timeout_ms = 300 })
      assert.are.equal("timeout", err.kind)
      assert.is_true(support.now() - t0 < 1.5)
    end)
  end)

  describe("hosted:link", function()
    it("asks for a link with sensible defaults and returns the URL", function()
      local url, answer = client.hosted:link { name = "user-42", notify_url = "http://127.0.0.1:9/notify" }
      assert.matches("^https?://", url)
      assert.are.equal("HostedAuthUrl", answer.object)
      local req = support.last("POST")
      assert.are.equal("/api/v1/hosted/accounts/link", req.path)
      assert.are.equal("create", req.json.type)
      assert.are.equal("*", req.json.providers)
      assert.are.equal(sb.url, req.json.api_url)
      assert.matches("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.%d%d%dZ$", req.json.expiresOn)
      assert.are.equal("user-42", req.json.name)
    end)

    it("refuses an answer that is not a HostedAuthUrl", function()
      sb:fault { method = "POST", path = "^/api/v1/hosted/accounts/link$",
        body = '{"object":"HostedAuthURL","url":"https://example.com/x"}' }
      local err = support.catch(client.hosted.link, client.hosted, {})
      assert.are.equal("decode", err.kind)
    end)

    it("needs the account for a reconnect link", function()
      local err = support.catch(client.hosted.link, client.hosted, { type = "reconnect" })
      assert.are.equal("usage", err.kind)
      assert.are.equal("reconnect_account", err.param)
    end)
  end)
end)
