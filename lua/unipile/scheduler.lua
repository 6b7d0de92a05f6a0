--- Many requests at once: a coroutine scheduler over the clients' curl
-- multi handles. Inside a task, a request yields while its transfer is in
-- flight, so sequential code reads like blocking code and other tasks run
-- meanwhile.
--
--     unipile.run(function()
--       local a = unipile.spawn(function() return client.chats:list() end)
--       local b = unipile.spawn(function() return client.accounts:list() end)
--       print(#a:join().items, #b:join().items)
--     end)
--
--     local results, failures = unipile.map(ids, function(id)
--       return client.users:get_profile { identifier = id, account_id = acc }
--     end, { concurrency = 16 })
--     assert(#failures == 0, failures[1] and tostring(failures[1].error))
--
-- The loop is split in two so event loops can drive it: `step()` does all
-- that can be done now without blocking and says how long until more can be
-- done; `run()` blocks between steps. Event drivers (`unipile.luv`, and
-- `unipile.nvim` on it) call `advance()` when curl's sockets say a
-- transfer moved.
-- @module unipile.scheduler

local core = require "unipile.core"
local errors = require "unipile.errors"

local M = {}

--- The longest sleep, in ms (2^31-1, about 24.8 days; `core.sleep` caps
-- there too): longer ones sleep this long.
M.MAX_SLEEP_MS = 2147483647

local WAIT = setmetatable({}, { __tostring = function() return "unipile.scheduler.WAIT" end })
M.WAIT = WAIT

local pack = table.pack or function(...) return { n = select("#", ...), ... } end -- luacheck: ignore 143 (5.2+)
local unpack = table.unpack or unpack -- luacheck: ignore 113 143 (5.2+ has one, 5.1 and LuaJIT the other)

local current               -- the scheduler whose task is being resumed
local passthrough = setmetatable({}, { __mode = "k" })  -- our iterator coroutines

local Task = {}
Task.__index = Task

local Scheduler = {}
Scheduler.__index = Scheduler

--- A new scheduler (most code uses `unipile.run` instead).
-- @local
function M.new()
  return setmetatable({
    ready = {},            -- tasks to resume, in order
    waits = {},            -- task → { multi =, transfer = } | { until_ms = } | { join = task }
    multis = {},           -- multi → number of tasks waiting on it
    alive = 0,
  }, Scheduler)
end

--- The scheduler running the current task, if any.
-- @local
function M.current() return current end

-- True when a yield from here reaches the running task: we are in its
-- coroutine, or in one of our pass-through iterators resumed from it.
local function in_task()
  if not current then return false end
  local co = coroutine.running()
  return co ~= nil and (co == current.running.co or passthrough[co] == true)
end
M.in_task = in_task

function Scheduler:spawn(fn, ...)
  local args = pack(...)
  local task = setmetatable({ scheduler = self, joiners = {} }, Task)
  task.co = coroutine.create(function() return fn(unpack(args, 1, args.n)) end)
  self.alive = self.alive + 1
  self.ready[#self.ready + 1] = task
  return task
end

function Scheduler:finish(task, ok, results)
  task.done, task.ok = true, ok
  if ok then task.results = results else task.error = results[1] end
  self.alive = self.alive - 1
  for _, joiner in ipairs(task.joiners) do
    self.waits[joiner] = nil
    self.ready[#self.ready + 1] = joiner
  end
  task.joiners = {}
end

function Scheduler:park(task, kind, a, b)
  if kind == "transfer" then
    self.waits[task] = { multi = a, transfer = b }
    self.multis[a] = (self.multis[a] or 0) + 1
  elseif kind == "sleep" then
    self.waits[task] = { until_ms = a }
  elseif kind == "join" then
    if a.done then self.ready[#self.ready + 1] = task return end
    self.waits[task] = { join = a }
    a.joiners[#a.joiners + 1] = task
  end
end

function Scheduler:resume(task)
  local previous = current
  current, self.running = self, task
  local r = pack(coroutine.resume(task.co))
  current, self.running = previous, nil
  if not r[1] then
    self:finish(task, false, { r[2] })
  elseif coroutine.status(task.co) == "dead" then
    self:finish(task, true, pack(unpack(r, 2, r.n)))
  elseif r[2] == WAIT then
    self:park(task, r[3], r[4], r[5])
  else
    self:finish(task, false, { "unipile.scheduler: a task yielded a value of its own;"
      .. " use unipile.spawn for concurrency, not coroutine.yield" })
  end
end

-- Move tasks whose wait is over to the ready list.
function Scheduler:wake(now)
  for task, w in pairs(self.waits) do
    if (w.transfer and w.transfer:done()) or (w.until_ms and w.until_ms <= now) then
      self.waits[task] = nil
      if w.multi then
        local n = self.multis[w.multi] - 1
        self.multis[w.multi] = n > 0 and n or nil
      end
      self.ready[#self.ready + 1] = task
    end
  end
end

--- Resume every task whose wait is over, and the tasks they make ready,
-- until none is ready. With `drive`, each multi waited on gets a
-- `perform(0)` between batches (the polling drivers); an event driver
-- passes none: curl's sockets tell it when a transfer moved.
-- @local
function Scheduler:advance(drive)
  self:wake(core.now())
  while #self.ready > 0 do
    local batch = self.ready
    self.ready = {}
    for _, task in ipairs(batch) do self:resume(task) end
    if drive then
      for multi in pairs(self.multis) do multi:perform(0) end
    end
    self:wake(core.now())
  end
end

--- Ms until the earliest `unipile.sleep` of a task ends (0: over), or nil
-- when no task sleeps.
-- @local
function Scheduler:next_sleep(now)
  local wait
  for _, w in pairs(self.waits) do
    if w.until_ms then wait = math.min(wait or math.huge, math.max(0, w.until_ms - now)) end
  end
  return wait
end

--- Do everything possible now without blocking. Returns the number of
-- milliseconds after which another step is useful (0: at once), or nil
-- when every task is done.
-- @local
function Scheduler:step()
  for multi in pairs(self.multis) do multi:perform(0) end
  self:advance(true)
  if self.alive == 0 then return nil end
  local wait = math.min(1000, self:next_sleep(core.now()) or 1000)
  for multi in pairs(self.multis) do
    local t = multi:timeout()
    if t >= 0 then wait = math.min(wait, t) end
  end
  return wait
end

--- Step until every task is done, blocking between steps: in the one
-- multi's `perform(wait)` (curl_multi_poll), or, with tasks on several
-- clients, in one `core.wait` over all their sockets and timers; with no
-- transfer in flight, in `core.sleep`.
-- @local
function Scheduler:loop()
  while true do
    local wait = self:step()
    if wait == nil then return end
    if wait > 0 then
      local list = {}
      for multi in pairs(self.multis) do list[#list + 1] = multi end
      if #list == 1 then
        list[1]:perform(wait)       -- wakes as soon as a socket is ready
      elseif #list > 1 then
        core.wait(list, wait)       -- the next step performs each multi
      else
        core.sleep(wait)
      end
    end
  end
end

-- Yield until the task is done (join and result share it).
local function await_task(task, where)
  if task.done then return end
  if not in_task() then error("unipile: " .. where .. " must be called from inside unipile.run", 3) end
  coroutine.yield(WAIT, "join", task)
end

--- Wait for a task and return its results; raise its error.
function Task:join()
  await_task(self, "join()")
  if not self.ok then errors.raise(self.error) end
  return unpack(self.results, 1, self.results.n)
end

--- Like `join`, but returns `nil, err` (whatever the task raised) instead
-- of raising; no pcall, so it works on every runtime.
function Task:result()
  await_task(self, "result()")
  if not self.ok then return nil, self.error end
  return unpack(self.results, 1, self.results.n)
end

--- multi → function(why): set by the event driver listening to that multi
-- (`unipile.luv`), called through `nudge` when something outside the loop
-- changed the multi: `"driven"` after a blocking wait drove it (curl's
-- events of that wait, transfers of its runs that ended meanwhile, are
-- still queued), `"closed"` after its client was closed (its transfers
-- ended at once, and no socket or timer of it will fire again).
-- @local
M.outside = setmetatable({}, { __mode = "k" })

--- Tell the driver listening to `multi`, if any, that it changed outside
-- the loop (`why`: `"driven"` or `"closed"`).
-- @local
function M.nudge(multi, why)
  local notify = M.outside[multi]
  if notify then notify(why) end
end

--- Wait for a transfer: yields to the scheduler inside a task, otherwise
-- drives the multi until the transfer is done.
-- @local
function M.await(multi, transfer)
  if transfer:done() then return end
  if in_task() then
    coroutine.yield(WAIT, "transfer", multi, transfer)
  else
    while not transfer:done() do multi:perform(1000) end
    M.nudge(multi, "driven")
  end
end

--- Check a sleep duration for `where` and cap it at `MAX_SLEEP_MS`: a
-- non-number, NaN or an infinity is a usage error naming `ms` (NaN would
-- never be reached by the clock, a busy loop in the scheduler).
-- @local
function M.sleep_ms(where, ms)
  if type(ms) ~= "number" or ms ~= ms or ms == math.huge or ms == -math.huge then
    errors.usage(where, "ms must be a finite number of milliseconds", "ms")
  end
  return math.min(ms, M.MAX_SLEEP_MS)
end

--- Sleep `ms` (see `sleep_ms`): other tasks run meanwhile inside a task.
function M.sleep(ms)
  ms = M.sleep_ms("unipile.sleep", ms)
  if ms <= 0 then return end
  if in_task() then
    coroutine.yield(WAIT, "sleep", core.now() + ms)
  else
    core.sleep(ms)
  end
end

--- Like `coroutine.wrap`, but scheduler yields from inside go through to
-- the enclosing task, so an iterator can make requests inside `unipile.run`.
-- @local
function M.wrap(fn)
  local co = coroutine.create(fn)
  passthrough[co] = true
  local function pass(r)
    if not r[1] then errors.raise(r[2]) end
    if coroutine.status(co) ~= "dead" and r[2] == WAIT then
      return pass(pack(coroutine.resume(co, coroutine.yield(unpack(r, 2, r.n)))))
    end
    return unpack(r, 2, r.n)
  end
  return function(...) return pass(pack(coroutine.resume(co, ...))) end
end

--- Run `fn(...)` as a task and everything it spawns; return its results or
-- raise its error. Inside a task, simply calls `fn`.
function M.run(fn, ...)
  if in_task() then return fn(...) end
  local s = M.new()
  local main = s:spawn(fn, ...)
  s:loop()
  if not main.ok then errors.raise(main.error) end
  return unpack(main.results, 1, main.results.n)
end

--- Start `fn(...)` as a concurrent task of the running scheduler; returns a
-- task with `:join()`.
function M.spawn(fn, ...)
  if not in_task() then error("unipile.spawn must be called from inside unipile.run", 2) end
  return current:spawn(fn, ...)
end

-- The failures of a map, dense and in index order, plus `by_index`.
local function failures_of(list, errs, n)
  local failures = { by_index = {} }
  for i = 1, n do
    if errs[i] ~= nil then
      local f = { index = i, item = list[i], error = errs[i] }
      failures[#failures + 1] = f
      failures.by_index[i] = f
    end
  end
  return failures
end

--- Call `fn(item, i)` for every item, at most `opts.concurrency` (default
-- 8) at a time. Returns `results, failures`: `results[i]` is the first
-- value of item i (nil when it failed, so `results` has holes then);
-- `failures` is a dense list, in index order, of `{ index = i, item =
-- list[i], error = err }`, so `#failures == 0` means every item succeeded,
-- and `failures.by_index[i]` is the failure of item i. Never raises for an
-- item's error.
--
--     local profiles, failures = unipile.map(ids, get_profile, { concurrency = 16 })
--     for _, f in ipairs(failures) do print(f.index, f.item, f.error) end
function M.map(list, fn, opts)
  if type(list) ~= "table" then errors.usage("unipile.map", "list must be a table", "list") end
  local concurrency = (opts and opts.concurrency) or 8
  if type(concurrency) ~= "number" or concurrency < 1 then
    errors.usage("unipile.map", "concurrency must be a number >= 1", "concurrency")
  end
  return M.run(function()
    local results, errs = {}, {}
    local next_index, n = 1, #list
    -- A pool of workers, each running one item at a time as a task of its
    -- own, so an item's error ends that task only (no pcall: Lua 5.1
    -- cannot yield across it).
    local function worker()
      while next_index <= n do
        local i = next_index
        next_index = i + 1
        local task = M.spawn(fn, list[i], i)
        if not task.done then coroutine.yield(WAIT, "join", task) end
        if task.ok then results[i] = task.results[1] else errs[i] = task.error end
      end
    end
    local workers = {}
    for w = 1, math.min(concurrency, n) do workers[w] = M.spawn(worker) end
    for _, w in ipairs(workers) do w:join() end
    return results, failures_of(list, errs, n)
  end)
end

return M
