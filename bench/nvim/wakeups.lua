-- bench "events": one request the sandbox holds 3 s, made inside headless
-- Neovim; what it costs the editor process: voluntary context switches
-- (each one a wakeup of the process) and CPU, from vim.loop.getrusage
-- around the request. Run by bench/run.lua as
--   nvim --headless -u NONE -i NONE -n -c "luafile bench/nvim/wakeups.lua"
-- with UNIPILE_REPO, UNIPILE_DSN, UNIPILE_API_KEY and BENCH_MODE:
--   blocking  the request through blocking client:call (from one main-loop
--             callback): the transfer itself, the baseline;
--   polling   through the old polling driver (bench/nvim/polling.lua);
--   events    through unipile.nvim (unipile.luv: curl's sockets in the loop).
-- Prints "nvcsw=N cpu_ms=X wall_s=Y" and quits. The sandbox's fault (3 s
-- on /accounts, once) is set by the caller; the connection is warmed first
-- on another path, so connecting is not counted.
local uv = vim.loop
local root = assert(os.getenv("UNIPILE_REPO"))
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. root .. "/?.lua;" .. package.path
package.cpath = root .. "/build/luajit/?.so;/usr/lib/x86_64-linux-gnu/lua/5.1/?.so;" .. package.cpath

local unipile = require "unipile"
local mode = os.getenv("BENCH_MODE")
local client = unipile.new { dsn = os.getenv("UNIPILE_DSN"), api_key = os.getenv("UNIPILE_API_KEY") }

local function usage()
  local r = uv.getrusage()
  return r.nvcsw, (r.utime.sec + r.stime.sec) * 1e3 + (r.utime.usec + r.stime.usec) / 1e3
end

local function quit(line)
  io.stdout:write(line, "\n")
  io.stdout:flush()
  vim.cmd("qa!")
end

local DRIVERS = {
  polling = function() return require "bench.nvim.polling" end,
  events = function() return require "unipile.nvim" end,
}

vim.schedule(function()
  client.chats:list { limit = 1 }                  -- warm: connection made, not counted
  local csw0, cpu0 = usage()
  local t0 = uv.hrtime()
  local function done(ok, page)
    local csw1, cpu1 = usage()
    if not ok or not page.items then return quit("error=" .. tostring(page):gsub("%s", "_")) end
    quit(("nvcsw=%d cpu_ms=%.3f wall_s=%.3f"):format(csw1 - csw0, cpu1 - cpu0, (uv.hrtime() - t0) / 1e9))
  end
  if mode == "blocking" then
    return done(true, client.accounts:list())
  end
  DRIVERS[mode]().run(function() return client.accounts:list() end, done)
end)
