local unipile = require "unipile"
local client_mod = require "unipile.client"
local support = require "support"

describe("configuration", function()
  local sb
  setup(function() sb = support.reset() end)

  describe("base URL", function()
    -- name, dsn, the base URL it makes
    for _, case in ipairs {
      { "appends /api/v1 to a URL without a path", "https://api1.unipile.com:13111", "https://api1.unipile.com:13111/api/v1" },
      { "keeps /api/v1 when it is given", "https://api1.unipile.com:13111/api/v1/", "https://api1.unipile.com:13111/api/v1" },
      { "uses the prefix of an API-compatible host as is", "https://api.postpress.ai/v1", "https://api.postpress.ai/v1" },
      { "reads host:port as https", "api1.unipile.com:13111", "https://api1.unipile.com:13111/api/v1" },
    } do
      it(case[1], function()
        local base = assert(client_mod.parse_base(case[2]))
        assert.are.equal(case[3], base.url)
      end)
    end

    it("rejects a malformed URL when the client is made", function()
      for _, bad in ipairs { "https://", "ftp://example.com", "http://exa mple.com", "https://h:99999999" } do
        local err = support.catch(unipile.new, { dsn = bad, api_key = "k" })
        assert.are.equal("usage", err.kind)
        assert.are.equal("dsn", err.param)
        assert.matches("malformed dsn", tostring(err), 1, true)
      end
    end)

    it("rejects a missing key when the client is made", function()
      local err = support.catch(unipile.new, { dsn = sb.url, api_key = "" })
      assert.are.equal("usage", err.kind)
      assert.are.equal("api_key", err.param)
    end)

    local forms = {
      { "no path", "", "/api/v1/accounts" },
      { "/api/v1", "/api/v1", "/api/v1/accounts" },
      { "another prefix", "/v1", "/v1/accounts" },
    }
    for _, form in ipairs(forms) do
      it("maps operation paths onto the base URL (" .. form[1] .. ")", function()
        local client = support.client { dsn = sb.url .. form[2] }
        local page = client.accounts:list()
        assert.are.equal("AccountList", page.object)
        local req = support.last()
        assert.are.equal("GET", req.method)
        assert.are.equal(form[3], req.path)
      end)
    end
  end)

  describe("environment", function()
    local lua = os.getenv("UNIPILE_TEST_LUA") or "lua5.4"
    local function run(env, code)
      local cmd = string.format("env %s %s -e %q 2>&1", env, lua, code)
      local p = assert(io.popen(cmd))
      local out = p:read("*a")
      p:close()
      return out
    end

    it("reads UNIPILE_DSN and UNIPILE_API_KEY", function()
      local out = run(string.format("UNIPILE_DSN=%s UNIPILE_API_KEY=%s", sb.url, sb.api_key), [[
        local c = require("unipile").new()
        io.write(c.accounts:list().object, " ", tostring(c))]])
      assert.matches("^AccountList unipile.Client%(" .. sb.url:gsub("%p", "%%%0") .. "/api/v1%)$", out)
    end)

    it("says which variable is missing", function()
      local out = run(string.format("UNIPILE_DSN=%s UNIPILE_API_KEY=", sb.url), [[
        local ok, err = pcall(require("unipile").new)
        io.write(tostring(err))]])
      assert.matches("UNIPILE_API_KEY", out, 1, true)
    end)
  end)

  it("never shows the API key", function()
    local client = support.client()
    assert.is_nil(tostring(client):find(sb.api_key, 1, true))
    local bad = support.client { api_key = "secret-key-123" }
    local err = support.catch(function() return bad.accounts:list() end)
    assert.are.equal(401, err.status)
    assert.is_nil(tostring(err):find("secret-key-123", 1, true))
    for k, v in pairs(err) do
      if type(v) == "string" then assert.is_nil(v:find("secret-key-123", 1, true), k) end
    end
    for _, v in pairs(bad) do
      if type(v) == "string" then assert.is_nil(v:find("secret-key-123", 1, true)) end
    end
  end)
end)
