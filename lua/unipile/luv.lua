--- libuv driver: SDK requests inside any libuv event loop, woken only by
-- curl's sockets and timers (no polling).
--
--     local uv = require "luv"                   -- in Neovim: vim.uv or vim.loop
--     local driver = require("unipile.luv").new(uv)
--     driver:run(function()
--       return client.chats:list { limit = 20 }   -- reads like blocking code
--     end, function(ok, chats_or_err) ... end)    -- run returns at once
--     uv.run()
--
-- `fn` runs as a task of its own `unipile.scheduler` (`unipile.spawn`,
-- `map`, `sleep` work inside it as in `unipile.run`). For every multi its
-- tasks wait on, the driver listens to curl's events (`multi:events`,
-- src/events.c): one `new_socket_poll` per socket, started and stopped as
-- curl asks and closed on remove (an fd number is reused), and one timer
-- for the multi's timeout. A poll or timer callback runs
-- `multi:socket_action` / `multi:timeout_action`; the tasks whose transfer
-- ended are then resumed through `opts.schedule` (Neovim: `vim.schedule`,
-- so tasks may use the whole vim API), else at once. `unipile.sleep` in a
-- task is a luv timer too. When no run needs a multi any more its handles
-- are closed: at the end no handle of the driver is left open.
-- @module unipile.luv

local core = require "unipile.core"
local scheduler = require "unipile.scheduler"

local M = {}

local unpack = table.unpack or unpack -- luacheck: ignore 113 143 (5.2+ has one, 5.1 and LuaJIT the other)

-- curl's "what to watch" as luv poll events, and luv's readiness back.
local POLL_EVENTS = { ["in"] = "r", out = "w", inout = "rw" }
local READY = { r = "in", w = "out", rw = "inout" }

local Driver = {}
Driver.__index = Driver
M.Driver = Driver

--- A driver for the loop of the luv module `uv`. `opts.schedule`: how to
-- resume tasks from a loop callback (Neovim: `vim.schedule`); default: at
-- once.
function M.new(uv, opts)
  assert(type(uv) == "table" and uv.new_socket_poll, "unipile.luv.new: uv must be a luv module (require \"luv\", vim.loop)")
  opts = opts or {}
  return setmetatable({
    uv = uv,
    schedule = opts.schedule,
    watchers = {},         -- multi → { polls = { [fd] = poll }, timer = }
    runs = {},             -- run → true, while not done
    made = {},             -- handle → true: every handle it opened and has not closed
  }, Driver)
end

-- A new luv handle ("new_timer", "new_socket_poll"), remembered for `handles`.
function Driver:new_handle(kind, ...)
  local h = assert(self.uv[kind](...))
  self.made[h] = true
  return h
end

-- Close a handle of ours (once closed, luv refuses even is_closing on it).
function Driver:close(h)
  if not h then return end
  self.made[h] = nil
  if not h:is_closing() then h:close() end
end

