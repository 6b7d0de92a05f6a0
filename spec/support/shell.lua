-- What the specs that drive programs (nginx, curl, openssl,
-- bin/unipile-sandbox) need beyond unipile.sandbox.sys, the one shell and
-- file helper (quote, capture, execute, read_file, write_file, temp_dir,
-- free_port, WITHOUT_SANITIZERS): use sys for those.
local sys = require "unipile.sandbox.sys"

local M = {}

--- `cmd` (a shell command line) for a program other than the runtime under
-- test: the ASan run's preloads must not follow it (its leak reports would
-- land in that run's log).
function M.clean(cmd) return sys.WITHOUT_SANITIZERS .. " " .. cmd end

--- Output of `cmd` as it is (binary-safe, trailing white space kept), and
-- its exit status (also on Lua 5.1, where a pipe's close does not tell it).
function M.run(cmd)
  local p = assert(io.popen(cmd .. "; echo \"\n$?\""))
  local out = p:read("*a")
  p:close()
  local body, rc = out:match("^(.*)\n(%d+)\n$")
  return body, tonumber(rc)
end

--- Whether `path` exists (a file or a directory).
function M.exists(path) return (sys.execute("test -e " .. sys.quote(path))) end

--- A new temporary directory for a spec; remove it with M.remove.
function M.tmpdir() return sys.temp_dir("unipile-spec") end

function M.remove(path) sys.execute("rm -rf " .. sys.quote(path)) end

--- Percent-encoding of everything but the unreserved characters.
function M.escape(s)
  return (tostring(s):gsub("[^%w%-._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

return M
