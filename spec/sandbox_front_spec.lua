-- unipile.sandbox is a front over unipile.sandbox.launcher (nginx) and
-- unipile.sandbox.control_client (/_sandbox/ over HTTP): the API users
-- already have stays, a handle's lifetime is the launcher's, its calls the
-- control client's. A sandbox of its own, next to the suite's.
local socket = require "socket"
local sandbox = require "unipile.sandbox"
local launcher = require "unipile.sandbox.launcher"
local control_client = require "unipile.sandbox.control_client"
local sys = require "unipile.sandbox.sys"

describe("unipile.sandbox front", function()
  -- every function of the single-module sandbox, and where it lives now
  local module_functions = {
    { "start" }, { "attach" }, { "stop_prefix", launcher.stop_prefix }, { "execute", sys.execute },
    { "free_port", sys.free_port }, { "find_nginx", launcher.find_nginx },
    { "load_module_lines", launcher.load_module_lines }, { "nginx_conf", launcher.nginx_conf },
    { "seeded_bytes" }, { "resume_bytes" }, { "picture_bytes" },
  }
  for _, f in ipairs(module_functions) do
    it("keeps unipile.sandbox." .. f[1], function()
      assert.is_function(sandbox[f[1]])
      if f[2] then assert.are.equal(f[2], sandbox[f[1]]) end
    end)
  end

  local handle_methods = { "call", "reset", "state", "requests", "last_request", "clear_requests", "fault",
    "faults", "clear_faults", "examples", "deliveries", "clear_deliveries", "hook_url", "hooks",
    "inbound_message", "inbound_email", "account_status", "scan", "validate", "env" }

  it("starts a handle with the control client's methods, stops it once", function()
    local sb = sandbox.start { seed = 3 }
    local prefix = sb.prefix
    finally(function() sb:stop() end)
    for _, name in ipairs(handle_methods) do
      assert.are.equal(control_client.Client[name], sb[name], name)
    end
    assert.are.equal(3, sb:state().seed)
    assert.are.equal(sb.api_key, sb:state().api_key)
    assert.is_truthy(sys.read_file(prefix .. "/nginx.conf"):find("^# unipile%-sandbox"))
    local pid = sys.read_file(prefix .. "/logs/nginx.pid"):match("%d+")
    assert.is_true(sys.alive(pid))

    local other = sandbox.attach(sb.url)
    assert.are.equal(prefix, other.prefix)
    assert.are.equal(sb.api_key, other.api_key)

    sb:stop()
    assert.is_false(sys.alive(pid))
    assert.is_false(sys.readable(prefix .. "/nginx.conf"))
    sb:stop() -- a second stop is a no-op
    assert.has_error(function() other:call("GET", "/_sandbox/health") end)
  end)

  it("stop_prefix refuses a directory without a sandbox nginx.conf and leaves it", function()
    local dir = sys.temp_dir("unipile-front-spec")
    finally(function() sys.execute("rm -rf " .. sys.quote(dir)) end)
    sys.write_file(dir .. "/nginx.conf", "worker_processes 1;\n")
    local ok, err = pcall(sandbox.stop_prefix, dir)
    assert.is_false(ok)
    assert.is_truthy(tostring(err):find(dir .. " is not a sandbox prefix", 1, true), err)
    assert.is_true(sys.readable(dir .. "/nginx.conf"))
  end)

  it("a start whose nginx fails says why, with nginx's log", function()
    local dir = sys.temp_dir("unipile-front-spec")
    local find_nginx = launcher.find_nginx
    finally(function()
      launcher.find_nginx = find_nginx
      sys.execute("rm -rf " .. sys.quote(dir))
    end)
    sys.write_file(dir .. "/nginx", "#!/bin/sh\necho 'nginx: [emerg] unknown directive \"fake\"'\nexit 1\n")
    sys.execute("chmod +x " .. sys.quote(dir .. "/nginx"))
    launcher.find_nginx = function() return dir .. "/nginx" end
    local ok, err = pcall(sandbox.start)
    assert.is_false(ok)
    err = tostring(err)
    assert.is_truthy(err:find("unipile.sandbox: nginx failed to start (nginx " .. dir .. "/nginx", 1, true), err)
    assert.is_truthy(err:find('nginx: [emerg] unknown directive "fake"', 1, true), err)
  end)

  it("a start on a port in use says so in one line", function()
    local busy = assert(socket.bind("127.0.0.1", 0))
    finally(function() busy:close() end)
    local _, port = busy:getsockname()
    local ok, err = pcall(sandbox.start, { port = tonumber(port) })
    assert.are.same({ false, "unipile.sandbox: port " .. port
      .. " on 127.0.0.1 is in use: pick another port, or none for a free one" }, { ok, tostring(err) })
  end)
end)
