local support = require "support"

describe("resources", function()
  local client, state
  before_each(function()
    support.reset()
    state = support.state()
    client = support.client()
  end)

  describe("accounts", function()
    it("lists, gets and deletes", function()
      local page = client.accounts:list()
      assert.are.equal("AccountList", page.object)
      assert.are.equal(#state.accounts, #page.items)
      local id = page.items[1].id
      local acc = client.accounts:get { id = id }
      assert.are.equal("Account", acc.object)
      assert.are.equal(id, acc.id)
      assert.are.equal("/api/v1/accounts/" .. id, support.last("GET").path)
      client.accounts:delete { id = id }
      assert.are.equal("DELETE", support.last().method)
      local err = support.catch(function() return client.accounts:get { id = id } end)
      assert.are.equal(404, err.status)
      local n = 0
      for _ in client.accounts:each() do n = n + 1 end
      assert.are.equal(#state.accounts - 1, n)
    end)

    it("creates an account with a JSON body", function()
      local res = client.accounts:create { provider = "LINKEDIN", access_token = "li_at" }
      assert.are.equal("AccountCreated", res.object)
      assert.is_string(res.account_id)
      assert.are.same({ provider = "LINKEDIN", access_token = "li_at" }, support.last("POST").json)
      assert.are.equal(res.account_id, client.accounts:get { id = res.account_id }.id)
    end)
  end)

  describe("chats", function()
    it("filters by account and reads one chat", function()
      local account = state.accounts[1]
      local n = 0
      for chat in client.chats:each { account_id = account } do
        assert.are.equal(account, chat.account_id)
        n = n + 1
      end
      assert.is_true(n > 0)
      assert.are.equal(account, support.last().args.account_id)
      local chat = client.chats:get { chat_id = state.chats[1] }
      assert.are.equal(state.chats[1], chat.id)
    end)

    it("sends a message that then shows in the chat", function()
      local chat = state.chats[2]
      local sent = client.chats:send_message { chat_id = chat, text = "hello from lua" }
      assert.are.equal("MessageSent", sent.object)
      local req = support.last("POST")
      assert.are.equal("/api/v1/chats/" .. chat .. "/messages", req.path)
      local page = client.chats:list_messages { chat_id = chat, limit = 1 }
      assert.are.equal(sent.message_id, page.items[1].id)
      assert.are.equal("hello from lua", page.items[1].text)
      local found = false
      for m in client.chats:each_messages { chat_id = chat } do
        if m.id == sent.message_id then found = true end
      end
      assert.is_true(found)
    end)

    it("starts a chat and lists its attendees", function()
      local started = client.chats:start { account_id = state.accounts[1], text = "hi",
        attendees_ids = { state.attendees[1] } }
      assert.are.equal("ChatStarted", started.object)
      local list = client.chats:list_attendees { chat_id = state.chats[1] }
      assert.are.equal("ChatAttendeeList", list.object)
      assert.is_true(#list.items > 0)
    end)

    it("deletes a chat", function()
      client.chats:delete { chat_id = state.chats[3] }
      local err = support.catch(function() return client.chats:get { chat_id = state.chats[3] } end)
      assert.are.equal(404, err.status)
    end)
  end)

  describe("messages", function()
    it("lists, gets, forwards, reacts and deletes", function()
      local page = client.messages:list { limit = 3 }
      assert.are.equal("MessageList", page.object)
      assert.are.equal(3, #page.items)
      local from, to = state.raw.chats[1], state.raw.chats[2]
      assert.are.equal(from.account_id, to.account_id)
      local id = from.messages[1]
      assert.are.equal(id, client.messages:get { message_id = id }.id)
      client.messages:forward { message_id = id, chat_id = to.id }
      local req = support.last("POST")
      assert.are.equal("/api/v1/messages/" .. id .. "/forward", req.path)
      assert.are.same({ chat_id = to.id }, req.json)
      client.messages:add_reaction { message_id = id, reaction = "👍" }
      assert.are.same({ reaction = "👍" }, support.last("POST").json)
      client.messages:delete { message_id = id }
      local err = support.catch(function() return client.messages:get { message_id = id } end)
      assert.are.equal(404, err.status)
    end)
  end)

  describe("attendees", function()
    it("lists, gets, downloads the picture, lists chats and messages", function()
      local page = client.attendees:list { limit = 2 }
      assert.are.equal("ChatAttendeeList", page.object)
      local id = page.items[1].id
      assert.are.equal(id, client.attendees:get { id = id }.id)
      local picture = client.attendees:get_picture { id = id }
      assert.is_string(picture)
      assert.are.equal("\255\216", picture:sub(1, 2)) -- JPEG magic
      local n = 0
      for chat in client.attendees:each_chats { attendee_id = id } do n = n + 1 assert.is_string(chat.id) end
      assert.are.equal("/api/v1/chat_attendees/" .. id .. "/chats", support.last().path)
      for msg in client.attendees:each_messages { sender_id = id, max_items = 5 } do assert.is_string(msg.id) end
      assert.are.equal("/api/v1/chat_attendees/" .. id .. "/messages", support.last().path)
    end)
  end)
end)
