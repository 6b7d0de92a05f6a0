-- The pacer and the journal (issue 11, "Pace" and "Never send twice"),
-- against the sandbox over real HTTP, with SQLite stores in temp files.
local support = require "support"
local pacer_mod = require "unipile.pacer"
local unipile = require "unipile"
local unpack = table.unpack or unpack -- luacheck: ignore 113 143 (5.2+ has one, 5.1 and LuaJIT the other)

local SEND = "ChatsController_sendMessageInChat"

local function tmpstore()
  local path = os.tmpname()
  os.remove(path)
  return path .. ".sqlite3"
end

-- The chats of one account (the seeded ids), and the people it may invite.
-- The two backends, each giving a fresh store spec.
local BACKENDS = {
  { name = "SQLite", fresh = tmpstore },
  { name = "Redis", fresh = function()
      local url = support.redis()
      require("unipile.store").open(url):command("FLUSHDB")
      return url
    end },
}

-- The running interpreter, so children use the same Lua and core.
local function interpreter()
  return assert(io.popen("readlink /proc/$PPID/exe")):read("*l")
end

local function child_command(script, ...)
  local args = {}
  for i, a in ipairs { ... } do args[i] = "'" .. tostring(a) .. "'" end
  -- this process's module paths: busted's lpath is not in the environment
  return string.format("env LUA_PATH='%s' LUA_CPATH='%s' '%s' spec/support/%s %s", package.path, package.cpath,
    interpreter(), script, table.concat(args, " "))
end

