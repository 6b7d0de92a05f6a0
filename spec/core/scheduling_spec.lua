-- unipile.core scheduling: pause, perform's wait, cancel, retry waits
-- inside the multi, close, collection of abandoned transfers. In order on
-- one multi, as a caller would drive it.
local core = require "unipile.core"
local CURLE = core.codes -- curl codes by name, never bare numbers
local cs = require "support.core_server"

describe("core scheduling", function()
  local server, base, m3
  setup(function()
    server = cs.start()
    base = server.base
    m3 = core.multi()
  end)
  teardown(function()
    m3:close()
    server:stop()
  end)

  describe("a paused multi", function()
    local t0, tp
    setup(function()
      m3:pause(300)
      t0 = core.now()
      tp = m3:add({ url = base .. "/hello" })
    end)

    it("timeout() reflects the pause", function()
      local to = m3:timeout()
      assert.is_true(to > 200 and to <= 300, to)
    end)

    it("perform(0) does not block", function()
      local n = m3:perform(0)
      assert.is_true(core.now() - t0 < 100, core.now() - t0)
      assert.are.equal(1, n)
    end)

    it("pause delays the start", function()
      while not tp:done() do m3:perform(1000) end
      assert.is_true(core.now() - t0 >= 290, core.now() - t0)
      assert.are.equal(200, tp:result().status)
    end)
  end)

  describe("a slow transfer", function()
    local ts1, r
    setup(function()
      ts1 = m3:add({ url = base .. "/slow?ms=3000" })
      m3:perform(0)
    end)

    it("perform(wait) waits at most wait_ms", function()
      local t0 = core.now()
      m3:perform(200)
      assert.is_true(core.now() - t0 < 400, core.now() - t0)
    end)

    it("cancel returns true once", function()
      assert.is_true(ts1:cancel())
      assert.is_false(ts1:cancel())
      assert.is_true(ts1:done())
    end)

    it("cancelled result", function()
      r = ts1:result()
      assert.are.same({ CURLE.ABORTED_BY_CALLBACK, "cancelled", 0 }, { r.curl_code, r.curl_error, m3:pending() })
    end)

    it("result is cached", function()
      assert.are.equal(r, ts1:result())
    end)
  end)

  describe("closing", function()
    local tr

    it("retry waits inside the multi", function()
      tr = m3:add({ url = "http://127.0.0.1:1/", retries = 5, backoff_ms = 2000 })
      m3:perform(100)
      assert.is_false(tr:done())
      assert.are.equal(1, m3:pending())
      assert.is_true(m3:timeout() > 500, m3:timeout())
    end)

    it("close aborts active transfers", function()
      local tw = m3:add({ url = base .. "/slow?ms=3000" })
      m3:perform(0)
      m3:close()
      assert.is_true(tr:done())
      assert.is_true(tw:done())
      assert.are.equal("multi closed", tw:result().curl_error)
      assert.are.equal(1, tr:result().attempts)
    end)

    it("closed multi refuses add", function()
      local ok, err = pcall(m3.add, m3, { url = base .. "/hello" })
      assert.is_false(ok)
      assert.truthy(err:find("closed", 1, true), err)
    end)

    it("close is idempotent", function()
      assert.has_no.errors(function() m3:close() end)
    end)
  end)

  -- Transfers dropped mid-flight with their multi: both get collected.
  it("abandoned multi is collected", function()
    assert.has_no.errors(function()
      do
        local m4 = core.multi()
        for _ = 1, 3 do m4:add({ url = base .. "/slow?ms=3000" }) end
        m4:perform(0)
      end
      collectgarbage()
      collectgarbage()
    end)
  end)
end)
