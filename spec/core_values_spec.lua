-- What unipile.core exports so that the Lua side writes no number twice:
-- `_VERSION` (from CMakeLists.txt's project()), `defaults` (the client's
-- defaults, from the C option table that also gives a raw request its
-- own), `codes` (named CURLE_ values); and the option table itself: each
-- option refused by kind, and a raw request without a field getting the
-- C default (no retry) over real HTTP.
local core = require "unipile.core"
local support = require "support"

describe("unipile.core values", function()
  it("_VERSION is the version CMakeLists.txt's project() declares", function()
    local f = assert(io.open("CMakeLists.txt"))
    local cmake = f:read("*a")
    f:close()
    local declared = cmake:match("\nproject%(unipile VERSION ([%d.]+)")
    assert.is_string(declared)
    assert.are.equal(declared, core._VERSION)
  end)

  it("defaults holds the client's defaults, and only those", function()
    assert.are.same({
      timeout_ms = 60000, connect_timeout_ms = 10000, retries = 2,
      backoff_ms = 200, backoff_max_ms = 5000, retry_after_max_ms = 60000,
      low_speed_limit = 1, low_speed_time_ms = 60000, max_body_bytes = 64 * 1024 * 1024,
    }, core.defaults)
  end)

  it("codes names the curl codes the Lua side compares with", function()
    assert.are.same({
      OK = 0, URL_MALFORMAT = 3, COULDNT_CONNECT = 7, PARTIAL_FILE = 18, WRITE_ERROR = 23,
      OPERATION_TIMEDOUT = 28, ABORTED_BY_CALLBACK = 42, PEER_FAILED_VERIFICATION = 60,
    }, core.codes)
  end)
end)

describe("the C request options", function()
  local URL = "http://127.0.0.1:1/"
  local function add(fields)
    local req = { url = URL }
    for k, v in pairs(fields) do req[k] = v end
    local m = core.multi()
    local ok, err = pcall(m.add, m, req)
    m:close()
    return ok, tostring(err)
  end

  local NUMBERS = { "connect_timeout_ms", "low_speed_limit", "low_speed_time_ms", "timeout_ms", "retries",
    "backoff_ms", "backoff_max_ms", "retry_after_max_ms", "max_body_bytes", "max_bytes" }
  local LONG_MAX, BYTES_MAX = 2147483647, 2 ^ 53
  for _, name in ipairs(NUMBERS) do
    local max = name:find("bytes$") and BYTES_MAX or LONG_MAX
    for _, bad in ipairs { -1, max * 2, "5", 0 / 0 } do
      it("refuses " .. name .. " = " .. tostring(bad), function()
        local ok, err = add { [name] = bad }
        assert.is_false(ok)
        assert.matches("req." .. name .. " must be a number from 0 to", err, 1, true)
      end)
    end
    it("takes " .. name .. " from 0 to its largest value", function()
      assert.is_true((add { [name] = 0 }))
      assert.is_true((add { [name] = max }))
    end)
  end

  for _, name in ipairs { "url", "method", "ca_file", "proxy" } do
    it("refuses a " .. name .. " that is not a string, or holds a NUL", function()
      local ok, err = add { [name] = 12 }
      assert.is_false(ok)
      assert.matches("req." .. name .. " must be a string", err, 1, true)
      ok, err = add { [name] = "a\0b" }
      assert.is_false(ok)
      assert.matches("req." .. name .. " contains a NUL byte", err, 1, true)
    end)
  end

  it("requires url, checks method", function()
    local m = core.multi()
    local ok, err = pcall(m.add, m, { method = "GET" })
    assert.is_false(ok)
    assert.matches("req.url is required", tostring(err), 1, true)
    ok, err = pcall(m.add, m, { url = URL, method = "GE T" })
    assert.is_false(ok)
    assert.matches("req.method is not a valid HTTP method", tostring(err), 1, true)
    m:close()
  end)

  -- The C defaults stay those of a raw request: no retry unless asked,
  -- and not after reaching the server unless retry_unsafe says so.
  local RETRIES = {
    { "without retries", { retry_unsafe = true }, 1 },
    { "with retries = 1, without retry_unsafe", { retries = 1 }, 1 },
    { "with retries = 1 and retry_unsafe", { retries = 1, retry_unsafe = true }, 2 },
  }
  for _, case in ipairs(RETRIES) do
    it("sends a request " .. case[1] .. " " .. case[3] .. " time(s) against a 503", function()
      local sb = support.reset()
      assert(sb:fault { status = 503, count = 2 })
      local m = core.multi()
      local req = { url = sb.url .. "/api/v1/accounts", headers = { "X-API-KEY: " .. sb.api_key },
        backoff_ms = 1, backoff_max_ms = 1 }
      for k, v in pairs(case[2]) do req[k] = v end
      local t = m:add(req)
      while not t:done() do m:perform(100) end
      local res = t:result()
      m:close()
      assert.are.equal(503, res.status)
      assert.are.equal(case[3], res.attempts)
      assert.are.equal(case[3], #support.requests())
    end)
  end
end)
