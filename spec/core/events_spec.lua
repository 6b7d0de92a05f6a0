-- unipile.core's event API (src/events.c): curl's sockets and timer as
-- events, the actions that drive a multi from them, core.wait over
-- several multis. Transfers here are driven by events only, as a libuv
-- driver would, with core.wait standing in for the loop.
local core = require "unipile.core"
local cs = require "support.core_server"

local CURLE = core.codes

-- Drive `m` by its events until `t` is done (or 5 s): the loop waits on
-- the sockets curl asked for and fires the timer curl and the multi asked
-- for. Returns every event seen, in order, and how many rounds it took.
local function drive(m, t, events)
  events = events or m:events()
  local seen, rounds, due = {}, 0, nil
  local function note(list)
    for _, e in ipairs(list) do
      seen[#seen + 1] = e
      if e[1] == "timer" then due = e[2] >= 0 and core.now() + e[2] or nil end
    end
  end
  note(events)
  local deadline = core.now() + 5000
  while not t:done() and core.now() < deadline do
    rounds = rounds + 1
    core.wait({ m }, due and math.max(0, due - core.now()) or 1000)
    for fd, what in pairs(m:sockets()) do note(m:socket_action(fd, what)) end
    if due and core.now() >= due then note(m:timeout_action()) end
  end
  return seen, rounds
end

-- The socket events of `seen` for one fd, as "what" strings in order.
local function socket_story(seen, fd)
  local story = {}
  for _, e in ipairs(seen) do
    if e[1] == "socket" and e[2] == fd then story[#story + 1] = e[3] end
  end
  return story
end

local function first_socket(seen)
  for _, e in ipairs(seen) do
    if e[1] == "socket" then return e[2] end
  end
end

local function count(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n
end

describe("core events", function()
  local server, base
  setup(function()
    server = cs.start()
    base = server.base
  end)
  teardown(function() cs.stop(server) end)

  it("drives a transfer by socket and timer actions alone: the socket is announced, then removed", function()
    local m = core.multi()
    local t = m:add { url = base .. "/hello" }
    local seen = drive(m, t)
    assert.is_true(t:done())
    assert.are.equal("hello world", t:result().body)
    local fd = first_socket(seen)
    assert.is_number(fd)
    local story = socket_story(seen, fd)
    assert.are.equal("remove", story[#story])
    for i = 1, #story - 1 do assert.is_truthy(({ ["in"] = 1, out = 1, inout = 1 })[story[i]], story[i]) end
    assert.are.same({}, m:sockets())
    assert.are.same({ "timer", -1 }, seen[#seen])    -- nothing left to time
    m:close()
  end)

  it("a driver that starts listening late first gets the sockets curl already watches", function()
    local m = core.multi()
    local t = m:add { url = base .. "/slow?ms=300" }
    for _ = 1, 50 do
      if next(m:sockets()) then break end
      m:perform(10)                     -- blocking path: curl connects, sends
    end
    local fd, what = next(m:sockets())
    assert.is_number(fd)
    local first = m:events()
    assert.are.same({ "socket", fd, what }, first[1])
    assert.are.equal("timer", first[#first][1])
    drive(m, t, {})
    assert.are.equal("slept", t:result().body)
    m:close()
  end)

  it("the timer is the multi's: a start held by pause is due when the pause ends, not before", function()
    local m = core.multi()
    m:pause(300)
    local t = m:add { url = base .. "/hello" }
    local events = m:events()
    assert.are.equal(1, #events)
    assert.are.equal("timer", events[1][1])
    assert.is_true(events[1][2] > 200 and events[1][2] <= 300, "timer " .. events[1][2])
    -- fired early: nothing starts, and the (spent) timer is announced again
    local again = m:timeout_action()
    assert.are.same({}, m:sockets())
    assert.are.equal("timer", again[#again][1])
    assert.is_true(again[#again][2] > 0)
    local started = core.now()
    drive(m, t, again)
    assert.is_true(core.now() - started >= 200)
    assert.are.equal("hello world", t:result().body)
    m:close()
  end)

  it("a retry's backoff is the timer too", function()
    local m = core.multi { seed = 1 }
    local t = m:add { url = base .. "/status/503", retries = 1, retry_unsafe = true, backoff_ms = 400 }
    local seen = drive(m, t)
    local r = t:result()
    assert.are.equal(2, r.attempts)
    local longest = 0
    for _, e in ipairs(seen) do
      if e[1] == "timer" then longest = math.max(longest, e[2]) end
    end
    assert.is_true(longest >= 150 and longest <= 400, "longest timer " .. longest)
    m:close()
  end)

  it("a socket opened and closed again between two drains reaches the driver only as its remove", function()
    local m = core.multi()
    m:events()
    local port = require("unipile.sandbox.sys").free_port()
    local t = m:add { url = "http://127.0.0.1:" .. port .. "/", retries = 0 }
    for _ = 1, 100 do                   -- performs (a task's requests starting) between two drains
      if t:done() then break end
      m:perform(10)
    end
    assert.are.equal(CURLE.COULDNT_CONNECT, t:result().curl_code)
    local events = m:events()
    local fd = first_socket(events)
    assert.is_number(fd)
    -- its fd is closed: a driver that started watching it would get EBADF
    assert.are.same({ "remove" }, socket_story(events, fd))
    m:close()
  end)

  it("events(false) stops the queue; listening again starts from a snapshot", function()
    local m = core.multi()
    m:events()
    assert.are.same({}, m:events(false))
    local t = m:add { url = base .. "/slow?ms=200" }
    m:perform(0)
    assert.are.same({}, m:events(false))
    local fd = next(m:sockets())
    local snapshot = m:events()
    assert.are.equal(fd, first_socket(snapshot))
    drive(m, t, snapshot)
    assert.are.equal("slept", t:result().body)
    m:close()
  end)

  it("closing while listening cancels, queues the removes, and refuses actions", function()
    local m = core.multi()
    local t = m:add { url = base .. "/slow?ms=3000" }
    m:perform(0)
    local fd = next(m:sockets())
    m:events()
    m:close()
    assert.is_true(t:done())
    assert.are.equal(CURLE.ABORTED_BY_CALLBACK, t:result().curl_code)
    assert.are.same({ "remove" }, socket_story(m:events(), fd))
    assert.has_error(function() m:socket_action(fd, "in") end, "multi is closed")
    assert.has_error(function() m:timeout_action() end, "multi is closed")
  end)

  -- What an output function (run inside curl's write callback) may not
  -- call: each would re-enter curl.
  local FROM_SINK = {
    { "timeout_action", function(m) m:timeout_action() end },
    { "socket_action", function(m) m:socket_action(0, "in") end },
    { "events", function(m) m:events() end },
    { "core.wait", function(m) core.wait({ m }, 0) end },
  }
  for _, case in ipairs(FROM_SINK) do
    local name, call = case[1], case[2]
    it("refuses " .. name .. " from inside an output function", function()
      local m = core.multi()
      local t = m:add { url = base .. "/big?n=100000", output = function() call(m) end }
      while not t:done() do m:perform(100) end
      local why = tostring(t:result().sink_error)
      assert.is_truthy(why:find("inside an output function"), why)
      m:close()
    end)
  end

  it("refuses an unknown readiness", function()
    local m = core.multi()
    assert.has_error(function() m:socket_action(0, "sideways") end)
    m:close()
  end)

  it("core.wait waits on every multi's sockets at once", function()
    local slow, quick = core.multi(), core.multi()
    local a = slow:add { url = base .. "/slow?ms=3000" }
    local b = quick:add { url = base .. "/slow?ms=100" }
    local waits = 0
    while not b:done() and waits < 100 do
      waits = waits + 1
      core.wait({ slow, quick }, 5000)
      slow:perform(0)
      quick:perform(0)
    end
    assert.are.equal("slept", b:result().body)
    assert.is_false(a:done())
    -- woken by sockets, not by a short poll: a handful of waits for 100 ms
    assert.is_true(waits <= 10, waits .. " waits")
    assert.are.equal(1, count(slow:sockets()))
    slow:close()
    quick:close()
    assert.has_error(function() core.wait({ slow, {} }, 0) end, "core.wait: multis[2] is not a multi")
  end)
end)
