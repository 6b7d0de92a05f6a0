-- unipile.core outputs: downloads to a file, bodies kept in memory, sink
-- functions (their errors, cancel/add/perform from inside them).
local CURLE = require("unipile.core").codes -- curl codes by name, never bare numbers
local cs = require "support.core_server"
local sys = require "unipile.sandbox.sys"
local run = cs.run

describe("core streaming", function()
  local server, m, base, tmp
  setup(function()
    server, m = cs.start(), cs.smoke_multi()
    base, tmp = server.base, server.tmp
  end)
  teardown(function() cs.stop(server, m) end)

  it("download to file", function()
    local path = tmp .. "/download.bin"
    local r = run({ url = base .. "/big?n=5000000", output = path }, m)
    local data = sys.read_file(path)
    assert.are.equal(200, r.status)
    assert.is_nil(r.body)
    assert.are.equal(5000000, r.bytes)
    assert.are.equal(5000000, data and #data)
    assert.are.equal("0123456789abcdef", data:sub(1, 16))
  end)

  it("empty 2xx body still creates the file", function()
    local path = tmp .. "/empty.bin"
    local r = run({ url = base .. "/big?n=0", output = path }, m)
    assert.are.equal(200, r.status)
    assert.are.equal("", sys.read_file(path))
  end)

  it("non-2xx body stays in memory", function()
    local path = tmp .. "/error.bin"
    local r = run({ url = base .. "/status/404", output = path }, m)
    assert.are.equal(404, r.status)
    assert.are.equal('{"error":"status 404"}', r.body)
    assert.is_nil(sys.read_file(path))
  end)

  it("non-2xx body capped at 1 MiB", function()
    local r = run({ url = base .. "/big?n=3000000&status=500", output = tmp .. "/never.bin" }, m)
    assert.are.equal(500, r.status)
    assert.are.equal(1024 * 1024, #r.body)
    assert.are.equal(3000000, r.bytes)
  end)

  it("sink function", function()
    local chunks, total = 0, 0
    local r = run({ url = base .. "/big?n=1000000", output = function(chunk) chunks = chunks + 1; total = total + #chunk end }, m)
    assert.are.equal(200, r.status)
    assert.is_nil(r.body)
    assert.are.equal(1000000, total)
    assert.is_true(chunks > 1)
    assert.is_nil(r.sink_error)
  end)

  it("sink error aborts, kept in result, no retry", function()
    local calls = 0
    local r = run({ url = base .. "/big?n=1000000", retries = 3, retry_unsafe = true,
      output = function() calls = calls + 1; error({ why = "disk full" }) end }, m)
    assert.are.equal(1, calls)
    assert.are.equal("table", type(r.sink_error))
    assert.are.equal("disk full", r.sink_error.why)
    assert.are.equal(CURLE.WRITE_ERROR, r.curl_code)
    assert.are.equal(1, r.attempts)
  end)

  it("sink error string", function()
    local r = run({ url = base .. "/big?n=1000000", output = function() error("plain") end }, m)
    assert.are.equal("string", type(r.sink_error))
    assert.truthy(r.sink_error:find("plain"), r.sink_error)
  end)

  it("cancel from inside a sink", function()
    local self_t
    local calls = 0
    self_t = m:add({ url = base .. "/big?n=1000000", output = function() calls = calls + 1; self_t:cancel() end })
    while not self_t:done() do m:perform(1000) end
    local r = self_t:result()
    assert.are.equal(1, calls)
    assert.are.equal(CURLE.ABORTED_BY_CALLBACK, r.curl_code)
    assert.are.equal("cancelled", r.curl_error)
  end)

  it("add from inside a sink", function()
    local inner
    local r = run({ url = base .. "/big?n=100000", output = function()
      if not inner then inner = m:add({ url = base .. "/hello" }) end
    end }, m)
    while not inner:done() do m:perform(1000) end
    assert.are.equal(200, r.status)
    assert.are.equal("hello world", inner:result().body)
  end)

  it("perform from inside a sink is refused", function()
    local ok, r = pcall(run, { url = base .. "/big?n=100000", output = function() m:perform(0) end }, m)
    assert.is_true(ok)
    assert.are.equal("string", type(r.sink_error))
    assert.truthy(r.sink_error:find("inside an output function", 1, true), r.sink_error)
  end)
end)
