-- examples/openresty in a real nginx + ngx_lua (one worker) against the
-- suite's sandbox: while GET /chats waits 800 ms for the API in a worker
-- thread, GET /ping on the same worker answers at once.
local socket = require "socket"
local cjson = require "cjson"
local support = require "support"

local sys = require "unipile.sandbox.sys"
-- nginx itself, its Lua module, its prefix: as the sandbox runs them.
local launcher = require "unipile.sandbox.launcher"

local root = sys.cwd()

-- One HTTP/1.0 exchange, in two halves so a request can stay in flight:
-- open() sends, finish() reads the whole answer (the server closes).
local function open(port, path)
  local c = assert(socket.tcp())
  c:settimeout(2)
  assert(c:connect("127.0.0.1", port))
  assert(c:send("GET " .. path .. " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"))
  return c
end

local function finish(c, timeout)
  c:settimeout(timeout or 5)
  local data, err, partial = c:receive("*a")
  c:close()
  data = data or partial
  assert(data and data ~= "", "no answer: " .. tostring(err))
  local status = tonumber(data:match("^HTTP/%d%.%d (%d+)"))
  local body = data:match("\r\n\r\n(.*)$")
  return status, body
end

local function get(port, path)
  local t0 = socket.gettime()
  local status, body = finish(open(port, path), 2)
  return status, body, socket.gettime() - t0
end

-- Start the example in a fresh prefix; returns its port and a stop function.
local function start_example(sb)
  local core = root .. "/build/luajit/unipile/core.so"
  if not sys.readable(core) then sys.execute("tools/build.sh luajit >/dev/null") end
  assert(sys.readable(core), "build/luajit/unipile/core.so is missing")
  local nginx = launcher.find_nginx()
  local prefix = launcher.new_prefix("unipile-openresty")
  local function stop() launcher.stop_nginx(prefix) end
  local ok, port = pcall(function()
    local port = sys.free_port()
    local values = {
      MAIN = launcher.main_lines(), PREFIX = prefix, LISTEN = "127.0.0.1:" .. port,
      LUA_PATH = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. root .. "/examples/openresty/?.lua;;",
      LUA_CPATH = root .. "/build/luajit/?.so;/usr/lib/x86_64-linux-gnu/lua/5.1/?.so;;",
    }
    local conf = assert(sys.read_file(root .. "/examples/openresty/nginx.conf"))
    -- fill the placeholders outside the comments
    conf = conf:gsub("[^\n]*", function(line)
      if line:find("^%s*#") then return line end
      return (line:gsub("{{([%u_]+)}}", function(k) return assert(values[k], "unknown placeholder " .. k) end))
    end)
    -- one worker: /ping must be served by the very event loop /chats waits on
    local n
    conf, n = conf:gsub("\nworker_processes auto;", "\nworker_processes 1;")
    assert(n == 1, "worker_processes line not found in the template")
    sys.write_file(prefix .. "/nginx.conf", conf)
    local started = launcher.run_nginx(nginx, prefix, { "UNIPILE_DSN=" .. sb.url, "UNIPILE_API_KEY=" .. sb.api_key })
    assert(started, "nginx failed to start:\n" .. launcher.logs(prefix))
    local deadline = socket.gettime() + 5
    while true do
      local okp, status = pcall(get, port, "/ping")
      if okp and status == 200 then break end
      assert(socket.gettime() < deadline, "the example did not answer /ping:\n" .. launcher.logs(prefix))
      socket.sleep(0.02)
    end
    return port
  end)
  if not ok then
    stop()
    error(port, 0)
  end
  return port, stop, function() return sys.read_file(prefix .. "/logs/error.log") or "" end
end

