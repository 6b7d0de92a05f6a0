-- unipile.core requests against the core specs' nginx: methods and bodies,
-- headers, compression, connection reuse, parallel transfers.
local core = require "unipile.core"
local CURLE = core.codes -- curl codes by name, never bare numbers
local cs = require "support.core_server"
local run, header = cs.run, cs.header

describe("core requests", function()
  local server, m, base
  setup(function()
    server, m = cs.start(), cs.smoke_multi()
    base = server.base
  end)
  teardown(function() cs.stop(server, m) end)

  it("GET in memory", function()
    local r = run({ url = base .. "/hello" }, m)
    assert.are.equal(200, r.status)
    assert.are.equal("hello world", r.body)
    assert.are.equal(CURLE.OK, r.curl_code)
    assert.are.equal(1, r.attempts)
    assert.are.equal(true, r.reached)
    assert.are.equal(11, r.bytes)
    assert.are.equal("number", type(r.total_time))
  end)

  it("response headers trimmed", function()
    local r = run({ url = base .. "/hello" }, m)
    assert.are.equal("padded value", header(r, "X-Spaced"))
    assert.are.equal("text/plain", header(r, "content-type"))
  end)

  describe("on a multi of their own", function()
    local m2, r1
    setup(function() m2 = core.multi() end)
    teardown(function() m2:close() end)

    it("first request opens a connection", function()
      r1 = run({ url = base .. "/hello" }, m2)
      assert.are.equal(1, r1.new_connections)
    end)

    it("second request reuses it", function()
      local r2 = run({ url = base .. "/hello" }, m2)
      assert.are.equal(0, r2.new_connections)
      assert.are.equal(header(r1, "X-Conn"), header(r2, "X-Conn"))
    end)
  end)

  it("multi headers and user agent sent", function()
    local body = run({ url = base .. "/echo" }, m).body
    for _, line in ipairs { "x-client=smoke", "user-agent=unipile-smoke/1", "accept=text/plain" } do
      assert.truthy(body:find("\n" .. line .. "\n", 1, true), body)
    end
  end)

  it("request header replaces multi header", function()
    local body = run({ url = base .. "/echo", headers = { "accept: application/json", "X-Extra: 1" } }, m).body
    assert.truthy(body:find("\naccept=application/json\n", 1, true), body)
    assert.falsy(body:find("text/plain", 1, true), body)
    assert.truthy(body:find("\nx-extra=1\n", 1, true), body)
  end)

  it("compressed body decoded", function()
    local r = run({ url = base .. "/gzip" }, m)
    assert.are.equal(200, r.status)
    assert.are.equal("gzip", header(r, "Content-Encoding"))
    assert.are.equal(string.rep("compress me ", 2000), r.body)
  end)

  -- name, request, what the echo must hold, how it must end (the body the
  -- server read), what it must not hold
  local bodies = {
    { "POST body", { method = "POST", body = "a=1\0b", headers = { "Content-Type: text/plain" } },
      { "method=POST", "content-length=5" }, "\n\na=1\0b" },
    { "POST without body", { method = "POST" }, { "method=POST", "content-length=0" } },
    { "PUT body", { method = "PUT", body = "{}" }, { "method=PUT" }, "\n\n{}" },
    { "PATCH body", { method = "PATCH", body = "{\"a\":1}" }, { "method=PATCH" }, "\n\n{\"a\":1}" },
    { "DELETE without body has no Content-Length", { method = "DELETE" }, { "method=DELETE" }, nil,
      { "content-length", "content-type" } },
    { "DELETE with body", { method = "DELETE", body = "x" }, { "method=DELETE", "content-length=1" } },
  }
  for _, case in ipairs(bodies) do
    local name, req, has, tail, lacks = case[1], case[2], case[3], case[4], case[5] or {}
    it(name, function()
      req.url = base .. "/echo"
      local body = run(req, m).body
      for _, s in ipairs(has) do assert.truthy(body:find(s, 1, true), body) end
      for _, s in ipairs(lacks) do assert.falsy(body:find(s, 1, true), body) end
      if tail then assert.are.equal(tail, body:sub(-#tail)) end
    end)
  end

  it("HEAD", function()
    local r = run({ url = base .. "/hello", method = "HEAD" }, m)
    assert.are.equal(200, r.status)
    assert.are.equal("", r.body)
    assert.are.equal(0, r.bytes)
  end)

  it("large POST (Expect: 100-continue) keeps final headers", function()
    local big = string.rep("x", 2 * 1024 * 1024 + 3)
    local r = run({ url = base .. "/echo", method = "POST", body = big }, m)
    assert.are.equal(200, r.status)
    assert.is_true(#r.body > #big)
    assert.are.equal("text/plain", header(r, "Content-Type"))
  end)

  it("parallel transfers", function()
    local ts = {}
    for i = 1, 6 do ts[i] = m:add({ url = base .. "/slow?ms=100" }) end
    local t0 = core.now()
    while m:pending() > 0 do m:perform(1000) end
    for i = 1, 6 do assert.are.equal(200, ts[i]:result().status) end
    assert.is_true(core.now() - t0 < 600, core.now() - t0)
  end)
end)
