-- Non-raising forms: `pending:result()`, `task:result()` and the
-- `client.safe` view return `value` or `nil, err` instead of raising, with
-- no pcall around a yield, so they work inside unipile.run on PUC Lua 5.1.
local unipile = require "unipile"
local support = require "support"

local GET_CHAT = "ChatsController_getChat"

-- Every test runs outside a task and inside unipile.run.
local contexts = {
  { "outside a task", function(fn) return fn() end },
  { "inside unipile.run", unipile.run },
}

-- The non-raising ways to read one chat; `body` takes the chat out of
-- what the form returns.
local function chat_of(value) return value end
local function chat_of_response(value) return value.body end
local forms = {
  { "pending:result()", chat_of, function(c, id) return c:start_call(GET_CHAT, { chat_id = id }):result() end },
  { "client.safe.chats:get", chat_of, function(c, id) return c.safe.chats:get { chat_id = id } end },
  { "client.safe:call", chat_of, function(c, id) return c.safe:call(GET_CHAT, { chat_id = id }) end },
  { "client.safe:request", chat_of_response, function(c, id) return c.safe:request { path = "/chats/" .. id } end },
  { "start_request():result()", chat_of_response,
    function(c, id) return c:start_request({ path = "/chats/" .. id }):result() end },
}

-- Calls the safe view refuses before any request: { name, param, fn(client) }.
local usage_cases = {
  { "a missing required param", "chat_id", function(c) return c.safe.chats:get {} end },
  { "an unknown param", "bogus", function(c) return c.safe:call(GET_CHAT, { chat_id = "x", bogus = 1 }) end },
  { "an unknown operation", nil, function(c) return c.safe:call("NoSuchController_nothing", {}) end },
  { "a bad request path", "path", function(c) return c.safe:request { path = "chats" } end },
  { "a bad helper param", "reconnect_account", function(c) return c.safe.hosted:link { type = "reconnect" } end },
}

describe("non-raising forms", function()
  local client, state
  before_each(function()
    local _
    _, state, client = support.fresh()
  end)

  for _, ctx in ipairs(contexts) do
    local where, within = ctx[1], ctx[2]
    describe(where, function()
      for _, form in ipairs(forms) do
        local name, body, get = form[1], form[2], form[3]

        it(name .. " returns nil and the http error of a 404, after one request", function()
          local value, err = within(function() return get(client, "missing-chat") end)
          assert.is_nil(value)
          assert.is_true(unipile.is_error(err, "http"), tostring(err))
          assert.are.equal(404, err.status)
          local reqs = support.requests()
          assert.are.equal(1, #reqs)
          assert.are.equal("/api/v1/chats/missing-chat", reqs[1].path)
        end)

        it(name .. " returns the value on success", function()
          local value, err = within(function() return get(client, state.chats[1]) end)
          assert.is_nil(err)
          assert.are.equal(state.chats[1], body(value).id)
        end)
      end

      for _, case in ipairs(usage_cases) do
        it("client.safe returns nil and a usage error for " .. case[1] .. ", with no request", function()
          local value, err = within(function() return case[3](client) end)
          assert.is_nil(value)
          assert.is_true(unipile.is_error(err, "usage"), tostring(err))
          assert.are.equal(case[2], err.param)
          assert.are.equal(0, #support.requests())
        end)
      end

      it("client.safe checkpoints: wait returns the account, solve a usage error", function()
        local account, err = within(function()
          local cp = assert(client.safe.accounts:connect { provider = "INSTAGRAM", username = "me", password = "pw" })
          assert.are.equal("IN_APP_VALIDATION", cp.type)
          local bad, solve_err = cp:solve("")
          assert.is_nil(bad)
          assert.is_true(unipile.is_error(solve_err, "usage"))
          return cp:wait { interval_ms = 20, timeout_ms = 5000 }
        end)
        assert.is_nil(err)
        assert.are.equal("Account", account.object)
      end)

      it("client.safe checkpoints: a wait that times out returns nil and the timeout error", function()
        local account, err = within(function()
          local cp = assert(client.safe.accounts:connect { provider = "WHATSAPP" })
          return cp:wait { interval_ms = 20, timeout_ms = 100 }
        end)
        assert.is_nil(account)
        assert.is_true(unipile.is_error(err, "timeout"), tostring(err))
        assert.are.equal("checkpoint:wait", err.operation)
      end)

      it("client.safe helpers return the server's error", function()
        local account, err = within(function() return client.safe.accounts:connect { provider = "LINKEDIN" } end)
        assert.is_nil(account)
        assert.are.equal(400, err.status)
      end)
    end)
  end

  it("client.safe iterators still raise (a for loop cannot return an error)", function()
    local err = support.catch(client.safe.chats.each, client.safe.chats, { bogus = 1 })
    assert.are.equal("usage", err.kind)
    err = support.catch(function() for _ in client.safe.chats:each_messages { chat_id = "missing-chat" } do end end)
    assert.are.equal(404, err.status)
  end)

  it("client.safe is one view per client, over the same client", function()
    assert.are.equal(client.safe, client.safe)
    assert.are.equal(client.safe, client.safe.safe)
    assert.are.equal(client, client.safe.client)
    assert.are.equal(client.base, client.safe.base)
    assert.are.equal(client.safe, client.safe.chats.client)
  end)

  it("task:result() returns the task's values, or nil and its error", function()
    local ok_value, failed, err = unipile.run(function()
      local good = unipile.spawn(function() return client.chats:get { chat_id = state.chats[1] } end)
      local bad = unipile.spawn(function() return client.chats:get { chat_id = "missing-chat" } end)
      local v = good:result()
      return v, bad:result()
    end)
    assert.are.equal(state.chats[1], ok_value.id)
    assert.is_nil(failed)
    assert.are.equal(404, err.status)
  end)
end)
