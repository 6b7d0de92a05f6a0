-- unipile.luv in plain Lua on Debian's lua-luv (it loads on every runtime
-- make test runs: 5.1 to 5.4 and LuaJIT): requests in a libuv loop woken
-- only by curl's sockets and timers, while the loop's own timers keep
-- firing; errors, cancel, sleeps, a long download; no handle left open.
local support = require "support"
local uv = require "luv"
local core = require "unipile.core"
local unipile = require "unipile"
local cs = require "support.core_server"
local luv = require "unipile.luv"
local counting = require "support.counting"

-- Every handle of the loop (the spec's own included) as "type" strings.
local function open_handles()
  local list = {}
  uv.walk(function(h) if not h:is_closing() then list[#list + 1] = tostring(h) end end)
  return list
end

-- Run the loop until on_done has been called (5 s watchdog), with a 10 ms
-- repeating timer standing for the host's own work. Returns on_done's
-- arguments (packed), the ticks, the elapsed ms.
local function in_loop(start)
  local done, ticks = nil, 0
  local ticker, watchdog = uv.new_timer(), uv.new_timer()
  ticker:start(10, 10, function() ticks = ticks + 1 end)
  watchdog:start(5000, 0, function() uv.stop() end)
  local t0 = core.now()
  start(function(...)
    done = { n = select("#", ...), ... }
    ticker:close()
    watchdog:close()
  end)
  uv.run()
  assert(done, "on_done never came (watchdog)")
  return done, ticks, core.now() - t0
end

-- Counts the multi actions (each one a wakeup of the loop by curl) while fn runs.
local function counting_actions(fn)
  return counting.calls(counting.multi_methods(), { "socket_action", "timeout_action" }, fn)
end

describe("unipile.luv on lua-luv", function()
  local sb, client, driver
  before_each(function()
    sb = support.reset()
    client = support.client()
    driver = luv.new(uv)
  end)
  after_each(function()
    sb:clear_faults()
    client:close()
    assert.are.same({}, driver:handles())
    assert.are.same({}, open_handles())        -- nothing of ours (nor the spec's) left open
  end)

  it("50 concurrent requests held 200 ms complete with the right answers while a timer keeps firing", function()
    local expected = {}
    for i, chat in ipairs(client.chats:list { limit = 5 }.items) do expected[i] = chat.id end
    sb:fault { path = "^/api/v1/chats$", latency_ms = 200, count = 50 }
    local ids = {}
    for i = 1, 50 do ids[i] = i end
    local done, ticks, ms = in_loop(function(on_done)
      driver:run(function()
        return unipile.map(ids, function()
          unipile.sleep(5)                           -- a luv timer, not a poll
          local page = client.chats:list { limit = 5 }
          local got = {}
          for i, chat in ipairs(page.items) do got[i] = chat.id end
          return table.concat(got, ",")
        end, { concurrency = 50 })
      end, on_done)
    end)
    assert.is_true(done[1], tostring(done[2]))
    local results, failures = done[2], done[3]
    assert.are.equal(0, #failures, failures[1] and tostring(failures[1].error))
    for i = 1, 50 do assert.are.equal(table.concat(expected, ","), results[i]) end
    local faulted = 0
    for _, rec in ipairs(support.requests()) do
      if rec.path == "/api/v1/chats" and rec.fault then faulted = faulted + 1 end
    end
    assert.are.equal(50, faulted)
    assert.is_true(ms >= 200, ms .. " ms")
    assert.is_true(ticks >= 5, "the host's timer fired " .. ticks .. " times in " .. ms .. " ms")
  end)

  it("waits without waking: a request held 600 ms costs a handful of curl actions", function()
    sb:fault { path = "^/api/v1/accounts$", latency_ms = 600 }
    local actions, done, ticks = counting_actions(function()
      return in_loop(function(on_done) driver:run(function() return client.accounts:list() end, on_done) end)
    end)
    assert.is_true(done[1], tostring(done[2]))
    assert.is_true(#done[2].items > 0)
    assert.is_true(ticks >= 10, ticks .. " ticks")
    -- a poll every 1-10 ms would be 60-600 actions
    assert.is_true(actions <= 15, actions .. " actions")
  end)

  it("a task's sleep is a luv timer: 300 ms of sleeping resume the task a handful of times", function()
    local steps, done, ticks, ms = counting.calls(counting.scheduler_methods(), { "advance" }, function()
      return in_loop(function(on_done)
        driver:run(function()
          unipile.sleep(300)
          return "slept"
        end, on_done)
      end)
    end)
    assert.are.same({ true, "slept", n = 2 }, done)
    assert.is_true(ms >= 290, ms .. " ms")
    assert.is_true(ticks >= 10, ticks .. " ticks")
    assert.is_true(steps <= 5, steps .. " steps")    -- a poll every 1-10 ms would be 30-300
  end)

  local ERRORS = {
    { "an http error", function(c, cb) return driver:call(c, "ChatsController_getChat", { chat_id = "no-such" }, cb) end,
      function(err) assert.are.equal("http", err.kind) assert.are.equal(404, err.status) end },
    { "a network error", function(_, cb)
        local dead = unipile.new { dsn = "http://127.0.0.1:" .. support.closed_port(), api_key = "k", retries = 0 }
        return driver:request(dead, { method = "GET", path = "/chats" }, function(err, r) dead:close() cb(err, r) end)
      end,
      function(err) assert.are.equal("network", err.kind) end },
    { "a usage error raised in the task", function(c, cb) return driver:call(c, "NoSuchOperation", {}, cb) end,
      function(err) assert.are.equal("usage", err.kind) end },
  }
  for _, case in ipairs(ERRORS) do
    it("delivers " .. case[1] .. " to the callback as an error object", function()
      local done = in_loop(function(on_done) case[2](client, on_done) end)
      assert.is_nil(done[2])
      assert.is_true(unipile.is_error(done[1]), tostring(done[1]))
      case[3](done[1])
    end)
  end

  it("cancel removes the transfers, closes the handles and calls on_done at once", function()
    sb:fault { path = "^/api/v1/chats$", latency_ms = 3000 }
    local handle, returned
    local done, _, ms = in_loop(function(on_done)
      handle = driver:run(function() return client.chats:list() end, function(...)
        on_done(...)
        returned = false
      end)
      local later = uv.new_timer()
      later:start(100, 0, function()
        later:close()
        returned = handle.cancel()
      end)
    end)
    assert.are.same({ false, "cancelled", n = 2 }, done)
    assert.is_true(returned)                        -- on_done ran inside cancel()
    assert.is_true(handle.done)
    assert.is_false(handle.cancel())
    assert.is_true(ms < 2000, ms .. " ms")
    assert.are.equal(0, client.multi:pending())
  end)

  it("two runs share a client: cancelling one leaves the other running", function()
    sb:fault { path = "^/api/v1/chats$", latency_ms = 300, count = 2 }
    local first
    local done = in_loop(function(on_done)
      first = driver:run(function() return client.chats:list() end, function() end)
      driver:run(function() return client.chats:list { limit = 3 } end, on_done)
      local later = uv.new_timer()
      later:start(50, 0, function()
        later:close()
        first.cancel()
      end)
    end)
    assert.is_true(done[1], tostring(done[2]))
    assert.are.equal(3, #done[2].items)
    assert.is_true(first.done)
  end)

  it("a blocking call on the same client, from a loop callback, does not strand a run's transfer", function()
    client.chats:list { limit = 1 }                  -- warm: no connect timer of curl's left to save us
    sb:fault { path = "^/api/v1/chats$", latency_ms = 100 }
    sb:fault { path = "^/api/v1/accounts$", latency_ms = 300 }
    local order = {}
    local done = in_loop(function(on_done)
      driver:run(function() return client.chats:list() end, function(...)
        order[#order + 1] = "run"
        on_done(...)
      end)
      local later = uv.new_timer()
      later:start(20, 0, function()
        later:close()
        client.accounts:list()                       -- blocks the loop 300 ms; the run's transfer ends meanwhile
        local check = uv.new_timer()
        check:start(50, 0, function()                -- due after the driver's 0 ms nudge, whatever the load
          check:close()
          order[#order + 1] = "check"
        end)
      end)
    end)
    assert.is_true(done[1], tostring(done[2]))
    assert.are.equal("run", order[1])
  end)

  it("a client closed from a loop callback fails its run at once, not when curl's timer fires", function()
    local closing = support.client()
    sb:fault { path = "^/api/v1/chats$", status = 429, retry_after = 3, count = 1 }
    local done, _, ms = in_loop(function(on_done)            -- waits out the hold: no socket open
      driver:run(function() return closing.chats:list({}, { timeout_ms = 30000 }) end, on_done)
      local later = uv.new_timer()
      later:start(50, 0, function()
        later:close()
        closing:close()                              -- no transfer of its multi will end by itself now
      end)
    end)
    assert.is_false(done[1])
    assert.are.equal("network", done[2].kind)        -- the same error as under unipile.run
    assert.matches("multi closed", done[2].message, 1, true)
    assert.is_true(ms < 2500, ms .. " ms")           -- the hold ends after 3000 ms
  end)

  it("a long streamed download does not block the loop", function()
    local server = cs.start()
    local path = support.tmpname()
    local files = unipile.new { dsn = server.base, api_key = "k" }
    local done, ticks, ms = in_loop(function(on_done)
      driver:request(files, { method = "GET", path = "/drip", query = { chunks = 40, ms = 10 }, output = path }, on_done)
    end)
    files:close()
    cs.stop(server)
    assert.is_nil(done[1], tostring(done[1]))
    assert.are.equal(200, done[2].status)
    local data = support.read_file(path)
    os.remove(path)
    assert.are.equal(40 * 65536, #data)
    assert.are.equal("0123456789abcdef", data:sub(1, 16))
    assert.is_true(ms >= 300, ms .. " ms")           -- 40 chunks 10 ms apart: a long download
    assert.is_true(ticks >= 10, "the host's timer fired " .. ticks .. " times in " .. ms .. " ms")
  end)

  it("refuses what is not a luv module", function()
    assert.has_error(function() luv.new({}) end)
  end)
end)
