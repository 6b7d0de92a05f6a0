-- Watch and rehearse (issue 11): hooks, the attempt log, UNIPILE_DEBUG,
-- rate-limit headers and dry runs, against the sandbox over HTTP.
local support = require "spec.support"
local shell = require "spec.support.shell"
local sys = require "unipile.sandbox.sys"
local cjson = require "cjson"

local function runtime()
  if jit then return "luajit" end
  return "lua" .. _VERSION:match("%d+%.%d+")
end

-- Everything written to io.stderr while `fn` runs.
local function stderr_of(fn)
  local saved, out = io.stderr, {}
  -- watch.lua looks io.stderr up at each write: a stand-in collects them
  rawset(io, "stderr", { write = function(self, ...)
    for _, s in ipairs { ... } do out[#out + 1] = tostring(s) end
    return self
  end })
  local ok, err = pcall(fn)
  rawset(io, "stderr", saved)
  if not ok then error(err, 0) end
  return table.concat(out)
end

-- A client whose hooks record every event as { name, event }.
local function recording_client(extra)
  local seen = {}
  local hooks = {}
  for _, name in ipairs { "request", "attempt", "retry", "error" } do
    hooks[name] = function(e) seen[#seen + 1] = { name, e } end
  end
  local opts = { hooks = hooks }
  for k, v in pairs(extra or {}) do opts[k] = v end
  return support.client(opts), seen
end

local function names(seen)
  local out = {}
  for i, s in ipairs(seen) do out[i] = s[1] end
  return table.concat(out, " ")
end

local function no_key(text)
  local key = support.sandbox().api_key
  assert.is_nil(text:find(key, 1, true), "the API key appears in: " .. text:sub(1, 300))
end

describe("hooks", function()
  local sb, state
  before_each(function() sb, state = support.fresh() end)

  it("report the request, each attempt and each retry with its reason and delay", function()
    local client, seen = recording_client()
    sb:fault { method = "GET", path = "^/api/v1/chats$", status = 503, count = 1 }
    client.chats:list { limit = 2 }
    assert.are.equal("request attempt retry attempt", names(seen))
    local req, first, retry, last = seen[1][2], seen[2][2], seen[3][2], seen[4][2]
    assert.are.same({ "GET", "/api/v1/chats", "limit=2", "ChatsController_listAllChats" },
      { req.method, req.path, req.query, req.operation })
    assert.are.same({ 1, 503 }, { first.attempt, first.status })
    assert.are.same({ 2, 200, true }, { last.attempt, last.status, last.final })
    assert.is_true(last.bytes > 0 and last.ms >= 0)
    assert.are.same({ 1, "HTTP 503", "backoff" }, { retry.attempt, retry.reason, retry.delay_from })
    assert.is_true(retry.delay_ms >= 0 and retry.delay_ms <= 50)
    assert.are.equal(1000, last.rate_limit.limit)
    assert.are.equal(first.rate_limit.remaining - 1, last.rate_limit.remaining)
    no_key(cjson.encode((function() local t = {} for i, s in ipairs(seen) do t[i] = s[2] end return t end)()))
  end)

  it("give a Retry-After retry its delay and the attempt its Retry-After", function()
    local client, seen = recording_client()
    sb:fault { method = "GET", path = "^/api/v1/accounts$", status = 429, retry_after = "1", count = 1 }
    client.accounts:list()
    local first, retry = seen[2][2], seen[3][2]
    assert.are.same({ 429, 1 }, { first.status, first.retry_after })
    assert.are.same({ "HTTP 429", 1000, "retry_after" }, { retry.reason, retry.delay_ms, retry.delay_from })
  end)

  it("report an error and still raise it", function()
    local client, seen = recording_client()
    local err = support.catch(function() return client.chats:get { chat_id = "nope" } end)
    assert.are.equal(404, err.status)
    assert.are.equal("request attempt error", names(seen))
    assert.are.equal(err, seen[3][2].error)
  end)

  it("that raise go to the error hook and never break the request", function()
    local reported = {}
    local client = support.client { hooks = {
      attempt = function() error("boom in attempt") end,
      error = function(e) reported[#reported + 1] = e end } }
    local page = client.chats:list { limit = 1 }
    assert.are.equal(1, #page.items)
    assert.are.equal(1, #reported)
    assert.are.equal("attempt", reported[1].hook)
    assert.matches("boom in attempt", tostring(reported[1].error))
  end)

  it("that raise with no error hook are reported on stderr once", function()
    local client = support.client { hooks = { request = function() error("boom in request") end } }
    local out = stderr_of(function()
      client.chats:list { limit = 1 }
      client.chats:list { limit = 1 }
    end)
    local _, count = out:gsub("boom in request", "")
    assert.are.equal(1, count)
    assert.are.equal(2, #support.requests())
  end)

  it("can be added with client:on, and bad ones are usage errors", function()
    local client = support.client()
    local got = {}
    assert.are.equal(client, client:on("attempt", function(e) got[#got + 1] = e.status end))
    client:on("attempt", function(e) got[#got + 1] = -e.status end)
    client.accounts:get { id = state.accounts[1] }
    assert.are.same({ 200, -200 }, got)
    for _, bad in ipairs { { "atempt", print }, { "attempt", "not a function" } } do
      local err = support.catch(client.on, client, bad[1], bad[2])
      assert.are.equal("usage", err.kind)
    end
    assert.are.equal("usage", support.catch(support.client, { hooks = { sent = print } }).kind)
  end)
end)

describe("the attempt log", function()
  before_each(function() support.reset() end)

  it("is in the response, one entry per attempt, the delay on retried ones", function()
    local sb = support.sandbox()
    sb:fault { method = "GET", path = "^/api/v1/accounts$", status = 502, count = 2 }
    local res = support.client():request { path = "/api/v1/accounts" }
    local log = res.attempt_log
    assert.are.same({ 1, 2, 3 }, { log[1].attempt, log[2].attempt, log[3].attempt })
    assert.are.same({ 502, 502, 200 }, { log[1].status, log[2].status, log[3].status })
    assert.are.same({ "status", "status" }, { log[1].reason, log[2].reason })
    assert.is_number(log[2].delay_ms)
    assert.is_nil(log[3].delay_ms)
    assert.are.equal(res.bytes, log[3].bytes)
  end)

  it("keeps the last 16 attempts of a long retry run", function()
    local sb = support.sandbox()
    sb:fault { method = "GET", path = "^/api/v1/accounts$", status = 503, count = -1 }
    local c = support.client { retries = 20, backoff_ms = 0, backoff_max_ms = 0 }
    local err = support.catch(function() return c:request { path = "/api/v1/accounts" } end)
    assert.are.equal(21, err.attempts)
    local res = nil
    c:on("attempt", function(e) res = res or e.attempt end)
    support.catch(function() return c:request { path = "/api/v1/accounts" } end)
    assert.are.equal(6, res)  -- 21 - 16 + 1
  end)

  it("names a connection that failed before sending", function()
    local c = support.client { dsn = "http://127.0.0.1:" .. support.closed_port(), retries = 1 }
    local seen = {}
    c:on("retry", function(e) seen[#seen + 1] = e.reason end)
    support.catch(function() return c:request { path = "/api/v1/accounts" } end)
    assert.are.same({ "not sent" }, seen)
  end)
end)

describe("rate-limit headers", function()
  local sb
  before_each(function() sb = support.reset() end)

  it("are on responses and errors when the server sends them", function()
    local c = support.client()
    local a = c:request { path = "/api/v1/accounts" }
    local b = c:request { path = "/api/v1/accounts" }
    assert.are.equal(1000, a.rate_limit.limit)
    assert.are.equal(999, a.rate_limit.remaining)
    assert.are.equal(998, b.rate_limit.remaining)
    assert.is_true(a.rate_limit.reset >= 0 and a.rate_limit.reset <= 60)
    local err = support.catch(function() return c.chats:get { chat_id = "nope" } end)
    assert.are.equal(997, err.rate_limit.remaining)
  end)

  it("are absent when the server does not send them", function()
    local c = support.client { api_key = "wrong-key" }
    local err = support.catch(function() return c:request { path = "/api/v1/accounts" } end)
    assert.are.equal(401, err.status)
    assert.is_nil(err.rate_limit)
    assert.is_nil(sb:last_request().headers["x-ratelimit-limit"])
  end)
end)

describe("debug output", function()
  before_each(function() support.reset() end)

  it("at level 1 is one line per attempt: method, path, status, ms, bytes, attempt", function()
    local sb = support.sandbox()
    sb:fault { method = "GET", path = "^/api/v1/chats$", status = 503, count = 1 }
    local c = support.client { debug = 1 }
    local out = stderr_of(function() c.chats:list { limit = 2 } end)
    local lines = {}
    for line in out:gmatch("[^\n]+") do lines[#lines + 1] = line end
    assert.are.equal(2, #lines)
    assert.matches("^unipile: GET /api/v1/chats%?limit=2 503 %d+ ms %d+ B attempt 1$", lines[1])
    assert.matches("^unipile: GET /api/v1/chats%?limit=2 200 %d+ ms %d+ B attempt 2$", lines[2])
    no_key(out)
  end)

  it("at level 2 adds bodies with the secret fields hidden", function()
    local c = support.client { debug = 2 }
    local secrets = { password = "pw-SECRET-1", access_token = "at-SECRET-2", refresh_token = "rt-SECRET-3",
      premium_token = "pt-SECRET-4", imap_password = "ip-SECRET-5", smtp_password = "sp-SECRET-6",
      code = "co-SECRET-7", cookies = { li_at = "ck-SECRET-8" } }
    local body = { provider = "LINKEDIN", username = "visible-user", nested = { secrets } }
    for k, v in pairs(secrets) do body[k] = v end
    local out = stderr_of(function()
      pcall(c.request, c, { method = "POST", path = "/api/v1/accounts", json = body })
      pcall(c.request, c, { method = "POST", path = "/api/v1/hosted/accounts/link",
        multipart = { password = "mp-SECRET-9", note = "visible-note" } })
    end)
    assert.matches("visible%-user", out)
    assert.matches("visible%-note", out)
    assert.matches('"password":"%*%*%*"', out)
    assert.matches("unipile: < POST /api/v1/accounts ", out)
    assert.is_nil(out:find("SECRET", 1, true), out)
    no_key(out)
  end)

  it("comes from UNIPILE_DEBUG, and a whole spec run under UNIPILE_DEBUG=2 never shows the key", function()
    local lua = runtime()
    -- The child's sandbox has its own random key (sbx_ and 32 hex digits).
    local cmd = string.format("env UNIPILE_DEBUG=2 LUA_PATH=%s LUA_CPATH=%s %s /usr/bin/busted %s 2>&1",
      sys.quote("lua/?.lua;lua/?/init.lua;spec/?.lua;;"), sys.quote("build/" .. lua .. "/?.so;;"), lua,
      "spec/retry_spec.lua spec/request_spec.lua spec/pagination_spec.lua")
    local out, rc = shell.run(shell.clean(cmd))
    assert.are.equal(0, rc, out:sub(-2000))
    assert.matches("unipile: GET /api/v1/[%w/_?=&%%-]+ %d+ %d+ ms %d+ B attempt %d+", out)
    assert.matches("unipile: < ", out)
    assert.is_nil(out:find("sbx_" .. ("%x"):rep(32)), "a sandbox key is in the debug output")
  end)
end)

describe("dry_run", function()
  local state
  before_each(function() state = select(2, support.fresh()) end)

  it("builds a call's request and sends nothing", function()
    local c = support.client()
    local r = c.chats:list({ account_id = state.accounts[1], limit = 5 }, { dry_run = true })
    assert.is_true(r.dry_run)
    assert.are.equal("GET", r.method)
    assert.are.equal(support.sandbox().url .. "/api/v1/chats?account_id=" .. state.accounts[1] .. "&limit=5", r.url)
    assert.are.equal("ChatsController_listAllChats", r.operation)
    assert.are.equal("X-API-KEY: ***", r.headers[1])
    no_key(cjson.encode(r))
    assert.are.equal(0, #support.requests())
  end)

  it("shows a JSON body, and multipart parts with file names and sizes (client option)", function()
    local c = support.client { dry_run = true }
    local seen = {}
    c:on("request", function(e) seen[#seen + 1] = e.dry_run end)
    local j = c:request { method = "PATCH", path = "/api/v1/chats/abc", json = { action = "setReadStatus", value = true } }
    assert.are.same({ action = "setReadStatus", value = true }, j.json)
    assert.truthy(table.concat(j.headers, "\n"):find("Content-Type: application/json", 1, true))
    local path = support.tmpname()
    sys.write_file(path, "twelve bytes")
    local m = c.chats:start { account_id = state.accounts[1], text = "hi", attendees_ids = { "a" },
      attachments = { path, { filename = "note.txt", content = "in memory" } } }
    os.remove(path)
    local by = {}
    for _, p in ipairs(m.parts) do by[p.filename or p.name] = p end
    assert.are.equal(12, by[path:match("[^/]+$")].size)
    assert.are.equal(9, by["note.txt"].size)
    assert.are.equal("hi", by.text.value)
    assert.are.same({ true, true }, seen)
    assert.are.equal(0, #support.requests())
  end)

  it("of a paginated call returns the first request only", function()
    local c = support.client()
    for _, how in ipairs { "each", "pages" } do
      local got = {}
      for r in c.chats[how](c.chats, { limit = 2 }, { dry_run = true }) do got[#got + 1] = r end
      assert.are.equal(1, #got)
      assert.matches("/api/v1/chats%?limit=2$", got[1].url)
    end
    assert.are.equal(0, #support.requests())
  end)

  it("must be a boolean", function()
    local c = support.client()
    for _, err in ipairs { support.catch(c.request, c, { path = "/chats", dry_run = "yes" }),
        support.catch(c.call, c, "ChatsController_listAllChats", {}, { dry_run = 0 }),
        support.catch(support.client, { dry_run = 1 }) } do
      assert.are.same({ "usage", "dry_run" }, { err.kind, err.param })
      assert.matches("must be a boolean", err.message)
    end
  end)
end)
