local unipile = require "unipile"
local support = require "support"

describe("requests", function()
  local sb, client, state
  before_each(function()
    sb, state, client = support.fresh()
  end)

  it("sends the key, Accept, a User-Agent and lets curl negotiate compression", function()
    local res = client:request { path = "/api/v1/accounts" }
    assert.are.equal(200, res.status)
    assert.are.equal("AccountList", res.body.object)
    local last = support.last()
    local h = last.headers
    assert.are.equal("matched", last.api_key)
    assert.are.equal("application/json", h["accept"])
    assert.matches("^lua%-unipile/%d+%.%d+%.%d+ libcurl/%d+%.%d+%.%d+ [%w .-]+$", h["user-agent"])
    assert.matches("Lua", h["user-agent"])
    assert.matches("gzip", h["accept-encoding"])
  end)

  it("decodes a compressed body", function()
    local res = client:request { path = "/api/v1/chats", query = { limit = 50 } }
    assert.are.equal("gzip", res.headers["Content-Encoding"])
    assert.are.equal("ChatList", res.body.object)
    assert.are.equal(res.headers["content-encoding"], res.headers["CONTENT-ENCODING"])
  end)

  it("sends each path param as one percent-encoded segment", function()
    local id = "a/b?c#d%e f"
    local err = support.catch(function() return client.chats:get { chat_id = id } end)
    assert.are.equal(404, err.status)
    local req = support.last()
    assert.are.equal("/api/v1/chats/a%2Fb%3Fc%23d%25e%20f", req.path)
    assert.are.equal(id, req.segments[#req.segments])
  end)

  it("encodes query values: booleans, numbers, repeated array keys", function()
    client:request { path = "/api/v1/accounts", query = {
      unread = false, limit = 10, tag = { "a b", "c&d" }, before = "2025-01-01T00:00:00.000Z" } }
    local req = support.last()
    assert.are.equal("before=2025-01-01T00%3A00%3A00.000Z&limit=10&tag=a%20b&tag=c%26d&unread=false", req.query)
    assert.are.same({ "a b", "c&d" }, req.args.tag)
    assert.are.equal("false", req.args.unread)
  end)

  it("sends a JSON body", function()
    local chat = state.chats[1]
    local out = client.chats:update { chat_id = chat, action = "setReadStatus", value = true }
    assert.is_table(out)
    local req = support.last()
    assert.are.equal("PATCH", req.method)
    assert.are.equal("/api/v1/chats/" .. chat, req.path)
    assert.matches("^application/json", req.headers["content-type"])
    assert.are.same({ action = "setReadStatus", value = true }, req.json)
  end)

  it("keeps cjson.null in JSON bodies", function()
    client:request { method = "POST", path = "/api/v1/accounts", json = { provider = "WHATSAPP", proxy = unipile.null } }
    assert.are.equal('null', support.last().body:match('"proxy":(%a+)'))
  end)

  it("sends multipart bodies: fields, files from disk, in-memory files, repeated names, brackets", function()
    local path = support.tmpname()
    local f = assert(io.open(path, "wb"))
    f:write("file on disk\0with a NUL")
    f:close()
    local res = client.chats:start {
      account_id = state.accounts[1], text = "hello",
      attendees_ids = { "att-1", "att-2" },
      attachments = { path, { filename = "note.txt", content = "in memory", content_type = "text/plain" } },
      linkedin = { inmail = true, api = "classic" },
    }
    os.remove(path)
    assert.are.equal("ChatStarted", res.object)
    local req = support.last()
    assert.matches("^multipart/form%-data; boundary=", req.headers["content-type"])
    local by = {}
    for _, p in ipairs(req.parts) do
      by[p.name] = by[p.name] or {}
      table.insert(by[p.name], p)
    end
    assert.are.equal("hello", by.text[1].data)
    assert.are.equal(state.accounts[1], by.account_id[1].data)
    assert.are.same({ "att-1", "att-2" }, { by.attendees_ids[1].data, by.attendees_ids[2].data })
    assert.are.equal("true", by["linkedin[inmail]"][1].data)
    assert.are.equal("classic", by["linkedin[api]"][1].data)
    assert.are.equal(2, #by.attachments)
    assert.are.equal("file on disk\0with a NUL", by.attachments[1].data)
    assert.are.equal(path:match("[^/]+$"), by.attachments[1].filename)
    assert.are.equal("note.txt", by.attachments[2].filename)
    assert.are.equal("text/plain", by.attachments[2].content_type)
    assert.are.equal("in memory", by.attachments[2].data)
  end)

  it("refuses a missing attachment file before any I/O", function()
    sb:clear_requests()
    local err = support.catch(function()
      return client.chats:send_message { chat_id = state.chats[1], attachments = { "/nonexistent/x.png" } }
    end)
    assert.are.equal("usage", err.kind)
    assert.matches("cannot send file", err.message, 1, true)
    assert.are.equal(0, #support.requests())
  end)

  -- A pending request keeps its answer for as long as the caller holds it,
  -- and no longer (bench/README.md, race: an old pending request holding a
  -- page kept it alive through minor collections).
  describe("a pending request's answer", function()
    local CHATS = "ChatsController_listAllChats"
    -- Lua 5.1 and LuaJIT have no ephemerons: there the answer lives as long
    -- as the pending request, as it always did.
    local function has_ephemerons()
      local t = setmetatable({}, { __mode = "k" })
      do local k = {} t[k] = k end
      collectgarbage()
      collectgarbage()
      return next(t) == nil
    end
    local function page_after_collection()
      local pending = client:start_call(CHATS, { limit = 3 })
      local weak = setmetatable({ page = pending:wait() }, { __mode = "v" })
      assert.are.equal("ChatList", weak.page.object)
      collectgarbage()
      collectgarbage()
      return weak.page, pending
    end

    if has_ephemerons() then
      it("is let go once the caller lets go of it, the pending request still held", function()
        local page, pending = page_after_collection()
        assert.is_nil(page)
        assert.is_not_nil(pending)
      end)
    else
      it("lives as long as the pending request (this runtime has no ephemerons)", function()
        assert.are.equal("ChatList", page_after_collection().object)
      end)
    end

    it("is the same while the caller holds it: waiting again, pending.response", function()
      local pending = client:start_call(CHATS, { limit = 3 })
      local page = pending:wait()
      collectgarbage()
      collectgarbage()
      assert.are.equal(page, pending:wait())
      assert.are.equal(page, pending.response.body)
      assert.are.equal(200, pending.response.status)
      local res = client:start_request { path = "/api/v1/chats" }
      local got = res:wait()
      collectgarbage()
      assert.are.equal(got, res:wait())
      assert.are.equal(got, res.response)
    end)

    it("is read again from the transfer once let go, with no second request", function()
      local pending = client:start_call(CHATS, { limit = 3 })
      local first_ids = {}
      for i, chat in ipairs(pending:wait().items) do first_ids[i] = chat.id end
      collectgarbage()
      collectgarbage()
      local again = {}
      for i, chat in ipairs(pending:wait().items) do again[i] = chat.id end
      assert.are.same(first_ids, again)
      assert.are.equal(200, pending.response.status)
      assert.are.equal(1, #support.requests())
    end)

    it("is nil before a wait and after a failed one", function()
      sb:fault { method = "GET", path = "^/api/v1/chats$", status = 400 }
      local pending = client:start_call(CHATS, { limit = 3 })
      assert.is_nil(pending.response)
      local value, err = pending:result()
      assert.is_nil(value)
      assert.are.equal(400, err.status)
      assert.is_nil(pending.response)
    end)
  end)

  describe("downloads", function()
    local sent, message_id, attachment
    before_each(function()
      local bytes = {}
      for i = 0, 255 do bytes[#bytes + 1] = string.char(i) end
      sent = table.concat(bytes):rep(4096) -- 1 MiB, every byte value
      local chat = state.chats[1]
      local r = client.chats:send_message { chat_id = chat, text = "with file",
        attachments = { { filename = "blob.bin", content = sent, content_type = "application/octet-stream" } } }
      message_id = r.message_id
      attachment = client.messages:get { message_id = message_id }.attachments[1]
    end)

    it("returns the bytes", function()
      local got = client.messages:get_attachment { message_id = message_id, attachment_id = attachment.id }
      assert.are.equal(#sent, #got)
      assert.is_true(got == sent)
    end)

    it("streams to a file", function()
      local path = support.tmpname()
      local res = client.messages:get_attachment({ message_id = message_id, attachment_id = attachment.id }, { output = path })
      assert.are.equal(200, res.status)
      assert.is_nil(res.body)
      assert.is_true(support.read_file(path) == sent)
      os.remove(path)
    end)

    it("streams to a sink function", function()
      local chunks = {}
      client.messages:get_attachment({ message_id = message_id, attachment_id = attachment.id },
        { output = function(chunk) chunks[#chunks + 1] = chunk end })
      assert.is_true(#chunks > 1)
      assert.is_true(table.concat(chunks) == sent)
    end)

    it("stops when the sink raises, with that error", function()
      local err = support.catch(function()
        return client.messages:get_attachment({ message_id = message_id, attachment_id = attachment.id },
          { output = function() error("disk full") end })
      end)
      assert.are.equal("network", err.kind)
      assert.matches("disk full", tostring(err))
    end)
  end)

  it("reuses the connection", function()
    client.accounts:list()
    client.accounts:list()
    local res = client:request { path = "/api/v1/accounts" }
    assert.are.equal(0, res.new_connections)
    local reqs = support.requests()
    assert.are.equal(reqs[1].connection, reqs[#reqs].connection)
  end)

  it("refuses header values with CR or LF", function()
    sb:clear_requests()
    local err = support.catch(function()
      return client:request { path = "/api/v1/accounts", headers = { ["X-Trace"] = "a\r\nX-Evil: 1" } }
    end)
    assert.are.equal("usage", err.kind)
    assert.matches("X%-Trace", err.message)
    assert.are.equal(0, #support.requests())
    err = support.catch(unipile.new, { dsn = sb.url, api_key = "abc\nX-Evil: 1" })
    assert.are.equal("usage", err.kind)
    assert.is_nil(tostring(err):find("X-Evil", 1, true))
  end)
end)
