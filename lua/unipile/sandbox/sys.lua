--- Shell and file helpers: one copy for the sandbox's launcher, its
-- command, the specs that start programs of their own (openresty, nvim)
-- and bench/run.lua. Same answers under Lua 5.1 to 5.4 and LuaJIT. Runs
-- in the caller's Lua, never inside nginx.
-- @module unipile.sandbox.sys

local M = {}

--- `s` as one single-quoted shell word.
function M.quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

--- `s` as a shell word, quoted only when it needs it (so NAME=value lines
-- printed for `eval` stay greppable).
function M.word(s)
  s = tostring(s)
  if s:match("^[%w%-_./:@%%+,=]+$") then return s end
  return M.quote(s)
end

-- What os.execute or a pipe's close returned → ok, exit code, signal.
-- Lua 5.1/LuaJIT's os.execute gives a raw wait status (and a pipe's close
-- just true); 5.2+ give true|nil, "exit"|"signal", n. A signal N is
-- reported as the shell does: exit code 128 + N.
local function status(a, how, code)
  if type(a) == "number" then
    if a % 256 == 0 then return a == 0, math.floor(a / 256) end
    return false, 128 + a % 128, a % 128
  end
  if how == "signal" then return false, 128 + code, code end
  return a == true, code or (a and 0 or 1)
end

--- Run `cmd` in the shell → ok (it exited 0), its exit code, and the
-- signal number when a signal ended it.
function M.execute(cmd) return status(os.execute(cmd)) end

--- The standard output of `cmd` without its trailing white space, then
-- ok, exit code and signal as `execute` (Lua 5.1: always true, 0).
function M.capture(cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("*a")
  return (out:gsub("%s+$", "")), status(p:close())
end

--- The absolute current directory.
function M.cwd() return (M.capture("pwd")) end

--- The path of the program `name` (as the shell finds it), or nil.
function M.which(name)
  local path = M.capture("command -v " .. M.quote(name) .. " 2>/dev/null")
  return path ~= "" and path or nil
end

--- Whether `path` can be opened for reading.
function M.readable(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

--- The content of `path`, or nil when it cannot be read.
function M.read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

--- Write `s` to `path`; raises when it cannot.
function M.write_file(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end

--- The last `n` (15) lines of `s` (blank lines dropped).
function M.tail(s, n)
  local lines = {}
  for line in (s or ""):gmatch("[^\n]+") do lines[#lines + 1] = line end
  return table.concat(lines, "\n", math.max(1, #lines - (n or 15) + 1))
end

--- A new private directory `$TMPDIR/NAME.XXXXXX` (TMPDIR: /tmp).
function M.temp_dir(name)
  local dir = M.capture("mktemp -d " .. M.quote((os.getenv("TMPDIR") or "/tmp") .. "/" .. name .. ".XXXXXX"))
  if dir == "" then error("unipile.sandbox.sys: mktemp -d failed for " .. name, 2) end
  return dir
end

--- Whether process `pid` is alive.
function M.alive(pid) return (M.execute("kill -0 " .. pid .. " 2>/dev/null")) end

--- SIGTERM `pid`, wait up to `timeout` seconds (5) for it to go, then SIGKILL.
function M.terminate(pid, timeout)
  local socket = require "socket"
  if not M.alive(pid) then return end
  M.execute("kill -TERM " .. pid .. " 2>/dev/null")
  local deadline = socket.gettime() + (timeout or 5)
  while M.alive(pid) and socket.gettime() < deadline do socket.sleep(0.02) end
  if M.alive(pid) then M.execute("kill -KILL " .. pid .. " 2>/dev/null") end
end

--- A TCP port free on 127.0.0.1 right now (luasocket).
function M.free_port()
  local socket = require "socket"
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  return tonumber(port)
end

--- `env` words that keep sanitizer preloads meant for the client under
-- test (make test's ASan run) from following a program of its own (nginx,
-- nvim).
M.WITHOUT_SANITIZERS = "env -u LD_PRELOAD -u ASAN_OPTIONS -u LSAN_OPTIONS -u UBSAN_OPTIONS"

return M
