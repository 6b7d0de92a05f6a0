local webhook = require "unipile.webhook"

describe("webhook receiver helpers", function()
  local secret = "s3cret-value"

  -- verify(headers, opts); the older verify(headers, body, opts) still works.
  local FORMS = {
    { "verify(headers, opts)", function(h, o) return webhook.verify(h, o) end },
    { "verify(headers, body, opts)", function(h, o) return webhook.verify(h, "{}", o) end },
    { "verify(headers, nil, opts)", function(h, o) return webhook.verify(h, nil, o) end },
  }
  for _, form in ipairs(FORMS) do
    local verify = form[2]

    it(form[1] .. " verifies the shared-secret header whatever its case or shape", function()
      assert.is_true(verify({ ["x-webhook-secret"] = secret }, { secret = secret }))
      assert.is_true(verify({ ["X-WEBHOOK-SECRET"] = { secret } }, { secret = secret }))
      assert.is_true(verify({ { "X-Webhook-Secret", secret } }, { secret = secret }))
      assert.is_true(verify({ ["X-Unipile-Auth"] = secret }, { header = "x-unipile-auth", secret = secret }))
    end)

    it(form[1] .. " refuses a wrong or missing secret without echoing it", function()
      local ok, why = verify({ ["X-Webhook-Secret"] = "s3cret-valuE" }, { secret = secret })
      assert.is_false(ok)
      assert.is_nil(why:find(secret, 1, true))
      ok, why = verify({}, { secret = secret })
      assert.is_false(ok)
      assert.matches("missing header", why)
      assert.is_false((verify({ ["X-Webhook-Secret"] = secret .. "x" }, { secret = secret })))
      assert.is_false((verify({ ["X-Webhook-Secret"] = "" }, { secret = secret })))
      assert.has_error(function() verify({}, {}) end)
    end)
  end

  it("compares in constant time over the expected length", function()
    assert.is_true(webhook.constant_time_equal("abc", "abc"))
    assert.is_false(webhook.constant_time_equal("abd", "abc"))
    assert.is_false(webhook.constant_time_equal("ab", "abc"))
    assert.is_false(webhook.constant_time_equal("abcd", "abc"))
  end)

  it("parses a JSON message delivery and names the event", function()
    local body = '{"account_id":"a1","account_type":"WHATSAPP","event":"message_received","chat_id":"c1",'
      .. '"message_id":"m1","message":"hi","sender":{"attendee_id":"x"},"attachments":[]}'
    local ev = webhook.parse(body, { ["Content-Type"] = "application/json" })
    assert.are.equal("message_received", ev.name)
    assert.are.equal("messaging", ev.source)
    assert.are.equal("hi", ev.data.message)
    assert.are.equal("x", ev.data.sender.attendee_id)
  end)

  it("parses account status deliveries", function()
    local ev = webhook.parse('{"AccountStatus":{"account_id":"a1","account_type":"LINKEDIN","message":"CREDENTIALS"}}')
    assert.are.equal("credentials", ev.name)
    assert.are.equal("account_status", ev.source)
    assert.are.equal("a1", ev.data.account_id)
  end)

  it("parses form deliveries, tables sent as JSON text", function()
    local ev = webhook.parse("event=mail_received&account_id=a%201&from_attendee=%7B%22identifier%22%3A%22x%40y.z%22%7D",
      { ["content-type"] = "application/x-www-form-urlencoded" })
    assert.are.equal("mail_received", ev.name)
    assert.are.equal("email", ev.source)
    assert.are.equal("a 1", ev.data.account_id)
    assert.are.equal("x@y.z", ev.data.from_attendee.identifier)
  end)

  it("refuses an empty or broken JSON body", function()
    assert.has_error(function() webhook.parse("", {}) end)
    assert.has_error(function() webhook.parse("{broken", { ["Content-Type"] = "application/json" }) end)
  end)
end)
