-- The sandbox's accounts, chats, messages and attendees groups over curl:
-- every handler, filters, keyset pagination, deletes. The its run in order
-- on one data set: each builds on what the ones before did.
local cjson = require "cjson"
local support = require "support"
local sapi = require "support.sandbox_api"
local api, status, all_pages, esc, write = sapi.api, sapi.status, sapi.all_pages, sapi.esc, sapi.write
local sandbox = require "unipile.sandbox"
local SIZE = sapi.SMALL

describe("sandbox: accounts, chats, messages, attendees", function()
  local st, st2, st3, li, wa, mail, s, d, rec, s2, chat, _, atts, msg, one, contact, s3, d3, s4, d4, s5, d5,
    base, ch, unread, found, all_unread, s7, d7, s8, d8, s9, d9, list, q, s10, d10, s12, d12, voice, s13, d13,
    a1, s14, bytes, hdr, s15, d15, fb, s17, d17, al, mine, expect, only_li, att, s18, pic, ph, bychats, bymsgs,
    allfrom, all, mid, bef, okb, s19, d19, bya, oka, bys, oks, p1, ids, seen, cur, dup, victim, gone, s21, d21,
    s22, d22, s23, d23, s24, acc, s25, d25, sy1, sy2
  local sb, TMP
  setup(function()
    sb = support.sandbox()
    TMP = sapi.use(sb).TMP
    sb:reset({ seed = 5, size = SIZE })
  end)
  teardown(function() support.reset() end)

  describe("data set", function()
    it("counts", function()
      st = sb:state()
      assert.truthy(st.counts.accounts == 3 and st.counts.chats == 12 and st.counts.messages == 48, cjson.encode(st.counts))
    end)

    it("same seed, same ids", function()
      st2 = sb:reset({ seed = 5, size = SIZE })
      assert.truthy(cjson.encode(st2.chats) == cjson.encode(st.chats))
    end)

    it("other seed, other ids", function()
      st3 = sb:reset({ seed = 6, size = SIZE })
      assert.truthy(st3.chats[1].id ~= st.chats[1].id)
    end)

    it("id shape", function()
      st = sb:reset({ seed = 5, size = SIZE })
      assert.truthy(#st.chats[1].id == 22 and st.chats[1].id:match("^%w+$"))
    end)

    it("account types", function()
      li, wa, mail = st.accounts[1], st.accounts[2], st.accounts[3]
      assert.truthy(li.type == "LINKEDIN" and wa.type == "WHATSAPP" and mail.type == "MAIL" and #mail.chats == 0)
    end)
  end)

  describe("start a chat: multipart with repeated attendees_ids, bracket names, a file", function()
    it("start chat 201", function()
      write(TMP .. "/a.txt", "attached text\n")
      s, d = api("POST", "/api/v1/chats", { form = { "account_id=" .. li.id, "text=hi there",
        "attendees_ids=ACoAAnewperson1", "attendees_ids=ACoAAnewperson2", "linkedin[inmail]=true", "subject=Hello",
        "attachments=@" .. TMP .. "/a.txt" } })
      assert.truthy(s == 201 and d.object == "ChatStarted" and d.chat_id and d.message_id, cjson.encode(d))
    end)

    it("record parts", function()
      rec = sb:last_request()
      assert.truthy(#rec.parts == 7 and rec.parts[4].name == "attendees_ids" and rec.parts[5].name == "linkedin[inmail]"
        and rec.parts[7].filename == "a.txt" and rec.parts[7].data == "attached text\n"
        and rec.operation == "ChatsController_startNewChat", cjson.encode(rec.parts))
    end)

    it("new group chat", function()
      s2, chat = api("GET", "/api/v1/chats/" .. d.chat_id)
      assert.truthy(s2 == 200 and chat.type == 1 and chat.content_type == "inmail" and chat.subject == "Hello")
    end)

    it("chat attendees", function()
      _, atts = api("GET", "/api/v1/chats/" .. d.chat_id .. "/attendees")
      assert.truthy(atts.object == "ChatAttendeeList" and #atts.items == 3 and atts.cursor == cjson.null
        and atts.items[1].is_self == 1, cjson.encode(atts))
    end)

    it("first message", function()
      _, msg = api("GET", "/api/v1/messages/" .. d.message_id)
      assert.truthy(msg.message_type == "INMAIL" and msg.text == "hi there" and msg.attachments[1].file_name == "a.txt"
        and msg.attachments[1].mimetype == "text/plain" and msg.is_sender == 1 and msg.chat_id == d.chat_id, cjson.encode(msg))
    end)

    it("start reuses the 1to1 chat", function()
      -- a known single attendee: the 1to1 chat is reused (JSON body this time)
      for _, c in ipairs(st.chats) do
        if not one and c.account_id == li.id and c.type == 0 then one = c end
      end
      for _, a in ipairs(st.attendees) do
        if a.id == one.attendees[2] then contact = a end
      end
      s3, d3 = api("POST", "/api/v1/chats", { json = { account_id = li.id, text = "again",
        attendees_ids = { contact.provider_id } } })
      assert.truthy(s3 == 201 and d3.chat_id == one.id, cjson.encode(d3))
    end)

    it("no attendees → 400 missing_parameters", function()
      s4, d4 = api("POST", "/api/v1/chats", { json = { account_id = li.id, text = "x" } })
      assert.truthy(s4 == 400 and d4.type == "errors/missing_parameters"
        and d4.detail:find("attendees_ids"), cjson.encode(d4))
    end)

    it("start on a MAIL account → 422 invalid_account", function()
      s5, d5 = api("POST", "/api/v1/chats", { json = { account_id = mail.id, text = "x", attendees_ids = { "a" } } })
      assert.truthy(s5 == 422 and d5.type == "errors/invalid_account", cjson.encode(d5))
    end)
  end)

  describe("PATCH chat", function()
    it("setReadStatus false", function()
      base = "/api/v1/chats/" .. one.id
      assert.truthy(status("PATCH", base, { json = { action = "setReadStatus", value = false } }) == 200)
    end)

    it("now unread", function()
      _, ch = api("GET", base)
      assert.truthy(ch.unread_count >= 1)
    end)

    it("unread filter", function()
      unread = all_pages("/api/v1/chats?unread=true", 250)
      found, all_unread = false, true
      for _, c in ipairs(unread) do
        found = found or c.id == one.id
        all_unread = all_unread and c.unread_count > 0
      end
      assert.truthy(found and all_unread)
    end)

    it("pinned and muted", function()
      api("PATCH", base, { json = { action = "setPinnedStatus", value = true } })
      api("PATCH", base, { json = { action = "setMuteStatus", value = "true" } })
      _, ch = api("GET", base)
      assert.truthy(ch.pinned == 1 and ch.muted_until == -1)
    end)

    it("bad action → 400", function()
      s7, d7 = api("PATCH", base, { json = { action = "explode", value = true } })
      assert.truthy(s7 == 400 and d7.detail:find("action"))
    end)

    it("missing value → 400", function()
      s8, d8 = api("PATCH", base, { json = { action = "setReadStatus" } })
      assert.truthy(s8 == 400 and d8.type == "errors/missing_parameters")
    end)

    it("invalid JSON body → 400", function()
      s9, d9 = api("PATCH", base, { raw = "-H 'Content-Type: application/json' --data-binary '{bad'" })
      assert.truthy(s9 == 400 and d9.type == "errors/malformed_request", cjson.encode(d9))
    end)
  end)

  describe("send: quote, account check, voice message", function()
    it("quote", function()
      _, list = api("GET", base .. "/messages")
      q = list.items[#list.items]
      s10, d10 = api("POST", base .. "/messages", { form = { "text=reply", "quote_id=" .. q.id, "account_id=" .. li.id } })
      _, msg = api("GET", "/api/v1/messages/" .. d10.message_id)
      assert.truthy(s10 == 201 and msg.quoted.provider_id == q.provider_id and msg.reply_to.id == q.id, cjson.encode(msg))
    end)

    it("account mismatch → 403", function()
      assert.truthy(status("POST", base .. "/messages", { form = { "text=x", "account_id=" .. wa.id } }) == 403)
    end)

    it("no text, no file → 400", function()
      s12, d12 = api("POST", base .. "/messages", { form = { "thread_id=1" } })
      assert.truthy(s12 == 400 and d12.detail:find("text"))
    end)

    it("voice message", function()
      voice = string.rep("\0\1\2\255", 1000)
      write(TMP .. "/v.ogg", voice)
      s13, d13 = api("POST", base .. "/messages", { form = { "voice_message=@" .. TMP .. "/v.ogg" } })
      _, msg = api("GET", "/api/v1/messages/" .. d13.message_id)
      a1 = msg.attachments[1]
      assert.truthy(s13 == 201 and a1.type == "audio" and a1.voice_note == true and a1.mimetype == "audio/ogg"
        and msg.text == cjson.null, cjson.encode(msg))
    end)

    it("voice download", function()
      s14, bytes, hdr = api("GET", "/api/v1/messages/" .. d13.message_id .. "/attachments/" .. a1.id)
      assert.truthy(s14 == 200 and bytes == voice and hdr:find("audio/ogg"))
    end)
  end)

  describe("forward, reaction", function()
    it("forward", function()
      s15, d15 = api("POST", "/api/v1/messages/" .. d13.message_id .. "/forward", { json = { chat_id = li.chats[2] } })
      _, msg = api("GET", "/api/v1/messages/" .. tostring(d15.message_id))
      assert.truthy(s15 == 200 and d15.object == "MessageForwarded" and msg.chat_id == li.chats[2]
        and msg.attachments[1].file_size == 4000, cjson.encode(d15))
    end)

    it("forwarded bytes", function()
      _, fb = api("GET", "/api/v1/messages/" .. d15.message_id .. "/attachments/" .. msg.attachments[1].id)
      assert.truthy(fb == voice)
    end)

    it("forward to another account → 403", function()
      assert.truthy(status("POST", "/api/v1/messages/" .. d13.message_id
          .. "/forward", { json = { chat_id = wa.chats[1] } }) == 403)
    end)

    it("reaction", function()
      s17, d17 = api("POST", "/api/v1/messages/" .. q.id .. "/reaction", { json = { reaction = "👍" } })
      _, msg = api("GET", "/api/v1/messages/" .. q.id)
      assert.truthy(s17 == 201 and d17.object == "ReactionAdded" and msg.reactions[1].value == "👍"
        and msg.reactions[1].is_sender == true, cjson.encode(msg.reactions))
    end)
  end)

  describe("attendees", function()
    it("attendees page", function()
      _, al = api("GET", "/api/v1/chat_attendees?limit=5")
      assert.truthy(al.object == "ChatAttendeeList" and #al.items == 5 and type(al.cursor) == "string")
    end)

    it("attendees by account, all pages", function()
      mine = all_pages("/api/v1/chat_attendees?account_id=" .. li.id, 7)
      expect, only_li = 0, true
      for _, a in ipairs(sb:state().attendees) do
        if a.account_id == li.id then expect = expect + 1 end
      end
      for _, a in ipairs(mine) do only_li = only_li and a.account_id == li.id end
      assert.truthy(#mine == expect and only_li, #mine .. " vs " .. expect)
    end)

    it("get attendee", function()
      _, att = api("GET", "/api/v1/chat_attendees/" .. contact.id)
      assert.truthy(att.object == "ChatAttendee" and att.specifics.provider == "LINKEDIN")
    end)

    it("picture", function()
      s18, pic, ph = api("GET", "/api/v1/chat_attendees/" .. contact.id .. "/picture")
      assert.truthy(s18 == 200 and pic == sandbox.picture_bytes(contact.id) and ph:find("image/jpeg"))
    end)

    it("1to1 chats by attendee provider id", function()
      _, bychats = api("GET", "/api/v1/chat_attendees/" .. esc(contact.provider_id) .. "/chats")
      assert.truthy(#bychats.items == 1 and bychats.items[1].id == one.id, cjson.encode(bychats))
    end)

    it("messages by attendee", function()
      _, bymsgs = api("GET", "/api/v1/chat_attendees/" .. contact.id .. "/messages")
      allfrom = #bymsgs.items > 0
      for _, m in ipairs(bymsgs.items) do allfrom = allfrom and m.sender_attendee_id == contact.id end
      assert.truthy(allfrom)
    end)

    it("unknown attendee → 404", function()
      assert.truthy(status("GET", "/api/v1/chat_attendees/nope/chats") == 404)
    end)
  end)

  describe("list filters and pagination", function()
    it("before filter", function()
      all = all_pages("/api/v1/messages", 250)
      mid = all[10].timestamp
      bef = all_pages("/api/v1/messages?before=" .. mid, 250)
      okb = #bef == #all - 10
      for _, m in ipairs(bef) do okb = okb and m.timestamp < mid end
      assert.truthy(okb, #bef .. " " .. #all)
    end)

    it("after filter", function()
      assert.truthy(#all_pages("/api/v1/messages?after=" .. mid, 250) == 9)
    end)

    it("bad before → 400", function()
      s19, d19 = api("GET", "/api/v1/messages?before=yesterday")
      assert.truthy(s19 == 400 and d19.detail:find("before"))
    end)

    it("account_id list filter", function()
      bya = all_pages("/api/v1/messages?account_id=" .. wa.id .. "," .. mail.id, 250)
      oka = #bya > 0
      for _, m in ipairs(bya) do oka = oka and m.account_id == wa.id end
      assert.truthy(oka)
    end)

    it("sender_id filter", function()
      bys = all_pages(base .. "/messages?sender_id=" .. esc(contact.provider_id), 250)
      oks = #bys > 0
      for _, m in ipairs(bys) do oks = oks and m.sender_id == contact.provider_id end
      assert.truthy(oks)
    end)

    it("account_type filter", function()
      assert.truthy(#all_pages("/api/v1/chats?account_type=WHATSAPP", 250) == 6)
    end)

    it("bad account_type → 400", function()
      assert.truthy(status("GET", "/api/v1/chats?account_type=FAX") == 400)
    end)

    it("repeated limit → 400", function()
      assert.truthy(status("GET", "/api/v1/chats?limit=1&limit=2") == 400)
    end)

    it("keyset pagination is stable", function()
      -- a write between pages neither repeats nor skips
      _, p1 = api("GET", base .. "/messages?limit=2")
      api("POST", base .. "/messages", { form = { "text=between pages" } })
      ids, seen, cur = {}, {}, p1.cursor
      for _, m in ipairs(p1.items) do ids[#ids + 1] = m.id end
      while cur ~= cjson.null do
        local _, p = api("GET", base .. "/messages?limit=2&cursor=" .. esc(cur))
        for _, m in ipairs(p.items) do ids[#ids + 1] = m.id end
        cur = p.cursor
      end
      dup = false
      for _, id in ipairs(ids) do
        dup = dup or seen[id]
        seen[id] = true
      end
      assert.truthy(not dup and #ids == #all_pages(base .. "/messages", 250) - 1)
    end)

    it("cursor of another list → 400", function()
      assert.truthy(status("GET", "/api/v1/chats?cursor=" .. esc(p1.cursor)) == 400)
    end)
  end)

  describe("deletes, accounts, sync, routes", function()
    it("delete message", function()
      victim = list.items[1].id
      assert.truthy(status("DELETE", "/api/v1/messages/" .. victim) == 200
        and status("GET", "/api/v1/messages/" .. victim) == 404)
    end)

    it("delete chat", function()
      gone = "/api/v1/chats/" .. li.chats[3]
      s21, d21 = api("DELETE", gone)
      assert.truthy(s21 == 200 and d21.object == "ChatDeleted" and status("GET", gone) == 404
        and status("GET", gone .. "/messages") == 404)
    end)

    it("delete account", function()
      s22, d22 = api("DELETE", "/api/v1/accounts/" .. wa.id)
      assert.truthy(s22 == 200 and d22.object == "AccountDeleted" and status("GET", "/api/v1/accounts/" .. wa.id) == 404)
    end)

    it("its chats are gone", function()
      assert.truthy(#all_pages("/api/v1/chats?account_type=WHATSAPP", 100) == 0)
    end)

    it("create account: QRCODE checkpoint", function()
      s23, d23 = api("POST", "/api/v1/accounts", { json = { provider = "TELEGRAM" } })
      s24, acc = api("GET", "/api/v1/accounts/" .. tostring(d23.account_id))
      assert.truthy(s23 == 201 and d23.object == "Checkpoint" and d23.checkpoint.type == "QRCODE"
        and type(d23.checkpoint.qrcode) == "string" and s24 == 200 and acc.type == "TELEGRAM"
        and acc.sources[1].status == "CONNECTING" and acc.connection_params.im.user_id, cjson.encode(acc))
    end)

    it("QR code scanned: connected", function()
      sb:call("POST", "/_sandbox/accounts/" .. d23.account_id .. "/scan")
      _, acc = api("GET", "/api/v1/accounts/" .. tostring(d23.account_id))
      assert.truthy(acc.sources[1].status == "OK", cjson.encode(acc.sources))
    end)

    it("create account without provider → 400", function()
      assert.truthy(status("POST", "/api/v1/accounts", { json = { username = "x" } }) == 400)
    end)

    it("create account, unknown provider → 400", function()
      assert.truthy(status("POST", "/api/v1/accounts", { json = { provider = "FAX" } }) == 400)
    end)

    it("reconnect", function()
      s25, d25 = api("POST", "/api/v1/accounts/" .. li.id, { json = { provider = "LINKEDIN", access_token = "AQED" } })
      assert.truthy(s25 == 201 and d25.object == "AccountReconnected")
    end)

    it("sync polling", function()
      _, sy1 = api("GET", base .. "/sync")
      _, sy2 = api("GET", base .. "/sync")
      assert.truthy(sy1.status == "SYNC_STARTED" and sy2.status == "SYNC_DONE")
    end)

    it("unknown route → 404", function()
      assert.truthy(status("GET", "/api/v1/nothing") == 404)
    end)

    it("other prefix → 404 even without key", function()
      assert.truthy(status("GET", "/api/v2/chats", { key = false }) == 404)
    end)

    it("PUT → 404", function()
      assert.truthy(status("PUT", "/api/v1/chats") == 404)
    end)

    it("unknown chat → 404", function()
      assert.truthy(status("GET", "/api/v1/chats/zzz") == 404)
    end)
  end)
end)
