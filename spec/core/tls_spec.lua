-- unipile.core TLS: verification on by default, verify = false, ca_file,
-- reuse of a TLS connection.
local core = require "unipile.core"
local CURLE = core.codes -- curl codes by name, never bare numbers
local cs = require "support.core_server"
local run, header = cs.run, cs.header

describe("core TLS", function()
  local server, m
  setup(function()
    server = cs.start { tls = true }
    m = cs.smoke_multi()
  end)
  teardown(function()
    m:close()
    server:stop()
  end)

  it("TLS verification on by default, not retried", function()
    local r = run({ url = server.tls_base .. "/", retries = 2 }, m)
    assert.are.same({ CURLE.PEER_FAILED_VERIFICATION, 1 }, { r.curl_code, r.attempts })
  end)

  it("verify = false", function()
    local r = run({ url = server.tls_base .. "/", verify = false }, m)
    assert.are.equal(200, r.status, r.curl_error)
    assert.are.equal("secure", r.body)
  end)

  describe("with the server's certificate as ca_file", function()
    local m5, r1
    setup(function() m5 = core.multi() end)
    teardown(function() m5:close() end)

    it("ca_file", function()
      r1 = run({ url = server.tls_base .. "/", ca_file = server.cert }, m5)
      assert.are.equal(200, r1.status, r1.curl_error)
      assert.are.equal("secure", r1.body)
    end)

    it("TLS connection reused", function()
      local r2 = run({ url = server.tls_base .. "/", ca_file = server.cert }, m5)
      assert.are.same({ 200, 0 }, { r2.status, r2.new_connections })
      assert.are.equal(header(r1, "X-Conn"), header(r2, "X-Conn"))
    end)
  end)
end)
