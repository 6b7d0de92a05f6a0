-- Response headers as unipile.core's transfer result reports them: kept
-- as {name, value} pairs, and a response whose headers pass a size limit
-- (one huge line, or too many lines in all) ends with `limit = "headers"`
-- and a message saying so, instead of curl's bare "Out of memory".
local core = require "unipile.core"
local support = require "support"

local function many(n, size)
  local h = {}
  for i = 1, n do h["X-H" .. i] = ("b"):rep(size) end
  return h
end

-- The sandbox answers the next request with `headers`; returns the result
-- of a plain GET through the C core.
local function get_with_headers(headers)
  local sb = support.reset()
  assert(sb:fault { status = 200, body = "{}", headers = headers })
  local m = core.multi()
  local t = m:add({ url = sb.url .. "/api/v1/accounts", headers = { "X-API-KEY: " .. sb.api_key } })
  while not t:done() do m:perform(1000) end
  assert.are.equal("/api/v1/accounts", support.last().path) -- the server did answer it
  return t:result()
end

local function header(res, name)
  for _, pair in ipairs(res.headers) do
    if pair[1]:lower() == name:lower() then return pair[2] end
  end
end

describe("response headers", function()
  it("keeps a 90 KiB header line and 2000 lines whole", function()
    local headers = many(2000, 20)
    headers["X-Long"] = ("a"):rep(90 * 1024)
    local res = get_with_headers(headers)
    assert.are.equal(0, res.curl_code)
    assert.is_nil(res.limit)
    assert.are.equal(90 * 1024, #header(res, "X-Long"))
    assert.are.equal(("b"):rep(20), header(res, "X-H2000"))
  end)

  local TOO_LARGE = {
    { "one line over curl's 100 KiB", { ["X-Big"] = ("a"):rep(200 * 1024) } },
    { "over 300 KiB in all", many(4000, 100) },
  }
  for _, case in ipairs(TOO_LARGE) do
    it("ends with limit = \"headers\" when " .. case[1], function()
      local res = get_with_headers(case[2])
      assert.are_not.equal(0, res.curl_code)
      assert.are.equal("headers", res.limit)
      assert.matches("[Tt]oo large", res.curl_error)
      assert.matches("header", res.curl_error)
    end)
  end
end)
