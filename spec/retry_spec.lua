local support = require "support"

describe("retries", function()
  local sb, client, state
  before_each(function()
    sb, state, client = support.fresh()
  end)

  local function count(method, pattern)
    local n = 0
    for _, r in ipairs(support.requests()) do
      if r.method == method and r.path:find(pattern) then n = n + 1 end
    end
    return n
  end

  for _, status in ipairs { 429, 502, 503, 504 } do
    it("retries a GET after " .. status, function()
      sb:fault { method = "GET", path = "^/api/v1/accounts$", status = status }
      local res = client:request { path = "/api/v1/accounts" }
      assert.are.equal(200, res.status)
      assert.are.equal(2, res.attempts)
      assert.are.equal(2, count("GET", "^/api/v1/accounts$"))
    end)
  end

  it("retries PUT, PATCH and DELETE", function()
    for _, m in ipairs { "PATCH", "DELETE" } do
      sb:fault { method = m, status = 503 }
    end
    client.chats:update { chat_id = state.chats[1], action = "setReadStatus", value = true }
    client.messages:delete { message_id = state.messages[1] }
    assert.are.equal(2, count("PATCH", "/chats/"))
    assert.are.equal(2, count("DELETE", "/messages/"))
  end)

  -- a POST that reached the server is not sent again, whatever the failure
  for _, case in ipairs {
    { "reached the server", { method = "POST", status = 503, count = 3 }, "http", 503 },
    { "cut off mid-answer", { method = "POST", kind = "close" }, "network" },
  } do
    local what, fault, kind, status = case[1], case[2], case[3], case[4]
    it("does not retry a POST that " .. what, function()
      sb:fault(fault)
      local err = support.catch(function()
        return client.chats:send_message { chat_id = state.chats[1], text = "once only" }
      end)
      assert.are.equal(kind, err.kind)
      if status then assert.are.equal(status, err.status) end
      assert.are.equal(1, err.attempts)
      assert.are.equal(1, count("POST", "/messages$"))
    end)
  end

  it("retries a POST that never reached the server", function()
    local c = support.client { dsn = "http://127.0.0.1:" .. support.closed_port(), retries = 2 }
    local err = support.catch(function()
      return c.chats:send_message { chat_id = "x", text = "hi" }
    end)
    assert.are.equal("network", err.kind)
    assert.are.equal(3, err.attempts)
    assert.matches("after 3 attempts", tostring(err))
  end)

  it("retries a POST that carries an idempotency key", function()
    sb:fault { method = "POST", status = 503 }
    local res = client:request { method = "POST", path = "/api/v1/chats/" .. state.chats[1] .. "/messages",
      multipart = { text = "safe" }, idempotency_key = "key-1" }
    assert.are.equal(2, res.attempts)
    local reqs = support.requests()
    assert.are.equal("key-1", reqs[#reqs].headers["idempotency-key"])
  end)

  -- Retry-After as seconds or as an HTTP date: waited, within a bound
  for _, case in ipairs {
    { "waits for Retry-After", { method = "GET", status = 429, retry_after = "1" }, 2.5 },
    { "reads Retry-After as an HTTP date",
      { method = "GET", status = 503, retry_after = function() return os.date("!%a, %d %b %Y %H:%M:%S GMT", os.time() + 2) end },
      3.5 },
  } do
    local name, fault, at_most = case[1], case[2], case[3]
    it(name, function()
      local f = {}
      for k, v in pairs(fault) do f[k] = type(v) == "function" and v() or v end
      sb:fault(f)
      local t0 = support.now()
      local res = client:request { path = "/api/v1/accounts" }
      local waited = support.now() - t0
      assert.are.equal(2, res.attempts)
      assert.is_true(waited >= 0.9, "waited " .. waited)
      assert.is_true(waited < at_most, "waited " .. waited)
    end)
  end

  it("gives up when Retry-After is beyond the cap", function()
    sb:fault { method = "GET", status = 429, retry_after = "30" }
    local c = support.client { retry_after_max_ms = 2000 }
    local t0 = support.now()
    local err = support.catch(function() return c:request { path = "/api/v1/accounts" } end)
    assert.is_true(support.now() - t0 < 1)
    assert.are.equal(429, err.status)
    assert.are.equal("errors/too_many_requests", err.type)
    assert.are.equal(30, err.retry_after)
    assert.are.equal(1, err.attempts)
  end)

  it("stops at the limit and says how many attempts were made", function()
    sb:fault { method = "GET", status = 503, count = 10 }
    local err = support.catch(function() return client:request { path = "/api/v1/accounts" } end)
    assert.are.equal(3, err.attempts)
    assert.are.equal(3, count("GET", "^/api/v1/accounts$"))
    assert.matches("after 3 attempts", tostring(err))
  end)

  it("takes the limit per client and per call", function()
    sb:fault { method = "GET", status = 503, count = 10 }
    local c = support.client { retries = 4 }
    local err = support.catch(function() return c:request { path = "/api/v1/accounts" } end)
    assert.are.equal(5, err.attempts)
    sb:clear_requests()
    err = support.catch(function() return c.accounts:list(nil, { retries = 0 }) end)
    assert.are.equal(1, err.attempts)
    assert.are.equal(1, count("GET", "^/api/v1/accounts$"))
  end)

  it("does not retry other statuses", function()
    sb:fault { method = "GET", status = 500 }
    local err = support.catch(function() return client:request { path = "/api/v1/accounts" } end)
    assert.are.equal(500, err.status)
    assert.are.equal(1, err.attempts)
  end)
end)
