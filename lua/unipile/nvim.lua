--- Neovim driver: SDK requests that never block the editor.
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
-- `sleep` work inside it as in `unipile.run`). Built on `unipile.luv` over
-- Neovim's own loop (`vim.uv`, or `vim.loop` before 0.10): curl's sockets
-- are libuv poll handles and its timeout a libuv timer, so while a request
-- waits on the server the editor is not woken at all.
--
-- Tasks and `on_done` run through `vim.schedule`, outside libuv's fast
-- callbacks, so they may use the whole vim API. To handle an error inside
-- the task, use the non-raising forms (`client.safe`, `pending:result()`,
-- `task:result()`): they work on every runtime (LuaJIT also yields across
-- `pcall`, PUC Lua 5.1 does not).
-- @module unipile.nvim

local luv = require "unipile.luv"

local M = {}

local driver
local function the_driver()
  driver = driver or luv.new(vim.uv or vim.loop, { schedule = vim.schedule })
  return driver
end

--- The `unipile.luv` driver on Neovim's loop that `run` uses
-- (`driver():handles()` lists its open handles: none once every run is done).
M.driver = the_driver

--- Run `fn(...)` as a scheduler task driven from the Neovim event loop and
-- return at once. When it and everything it spawned are done,
-- `on_done(true, results...)` or `on_done(false, err)` is called (from the
-- main loop, so it may use the vim API). Returns a handle:
-- `handle.done`, `handle:cancel()` (cancels the transfers in flight, drops
-- the tasks, and calls `on_done(false, "cancelled")` before returning).
function M.run(fn, on_done, ...) return the_driver():run(fn, on_done, ...) end

--- Callback style: `client:call(operation_id, params, opts)` without
-- blocking; `callback(nil, result)` or `callback(err)` (an unipile error
-- object). Returns the handle of `run`.
function M.call(client, operation_id, params, callback, opts)
  return the_driver():call(client, operation_id, params, callback, opts)
end

--- Callback style `client:request(spec)`: `callback(nil, response)` or
-- `callback(err)`.
function M.request(client, spec, callback) return the_driver():request(client, spec, callback) end

--- Cancel a run (the same as `handle:cancel()`); false when it was done.
function M.cancel(handle) return handle.cancel() end

return M
