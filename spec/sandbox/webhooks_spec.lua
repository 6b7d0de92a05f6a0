-- The sandbox's webhooks over curl, on the default data set: CRUD, then
-- deliveries of every source (retries from 40 ms, see sapi.default_set).
local cjson = require "cjson"
local support = require "support"
local sapi = require "support.sandbox_api"
local api, status, all_pages = sapi.api, sapi.status, sapi.all_pages
local ids_of = sapi.ids_of
local socket = require "socket"

describe("sandbox: webhooks", function()
  local wid, hook, w_msg, msg_chat, _, sent_msg, got_msg, m_body, hdrs, log, pong, in_hooks, in_body, inbound,
    ch_after, rcv, mails, f1, events, rcvd, stat, wa_now, inv2, rel, tr, w_dead, w_far, dead, dlog, flog, s, d
  local sent_email
  local sb, st, LI, GM, WA, Q
  setup(function()
    sb = support.sandbox()
    local set = sapi.default_set(sb)
    st, LI, GM, WA, Q = set.st, set.LI, set.GM, set.WA, set.Q
  end)
  teardown(function() support.reset() end)

  hook = function(body)
    local s_, d_ = api("POST", "/api/v1/webhooks", { json = body })
    assert(s_ == 201, cjson.encode(d_))
    return d_.webhook_id
  end

  describe("webhooks CRUD", function()
    it("webhook created and listed", function()
      s, d = api("POST", "/api/v1/webhooks", { json = { request_url = "https://example.com/hook", source = "users" } })
      wid = d.webhook_id
      assert.truthy(s == 201 and ids_of(all_pages("/api/v1/webhooks", 250))[wid])
    end)

    it("webhook deleted", function()
      assert.truthy(status("DELETE", "/api/v1/webhooks/" .. wid) == 200 and not ids_of(all_pages("/api/v1/webhooks", 250))[wid])
    end)

    it("webhook: unknown source → 400", function()
      assert.truthy(status("POST", "/api/v1/webhooks", { json = { request_url = "http://127.0.0.1/", source = "fax" } }) == 400)
    end)

    it("webhook: unknown event → 400", function()
      assert.truthy(status("POST", "/api/v1/webhooks",
        { json = { request_url = "http://127.0.0.1/", source = "email", events = { "message_received" } } }) == 400)
    end)
  end)

  describe("webhook deliveries (retry base 40 ms, see the reset above)", function()
    it("message sent → delivered; 500 then retried → 200", function()
      -- messaging: the receiver answers 500 once, the retry gets 200
      w_msg = hook({ request_url = sb:hook_url("msg", 1), source = "messaging", name = "msgs",
        headers = { { key = "X-Secret", value = "s3cret" } }, account_ids = { LI.id } })
      msg_chat = st.accounts[1].chats[1]
      _, sent_msg = api("POST", "/api/v1/chats/" .. msg_chat .. "/messages", { form = { "text=ping" } })
      got_msg = sb:hooks("msg", { wait = 2 })
      m_body = got_msg[2] and got_msg[2].json
      assert.truthy(#got_msg == 2 and got_msg[1].status == 500
        and got_msg[2].status == 200 and got_msg[1].body == got_msg[2].body, cjson.encode(got_msg))
    end)

    it("message payload", function()
      assert.truthy(m_body and m_body.event == "message_received" and m_body.message_id == sent_msg.message_id
        and m_body.chat_id == msg_chat and m_body.account_id == LI.id and m_body.account_type == "LINKEDIN"
        and m_body.message == "ping" and m_body.sender.attendee_id == LI.self_attendee_id and #m_body.attendees >= 2
        and m_body.webhook_name == "msgs" and m_body.is_sender == true
            and type(m_body.timestamp) == "string", cjson.encode(m_body))
    end)

    it("custom header sent, no JSON Content-Type unless asked", function()
      hdrs = got_msg[2] and got_msg[2].headers or {}
      assert.truthy(hdrs["x-secret"] == "s3cret" and hdrs["content-type"] == nil)
    end)

    it("delivery log: attempt 1 → 500, attempt 2 → 200", function()
      log = sb:deliveries({ webhook_id = w_msg })
      assert.truthy(#log == 2 and log[1].attempt == 1 and log[1].status == 500
        and log[1].next_retry_ms == 40 and log[2].attempt == 2 and log[2].status == 200 and log[2].event == "message_received"
        and log[2].url == sb:hook_url("msg", 1) and log[2].body == got_msg[2].body, cjson.encode(log))
    end)

    it("inbound message: stored unseen, chat unread, delivered", function()
      pong = sb:call("POST", "/_sandbox/inbound/message", { chat_id = msg_chat, text = "pong" })
      in_hooks = sb:hooks("msg", { wait = 3 })
      in_body = in_hooks[3] and in_hooks[3].json
      _, inbound = api("GET", "/api/v1/messages/" .. pong.message_id)
      _, ch_after = api("GET", "/api/v1/chats/" .. msg_chat)
      assert.truthy(in_body and in_body.message_id == pong.message_id
        and in_body.is_sender == false and in_body.sender.attendee_id ~= LI.self_attendee_id and inbound.seen == 0
        and inbound.is_sender == 0 and ch_after.unread_count >= 1, cjson.encode(in_body))
    end)

    it("email events in order: received, sent, moved", function()
      api("POST", "/api/v1/chats/" .. WA.chats[1] .. "/messages", { form = { "text=other account" } })

      -- email, form-encoded, three events
      hook({ request_url = sb:hook_url("mail"), source = "email", format = "form",
        events = { "mail_received", "mail_sent", "mail_moved" },
        account_ids = { GM.id } })
      rcv = sb:inbound_email({ account_id = GM.id, from = { display_name = "Zoe", identifier = "zoe@example.org" },
        subject = "Inbound", body = "<p>hi</p>" })
      sent_email = select(2, sapi.send_email(GM.id, nil))
      api("PUT", "/api/v1/emails/" .. rcv.email_id, { json = { folders = { "[Gmail]/Trash" } } })
      mails = sb:hooks("mail", { wait = 3 })
      f1 = mails[1] and mails[1].form or {}
      events = {}
      for i, h in ipairs(mails) do events[i] = h.form and h.form.event end
      assert.truthy(table.concat(events, ",") == "mail_received,mail_sent,mail_moved", table.concat(events, ","))
    end)

    it("form format: urlencoded fields, tables as JSON text", function()
      assert.truthy(mails[1] and
        mails[1].headers["content-type"] == "application/x-www-form-urlencoded" and f1.email_id == rcv.email_id
        and f1.subject == "Inbound" and cjson.decode(f1.from_attendee).identifier == "zoe@example.org"
        and f1.account_id == GM.id, cjson.encode(f1))
    end)

    it("inbound email stored; moved to trash", function()
      _, rcvd = api("GET", "/api/v1/emails/" .. rcv.email_id)
      assert.truthy(rcvd.read_date == cjson.null and rcvd.role == "trash")
    end)

    it("account status → {AccountStatus: {account_id, account_type, message}}", function()
      -- account status, users, tracking
      hook({ request_url = sb:hook_url("status"), source = "account_status" })
      sb:account_status(WA.id, "CREDENTIALS")
      stat = sb:hooks("status", { wait = 1 })
      _, wa_now = api("GET", "/api/v1/accounts/" .. WA.id)
      assert.truthy(stat[1] and stat[1].json.AccountStatus
        and stat[1].json.AccountStatus.account_id == WA.id and stat[1].json.AccountStatus.account_type == "WHATSAPP"
        and stat[1].json.AccountStatus.message == "CREDENTIALS" and wa_now.sources[1].status == "CREDENTIALS", cjson.encode(stat))
    end)

    it("sent invitation accepted → new_relation", function()
      hook({ request_url = sb:hook_url("users"), source = "users" })
      inv2 = st.invitations_sent[1]
      sb:call("POST", "/_sandbox/invitations/" .. inv2.id .. "/accept")
      rel = sb:hooks("users", { wait = 1 })
      assert.truthy(rel[1] and rel[1].json.event == "new_relation"
        and rel[1].json.user_provider_id == inv2.invited_user_id
        and ids_of(all_pages("/api/v1/users/relations" .. Q, 1000), "member_id")[inv2.invited_user_id])
    end)

    it("tracking event", function()
      hook({ request_url = sb:hook_url("track"), source = "email_tracking", events = { "mail_opened", "mail_link_clicked" } })
      sb:call("POST", "/_sandbox/emails/" .. sent_email.id .. "/track",
        { event = "mail_link_clicked", url = "https://example.com/x" })
      tr = sb:hooks("track", { wait = 1 })
      assert.truthy(tr[1] and tr[1].json.event == "mail_link_clicked" and tr[1].json.email_id == sent_email.id
        and tr[1].json.url == "https://example.com/x")
    end)

    it("failing receiver: 1 attempt + 5 retries, growing delay", function()
      -- retries stop after 5; non-local targets are refused; disabled webhooks are silent
      w_dead = hook({ request_url = sb:hook_url("dead", 100), source = "messaging", account_ids = { WA.id } })
      w_far = hook({ request_url = "https://example.com/hook", source = "messaging", account_ids = { WA.id } })
      hook({ request_url = sb:hook_url("off"), source = "messaging", enabled = false })
      api("POST", "/api/v1/chats/" .. WA.chats[1] .. "/messages", { form = { "text=retry me" } })
      dead = sb:hooks("dead", { wait = 6, timeout = 8 })
      socket.sleep(0.1)
      dlog = sb:deliveries({ webhook_id = w_dead })
      flog = sb:deliveries({ webhook_id = w_far })
      assert.truthy(#dead == 6 and #dlog == 6 and dlog[6].attempt == 6
        and dlog[5].next_retry_ms == 640 and dlog[6].next_retry_ms == cjson.null, #dlog)
    end)

    it("non-local target refused, not retried", function()
      assert.truthy(#flog == 1 and flog[1].error:find("^refused"), cjson.encode(flog))
    end)

    it("disabled webhook: nothing delivered", function()
      assert.truthy(#sb:hooks("off") == 0)
    end)
  end)
end)
