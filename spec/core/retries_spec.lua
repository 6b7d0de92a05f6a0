-- unipile.core failures and retries: refused connections, retryable
-- statuses, Retry-After, the timeouts (total, connect, low speed), dropped
-- downloads. In order on one multi: a 429's hold carries to what follows.
local core = require "unipile.core"
local CURLE = core.codes -- curl codes by name, never bare numbers
local cs = require "support.core_server"
local support = require "support"
local sys = require "unipile.sandbox.sys"
local run = cs.run

describe("core retries", function()
  local server, m, base
  setup(function()
    server, m = cs.start(), cs.smoke_multi()
    base = server.base
  end)
  teardown(function() cs.stop(server, m) end)

  it("connection refused retried for any method", function()
    local r = run({ url = "http://127.0.0.1:1/", retries = 2, backoff_ms = 10 }, m)
    assert.are.same({ 0, CURLE.COULDNT_CONNECT, 3, false }, { r.status, r.curl_code, r.attempts, r.reached })
    assert.is_nil(r.body)
    assert.are.equal("string", type(r.curl_error))
  end)

  it("connection refused retried for POST too", function()
    local r = run({ url = "http://127.0.0.1:1/", method = "POST", body = "x", retries = 1, backoff_ms = 10,
      retry_unsafe = false }, m)
    assert.are.equal(2, r.attempts)
  end)

  -- name, request (path, options), status, attempts the caller sees and the
  -- server counts (under the request's key)
  local statuses = {
    { "503 retried when retry_unsafe (GET)", "/status/503?key=get503", { retries = 2, retry_unsafe = true, backoff_ms = 20 },
      503, 3 },
    { "503 not retried for POST without retry_unsafe", "/status/503?key=post503",
      { method = "POST", body = "{}", retries = 2, retry_unsafe = false }, 503, 1 },
    { "500 never retried", "/status/500?key=get500", { retries = 2, retry_unsafe = true, backoff_ms = 10 }, 500, 1 },
  }
  for _, case in ipairs(statuses) do
    local name, path, opts, status, attempts = case[1], case[2], case[3], case[4], case[5]
    it(name, function()
      local req = { url = base .. path }
      for k, v in pairs(opts) do req[k] = v end
      local r = run(req, m)
      assert.are.equal(status, r.status)
      assert.are.equal(attempts, r.attempts)
      assert.are.equal(attempts, server:hits(path:match("key=(%w+)")))
      assert.are.equal('{"error":"status ' .. status .. '"}', r.body)
    end)
  end

  it("Retry-After honoured", function()
    local t0 = core.now()
    local r = run({ url = base .. "/status/429?key=ra&retry_after=1", retries = 1, retry_unsafe = true, backoff_ms = 10 }, m)
    local elapsed = core.now() - t0
    assert.are.same({ 429, 2, 1, 2 }, { r.status, r.attempts, r.retry_after, server:hits("ra") })
    assert.is_true(elapsed >= 950, elapsed)
  end)

  it("Retry-After above the max stops retrying", function()
    local r = run({ url = base .. "/status/503?key=ramax&retry_after=5", retries = 3, retry_unsafe = true,
      retry_after_max_ms = 2000 }, m)
    assert.are.same({ 1, 5, 1 }, { r.attempts, r.retry_after, server:hits("ramax") })
  end)

  it("no Retry-After -> retry_after nil", function()
    local r = run({ url = base .. "/status/503?key=ra0", retries = 1, retry_unsafe = true }, m)
    assert.is_nil(r.retry_after)
    assert.are.equal(2, r.attempts)
  end)

  it("total timeout, not retried", function()
    local t0 = core.now()
    local r = run({ url = base .. "/slow?ms=2000", timeout_ms = 300, retries = 2, retry_unsafe = true }, m)
    local elapsed = core.now() - t0
    assert.are.same({ CURLE.OPERATION_TIMEDOUT, "total", 1, true }, { r.curl_code, r.timeout_phase, r.attempts, r.reached })
    assert.is_true(elapsed < 1500, elapsed)
  end)

  it("total timeout on a reused connection", function()
    local m2 = core.multi()
    run({ url = base .. "/hello" }, m2)
    local r = run({ url = base .. "/slow?ms=2000", timeout_ms = 300 }, m2)
    m2:close()
    assert.are.same({ CURLE.OPERATION_TIMEDOUT, "total", 0 }, { r.curl_code, r.timeout_phase, r.new_connections })
  end)

  it("connect timeout, retried (never reached)", function()
    local port, close = support.blackhole()
    local t0 = core.now()
    local r = run({ url = "http://127.0.0.1:" .. port .. "/", connect_timeout_ms = 300, retries = 1, backoff_ms = 10 }, m)
    local elapsed = core.now() - t0
    close()
    assert.are.same({ CURLE.OPERATION_TIMEDOUT, "connect", false, 2 }, { r.curl_code, r.timeout_phase, r.reached, r.attempts })
    assert.is_true(elapsed >= 550, elapsed)
  end)

  it("low speed limit aborts", function()
    local t0 = core.now()
    local r = run({ url = base .. "/slow?ms=4000", low_speed_limit = 10, low_speed_time_ms = 900 }, m)
    local elapsed = core.now() - t0
    assert.are.same({ CURLE.OPERATION_TIMEDOUT, "total" }, { r.curl_code, r.timeout_phase })
    assert.is_true(elapsed < 3000, elapsed)
  end)

  it("malformed URL not retried", function()
    local r = run({ url = "http://[::1", retries = 3 }, m)
    assert.are.same({ CURLE.URL_MALFORMAT, 1 }, { r.curl_code, r.attempts })
  end)

  it("dropped download retried, file truncated", function()
    local path = server.tmp .. "/flaky.bin"
    local r = run({ url = base .. "/flaky?key=flaky", output = path, retries = 1, retry_unsafe = true, backoff_ms = 10 }, m)
    assert.are.same({ 200, 2 }, { r.status, r.attempts })
    assert.are.equal(string.rep("b", 1000), sys.read_file(path))
  end)

  it("dropped download not retried without retry_unsafe", function()
    local r = run({ url = base .. "/flaky?key=flaky2", output = server.tmp .. "/flaky.bin", retries = 1,
      retry_unsafe = false }, m)
    assert.are.same({ CURLE.PARTIAL_FILE, 1 }, { r.curl_code, r.attempts })
  end)
end)
