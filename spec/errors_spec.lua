local unipile = require "unipile"
local support = require "support"

describe("errors", function()
  local sb, client
  before_each(function()
    sb = support.reset()
    client = support.client { retries = 0 }
  end)

  it("usage: unknown operation, unknown or missing param, before any I/O", function()
    sb:clear_requests()
    local err = support.catch(client.call, client, "NoSuchController_nothing", {})
    assert.are.equal("usage", err.kind)
    assert.matches("NoSuchController_nothing", tostring(err))
    err = support.catch(client.call, client, "ChatsController_listAllChats", { acount_id = "x" })
    assert.are.equal("usage", err.kind)
    assert.are.equal("acount_id", err.param)
    assert.matches("chats:list", tostring(err), 1, true)
    assert.matches("unknown parameter 'acount_id'", tostring(err), 1, true)
    err = support.catch(client.chats.send_message, client.chats, { text = "no chat id" })
    assert.are.equal("chat_id", err.param)
    assert.matches("missing required parameter 'chat_id'", tostring(err), 1, true)
    err = support.catch(client.chats.list, client.chats, { limit = 251 })
    assert.are.equal("limit", err.param)
    err = support.catch(client.chats.each, client.chats, { nope = 1 })
    assert.are.equal("nope", err.param)
    assert.are.equal(0, #support.requests())
  end)

  it("http: the error envelope becomes fields", function()
    local bad = support.client { api_key = "wrong" }
    local err = support.catch(function() return bad.accounts:list() end)
    assert.is_true(unipile.is_error(err, "http"))
    assert.are.equal(401, err.status)
    assert.are.equal("errors/invalid_credentials", err.type)
    assert.is_string(err.title)
    assert.are.equal("GET", err.method)
    assert.are.equal("/api/v1/accounts", err.path)
    assert.matches("^unipile http error 401 errors/invalid_credentials", tostring(err))
    -- the sandbox's own answer to a request without a key
    local body, code = require("socket.http").request(sb.url .. "/api/v1/accounts")
    assert.are.equal(401, code)
    assert.are.equal("errors/missing_credentials", require("cjson").decode(body).type)
  end)

  it("http: 404 for an unknown id", function()
    local err = support.catch(function() return client.accounts:get { id = "missing" } end)
    assert.are.equal(404, err.status)
    assert.are.equal("errors/resource_not_found", err.type)
  end)

  it("http: an HTML 502 page gives a clean error", function()
    sb:fault { kind = "html" }
    local err = support.catch(function() return client.accounts:list() end)
    assert.are.equal("http", err.kind)
    assert.are.equal(502, err.status)
    assert.is_string(err.snippet)
    assert.is_nil(err.snippet:find("<", 1, true))
    assert.is_nil(tostring(err):find("<", 1, true))
    assert.matches("502", tostring(err))
  end)

  it("decode: malformed JSON", function()
    sb:fault { kind = "malformed" }
    local err = support.catch(function() return client.accounts:list() end)
    assert.are.equal("decode", err.kind)
    assert.are.equal(200, err.status)
    assert.matches("invalid JSON", tostring(err))
  end)

  it("decode: a truncated body", function()
    sb:fault { kind = "truncated" }
    local err = support.catch(function() return client.accounts:list() end)
    assert.are.equal("decode", err.kind)
  end)

  it("network: the connection closed mid-body", function()
    sb:fault { kind = "close" }
    local err = support.catch(function() return client.accounts:list() end)
    assert.are.equal("network", err.kind)
    assert.is_number(err.curl_code)
    assert.are.equal(1, err.attempts)
  end)

  it("network: connection refused", function()
    local c = support.client { dsn = "http://127.0.0.1:" .. support.closed_port(), retries = 0 }
    local err = support.catch(function() return c.accounts:list() end)
    assert.are.equal("network", err.kind)
    assert.matches("GET /api/v1/accounts", tostring(err), 1, true)
  end)

  it("timeout: total", function()
    sb:fault { latency_ms = 2000 }
    local t0 = support.now()
    local err = support.catch(function() return client.accounts:list(nil, { timeout_ms = 300 }) end)
    assert.is_true(support.now() - t0 < 1.5)
    assert.are.equal("timeout", err.kind)
    assert.are.equal("total", err.phase)
  end)

  it("timeout: connect", function()
    local port, release = support.blackhole()
    local c = support.client { dsn = "http://127.0.0.1:" .. port, connect_timeout_ms = 300, retries = 0 }
    local t0 = support.now()
    local err = support.catch(function() return c.accounts:list() end)
    release()
    assert.is_true(support.now() - t0 < 1.5)
    assert.are.equal("timeout", err.kind)
    assert.are.equal("connect", err.phase)
  end)

  it("latency on one request does not delay another", function()
    -- the sandbox serves connections concurrently: a slow request in one
    -- client does not hold up a quick one from another process
    sb:fault { latency_ms = 1500, path = "/chats$" }
    local lua = os.getenv("UNIPILE_TEST_LUA") or "lua5.4"
    local p = io.popen(string.format("%s -e %q", lua, string.format([[
      local c = require("unipile").new{ dsn = %q, api_key = %q }
      c.chats:list()]], sb.url, sb.api_key)))
    require("socket").sleep(0.2)
    local t0 = support.now()
    client.accounts:list()
    assert.is_true(support.now() - t0 < 0.5)
    p:close()
  end)
end)
