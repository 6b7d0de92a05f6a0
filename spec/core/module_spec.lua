-- unipile.core's module functions: version, escape, parse_url, now.
local core = require "unipile.core"

describe("core module functions", function()
  it("version", function()
    local v = core.version()
    assert.are.equal("string", type(v.curl))
    assert.truthy(v.curl:match("^%d+%.%d+"), v.curl)
    assert.are.equal("table", type(v.features))
  end)

  it("escape keeps unreserved", function()
    assert.are.equal("AZaz09-._~", core.escape("AZaz09-._~"))
  end)

  it("escape encodes the rest", function()
    assert.are.equal("a%20b%2F%C3%BC%2B%26%3D%25", core.escape("a b/ü+&=%"))
  end)

  it("escape empty and NUL", function()
    assert.are.equal("", core.escape(""))
    assert.are.equal("%00", core.escape("\0"))
  end)

  it("parse_url full", function()
    local u = core.parse_url("https://api.example.com:13443/api/v1/?x=1&y=2#frag")
    assert.are.same({ "https", "api.example.com", 13443, "/api/v1", "x=1&y=2" }, { u.scheme, u.host, u.port, u.path, u.query })
  end)

  it("parse_url defaults", function()
    local u = core.parse_url("http://example.com")
    assert.is_nil(u.port)
    assert.are.equal("", u.path)
    assert.is_nil(u.query)
  end)

  it("parse_url root path", function()
    assert.are.equal("", core.parse_url("http://example.com/").path)
  end)

  for _, case in ipairs { { "refuses ftp", "ftp://example.com/" }, { "refuses junk", "not a url" } } do
    it("parse_url " .. case[1], function()
      local none, msg = core.parse_url(case[2])
      assert.is_nil(none)
      assert.are.equal("string", type(msg))
    end)
  end

  it("now is monotonic ms", function()
    assert.are.equal("number", type(core.now()))
    assert.is_true(core.now() >= 0)
  end)
end)