local function chats_records()
  local out = {}
  for _, r in ipairs(support.requests()) do
    if r.path == "/api/v1/chats" then out[#out + 1] = r end
  end
  return out
end

describe("examples/openresty (nginx + ngx_lua worker threads)", function()
  local sb
  before_each(function() sb = support.reset() end)
  after_each(function() sb:clear_faults() end)

  it("answers /ping at once while /chats waits 800 ms for the API", function()
    local port, stop, error_log = start_example(sb)
    finally(stop)
    sb:fault { path = "^/api/v1/chats$", latency_ms = 800 }

    local t0 = socket.gettime()
    local slow = open(port, "/chats?limit=5")
    -- wait until the sandbox holds the request: the worker thread is in curl
    local deadline = t0 + 3
    while #chats_records() == 0 do
      assert(socket.gettime() < deadline, "GET /chats never reached the sandbox:\n" .. error_log())
      socket.sleep(0.01)
    end

    local pings = {}
    for i = 1, 5 do
      local status, body, took = get(port, "/ping")
      assert.are.equal(200, status)
      assert.is_true(cjson.decode(body).pong)
      pings[i] = took
      assert.is_true(took < 0.2, string.format("/ping took %.0f ms while /chats was in flight", took * 1000))
    end
    -- /chats was still in flight during all of them
    slow:settimeout(0)
    local early, why = slow:receive(1)
    assert.is_nil(early, "GET /chats answered before the pings were done")
    assert.are.equal("timeout", why)
    assert.is_true(socket.gettime() - t0 < 0.75, "the pings ended too late to overlap /chats")

    local status, body = finish(slow, 5)
    local took = socket.gettime() - t0
    assert.are.equal(200, status, body)
    assert.is_true(took >= 0.75 and took < 3, "GET /chats took " .. took)
    local page = cjson.decode(body)

    -- the sandbox's chats, in its order, trimmed by the example
    local expected = support.client().chats:list { limit = 5 }
    assert.are.equal(5, #page.items)
    for i, chat in ipairs(expected.items) do
      assert.are.equal(chat.id, page.items[i].id)
      assert.are.equal(chat.account_id, page.items[i].account_id)
    end
    assert.are.equal(expected.cursor, page.cursor)

    -- the request the worker thread made: key from `env`, the LuaJIT of nginx
    local rec = chats_records()[1]
    assert.are.equal("5", rec.args.limit)
    assert.are.equal("matched", rec.api_key)
    assert.is_truthy(rec.headers["user-agent"]:find("lua-unipile/", 1, true))
    assert.is_truthy(rec.headers["user-agent"]:find("LuaJIT", 1, true))
    assert.is_truthy(rec.fault)
    if os.getenv("UNIPILE_SPEC_VERBOSE") then
      local t = {}
      for i, p in ipairs(pings) do t[i] = string.format("%.1f", p * 1000) end
      print(string.format("\n  /ping while /chats in flight: %s ms; /chats: %.0f ms", table.concat(t, ", "), took * 1000))
    end
  end)

  it("answers an empty page with an empty JSON array, not an object", function()
    local port, stop = start_example(sb)
    finally(stop)
    local chat = support.state().chats[1]
    for _, case in ipairs {
      { "/chats?limit=5", "^/api/v1/chats$", "ChatList" },
      { "/chats/" .. chat .. "/messages?limit=5", "^/api/v1/chats/[^/]+/messages$", "MessageList" },
    } do
      sb:fault { path = case[2], body = '{"object":"' .. case[3] .. '","items":[],"cursor":null}' }
      local status, body = get(port, case[1])
      assert.are.equal(200, status, body)
      assert.matches('"items":[]', body, 1, true)
      assert.are.equal(0, #cjson.decode(body).items)
    end
  end)

  it("runs calls side by side in the thread pool, reuses connections, maps API errors", function()
    local port, stop = start_example(sb)
    finally(stop)
    sb:fault { path = "^/api/v1/chats$", latency_ms = 500, count = 3 }
    local t0 = socket.gettime()
    local conns = { open(port, "/chats?limit=2"), open(port, "/chats?limit=3"), open(port, "/chats?limit=4") }
    for i, c in ipairs(conns) do
      local status, body = finish(c, 5)
      assert.are.equal(200, status, body)
      assert.are.equal(i + 1, #cjson.decode(body).items)
    end
    local took = socket.gettime() - t0
    assert.is_true(took < 0.95, "three 500 ms calls took " .. took .. " s: not concurrent")

    -- one after the other, calls land on the same worker-thread VM, whose
    -- client keeps its connection to the API
    sb:clear_requests()
    for _ = 1, 3 do assert.are.equal(200, (get(port, "/chats?limit=1"))) end
    local recs = chats_records()
    assert.are.equal(3, #recs)
    assert.are.equal(recs[1].connection, recs[3].connection)
    assert.is_true(recs[3].connection_requests >= 3, "connection not reused")

    local status, body = get(port, "/chats/no-such-chat/messages")
    assert.are.equal(404, status)
    local e = cjson.decode(body).error
    assert.are.equal("http", e.kind)
    assert.are.equal(404, e.status)

    status, body = get(port, "/chats?limit=abc")
    assert.are.equal(400, status)
    assert.are.equal("limit", cjson.decode(body).error.param)
    status, body = get(port, "/chats?limit=100000")
    assert.are.equal(400, status)
    assert.are.equal("usage", cjson.decode(body).error.kind)
  end)
end)
