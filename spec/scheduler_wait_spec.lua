-- The blocking scheduler with tasks on several clients: one wait over all
-- their multis' sockets and timers (core.wait), not a short poll of one
-- multi after the other.
local support = require "support"
local unipile = require "unipile"

local counting = require "support.counting"

-- Runs fn, counting the multis' perform calls (each one a wakeup).
local function counting_performs(fn) return counting.calls(counting.multi_methods(), { "perform" }, fn) end

describe("unipile.run with tasks on several clients", function()
  local sb
  before_each(function() sb = support.reset() end)
  after_each(function() sb:clear_faults() end)

  it("waits on every client's sockets at once: two requests held 400 ms wake it a handful of times", function()
    local a, b = support.client(), support.client()
    local expected = #a.accounts:list().items
    sb:fault { path = "^/api/v1/accounts$", latency_ms = 400, count = 2 }
    local performs, na, nb = counting_performs(function()
      return unipile.run(function()
        local ta = unipile.spawn(function() return #a.accounts:list().items end)
        local tb = unipile.spawn(function() return #b.accounts:list().items end)
        return ta:join(), tb:join()
      end)
    end)
    assert.are.equal(expected, na)
    assert.are.equal(expected, nb)
    -- a 2 ms poll would be about 200 performs
    assert.is_true(performs <= 40, performs .. " performs")
    a:close()
    b:close()
  end)

  it("still wakes for a sleeping task's timer while both clients wait", function()
    local a, b = support.client(), support.client()
    sb:fault { path = "^/api/v1/accounts$", latency_ms = 300, count = 2 }
    local order = {}
    unipile.run(function()
      local ta = unipile.spawn(function() a.accounts:list() order[#order + 1] = "a" end)
      local tb = unipile.spawn(function() b.accounts:list() order[#order + 1] = "b" end)
      unipile.sleep(50)
      order[#order + 1] = "slept"
      ta:join()
      tb:join()
    end)
    assert.are.equal("slept", order[1])
    assert.are.equal(3, #order)
    a:close()
    b:close()
  end)
end)
