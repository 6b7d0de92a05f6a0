--- The polling Neovim driver before unipile.luv, kept for bench/ only (the wakeups row compares it).
--
--     local un = require "unipile.nvim"
--     un.run(function()
--       local chats = client.chats:list { limit = 20 }   -- reads like blocking code
--       vim.api.nvim_buf_set_lines(buf, 0, -1, false, { #chats.items .. " chats" })
--       return chats
--     end, function(ok, chats_or_err) ... end)           -- run returns at once
--
--     un.call(client, "ChatsController_listAllChats", { limit = 5 }, function(err, result) ... end)
--
-- `fn` runs as a task of its own `unipile.scheduler`; requests inside it
-- yield while their transfer is in flight (and `unipile.spawn`, `map`,
-- `sleep` work inside it as in `unipile.run`). A `vim.loop` timer calls the
-- non-blocking `scheduler:step()` and re-arms itself after the wait it
-- returns, until every task is done.
--
-- curl's sockets are not exposed to Lua, so while transfers are in flight
-- the timer polls the multi handle (`perform(0)` inside `step()`) every
-- `M.poll_min_ms`..`M.poll_max_ms` ms instead of waiting on the sockets in
-- libuv; with only `unipile.sleep` waits pending it sleeps the full wait.
--
-- Steps run through `vim.schedule`, outside libuv's fast callbacks, so the
-- task and `on_done` may use the whole vim API. To handle an error inside
-- the task, use the non-raising forms (`client.safe`, `pending:result()`,
-- `task:result()`): they work on every runtime (LuaJIT also yields across
-- `pcall`, PUC Lua 5.1 does not).
-- @module unipile.nvim

local scheduler = require "unipile.scheduler"

local M = {}

M.poll_min_ms = 1      -- bounds of the poll interval while transfers are in flight
M.poll_max_ms = 10

local unpack = table.unpack or unpack -- luacheck: ignore 113 143 (5.2+ has one, 5.1 and LuaJIT the other)

--- Run `fn(...)` as a scheduler task driven from the Neovim event loop and
-- return at once. When it and everything it spawned are done,
-- `on_done(true, results...)` or `on_done(false, err)` is called (from the
-- main loop, so it may use the vim API). Returns a handle:
-- `handle.done`, `handle:cancel()` (cancels the transfers in flight, drops
-- the tasks, and calls `on_done(false, "cancelled")` before returning).
function M.run(fn, on_done, ...)
  local uv = vim.loop
  local s = scheduler.new()
  local main = s:spawn(fn, ...)
  local timer = uv.new_timer()
  local handle = { done = false, task = main }

  local function finish(ok, ...)
    if handle.done then return end
    handle.done = true
    timer:stop()
    if not timer:is_closing() then timer:close() end
    if on_done then on_done(ok, ...) end
  end

  local tick
  tick = vim.schedule_wrap(function()
    if handle.done then return end
    local ok, wait = pcall(s.step, s)
    if not ok then return finish(false, wait) end
    if wait == nil then
      if main.ok then return finish(true, unpack(main.results, 1, main.results.n)) end
      return finish(false, main.error)
    end
    if next(s.multis) ~= nil then         -- transfers in flight: poll curl
      wait = math.min(math.max(wait, M.poll_min_ms), M.poll_max_ms)
    end
    timer:start(wait, 0, tick)
  end)

  function handle.cancel()
    if handle.done then return false end
    for _, w in pairs(s.waits) do
      if w.transfer then w.transfer:cancel() end
    end
    finish(false, "cancelled")
    return true
  end

  timer:start(0, 0, tick)
  return handle
end

--- Callback style: `client:call(operation_id, params, opts)` without
-- blocking; `callback(nil, result)` or `callback(err)` (an unipile error
-- object). Returns the handle of `run`.
function M.call(client, operation_id, params, callback, opts)
  return M.run(function() return client:call(operation_id, params, opts) end, function(ok, result)
    if ok then callback(nil, result) else callback(result) end
  end)
end

--- Callback style `client:request(spec)`: `callback(nil, response)` or
-- `callback(err)`.
function M.request(client, spec, callback)
  return M.run(function() return client:request(spec) end, function(ok, result)
    if ok then callback(nil, result) else callback(result) end
  end)
end

return M