--- The handles of this driver that are still open (none once every run
-- is done). In Neovim, where `uv.walk` cannot be used (it asserts on the
-- editor's own handles), this is how to check.
function Driver:handles()
  local open = {}
  for h in pairs(self.made) do
    open[#open + 1] = h
  end
  return open
end

-- The runs, as a list: on_done may start new runs while we go through them.
function Driver:run_list()
  local list = {}
  for run in pairs(self.runs) do list[#list + 1] = run end
  return list
end

-- Every run that waits on `multi`, failed with `err` (an action raised).
function Driver:fail_multi(multi, err)
  for _, run in ipairs(self:run_list()) do
    if run.multis[multi] then self:finish(run, false, err) end
  end
end

-- Apply curl's events to the multi's poll handles and timer.
function Driver:apply(w, events)
  for _, e in ipairs(events) do
    if e[1] == "timer" then
      if e[2] < 0 then w.timer:stop() else w.timer:start(e[2], 0, w.on_timer) end
    elseif e[3] == "remove" then
      self:close(w.polls[e[2]])
      w.polls[e[2]] = nil
    else
      local poll = w.polls[e[2]]
      if not poll then
        local fd = e[2]
        poll = self:new_handle("new_socket_poll", fd)
        w.polls[fd] = poll
        w.on_ready[fd] = w.on_ready[fd] or function(err, ready)
          self:act(w, "socket_action", fd, err and "err" or READY[ready] or "inout")
        end
      end
      poll:start(POLL_EVENTS[e[3]], w.on_ready[e[2]])
    end
  end
end

-- A loop callback: let curl act on the multi, apply its new events, wake
-- the runs whose transfers ended.
-- No error may escape into luv (it would only print it): a failed action
-- fails the runs that wait on the multi.
function Driver:act(w, action, fd, what)
  local ok, err = pcall(function() self:apply(w, w.multi[action](w.multi, fd, what)) end)
  if not ok then return self:fail_multi(w.multi, err) end
  self:wake_runs()
end

function Driver:watch(multi)
  local w = self.watchers[multi]
  if w then return w end
  w = { multi = multi, polls = {}, on_ready = {}, timer = self:new_handle("new_timer") }
  w.on_timer = function() self:act(w, w.closed and "events" or "timeout_action") end
  -- A blocking call on the same client (it blocks the loop) may end our
  -- runs' transfers, and closing the client ends them at once: act on the
  -- multi in the loop's next turn (a closed one only hands over its removes).
  scheduler.outside[multi] = function(why)
    w.closed = w.closed or why == "closed"
    w.timer:start(0, 0, w.on_timer)
  end
  self.watchers[multi] = w
  return w
end

-- Stop listening to a multi no run waits on: close its handles.
function Driver:unwatch(multi)
  local w = self.watchers[multi]
  self.watchers[multi] = nil
  scheduler.outside[multi] = nil
  for _, poll in pairs(w.polls) do self:close(poll) end
  self:close(w.timer)
  multi:events(false)
end

-- After tasks ran: listen to the multis they now wait on, hand curl's
-- queued events (new transfers, cancels) to the loop, arm the sleeps.
function Driver:sync()
  for run in pairs(self.runs) do
    for multi in pairs(run.scheduler.multis) do
      run.multis[multi] = true
      self:watch(multi)
    end
  end
  for multi, w in pairs(self.watchers) do
    local ok, err = pcall(function() self:apply(w, multi:events()) end)
    if not ok then self:fail_multi(multi, err) end
  end
end

local function transfer_ended(s)
  for _, w in pairs(s.waits) do
    if w.transfer and w.transfer:done() then return true end
  end
  return false
end

function Driver:wake_runs()
  for _, run in ipairs(self:run_list()) do
    if transfer_ended(run.scheduler) then self:kick(run) end
  end
end

-- Resume the run's ready tasks soon (once, however often it is kicked).
function Driver:kick(run)
  if run.kicked then return end
  run.kicked = true
  local function go()
    run.kicked = false
    if not run.done then self:advance(run) end
  end
  if self.schedule then self.schedule(go) else go() end
end

function Driver:arm_sleep(run)
  local ms = run.scheduler:next_sleep(core.now())
  if not ms then
    if run.sleep then run.sleep:stop() end
    return
  end
  run.sleep = run.sleep or self:new_handle("new_timer")
  run.sleep:start(math.ceil(ms), 0, function() self:kick(run) end)
end

function Driver:advance(run)
  local s = run.scheduler
  local ok, err = pcall(s.advance, s)
  if not ok then return self:finish(run, false, err) end
  if s.alive == 0 then
    local main = run.main
    if main.ok then return self:finish(run, true, unpack(main.results, 1, main.results.n)) end
    return self:finish(run, false, main.error)
  end
  self:sync()
  self:arm_sleep(run)
end

-- The run is over: close what only it needed, then tell the caller.
function Driver:finish(run, ok, ...)
  if run.done then return end
  run.done, run.handle.done = true, true
  self.runs[run] = nil
  self:close(run.start)
  self:close(run.sleep)
  run.start, run.sleep = nil, nil
  self:sync()                        -- the removes its cancels queued
  for multi in pairs(run.multis) do
    local needed = false
    for other in pairs(self.runs) do needed = needed or other.multis[multi] == true end
    if not needed and self.watchers[multi] then self:unwatch(multi) end
  end
  if run.on_done then run.on_done(ok, ...) end
end

--- Run `fn(...)` as a scheduler task in the loop and return at once. When
-- it and everything it spawned are done, `on_done(true, results...)` or
-- `on_done(false, err)` is called. Returns a handle: `handle.done`,
-- `handle.task`, `handle:cancel()` (cancels the transfers in flight,
-- drops the tasks, closes the handles and calls `on_done(false,
-- "cancelled")` before returning; false when the run was already done).
function Driver:run(fn, on_done, ...)
  local s = scheduler.new()
  local main = s:spawn(fn, ...)
  local handle = { done = false, task = main }
  local run = { scheduler = s, main = main, on_done = on_done, handle = handle, multis = {} }
  self.runs[run] = true
  function handle.cancel()
    if run.done then return false end
    for _, w in pairs(s.waits) do
      if w.transfer then w.transfer:cancel() end
    end
    self:finish(run, false, "cancelled")
    return true
  end
  -- The first step too runs from the loop: run() returns before fn starts.
  local start = self:new_handle("new_timer")
  start:start(0, 0, function()
    self:close(start)
    run.start = nil
    self:kick(run)
  end)
  run.start = start
  return handle
end

--- Callback style: `client:call(operation_id, params, opts)` in the loop;
-- `callback(nil, result)` or `callback(err)` (an unipile error object).
-- Returns the handle of `run`.
function Driver:call(client, operation_id, params, callback, opts)
  return self:run(function() return client:call(operation_id, params, opts) end, function(ok, result)
    if ok then callback(nil, result) else callback(result) end
  end)
end

--- Callback style `client:request(spec)`: `callback(nil, response)` or
-- `callback(err)`.
function Driver:request(client, spec, callback)
  return self:run(function() return client:request(spec) end, function(ok, result)
    if ok then callback(nil, result) else callback(result) end
  end)
end

return M
