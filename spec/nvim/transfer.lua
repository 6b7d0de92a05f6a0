-- Run by spec/nvim_spec.lua inside `nvim --headless -u NONE -i NONE -n`:
-- a request through unipile.nvim while a 20 ms timer keeps ticking. Prints
-- one line "RESULT ok=... ticks=N items=N elapsed_ms=N ..." and quits.
-- Environment: UNIPILE_REPO (repository root), UNIPILE_DSN, UNIPILE_API_KEY.
local uv = vim.loop
local root = assert(os.getenv("UNIPILE_REPO"), "UNIPILE_REPO not set")
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. package.path
package.cpath = root .. "/build/luajit/?.so;/usr/lib/x86_64-linux-gnu/lua/5.1/?.so;" .. package.cpath

local function report(fields)
  local out = { "RESULT" }
  for _, kv in ipairs(fields) do out[#out + 1] = kv[1] .. "=" .. tostring(kv[2]):gsub("%s", "_") end
  io.stdout:write(table.concat(out, " "), "\n")
  io.stdout:flush()
  vim.cmd("qa!")
end

local function ms_since(t0) return math.floor((uv.hrtime() - t0) / 1e6) end

-- Whatever happens, never hang: give up after 10 s.
local watchdog = uv.new_timer()
watchdog:start(10000, 0, vim.schedule_wrap(function()
  report { { "ok", false }, { "error", "watchdog: no callback after 10 s" } }
end))

local ok, err = pcall(function()
  local unipile = require "unipile"
  local un = require "unipile.nvim"
  local client = unipile.new { dsn = os.getenv("UNIPILE_DSN"), api_key = os.getenv("UNIPILE_API_KEY") }

  -- The editor's own work: a repeating timer that only fires if the loop runs.
  local ticks = 0
  local ticker = uv.new_timer()
  ticker:start(20, 20, function() ticks = ticks + 1 end)

  -- UNIPILE_NVIM_MODE=blocking is the control: the same task run the
  -- plain blocking way (from one main-loop callback) starves the timer.
  local blocking = os.getenv("UNIPILE_NVIM_MODE") == "blocking"
  local start = un.run
  if blocking then
    start = function(fn, on_done)
      vim.schedule(function() on_done(true, unipile.run(fn)) end)
    end
  end

  local returned_ms
  local t0 = uv.hrtime()
  start(function()
    local accounts = client.accounts:list()
    -- a task may use the vim API between requests
    vim.api.nvim_buf_set_lines(0, 0, -1, false, { "accounts: " .. #accounts.items })
    return client.chats:list { limit = 5 }    -- the sandbox holds this one for 500 ms
  end, function(done_ok, chats)
    local elapsed, n = ms_since(t0), ticks
    ticker:stop()
    ticker:close()
    if not done_ok then
      return report { { "ok", false }, { "ticks", n }, { "error", tostring(chats) } }
    end
    local ids = {}
    for i, chat in ipairs(chats.items) do ids[i] = chat.id end
    local function finish(call_err, result)
      watchdog:stop()
      report {
        { "ok", true }, { "ticks", n }, { "items", #chats.items }, { "elapsed_ms", elapsed },
        { "returned_ms", returned_ms }, { "buffer", vim.api.nvim_buf_get_lines(0, 0, 1, false)[1] },
        { "ids", table.concat(ids, ",") },
        { "call_err", call_err and call_err.status or "none" }, { "call_result", result and "yes" or "none" },
      }
    end
    if blocking then return finish() end
    -- callback style, error path
    un.call(client, "ChatsController_getChat", { chat_id = "no-such-chat" }, finish)
  end)
  returned_ms = ms_since(t0)                  -- run() must return at once
end)
if not ok then report { { "ok", false }, { "error", tostring(err) } } end
