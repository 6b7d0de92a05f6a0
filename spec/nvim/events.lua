-- Run by spec/nvim_spec.lua inside `nvim --headless -u NONE -i NONE -n`:
-- unipile.nvim (on unipile.luv) while a 10 ms editor timer keeps ticking.
-- UNIPILE_NVIM_MODE picks the case (below); prints one line
-- "RESULT ok=... ticks=N handles=N ..." and quits.
-- Environment: UNIPILE_REPO, UNIPILE_DSN, UNIPILE_API_KEY, UNIPILE_FILES_URL (download).
local uv = vim.loop
local root = assert(os.getenv("UNIPILE_REPO"), "UNIPILE_REPO not set")
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. package.path
package.cpath = root .. "/build/luajit/?.so;/usr/lib/x86_64-linux-gnu/lua/5.1/?.so;" .. package.cpath

local unipile = require "unipile"
local un = require "unipile.nvim"

local function report(fields)
  local out = { "RESULT" }
  for k, v in pairs(fields) do out[#out + 1] = k .. "=" .. tostring(v):gsub("%s", "_") end
  io.stdout:write(table.concat(out, " "), "\n")
  io.stdout:flush()
  vim.cmd("qa!")
end

local watchdog = uv.new_timer()
watchdog:start(10000, 0, vim.schedule_wrap(function() report { ok = false, error = "watchdog" } end))

local ticks = 0
local ticker = uv.new_timer()
ticker:start(10, 10, function() ticks = ticks + 1 end)
local t0 = uv.hrtime()
local function ms() return math.floor((uv.hrtime() - t0) / 1e6) end

-- Stop the editor's timer and report, once the driver closed its handles.
local function finish(fields)
  ticker:stop()
  ticker:close()
  watchdog:stop()
  fields.ticks, fields.elapsed_ms, fields.handles = ticks, ms(), #un.driver():handles()
  report(fields)
end

local client = unipile.new { dsn = os.getenv("UNIPILE_DSN"), api_key = os.getenv("UNIPILE_API_KEY") }

local MODES = {}

-- 50 concurrent requests (the sandbox holds each 200 ms); the task then uses the vim API.
function MODES.many()
  local ids = {}
  for i = 1, 50 do ids[i] = i end
  un.run(function()
    local results, failures = unipile.map(ids, function()
      local got = {}
      for i, chat in ipairs(client.chats:list { limit = 5 }.items) do got[i] = chat.id end
      return table.concat(got, ",")
    end, { concurrency = 50 })
    vim.api.nvim_buf_set_lines(0, 0, -1, false, { #results .. " results" })
    local same = 0
    for i = 1, 50 do if results[i] == results[1] then same = same + 1 end end
    return results[1], same, #failures
  end, function(ok, first, same, failed)
    finish { ok = ok, first = first, same = same, failed = failed,
             buffer = vim.api.nvim_buf_get_lines(0, 0, 1, false)[1] }
  end)
end

-- A request held 3 s, cancelled after 100 ms.
function MODES.cancel()
  local handle, got
  handle = un.run(function() return client.chats:list() end, function(ok, err) got = { ok, err } end)
  vim.defer_fn(function()
    local cancelled = un.cancel(handle)
    finish { ok = got and got[1] == false, err = got and got[2], cancelled = cancelled,
             pending = client.multi:pending() }
  end, 100)
end

-- A long download to a file (40 chunks of 64 KiB, 10 ms apart).
function MODES.download()
  local files = unipile.new { dsn = os.getenv("UNIPILE_FILES_URL"), api_key = "k" }
  local path = os.tmpname()
  un.request(files, { method = "GET", path = "/drip", query = { chunks = 40, ms = 10 }, output = path }, function(err, res)
    local f = io.open(path, "rb")
    local data = f and f:read("*a") or ""
    if f then f:close() end
    os.remove(path)
    finish { ok = err == nil, status = res and res.status, bytes = #data, err = err }
  end)
end

local ok, err = pcall(MODES[os.getenv("UNIPILE_NVIM_MODE")])
if not ok then report { ok = false, error = err } end
