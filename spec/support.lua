-- Shared test support: the suite's sandbox (started on first use, stopped
-- by spec/helper.lua when busted exits), clients bound to it, and a few
-- helpers to read what the sandbox saw.
local socket = require "socket"
local unipile = require "unipile"

local M = {}
local sandbox

--- The suite's sandbox handle (see unipile.sandbox).
function M.sandbox()
  if not sandbox then
    sandbox = require("unipile.sandbox").start { seed = 7 }
  end
  return sandbox
end

local redis_stop

function M.stop()
  if sandbox then sandbox:stop() sandbox = nil end
  if redis_stop then redis_stop() redis_stop = nil end
end

--- A real redis-server for the suite on 127.0.0.1 and a free port, no
-- persistence (started on first use, stopped with the sandbox): its store
-- spec, `redis://127.0.0.1:PORT/0`. Fails, saying what to install, when
-- redis-server is missing.
local redis_url
function M.redis()
  if redis_url then return redis_url end
  local exe = io.popen("command -v redis-server"):read("*l")
  assert(exe and exe ~= "", "redis-server is missing: install it (tools/deps.sh test: apt-get install redis-server)")
  local port = M.closed_port()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p " .. dir))
  assert(os.execute(string.format("%s %s --port %d --bind 127.0.0.1 --save '' --appendonly no --dir %s"
    .. " --daemonize yes --pidfile %s/pid --logfile %s/log", require("unipile.sandbox.sys").WITHOUT_SANITIZERS,
    exe, port, dir, dir, dir)))
  for _ = 1, 200 do
    local c = socket.tcp()
    if c:connect("127.0.0.1", port) then
      c:send("PING\r\n")
      local line = c:receive("*l")
      c:close()
      if line == "+PONG" then break end
    else
      c:close()
    end
    socket.sleep(0.02)
  end
  redis_stop = function()
    -- removed once it has exited: until then it still writes its log there
    os.execute("pid=$(cat " .. dir .. "/pid 2>/dev/null) && kill $pid 2>/dev/null"
      .. " && for i in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done; rm -rf " .. dir)
    redis_url = nil
  end
  redis_url = "redis://127.0.0.1:" .. port .. "/0"
  return redis_url
end

--- A client for the sandbox; `opts` override the defaults. Retries wait
-- little by default so failing paths stay quick.
function M.client(opts)
  local sb = M.sandbox()
  local o = { dsn = sb.url, api_key = sb.api_key, backoff_ms = 20, backoff_max_ms = 50 }
  for k, v in pairs(opts or {}) do o[k] = v end
  return unipile.new(o)
end

--- Fresh state for a test: default data set, no faults, no records.
function M.reset(opts)
  local sb = M.sandbox()
  sb:reset(opts or { seed = 7 })
  return sb
end

--- The seeded ids as flat lists: `accounts`, `chats`, `messages`,
-- `attendees` (the raw answer of /_sandbox/state is in `raw`).
function M.state()
  local raw = M.sandbox():state()
  local s = { raw = raw, accounts = {}, chats = {}, messages = {}, attendees = {} }
  local function id(v) return type(v) == "table" and v.id or v end
  for _, a in ipairs(raw.accounts or {}) do s.accounts[#s.accounts + 1] = id(a) end
  for _, a in ipairs(raw.attendees or {}) do s.attendees[#s.attendees + 1] = id(a) end
  for _, c in ipairs(raw.chats or {}) do
    s.chats[#s.chats + 1] = id(c)
    for _, m in ipairs(type(c) == "table" and c.messages or {}) do s.messages[#s.messages + 1] = id(m) end
  end
  return s
end

--- Example params for every operation that work against the current
-- state (GET /_sandbox/examples).
function M.examples()
  local body, code = require("socket.http").request(M.sandbox().url .. "/_sandbox/examples")
  assert(code == 200, "GET /_sandbox/examples answered " .. tostring(code))
  return require("cjson").decode(body)
end

--- The requests the sandbox recorded since the last reset or clear.
function M.requests()
  return M.sandbox():requests()
end

--- The last recorded request, or the last one with the given method.
function M.last(method)
  if not method then return M.sandbox():last_request() end
  local reqs = M.requests()
  for i = #reqs, 1, -1 do
    if reqs[i].method == method then return reqs[i] end
  end
end

--- The usual start of a test: fresh sandbox state, its ids, a client.
function M.fresh(client_opts)
  local sb = M.reset()
  return sb, M.state(), M.client(client_opts)
end

--- pcall that returns the error object (and fails the test if none).
function M.catch(fn, ...)
  local ok, err = pcall(fn, ...)
  assert(not ok, "expected an error, got success")
  return err
end

M.now = socket.gettime

--- A TCP port that accepts no connection: a listener whose backlog is full,
-- so a connect attempt hangs until the client's connect timeout.
function M.blackhole()
  local server = assert(socket.tcp())
  assert(server:bind("127.0.0.1", 0))
  assert(server:listen(0))
  local _, port = server:getsockname()
  local held = { server }
  for _ = 1, 4 do
    local c = socket.tcp()
    c:settimeout(0)
    c:connect("127.0.0.1", port)
    held[#held + 1] = c
  end
  socket.sleep(0.05)
  return port, function() for _, s in ipairs(held) do s:close() end end
end

--- A port with nothing listening (connection refused).
M.closed_port = require("unipile.sandbox.sys").free_port -- bound and closed again: nothing listens

--- The hostile server of spec/hostile_server.lua, in a child process of
-- the runtime under test: returns its base URL and a function that stops it.
function M.hostile()
  local lua = os.getenv("UNIPILE_TEST_LUA") or "lua5.4"
  local port_file = os.tmpname()
  os.remove(port_file)
  local pid_file = port_file .. ".pid"
  assert(os.execute(string.format("%s spec/hostile_server.lua %s >/dev/null 2>&1 & echo $! > %s",
    lua, port_file, pid_file)))
  local port
  for _ = 1, 200 do
    local f = io.open(port_file)
    if f then port = f:read("*a") f:close() break end
    socket.sleep(0.05)
  end
  local pid = M.read_file(pid_file):match("%d+")
  assert(port, "the hostile server did not start")
  return "http://127.0.0.1:" .. port, function()
    os.execute("kill " .. pid .. " 2>/dev/null")
    os.remove(port_file)
    os.remove(pid_file)
  end
end

--- Debian's python3 (with python3-jsonschema) for tools/schemas.py, run
-- without the ASan run's preloads (its own leaks are not ours to report).
M.PYTHON = require("unipile.sandbox.sys").WITHOUT_SANITIZERS .. " /usr/bin/python3"

function M.tmpname()
  return os.tmpname()
end

--- Write `text` to build/NAME[-LABEL].jsonl, kept for reading after a
-- failure, and return its path. tools/test.sh runs its suites side by
-- side (and two of them on lua5.4): UNIPILE_TEST_LABEL, the suite's name,
-- keeps their files apart.
function M.kept_file(name, text)
  local label = os.getenv("UNIPILE_TEST_LABEL")
  local path = "build/" .. name .. (label and ("-" .. label) or "") .. ".jsonl"
  os.execute("mkdir -p build")
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  return path
end

function M.read_file(path)
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  return data
end

return M
