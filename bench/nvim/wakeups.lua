-- bench "events": one request the sandbox holds 3 s; what it costs the
-- host process: voluntary context switches (each one a wakeup of the
-- process) and CPU, from getrusage around the request. The host is
-- headless Neovim, run by bench/run.lua as
--   nvim --headless -u NONE -i NONE -n -c "luafile bench/nvim/wakeups.lua"
-- or plain Lua on lua-luv ("events luv"): lua5.4 bench/nvim/wakeups.lua.
-- Environment: UNIPILE_REPO, UNIPILE_DSN, UNIPILE_API_KEY and BENCH_MODE:
--   blocking  the request through blocking client:call (from one loop
--             callback): the transfer itself, the baseline;
--   polling   through the old polling driver (bench/nvim/polling.lua; Neovim only);
--   events    through unipile.nvim in Neovim, unipile.luv in plain Lua.
-- Prints "nvcsw=N cpu_ms=X wall_s=Y" (and quits Neovim). The sandbox's
-- fault (3 s on /accounts, once) is set by the caller; the connection is
-- warmed first on another path, so connecting is not counted.
local in_nvim = rawget(_G, "vim") ~= nil
local uv = in_nvim and vim.loop or require "luv"
if in_nvim then
  local root = assert(os.getenv("UNIPILE_REPO"))
  package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. root .. "/?.lua;" .. package.path
  package.cpath = root .. "/build/luajit/?.so;/usr/lib/x86_64-linux-gnu/lua/5.1/?.so;" .. package.cpath
end

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
  if in_nvim then vim.cmd("qa!") end
end

-- Each driver as run(fn, on_done).
local DRIVERS = {
  polling = function() return require("bench.nvim.polling").run end,
  events = function()
    if in_nvim then return require("unipile.nvim").run end
    local driver = require("unipile.luv").new(uv)
    return function(fn, on_done) return driver:run(fn, on_done) end
  end,
}

local function measure()
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
  DRIVERS[mode]()(function() return client.accounts:list() end, done)
end

if in_nvim then
  vim.schedule(measure)
else
  local start = uv.new_timer()
  start:start(0, 0, function()
    start:close()
    measure()
  end)
  uv.run()
end
