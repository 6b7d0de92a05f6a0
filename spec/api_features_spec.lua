-- Behaviour of particular operations: email address lists, the
-- Idempotency-Key, voice and video messages, LinkedIn search paging, and
-- webhooks delivered by the sandbox and read with unipile.webhook.
local cjson = require "cjson"
local unipile = require "unipile"
local support = require "support"

describe("API features", function()
  local sb, client, state, mail_account, linkedin_account
  before_each(function()
    sb = support.reset()
    state = support.state()
    client = support.client()
    for a in client.accounts:each() do
      local ok = a.sources and a.sources[1] and a.sources[1].status == "OK"
      if ok and a.type == "MAIL" then mail_account = a.id end
      if ok and a.type == "LINKEDIN" then linkedin_account = a.id end
    end
    sb:clear_requests()
  end)

  local function parts_by_name(req)
    local by = {}
    for _, p in ipairs(req.parts) do by[p.name] = by[p.name] or {} table.insert(by[p.name], p) end
    return by
  end

  it("sends email address lists as JSON text fields, and the email lands in Sent", function()
    local to = { { display_name = "Ana", identifier = "ana@example.org" } }
    local res = client.emails:send {
      account_id = mail_account, to = to, cc = { { identifier = "cc@example.org" } },
      subject = "Report", body = "<p>hi</p>",
      attachments = { { filename = "r.csv", content = "a,b\n1,2\n", content_type = "text/csv" } },
    }
    assert.is_table(res)
    local by = parts_by_name(support.last())
    assert.are.same(to, cjson.decode(by.to[1].data))
    assert.are.same({ { identifier = "cc@example.org" } }, cjson.decode(by.cc[1].data))
    assert.are.equal("Report", by.subject[1].data)
    assert.are.equal("r.csv", by.attachments[1].filename)
    local found = false
    for email in client.emails:each { account_id = mail_account, folder = "Sent" } do
      if email.subject == "Report" then found = true end
    end
    assert.is_true(found)
  end)

  it("retries sendMail with an Idempotency-Key, and the server sends it once", function()
    sb:fault { method = "POST", path = "^/api/v1/emails$", kind = "close" }
    local res = client.emails:send({ account_id = mail_account, to = { { identifier = "x@example.org" } },
      subject = "Once", body = "b" }, { idempotency_key = "send-once-1" })
    assert.is_table(res)
    local posts = 0
    for _, r in ipairs(support.requests()) do
      if r.method == "POST" and r.path == "/api/v1/emails" then
        posts = posts + 1
        assert.are.equal("send-once-1", r.headers["idempotency-key"])
      end
    end
    assert.are.equal(2, posts)
    local sent = 0
    for email in client.emails:each { account_id = mail_account, folder = "Sent" } do
      if email.subject == "Once" then sent = sent + 1 end
    end
    assert.are.equal(1, sent)
  end)

  it("refuses an Idempotency-Key where the API does not take one", function()
    local err = support.catch(client.chats.send_message, client.chats, { chat_id = state.chats[1], text = "x" },
      { idempotency_key = "k" })
    assert.are.equal("usage", err.kind)
    assert.are.equal("idempotency_key", err.param)
    assert.are.equal(0, #support.requests())
  end)

  it("sends voice and video messages as files", function()
    client.chats:send_message { chat_id = state.chats[1],
      voice_message = { filename = "v.ogg", content = "OggS-voice", content_type = "audio/ogg" } }
    local by = parts_by_name(support.last())
    assert.are.equal("v.ogg", by.voice_message[1].filename)
    assert.are.equal("audio/ogg", by.voice_message[1].content_type)
    assert.are.equal("OggS-voice", by.voice_message[1].data)
    client.chats:send_message { chat_id = state.chats[1],
      video_message = { filename = "v.mp4", content = "mp4-bytes", content_type = "video/mp4" } }
    by = parts_by_name(support.last())
    assert.are.equal("v.mp4", by.video_message[1].filename)
  end)

  it("walks LinkedIn search results page by page", function()
    local ids, n = {}, 0
    for person in client.linkedin:each_search { account_id = linkedin_account, category = "people", limit = 3 } do
      assert.is_nil(ids[person.id])
      ids[person.id] = true
      n = n + 1
    end
    assert.is_true(n > 3)
    local reqs = support.requests()
    assert.is_true(#reqs >= 2)
    assert.is_string(reqs[2].args.cursor)
    assert.are.equal("POST", reqs[2].method)
  end)

  it("delivers webhooks with their custom headers, retried until the receiver says 200", function()
    sb:reset { seed = 7, webhook_retry_ms = 50 }
    sb:clear_requests()
    local secret = "hook-secret-1"
    local hook = client.webhooks:create {
      request_url = sb:hook_url("msgs", 1), source = "messaging", name = "spec",
      headers = { { key = "X-Webhook-Secret", value = secret }, { key = "Content-Type", value = "application/json" } },
    }
    assert.is_string(hook.webhook_id)
    local sent = client.chats:send_message { chat_id = state.chats[1], text = "hello hook" }
    local got = sb:hooks("msgs", { wait = 2, timeout = 5 })
    assert.are.equal(2, #got)
    assert.are.equal(500, got[1].status)      -- the first delivery failed ...
    assert.are.equal(200, got[2].status)      -- ... and was retried
    local delivery = got[2]
    assert.is_true(unipile.webhook.verify(delivery.headers, delivery.body, { header = "X-Webhook-Secret", secret = secret }))
    local event = unipile.webhook.parse(delivery.body, delivery.headers)
    assert.are.equal("message_received", event.name)
    assert.are.equal("messaging", event.source)
    assert.are.equal(sent.message_id, event.data.message_id)
    assert.are.equal("hello hook", event.data.message)
    client.webhooks:delete { id = hook.webhook_id }
  end)

  it("delivers account status changes", function()
    client.webhooks:create { request_url = sb:hook_url("status"), source = "account_status" }
    sb:account_status(state.accounts[1], "CREDENTIALS")
    local got = sb:hooks("status", { wait = 1 })
    local event = unipile.webhook.parse(got[1].body, got[1].headers)
    assert.are.equal("credentials", event.name)
    assert.are.equal("account_status", event.source)
    assert.are.equal(state.accounts[1], event.data.account_id)
  end)
end)
