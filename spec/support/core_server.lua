-- The C core specs' own server: nginx + ngx_lua on 127.0.0.1 with a plain
-- and a TLS listener (a self-signed certificate made for the run), with
-- endpoints that echo, stream, sleep, fail on demand and count hits.
--   local server = require("support.core_server").start { tls = true }
--   server.base, server.tls_base, server.cert, server.tmp; server:stop()
-- Also the helpers the core specs share: run, header, hits, a smoke multi.
local core = require "unipile.core"
local shell = require "support.shell"
local sys = require "unipile.sandbox.sys"

local M = {}

local NGINX_CONF = [[
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
daemon on;
pid @TMP@/nginx.pid;
error_log @TMP@/error.log warn;
events { worker_connections 128; }
http {
  access_log off;
  client_body_temp_path @TMP@/body;
  client_max_body_size 100m;
  client_body_buffer_size 16m;
  keepalive_timeout 60s;
  keepalive_requests 10000;
  lua_shared_dict hits 1m;
  default_type text/plain;
  server {
    listen 127.0.0.1:@PORT@;
    location = /hello {
      content_by_lua_block {
        ngx.header["X-Conn"] = ngx.var.connection
        ngx.header["X-Spaced"] = "  padded value  "
        ngx.print("hello world")
      }
    }
    location = /big {
      content_by_lua_block {
        local n = tonumber(ngx.var.arg_n) or 0
        ngx.status = tonumber(ngx.var.arg_status) or 200
        local chunk = string.rep("0123456789abcdef", 4096) -- 64 KiB
        while n > 0 do
          local k = math.min(n, #chunk)
          ngx.print(k == #chunk and chunk or chunk:sub(1, k))
          n = n - k
        end
      }
    }
    location = /gzip {
      gzip on; gzip_types text/plain; gzip_min_length 1;
      content_by_lua_block { ngx.print(string.rep("compress me ", 2000)) }
    }
    location = /echo {
      content_by_lua_block {
        ngx.req.read_body()
        local body = ngx.req.get_body_data()
        if not body and ngx.req.get_body_file() then
          local f = io.open(ngx.req.get_body_file(), "rb"); body = f:read("*a"); f:close()
        end
        local out = { "method=" .. ngx.req.get_method() }
        local h = ngx.req.get_headers()
        local names = {}
        for k in pairs(h) do names[#names + 1] = k end
        table.sort(names)
        for _, k in ipairs(names) do
          local v = h[k]
          if type(v) == "table" then v = table.concat(v, "|") end
          out[#out + 1] = k .. "=" .. v
        end
        ngx.print(table.concat(out, "\n") .. "\n\n" .. (body or ""))
      }
    }
    location ~ ^/status/(\d+)$ {
      content_by_lua_block {
        ngx.shared.hits:incr(ngx.var.arg_key or "-", 1, 0)
        ngx.status = tonumber(ngx.var[1])
        if ngx.var.arg_retry_after then ngx.header["Retry-After"] = ngx.var.arg_retry_after end
        ngx.print('{"error":"status ' .. ngx.var[1] .. '"}')
      }
    }
    location = /flaky {
      content_by_lua_block {
        local n = ngx.shared.hits:incr(ngx.var.arg_key, 1, 0)
        ngx.header["Content-Length"] = 1000
        if n == 1 then
          ngx.print(string.rep("a", 500)); ngx.flush(true)
          return ngx.exit(ngx.ERROR) -- connection dropped mid-body
        end
        ngx.print(string.rep("b", 1000))
      }
    }
    location = /hits {
      content_by_lua_block { ngx.print(ngx.shared.hits:get(ngx.var.arg_key) or 0) }
    }
    # chunks of 64 KiB, one every ms milliseconds: a long download
    location ~ /drip$ {
      content_by_lua_block {
        local chunk = string.rep("0123456789abcdef", 4096)
        ngx.header["Content-Length"] = #chunk * (tonumber(ngx.var.arg_chunks) or 10)
        for _ = 1, tonumber(ngx.var.arg_chunks) or 10 do
          ngx.print(chunk)
          ngx.flush(true)
          ngx.sleep((tonumber(ngx.var.arg_ms) or 10) / 1000)
        end
      }
    }
    location = /slow {
      content_by_lua_block {
        ngx.sleep((tonumber(ngx.var.arg_ms) or 1000) / 1000)
        ngx.print("slept")
      }
    }
  }
@TLS@}
]]

-- The TLS listener, for start { tls = true }.
local TLS_SERVER = [[
  server {
    listen 127.0.0.1:@TLSPORT@ ssl;
    ssl_certificate @TMP@/cert.pem;
    ssl_certificate_key @TMP@/key.pem;
    location / { content_by_lua_block { ngx.header["X-Conn"] = ngx.var.connection; ngx.print("secure") } }
  }
]]

--- Runs `req` on `multi` to the end; returns its result and the transfer.
function M.run(req, multi)
  local t = multi:add(req)
  while not t:done() do multi:perform(1000) end
  return t:result(), t
end

--- The first response header called `name` (any case).
function M.header(r, name)
  for _, h in ipairs(r.headers) do
    if h[1]:lower() == name:lower() then return h[2] end
  end
end

--- The multi most core specs run on: a user agent, default headers, a seed.
function M.smoke_multi()
  return core.multi({ user_agent = "unipile-smoke/1", headers = { "X-Client: smoke", "Accept: text/plain" }, seed = 42 })
end

--- Stops `server` after closing the multis given.
function M.stop(server, ...)
  for _, multi in ipairs({ ... }) do multi:close() end
  server:stop()
end

local Server = {}
Server.__index = Server

--- How many requests the server counted under `key`, read on a multi of
-- its own: a 429 hold on the multi under test would (rightly) refuse a
-- retries = 0 request at once.
function Server:hits(key)
  return tonumber(M.run({ url = self.base .. "/hits?key=" .. key }, self.counter).body)
end

function Server:stop()
  if self.stopped then return end
  self.stopped = true
  self.counter:close()
  os.execute("kill $(cat " .. self.tmp .. "/nginx.pid) 2>/dev/null")
  shell.remove(self.tmp)
end

local function wait_up(server)
  local probe = core.multi()
  for _ = 1, 50 do
    if M.run({ url = server.base .. "/hello" }, probe).status == 200 then probe:close() return true end
    os.execute("sleep 0.1")
  end
  probe:close()
  return false
end

--- Starts nginx (and, with `opts.tls`, a TLS listener on a certificate of
-- its own); fails when it does not answer.
function M.start(opts)
  local tmp = shell.tmpdir()
  local port, tls_port = sys.free_port(), sys.free_port()
  local s = setmetatable({ tmp = tmp, base = "http://127.0.0.1:" .. port, tls_base = "https://127.0.0.1:" .. tls_port,
    cert = tmp .. "/cert.pem", counter = core.multi() }, Server)
  local tls = ""
  if opts and opts.tls then
    sys.execute(shell.clean("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1"
      .. " -addext subjectAltName=IP:127.0.0.1 -keyout " .. tmp .. "/key.pem -out " .. s.cert .. " >/dev/null 2>&1"))
    tls = TLS_SERVER
  end
  local conf = NGINX_CONF:gsub("@TLS@", tls):gsub("@TMP@", tmp):gsub("@TLSPORT@", tostring(tls_port))
    :gsub("@PORT@", tostring(port))
  sys.write_file(tmp .. "/nginx.conf", conf)
  sys.execute("mkdir -p " .. tmp .. "/body && " .. shell.clean("nginx -p " .. tmp .. " -c " .. tmp .. "/nginx.conf"))
  if not wait_up(s) then
    local log = sys.read_file(tmp .. "/error.log") or "?"
    s:stop()
    error("the core specs' nginx did not start: " .. log)
  end
  return s
end

return M
