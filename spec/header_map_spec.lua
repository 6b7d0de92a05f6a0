-- unipile.headers (one case-insensitive header table for the SDK and the
-- sandbox) and unipile.percent (one percent-decoder), table-driven; how
-- webhook.lua and the sandbox use them is in webhook_spec.lua and, over
-- HTTP, below.
local headers = require "unipile.headers"
local percent = require "unipile.percent"
local support = require "support"

describe("unipile.headers.new", function()
  local CASES = {
    { "pairs, any case", { { "Content-Type", "text/plain" } },
      { ["content-type"] = "text/plain", ["Content-Type"] = "text/plain", ["CONTENT-TYPE"] = "text/plain" } },
    { "a repeated name in pairs, in order", { { "Set-Cookie", "a=1" }, { "set-cookie", "b=2" }, { "SET-COOKIE", "c" } },
      { ["set-cookie"] = "a=1, b=2, c" } },
    { "a map", { ["X-A"] = "1" }, { ["x-a"] = "1", ["X-A"] = "1" } },
    { "a map with an array value (ngx)", { ["x-a"] = { "1", "2" } }, { ["X-A"] = "1, 2" } },
  }
  for _, case in ipairs(CASES) do
    it("reads " .. case[1], function()
      local map = headers.new(case[2])
      for name, want in pairs(case[3]) do assert.are.equal(want, map[name]) end
    end)
  end

  it("is an empty map from nil", function()
    local map = headers.new(nil)
    assert.is_nil(next(map))
    assert.is_nil(map["X-A"])
    assert.are.equal(headers.Map, getmetatable(map))
  end)

  it("stores names lowercased (what client.lua's M.headers does)", function()
    local map = headers.new { { "Content-Type", "a" }, { "X-B", "b" } }
    local raw = {}
    for k, v in pairs(map) do raw[k] = v end
    assert.are.same({ ["content-type"] = "a", ["x-b"] = "b" }, raw)
    assert.is_nil(map[1])
    assert.is_nil(map["missing"])
  end)
end)

-- client.lua's M.headers is to become headers.new: the same table for the C
-- core's pairs.
describe("unipile.headers.new and client.lua's M.headers", function()
  local client = require "unipile.client"
  local function raw(t)
    local out = {}
    for k, v in pairs(t) do out[k] = v end
    return out
  end
  local LISTS = {
    {}, { { "Content-Type", "a" } }, { { "A", "1" }, { "a", "2" }, { "B", "3" }, { "A", "4" } },
  }
  for i, list in ipairs(LISTS) do
    it("build the same map from pair list " .. i, function()
      local mine, theirs = headers.new(list), client.headers(list)
      assert.are.same(raw(theirs), raw(mine))
      for _, pair in ipairs(list) do assert.are.equal(theirs[pair[1]:upper()], mine[pair[1]:upper()]) end
    end)
  end
end)

describe("unipile.headers.get", function()
  local CASES = {
    { "a map, another case", { ["X-Webhook-Secret"] = "s" }, "x-webhook-secret", "s" },
    { "a map, the same case", { ["x-a"] = "s" }, "x-a", "s" },
    { "an ngx array value: the first", { ["x-a"] = { "first", "second" } }, "X-A", "first" },
    { "an array of pairs", { { "X-A", "p" } }, "x-a", "p" },
    { "an array of {name=, value=}", { { name = "X-A", value = "nv" } }, "x-A", "nv" },
    { "a map from new", headers.new { { "X-A", "1" }, { "x-a", "2" } }, "X-a", "1, 2" },
    { "absent", { ["x-b"] = "s" }, "x-a", nil },
    { "not a table", "x-a: s", "x-a", nil },
    { "nil", nil, "x-a", nil },
  }
  for _, case in ipairs(CASES) do
    it("finds " .. case[1], function()
      assert.are.equal(case[4], headers.get(case[2], case[3]))
    end)
  end
end)

describe("unipile.percent", function()
  local CASES = {
    { "decode", "a%20b%2Fc%2fd", "a b/c/d" },
    { "decode", "a+b%2B", "a+b+" },
    { "decode", "100%", "100%" },
    { "decode", "%zz%4", "%zz%4" },
    { "decode", "%00", "\0" },
    { "decode_form", "a+b%2B%20c", "a b+ c" },
    { "decode_form", "x%40y.z", "x@y.z" },
  }
  for _, case in ipairs(CASES) do
    it(case[1] .. "(" .. case[2] .. ")", function()
      assert.are.equal(case[3], percent[case[1]](case[2]))
    end)
  end
end)

-- The sandbox uses both: its records split the raw path before decoding
-- (a "+" and an encoded "/" stay inside their segment), and read the
-- Content-Type whatever case the client sent.
describe("the sandbox's header and path decoding", function()
  it("records decoded segments and reads a mixed-case Content-Type", function()
    local sb = support.reset()
    local core = require "unipile.core"
    local m = core.multi { headers = { "X-API-KEY: " .. sb.api_key } }
    local t = m:add { url = sb.url .. "/api/v1/chats/a%2Fb+c%20d", method = "PATCH",
      headers = { "CONTENT-type: application/json" }, body = '{"action":"setReadStatus","value":true}' }
    while not t:done() do m:perform(100) end
    m:close()
    local rec = support.last()
    assert.are.same({ "api", "v1", "chats", "a/b+c d" }, rec.segments)
    assert.are.equal(true, rec.json.value)
  end)
end)
