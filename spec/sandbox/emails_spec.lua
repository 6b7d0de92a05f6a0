-- The sandbox's emails group over curl, on the default data set: folders,
-- move, read state, delete; send with idempotency; drafts; contacts.
local cjson = require "cjson"
local support = require "support"
local sapi = require "support.sandbox_api"
local api, status, all_pages, esc = sapi.api, sapi.status, sapi.all_pages, sapi.esc
local first_of, ids_of = sapi.first_of, sapi.ids_of
local sandbox = require "unipile.sandbox"
local quote = sapi.quote

describe("sandbox: emails", function()
  local _, folders, role, inbox, mail1, moved, m1, to, form, sent_before, s1, e1, s_again, e3, h3, sent_after,
    s_other, e4, sent1, s_att, bytes5, h5, seeded, s_seed, b_seed, h_seed, s6, e6, contacts, s, d
  local TMP, GM, GQ
  setup(function()
    local set = sapi.default_set(support.sandbox())
    TMP, GM, GQ = sapi.TMP, set.GM, set.GQ
  end)
  teardown(function() support.reset() end)

  describe("emails: move, unread, delete; send, idempotency; drafts; folders", function()
    it("folders of the account", function()
      _, folders = api("GET", "/api/v1/folders" .. GQ)
      role = {}
      for _, f in ipairs(folders.items) do role[f.role] = f end
      assert.truthy(folders.object == "FolderList" and #folders.items == 8 and role.inbox.provider_id == "INBOX"
        and folders.cursor == nil and role.sent.nb_mails >= 1)
    end)

    it("move: listed in the new folder, not the old; unread", function()
      inbox = all_pages("/api/v1/emails" .. GQ .. "&folder=INBOX", 250)
      mail1 = inbox[1]
      s = status("PUT", "/api/v1/emails/" .. mail1.id, { json = { folders = { role.all.provider_id }, unread = true } })
      moved = ids_of(all_pages("/api/v1/emails" .. GQ .. "&folder=" .. esc(role.all.provider_id), 250))
      _, m1 = api("GET", "/api/v1/emails/" .. mail1.id)
      assert.truthy(s == 200 and moved[mail1.id]
        and not ids_of(all_pages("/api/v1/emails" .. GQ .. "&folder=INBOX", 250))[mail1.id]
        and m1.read_date == cjson.null and m1.role == "all" and m1.folders[1] == role.all.provider_id)
    end)

    it("mark read", function()
      api("PUT", "/api/v1/emails/" .. mail1.id, { json = { unread = false } })
      _, m1 = api("GET", "/api/v1/emails/" .. mail1.id)
      assert.truthy(type(m1.read_date) == "string" and m1.headers == nil)
    end)

    it("unknown folder → 422 invalid_folder", function()
      assert.truthy(status("PUT", "/api/v1/emails/" .. mail1.id, { json = { folders = { "Nope" } } }) == 422)
    end)

    it("delete email → 404 after", function()
      assert.truthy(status("DELETE", "/api/v1/emails/" .. mail1.id) == 200
        and status("GET", "/api/v1/emails/" .. mail1.id) == 404)
    end)

    it("send → in the sent folder; same key, same body → same answer, sent once", function()
      to = cjson.encode({ { display_name = "Bob", identifier = "bob@example.org" } })
      form = { "account_id=" .. GM.id, "subject=Hi", "attachments=@" .. TMP .. "/a.txt" }
      sent_before = #all_pages("/api/v1/emails" .. GQ .. "&folder=" .. esc(role.sent.provider_id), 250)
      s1, e1 = sapi.send_email(GM.id, "key-1")
      s_again, e3, h3 = sapi.send_email(GM.id, "key-1")
      sent_after = all_pages("/api/v1/emails" .. GQ .. "&folder=" .. esc(role.sent.provider_id), 250)
      assert.truthy(s1 == 201 and e1.object == "EmailSent"
        and s_again == 201 and e3.id == e1.id and h3:find("Idempotent%-Replayed: true")
            and #sent_after == sent_before + 1
        and ids_of(sent_after)[e1.id], cjson.encode(e3))
    end)

    it("same key, other body → 409 idempotency_conflict", function()
      s_other, e4 = sapi.send_email(GM.id, "key-1", { "cc=" .. cjson.encode({ { identifier = "carol@example.org" } }) })
      assert.truthy(s_other == 409 and e4.type == "errors/idempotency_conflict")
    end)

    it("sent email: recipients from JSON text, attachment", function()
      _, sent1 = api("GET", "/api/v1/emails/" .. e1.id)
      assert.truthy(sent1.to_attendees[1].identifier == "bob@example.org"
        and sent1.role == "sent" and sent1.attachments[1].name == "a.txt" and sent1.from_attendee.identifier)
    end)

    it("email attachment bytes", function()
      s_att, bytes5, h5 = api("GET", "/api/v1/emails/" .. e1.id .. "/attachments/" .. sent1.attachments[1].id)
      assert.truthy(s_att == 200 and bytes5 == "attached text\n" and h5:lower():find("content%-type: text/plain"))
    end)

    it("seeded email attachment: deterministic bytes, its type", function()
      seeded = first_of(inbox, function(e) return #e.attachments > 0 end)
      s_seed, b_seed, h_seed = api("GET", "/api/v1/emails/" .. seeded.id .. "/attachments/" .. seeded.attachments[1].id)
      assert.truthy(s_seed == 200 and b_seed == sandbox.seeded_bytes(seeded.attachments[1])
        and h_seed:lower():find("content%-type: " .. seeded.attachments[1].mime:gsub("%-", "%%-")))
    end)

    it("`to` not JSON text → 400", function()
      s6, e6 = api("POST", "/api/v1/emails", { form = { "account_id=" .. GM.id, "body=x", "to=bob@example.org" } })
      assert.truthy(s6 == 400 and e6.detail:find("'to'"))
    end)

    it("draft → in the drafts folder", function()
      s, d = api("POST", "/api/v1/drafts", { form = form, raw = "--form-string " .. quote("to=" .. to)
          .. " --form-string body=x" })
      assert.truthy(s == 200 and d.object == "DraftCreated"
        and ids_of(all_pages("/api/v1/emails" .. GQ .. "&folder=" .. esc(role.drafts.provider_id), 250))[d.draft_id])
    end)

    it("contacts include the new recipient", function()
      _, contacts = api("GET", "/api/v1/emails/contacts" .. GQ)
      assert.truthy(ids_of(contacts.items, "identifier")["bob@example.org"] == true)
    end)
  end)
end)
