-- Shell and file helpers of the specs that drive programs (nginx, curl,
-- openssl, bin/unipile-sandbox): one place for them until the sandbox's own
-- helpers live in a module of their own (unipile.sandbox.sys).
local socket = require "socket"

local M = {}

--- Prefix for programs other than the runtime under test: the ASan run's
-- preloads must not follow them (their leak reports would land in its log).
M.CLEAN_ENV = "env -u LD_PRELOAD -u ASAN_OPTIONS -u LSAN_OPTIONS -u UBSAN_OPTIONS "

--- Single-quoted for sh.
function M.quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

--- Output of `cmd`, trailing white space removed.
function M.sh(cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("*a")
  p:close()
  return (out:gsub("%s+$", ""))
end

--- Output of `cmd` as it is (binary-safe), and its exit status.
function M.run(cmd)
  local p = assert(io.popen(cmd .. "; echo \"\n$?\""))
  local out = p:read("*a")
  p:close()
  local body, rc = out:match("^(.*)\n(%d+)\n$")
  return body, tonumber(rc)
end

function M.write_file(path, data)
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
end

--- The file's bytes, or nil when it does not exist.
function M.read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local data = f:read("*a")
  f:close()
  return data
end

--- Whether `cmd` exits 0 (os.execute answers true on 5.2+, 0 on 5.1).
function M.succeeds(cmd)
  local r = os.execute(cmd)
  return r == true or r == 0
end

function M.exists(path) return M.succeeds("test -e " .. M.quote(path)) end

--- A new temporary directory; remove it with M.remove.
function M.tmpdir() return M.sh("mktemp -d " .. M.quote((os.getenv("TMPDIR") or "/tmp") .. "/unipile-spec.XXXXXX")) end

function M.remove(path) os.execute("rm -rf " .. M.quote(path)) end

--- A TCP port free on 127.0.0.1 right now.
function M.free_port()
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  return tonumber(port)
end

--- Percent-encoding of everything but the unreserved characters.
function M.escape(s)
  return (tostring(s):gsub("[^%w%-._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

return M
