-- Memory and time stay bounded whatever the server does: answers that
-- never end, decompression bombs, huge headers, 1 MiB error pages,
-- downloads without an end, Retry-After values that mean nothing.
local unipile = require "unipile"
local support = require "support"

local MiB = 1024 * 1024

describe("bounds against a hostile server", function()
  local base, stop
  setup(function() base, stop = support.hostile() end)
  teardown(function() stop() end)

  local function client(opts)
    local o = { dsn = base, api_key = "sk_test_bounds", retries = 0, timeout_ms = 20000 }
    for k, v in pairs(opts or {}) do o[k] = v end
    return unipile.new(o)
  end

  local function timed_error(c, req)
    local t0 = support.now()
    local err = support.catch(function() return c:request(req) end)
    return err, support.now() - t0
  end

  -- path, client options, request options, cap expected in the error
  local caps = {
    { "/endless", { max_body_bytes = MiB }, {}, "max_body_bytes", MiB },
    { "/endless", {}, { max_body_bytes = 2 * MiB }, "max_body_bytes", 2 * MiB },
    { "/endless-error", { max_body_bytes = MiB }, {}, "max_body_bytes", MiB },
    { "/gzip", {}, {}, "max_body_bytes", 64 * MiB },
    { "/gzip", {}, { max_body_bytes = 4 * MiB }, "max_body_bytes", 4 * MiB },
    { "/big-length", { max_body_bytes = MiB }, {}, "max_body_bytes", MiB },
  }
  for _, case in ipairs(caps) do
    local path, copts, ropts, limit, cap = case[1], case[2], case[3], case[4], case[5]
    it(path .. " stops at " .. limit .. " = " .. cap, function()
      local c = client(copts)
      ropts.path = path
      local err, elapsed = timed_error(c, ropts)
      assert.are.equal("limit", err.kind, tostring(err))
      assert.are.equal(limit, err.limit)
      assert.are.equal(cap, err.cap)
      assert.matches(limit .. " %(" .. cap .. " bytes%)", tostring(err))
      assert.is_true(elapsed < 15, "took " .. elapsed .. " s: the cap did not stop the transfer")
      c:close()
    end)
  end

  it("a download to output stops at max_bytes", function()
    local c = client()
    local path = support.tmpname()
    local err = timed_error(c, { path = "/download", output = path, max_bytes = 3 * MiB })
    assert.are.equal("limit", err.kind, tostring(err))
    assert.are.equal("max_bytes", err.limit)
    assert.is_true(#support.read_file(path) <= 3 * MiB)
    os.remove(path)
  end)

  it("a download to output honours a total timeout_ms when given", function()
    local c = client()
    local path = support.tmpname()
    local err, elapsed = timed_error(c, { path = "/drip", output = path, timeout_ms = 400 })
    assert.are.equal("timeout", err.kind, tostring(err))
    assert.is_true(elapsed < 5)
    os.remove(path)
  end)

  it("a 1 MiB HTML error page becomes an error at once", function()
    local c = client()
    local err, elapsed = timed_error(c, { path = "/html" })
    assert.are.equal("http", err.kind)
    assert.are.equal(502, err.status)
    assert.is_true(elapsed < 2, "took " .. elapsed .. " s")
    assert.is_true(#tostring(err) < 400)
  end)

  for _, path in ipairs { "/huge-header", "/many-headers" } do
    it(path .. " is an error that says the headers are too large", function()
      local c = client()
      local err = timed_error(c, { path = path })
      assert.are.equal("limit", err.kind, tostring(err))
      assert.are.equal("headers", err.limit)
      assert.matches("header", tostring(err))
    end)
  end
end)

describe("bounds against the sandbox", function()
  local sb, client
  before_each(function() sb, client = support.reset(), support.client() end)

  it("a request behind a long 429 hold fails within its own timeout_ms", function()
    sb:fault { method = "GET", path = "^/api/v1/accounts$", status = 429, retry_after = 20 }
    local first = support.catch(function() return client.accounts:list({}, { retries = 0 }) end)
    assert.are.equal(429, first.status)
    assert.are.equal(20, first.retry_after)
    local t0 = support.now()
    local err = support.catch(function() return client.chats:list({}, { timeout_ms = 1000 }) end)
    local elapsed = support.now() - t0
    assert.are.equal("timeout", err.kind, tostring(err))
    assert.are.equal("queue", err.phase)
    assert.is_true(err.retry_after >= 19 and err.retry_after <= 20)
    assert.is_true(elapsed < 1.5, "took " .. elapsed .. " s")
    assert.are.equal(1, #support.requests()) -- only the 429 reached the server
  end)

  it("a request with retries = 0 behind a hold fails at once with retry_after", function()
    sb:fault { method = "GET", path = "^/api/v1/accounts$", status = 429, retry_after = 3 }
    support.catch(function() return client.accounts:list({}, { retries = 0 }) end)
    local t0 = support.now()
    local err = support.catch(function() return client.chats:list({}, { retries = 0 }) end)
    assert.is_true(support.now() - t0 < 0.5)
    assert.are.equal("timeout", err.kind)
    assert.are.equal("queue", err.phase)
    assert.is_true(err.retry_after >= 2 and err.retry_after <= 3)
    assert.are.equal(1, #support.requests())
  end)

  it("a request whose budget outlasts the hold waits for it and succeeds", function()
    sb:fault { method = "GET", path = "^/api/v1/accounts$", status = 429, retry_after = 1 }
    support.catch(function() return client.accounts:list({}, { retries = 0 }) end)
    local t0 = support.now()
    local page = client.chats:list({}, { timeout_ms = 5000 })
    assert.is_true(support.now() - t0 >= 0.9)
    assert.are.equal("ChatList", page.object)
  end)

  for _, value in ipairs { "-1", "soon", "0", "Wed, 21 Oct 2015 07:28:00 GMT" } do
    it("Retry-After '" .. value .. "' falls back to the normal backoff", function()
      local c = support.client { backoff_ms = 100, backoff_max_ms = 1000 }
      sb:fault { method = "GET", path = "^/api/v1/accounts$", status = 503, retry_after = value, count = 3 }
      local t0 = support.now()
      local page = c.accounts:list({}, { retries = 3 })
      local elapsed = support.now() - t0
      assert.are.equal("AccountList", page.object)
      assert.are.equal(4, #support.requests())
      -- three delays, each at least half of 100, 200, 400 ms
      assert.is_true(elapsed >= 0.35, "4 attempts in " .. elapsed .. " s")
    end)
  end
end)
