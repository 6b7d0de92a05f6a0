-- unipile.core refuses bad requests at add, without echoing header values
-- (they may hold the API key).
local core = require "unipile.core"
local cs = require "support.core_server"

describe("core validation", function()
  local server, m, base
  setup(function()
    server, m = cs.start(), cs.smoke_multi()
    base = server.base
  end)
  teardown(function() cs.stop(server, m) end)

  -- name, a function that must raise, what the error names, what it must not hold
  local refused = {
    { "CR/LF in request header refused, value not echoed",
      function() m:add({ url = base .. "/hello", headers = { "X-Api-Key: sk_secret_123\r\nX-Injected: 1" } }) end,
      "X-Api-Key", "sk_secret" },
    { "LF in request header refused",
      function() m:add({ url = base .. "/hello", headers = { "X-Api-Key: sk_secret_123\n" } }) end, nil, "sk_secret" },
    { "header without name refused, not echoed",
      function() m:add({ url = base .. "/hello", headers = { "Bearer sk_secret_123" } }) end, nil, "sk_secret" },
    { "CR/LF in multi header refused, value not echoed",
      function() core.multi({ headers = { "Authorization: Bearer sk_secret_123\r\nX: 1" } }) end, "Authorization", "sk_secret" },
    { "url is required", function() m:add({ method = "GET" }) end, "url" },
    { "bad method refused", function() m:add({ url = base .. "/hello", method = "GET /x HTTP/1.1\r\n" }) end },
    { "bad number refused", function() m:add({ url = base .. "/hello", timeout_ms = "soon" }) end, "timeout_ms" },
  }
  for _, case in ipairs(refused) do
    local name, fn, names, hides = case[1], case[2], case[3], case[4]
    it(name, function()
      local ok, err = pcall(fn)
      assert.is_false(ok)
      if names then assert.truthy(err:find(names, 1, true), err) end
      if hides then assert.falsy(err:find(hides, 1, true), err) end
    end)
  end

  it("result before done is an error", function()
    local t = m:add({ url = base .. "/slow?ms=50" })
    local ok = pcall(t.result, t)
    while not t:done() do m:perform(1000) end
    assert.is_false(ok)
  end)
end)
