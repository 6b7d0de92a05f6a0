-- unipile.core through an HTTP proxy: the core specs' nginx answers for
-- any host, so a request to an unresolvable one that arrives went through it.
local cs = require "support.core_server"

describe("core proxy", function()
  local server, m
  setup(function()
    server, m = cs.start(), cs.smoke_multi()
  end)
  teardown(function() cs.stop(server, m) end)

  it("proxy", function()
    local r = cs.run({ url = "http://unipile.invalid/hello", proxy = server.base }, m)
    assert.are.equal(200, r.status, r.curl_error)
    assert.are.equal("hello world", r.body)
  end)
end)