local function chats_of(state, account)
  local out = {}
  for _, c in ipairs(state.raw.chats) do if c.account_id == account then out[#out + 1] = c.id end end
  return out
end

-- A fresh sandbox: the chats of the account of its first chat, and that
-- account.
local function fresh_chats()
  local _, state = support.fresh()
  local account = state.raw.chats[1].account_id
  return chats_of(state, account), account
end

local function sent_to(chat_id)
  local n = 0
  for _, r in ipairs(support.requests()) do
    if r.method == "POST" and r.path:find("/chats/" .. chat_id .. "/messages", 1, true) then n = n + 1 end
  end
  return n
end

describe("pacer", function()
  local account, chats
  before_each(function() chats, account = fresh_chats() end)

  it("presets are named by account kind, with the published numbers", function()
    local p = pacer_mod.new { store = tmpstore(), kind = "premium",
      accounts = { A = "free", B = { kind = "free", invitations = { day = 5 } } } }
    assert.same({ day = 100, week = 200, spacing = { 120, 300 } }, p:rule("X", "invitations"))
    assert.same({ day = 100, week = 150, spacing = { 120, 300 } }, p:rule("A", "invitations"))
    assert.equal(5, p:rule("B", "invitations").day)
    assert.equal(150, p:rule("B", "invitations").week)
    assert.equal(80, p:rule("A", "profile_views").day)
    assert.equal(100, pacer_mod.new({ store = tmpstore(), kind = "gmail" }):rule("Z", "emails").day)
  end)

  it("checks its options", function()
    for _, bad in ipairs { { on_limit = "maybe" }, { kind = "gold" }, { limits = { invitations = { daily = 3 } } },
        { limits = { messages = { spacing = { 5, 1 } } } }, { speed = 1 } } do
      bad.store = bad.store or tmpstore()
      local err = support.catch(unipile.new, { dsn = support.sandbox().url, api_key = "k", pacer = bad })
      assert.equal("usage", err.kind)
    end
  end)

  it("on_limit = error: a pace error with allowed_at, and nothing sent", function()
    local c = support.client { pacer = { store = tmpstore(), on_limit = "error",
      limits = { messages = { day = 2, spacing = false } } } }
    c:call(SEND, { chat_id = chats[1], text = "one" })
    c:call(SEND, { chat_id = chats[1], text = "two" })
    local before = #support.requests()
    local err = support.catch(c.call, c, SEND, { chat_id = chats[1], text = "three" })
    assert.equal("pace", err.kind)
    assert.equal("messages", err.class)
    assert.is_true(err.allowed_at > os.time() + 86000)
    assert.equal(before, #support.requests())
  end)

  it("on_limit = wait: sleeps through the spacing, inside unipile.run other tasks go on", function()
    local c = support.client { pacer = { store = tmpstore(), limits = { messages = { spacing = { 0.2, 0.2 } } } } }
    local ticks = 0
    local t0 = support.now()
    unipile.run(function()
      unipile.spawn(function()
        c:call(SEND, { chat_id = chats[1], text = "a" })
        c:call(SEND, { chat_id = chats[1], text = "b" })
      end)
      unipile.spawn(function() for _ = 1, 5 do ticks = ticks + 1; unipile.sleep(20) end end)
    end)
    assert.is_true(support.now() - t0 >= 0.2)
    assert.equal(5, ticks)
    assert.equal(2, sent_to(chats[1]))
  end)

  it("the sandbox enforces a configured limit: 422 limit_exceeded past it", function()
    support.reset { seed = 7, limits = { messages = 1 } }
    local c = support.client()
    c:call(SEND, { chat_id = chats[1], text = "one" })
    local err = support.catch(c.call, c, SEND, { chat_id = chats[1], text = "two" })
    assert.equal(422, err.status)
    assert.equal("errors/limit_exceeded", err.type)
    -- per account: another account is not held by the first one's limit
    support.reset { seed = 7, limits = { messages = 5, accounts = { [account] = { messages = 0 } } } }
    assert.equal(422, support.catch(c.call, c, SEND, { chat_id = chats[1], text = "three" }).status)
  end)

  it("the sandbox refuses limits that are not counts", function()
    assert.has_error(function() support.reset { seed = 7, limits = { messages = -1 } } end)
    support.reset { seed = 7 }
  end)
end)

for _, backend in ipairs(BACKENDS) do
  describe("a " .. backend.name .. " store", function()
    local chats
    before_each(function() chats = fresh_chats() end)

    it("two processes at once keep one daily limit, under the sandbox's", function()
      support.reset { seed = 7, limits = { messages = 20 } }
      local store, sb = backend.fresh(), support.sandbox()
      local one = child_command("pace_child.lua", sb.url, sb.api_key, store, chats[1], 40, 20)
      local out = assert(io.popen("(" .. one .. " & " .. one .. " & wait) 2>&1")):read("*a")
      local total = 0
      for n in out:gmatch("sent (%d+)") do total = total + tonumber(n) end
      assert.equal(20, total, out)
      assert.equal(20, sent_to(chats[1]))
    end)

    it("a journal replays across clients", function()
      local store = backend.fresh()
      local first = support.client({ journal = store }):call(SEND, { chat_id = chats[1], text = "hi" })
      local again = support.client({ journal = store }):call(SEND, { chat_id = chats[1], text = "hi" })
      assert.is_true(again.replayed)
      assert.equal(first.message_id, again.message_id)
      assert.equal(1, sent_to(chats[1]))
    end)

    it("an answer lost after sending is uncertain: listed, refused, resent only when told", function()
      local store = backend.fresh()
      local sb = support.sandbox()
      -- the connection closes with no answer once the request is in
      sb:fault { path = "/chats/" .. chats[1] .. "/messages", kind = "close" }
      local c = support.client { journal = store, retries = 0 }
      local err = support.catch(c.call, c, SEND, { chat_id = chats[1], text = "hi" })
      assert.equal("network", err.kind)
      local list = c:journal_uncertain()
      assert.equal(1, #list)
      assert.equal(SEND, list[1].operation)
      assert.equal(chats[1], list[1].target)
      local refused = support.catch(c.call, c, SEND, { chat_id = chats[1], text = "hi" })
      assert.equal("journal", refused.kind)
      local n = sent_to(chats[1])
      c:call(SEND, { chat_id = chats[1], text = "hi" }, { resend = true })
      assert.equal(n + 1, sent_to(chats[1]))
      assert.same({}, c:journal_uncertain())
    end)
  end)
end

describe("journal", function()
  local chats
  before_each(function() chats = fresh_chats() end)

  it("a second run replays the recorded answer and sends nothing", function()
    local store = tmpstore()
    local first = support.client({ journal = store }):call(SEND, { chat_id = chats[1], text = "hi" })
    local again = support.client({ journal = store }):call(SEND, { chat_id = chats[1], text = "hi" })
    assert.equal(first.message_id, again.message_id)
    assert.is_true(again.replayed)
    assert.is_nil(first.replayed)
    assert.equal(1, sent_to(chats[1]))
    -- other content is another call
    support.client({ journal = store }):call(SEND, { chat_id = chats[1], text = "other" })
    assert.equal(2, sent_to(chats[1]))
  end)

  it("a caller's journal_key names the call", function()
    local c = support.client { journal = tmpstore() }
    c:call(SEND, { chat_id = chats[1], text = "v1" }, { journal_key = "welcome-1" })
    local again = c:call(SEND, { chat_id = chats[1], text = "v2" }, { journal_key = "welcome-1" })
    assert.is_true(again.replayed)
    assert.equal(1, sent_to(chats[1]))
  end)

  it("a refused call (4xx) is not recorded: a re-run tries it again", function()
    support.reset { seed = 7, limits = { messages = 0 } }
    local store = tmpstore()
    assert.equal(422, support.catch(support.client({ journal = store }).call, support.client({ journal = store }), SEND,
      { chat_id = chats[1], text = "x" }).status)
    support.reset { seed = 7 }
    local ok = support.client({ journal = store }):call(SEND, { chat_id = chats[1], text = "x" })
    assert.is_nil(ok.replayed)
  end)

  it("a script killed with kill -9 mid-run and run again messages each chat once", function()
    local sb = support.sandbox()
    local store = tmpstore()
    local cmd = child_command("outreach_child.lua", sb.url, sb.api_key, store, unpack(chats))
    local p = assert(io.popen("sh -c 'echo $$; exec " .. cmd:gsub("'", "'\\''") .. "'"))
    local pid = p:read("*l")
    local first = {}
    for _ = 1, 2 do first[#first + 1] = assert(p:read("*l")) end
    os.execute("kill -9 " .. pid)
    p:close()
    local out = assert(io.popen(cmd)):read("*a")
    assert.truthy(out:find("done", 1, true))
    local uncertain = unipile.new({ dsn = sb.url, api_key = sb.api_key, journal = store }):journal_uncertain()
    for _, chat in ipairs(chats) do
      local n = sent_to(chat)
      assert.is_true(n == 1 or (n <= 1 and #uncertain > 0), chat .. " got " .. n)
    end
    assert.is_true(#uncertain <= 1)
  end)
end)
