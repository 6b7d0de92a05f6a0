--[[
core_smoke.lua - exercises the C module unipile.core directly against a
local nginx (+ ngx_lua) it starts on 127.0.0.1, plus a "black hole" TCP
listener (python3) whose accept queue is full, for connect timeouts.

  lua5.4 tools/core_smoke.lua build/5.4      (also lua5.1, luajit)

The argument is a build directory holding unipile/core.so.  Prints one line
per check and "N passed, N failed"; exits non-zero on any failure.
Works on Lua 5.1, LuaJIT and 5.4: no goto, no integer division.
]]

local build = arg[1] or "build/5.4"
package.cpath = build .. "/?.so;" .. package.cpath
local core = require "unipile.core"
local CURLE = core.codes

local passed, failed = 0, 0
local function check(name, ok, detail)
  if ok then
    passed = passed + 1
    print("ok     " .. name)
  else
    failed = failed + 1
    print("FAILED " .. name .. (detail and ("  -- " .. tostring(detail)) or ""))
  end
end

local function sh(cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("*a")
  p:close()
  return (out:gsub("%s+$", ""))
end

local function write_file(path, data)
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
end

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local data = f:read("*a")
  f:close()
  return data
end

---------------------------------------------------------------- servers

local tmp = sh("mktemp -d /tmp/unipile-smoke.XXXXXX")
local function free_port()
  return tonumber(sh([[python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"]]))
end
local port, tls_port = free_port(), free_port()
local base = "http://127.0.0.1:" .. port
local tls_base = "https://127.0.0.1:" .. tls_port
local cert = tmp .. "/cert.pem"
os.execute("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1"
  .. " -keyout " .. tmp .. "/key.pem -out " .. cert .. " >/dev/null 2>&1")

local nginx_conf = [[
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
    location = /slow {
      content_by_lua_block {
        ngx.sleep((tonumber(ngx.var.arg_ms) or 1000) / 1000)
        ngx.print("slept")
      }
    }
  }
  server {
    listen 127.0.0.1:@TLSPORT@ ssl;
    ssl_certificate @TMP@/cert.pem;
    ssl_certificate_key @TMP@/key.pem;
    location / { content_by_lua_block { ngx.header["X-Conn"] = ngx.var.connection; ngx.print("secure") } }
  }
}
]]
nginx_conf = nginx_conf:gsub("@TMP@", tmp):gsub("@TLSPORT@", tostring(tls_port)):gsub("@PORT@", tostring(port))
write_file(tmp .. "/nginx.conf", nginx_conf)
os.execute("mkdir -p " .. tmp .. "/body && nginx -p " .. tmp .. " -c " .. tmp .. "/nginx.conf")

-- A listener that never accepts, with its single-slot accept queue already
-- taken: the kernel drops further SYNs, so connecting times out.
local hole_script = tmp .. "/hole.py"
write_file(hole_script, [[
import os, socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)
port = s.getsockname()[1]
fill = []
for i in range(4):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(("127.0.0.1", port))
    except BlockingIOError: pass
    fill.append(c)
time.sleep(0.2)
print(port, os.getpid(), flush=True)
time.sleep(120)
]])
local hole = assert(io.popen("exec python3 " .. hole_script))
local hole_port, hole_pid = hole:read("*l"):match("(%d+) (%d+)")

local function cleanup()
  os.execute("kill " .. hole_pid .. " 2>/dev/null")
  hole:close()
  os.execute("kill $(cat " .. tmp .. "/nginx.pid) 2>/dev/null")
  os.execute("sleep 0.2; rm -rf " .. tmp)
end

---------------------------------------------------------------- helpers

local m = core.multi({ user_agent = "unipile-smoke/1", headers = { "X-Client: smoke", "Accept: text/plain" }, seed = 42 })

local function run(req, multi)
  multi = multi or m
  local t = multi:add(req)
  while not t:done() do multi:perform(1000) end
  return t:result(), t
end

local function header(r, name)
  for _, h in ipairs(r.headers) do
    if h[1]:lower() == name:lower() then return h[2] end
  end
end

-- The server's own counters, read on a multi of their own: a 429 hold on
-- `m` would (rightly) refuse a retries = 0 request at once.
local counter = core.multi()
local function hits(key)
  return tonumber(run({ url = base .. "/hits?key=" .. key }, counter).body)
end

-- wait for nginx
local up = false
for _ = 1, 50 do
  local r = run({ url = base .. "/hello" })
  if r.status == 200 then up = true break end
  os.execute("sleep 0.1")
end
if not up then
  print("nginx did not start: " .. (read_file(tmp .. "/error.log") or "?"))
  cleanup()
  os.exit(1)
end

local function main()
---------------------------------------------------------------- module functions

local v = core.version()
check("version", type(v.curl) == "string" and v.curl:match("^%d+%.%d+") and type(v.features) == "table", v.curl)
check("escape keeps unreserved", core.escape("AZaz09-._~") == "AZaz09-._~")
check("escape encodes the rest", core.escape("a b/ü+&=%") == "a%20b%2F%C3%BC%2B%26%3D%25", core.escape("a b/ü+&=%"))
check("escape empty and NUL", core.escape("") == "" and core.escape("\0") == "%00")
local u = core.parse_url("https://api.example.com:13443/api/v1/?x=1&y=2#frag")
check("parse_url full", u and u.scheme == "https" and u.host == "api.example.com" and u.port == 13443
  and u.path == "/api/v1" and u.query == "x=1&y=2")
u = core.parse_url("http://example.com")
check("parse_url defaults", u and u.port == nil and u.path == "" and u.query == nil)
u = core.parse_url("http://example.com/")
check("parse_url root path", u and u.path == "")
local none, msg = core.parse_url("ftp://example.com/")
check("parse_url refuses ftp", none == nil and type(msg) == "string", msg)
none, msg = core.parse_url("not a url")
check("parse_url refuses junk", none == nil and type(msg) == "string", msg)
check("now is monotonic ms", type(core.now()) == "number" and core.now() >= 0)

---------------------------------------------------------------- basic requests

local r = run({ url = base .. "/hello" })
check("GET in memory", r.status == 200 and r.body == "hello world" and r.curl_code == CURLE.OK and r.attempts == 1
  and r.reached == true and r.bytes == 11 and type(r.total_time) == "number", r.body)
check("response headers trimmed", header(r, "X-Spaced") == "padded value" and header(r, "content-type") == "text/plain",
  header(r, "X-Spaced"))

local m2 = core.multi()
local r1 = run({ url = base .. "/hello" }, m2)
local r2 = run({ url = base .. "/hello" }, m2)
check("first request opens a connection", r1.new_connections == 1, r1.new_connections)
check("second request reuses it", r2.new_connections == 0 and header(r1, "X-Conn") == header(r2, "X-Conn"),
  tostring(r2.new_connections) .. " " .. tostring(header(r1, "X-Conn")) .. "/" .. tostring(header(r2, "X-Conn")))

r = run({ url = base .. "/echo" })
check("multi headers and user agent sent", r.body:find("\nx-client=smoke\n", 1, true)
  and r.body:find("\nuser-agent=unipile-smoke/1\n", 1, true) and r.body:find("\naccept=text/plain\n", 1, true), r.body)
r = run({ url = base .. "/echo", headers = { "accept: application/json", "X-Extra: 1" } })
check("request header replaces multi header", r.body:find("\naccept=application/json\n", 1, true)
  and not r.body:find("text/plain", 1, true) and r.body:find("\nx-extra=1\n", 1, true), r.body)

r = run({ url = base .. "/gzip" })
check("compressed body decoded", r.status == 200 and header(r, "Content-Encoding") == "gzip"
  and r.body == string.rep("compress me ", 2000), header(r, "Content-Encoding"))

r = run({ url = base .. "/echo", method = "POST", body = "a=1\0b", headers = { "Content-Type: text/plain" } })
check("POST body", r.body:find("method=POST", 1, true) and r.body:sub(-7) == "\n\na=1\0b" and r.body:find("content-length=5", 1, true))
r = run({ url = base .. "/echo", method = "POST" })
check("POST without body", r.body:find("method=POST", 1, true) and r.body:find("content-length=0", 1, true))
r = run({ url = base .. "/echo", method = "PUT", body = "{}" })
check("PUT body", r.body:find("method=PUT", 1, true) and r.body:find("\n\n{}$"))
r = run({ url = base .. "/echo", method = "PATCH", body = "{\"a\":1}" })
check("PATCH body", r.body:find("method=PATCH", 1, true) and r.body:find("\n\n{\"a\":1}$"))
r = run({ url = base .. "/echo", method = "DELETE" })
check("DELETE without body has no Content-Length", r.body:find("method=DELETE", 1, true)
  and not r.body:find("content-length", 1, true) and not r.body:find("content-type", 1, true), r.body)
r = run({ url = base .. "/echo", method = "DELETE", body = "x" })
check("DELETE with body", r.body:find("method=DELETE", 1, true) and r.body:find("content-length=1", 1, true))
r = run({ url = base .. "/hello", method = "HEAD" })
check("HEAD", r.status == 200 and r.body == "" and r.bytes == 0)

local big = string.rep("x", 2 * 1024 * 1024 + 3)
r = run({ url = base .. "/echo", method = "POST", body = big })
check("large POST (Expect: 100-continue) keeps final headers", r.status == 200 and #r.body > #big
  and header(r, "Content-Type") == "text/plain", r.status)

local ts = {}
for i = 1, 6 do ts[i] = m:add({ url = base .. "/slow?ms=100" }) end
local t0 = core.now()
while m:pending() > 0 do m:perform(1000) end
local all = true
for i = 1, 6 do all = all and ts[i]:result().status == 200 end
check("parallel transfers", all and core.now() - t0 < 600, core.now() - t0)

---------------------------------------------------------------- outputs

local path = tmp .. "/download.bin"
r = run({ url = base .. "/big?n=5000000", output = path })
local data = read_file(path)
check("download to file", r.status == 200 and r.body == nil and r.bytes == 5000000 and data and #data == 5000000
  and data:sub(1, 16) == "0123456789abcdef", data and #data)

path = tmp .. "/empty.bin"
r = run({ url = base .. "/big?n=0", output = path })
check("empty 2xx body still creates the file", r.status == 200 and read_file(path) == "")

path = tmp .. "/error.bin"
r = run({ url = base .. "/status/404", output = path })
check("non-2xx body stays in memory", r.status == 404 and r.body == '{"error":"status 404"}' and read_file(path) == nil)

r = run({ url = base .. "/big?n=3000000&status=500", output = tmp .. "/never.bin" })
check("non-2xx body capped at 1 MiB", r.status == 500 and #r.body == 1024 * 1024 and r.bytes == 3000000, #r.body)

local chunks, total = 0, 0
r = run({ url = base .. "/big?n=1000000", output = function(chunk) chunks = chunks + 1; total = total + #chunk end })
check("sink function", r.status == 200 and r.body == nil and total == 1000000 and chunks > 1 and r.sink_error == nil, total)

local calls = 0
r = run({ url = base .. "/big?n=1000000", retries = 3, retry_unsafe = true,
  output = function() calls = calls + 1; error({ why = "disk full" }) end })
check("sink error aborts, kept in result, no retry", calls == 1 and type(r.sink_error) == "table"
  and r.sink_error.why == "disk full" and r.curl_code == CURLE.WRITE_ERROR and r.attempts == 1, r.curl_error)

r = run({ url = base .. "/big?n=1000000", output = function() error("plain") end })
check("sink error string", type(r.sink_error) == "string" and r.sink_error:find("plain"), r.sink_error)

local self_t
calls = 0
self_t = m:add({ url = base .. "/big?n=1000000", output = function() calls = calls + 1; self_t:cancel() end })
while not self_t:done() do m:perform(1000) end
r = self_t:result()
check("cancel from inside a sink", calls == 1 and r.curl_code == CURLE.ABORTED_BY_CALLBACK and r.curl_error == "cancelled", r.curl_error)

local inner
r = run({ url = base .. "/big?n=100000", output = function()
  if not inner then inner = m:add({ url = base .. "/hello" }) end
end })
while not inner:done() do m:perform(1000) end
check("add from inside a sink", r.status == 200 and inner:result().body == "hello world")
local ok, err = pcall(run, { url = base .. "/big?n=100000", output = function() m:perform(0) end })
check("perform from inside a sink is refused", ok and type(err.sink_error) == "string"
  and err.sink_error:find("inside an output function", 1, true), err and err.sink_error)

---------------------------------------------------------------- multipart

local upload = tmp .. "/doc.txt"
write_file(upload, "file-content-123\n")
r = run({ url = base .. "/echo", method = "POST", parts = {
  { name = "doc", file = upload },
  { name = "meta", data = '{"k":1}', type = "application/json" },
  { name = "tag", data = "one" },
  { name = "tag", data = "two" },
  { name = "blob", data = "\1\2\3", filename = "b.bin", type = "application/octet-stream" },
  { name = "renamed", file = upload, filename = "other.txt" },
} })
local body = r.body or ""
check("multipart content type", body:find("content-type=multipart/form-data; boundary=", 1, true), body:sub(1, 300))
check("multipart file part", body:find('name="doc"; filename="doc.txt"', 1, true) and body:find("file-content-123", 1, true))
check("multipart data part with type", body:find('name="meta"\r\nContent-Type: application/json\r\n\r\n{"k":1}', 1, true))
local _, tags = body:gsub('name="tag"\r\n', "")
check("multipart repeated names", tags == 2 and body:find("\r\n\r\none\r\n", 1, true) and body:find("\r\n\r\ntwo\r\n", 1, true))
check("data part with filename is a file part", body:find('name="blob"; filename="b.bin"', 1, true))
check("file part with explicit filename", body:find('name="renamed"; filename="other.txt"', 1, true))

ok, err = pcall(m.add, m, { url = base .. "/echo", method = "POST", parts = { { name = "f", file = tmp .. "/missing.txt" } } })
check("missing upload file is a Lua error at add", not ok and tostring(err):find("cannot open file", 1, true), err)
ok, err = pcall(m.add, m, { url = base .. "/echo", parts = { { name = "a\r\nX: y", data = "1" } } })
check("CR/LF in part name refused", not ok and tostring(err):find("CR", 1, true), err)
ok, err = pcall(m.add, m, { url = base .. "/echo", body = "x", parts = {} })
check("body and parts are exclusive", not ok, err)

---------------------------------------------------------------- validation

ok, err = pcall(m.add, m, { url = base .. "/hello", headers = { "X-Api-Key: sk_secret_123\r\nX-Injected: 1" } })
check("CR/LF in request header refused, value not echoed", not ok and err:find("X-Api-Key", 1, true)
  and not err:find("sk_secret", 1, true), err)
ok, err = pcall(m.add, m, { url = base .. "/hello", headers = { "X-Api-Key: sk_secret_123\n" } })
check("LF in request header refused", not ok and not err:find("sk_secret", 1, true), err)
ok, err = pcall(m.add, m, { url = base .. "/hello", headers = { "Bearer sk_secret_123" } })
check("header without name refused, not echoed", not ok and not err:find("sk_secret", 1, true), err)
ok, err = pcall(core.multi, { headers = { "Authorization: Bearer sk_secret_123\r\nX: 1" } })
check("CR/LF in multi header refused, value not echoed", not ok and err:find("Authorization", 1, true)
  and not err:find("sk_secret", 1, true), err)
ok, err = pcall(m.add, m, { method = "GET" })
check("url is required", not ok and err:find("url", 1, true), err)
ok, err = pcall(m.add, m, { url = base .. "/hello", method = "GET /x HTTP/1.1\r\n" })
check("bad method refused", not ok, err)
ok, err = pcall(m.add, m, { url = base .. "/hello", timeout_ms = "soon" })
check("bad number refused", not ok and err:find("timeout_ms", 1, true), err)
local tnd = m:add({ url = base .. "/slow?ms=50" })
ok = pcall(tnd.result, tnd)
check("result before done is an error", not ok)
while not tnd:done() do m:perform(1000) end

---------------------------------------------------------------- failures and retries

r = run({ url = "http://127.0.0.1:1/", retries = 2, backoff_ms = 10 })
check("connection refused retried for any method", r.status == 0 and r.curl_code == CURLE.COULDNT_CONNECT and r.attempts == 3
  and r.reached == false and r.body == nil and type(r.curl_error) == "string", r.curl_code .. " " .. r.attempts)
r = run({ url = "http://127.0.0.1:1/", method = "POST", body = "x", retries = 1, backoff_ms = 10, retry_unsafe = false })
check("connection refused retried for POST too", r.attempts == 2)

r = run({ url = base .. "/status/503?key=get503", retries = 2, retry_unsafe = true, backoff_ms = 20 })
check("503 retried when retry_unsafe (GET)", r.status == 503 and r.attempts == 3 and hits("get503") == 3
  and r.body == '{"error":"status 503"}', r.attempts)
r = run({ url = base .. "/status/503?key=post503", method = "POST", body = "{}", retries = 2, retry_unsafe = false })
check("503 not retried for POST without retry_unsafe", r.status == 503 and r.attempts == 1 and hits("post503") == 1)
r = run({ url = base .. "/status/500?key=get500", retries = 2, retry_unsafe = true, backoff_ms = 10 })
check("500 never retried", r.attempts == 1 and hits("get500") == 1)

t0 = core.now()
r = run({ url = base .. "/status/429?key=ra&retry_after=1", retries = 1, retry_unsafe = true, backoff_ms = 10 })
local elapsed = core.now() - t0
check("Retry-After honoured", r.status == 429 and r.attempts == 2 and r.retry_after == 1 and elapsed >= 950
  and hits("ra") == 2, elapsed)
r = run({ url = base .. "/status/503?key=ramax&retry_after=5", retries = 3, retry_unsafe = true, retry_after_max_ms = 2000 })
check("Retry-After above the max stops retrying", r.attempts == 1 and r.retry_after == 5 and hits("ramax") == 1)
r = run({ url = base .. "/status/503?key=ra0", retries = 1, retry_unsafe = true })
check("no Retry-After -> retry_after nil", r.retry_after == nil and r.attempts == 2)

t0 = core.now()
r = run({ url = base .. "/slow?ms=2000", timeout_ms = 300, retries = 2, retry_unsafe = true })
elapsed = core.now() - t0
check("total timeout, not retried", r.curl_code == CURLE.OPERATION_TIMEDOUT and r.timeout_phase == "total" and r.attempts == 1
  and r.reached == true and elapsed < 1500, tostring(r.timeout_phase) .. " " .. r.attempts)
run({ url = base .. "/hello" }, m2)
r = run({ url = base .. "/slow?ms=2000", timeout_ms = 300 }, m2)
check("total timeout on a reused connection", r.curl_code == CURLE.OPERATION_TIMEDOUT and r.timeout_phase == "total"
  and r.new_connections == 0, tostring(r.timeout_phase) .. " " .. tostring(r.new_connections))

t0 = core.now()
r = run({ url = "http://127.0.0.1:" .. hole_port .. "/", connect_timeout_ms = 300, retries = 1, backoff_ms = 10 })
elapsed = core.now() - t0
check("connect timeout, retried (never reached)", r.curl_code == CURLE.OPERATION_TIMEDOUT and r.timeout_phase == "connect"
  and r.reached == false and r.attempts == 2 and elapsed >= 550, tostring(r.timeout_phase) .. " " .. r.curl_code .. " " .. elapsed)

t0 = core.now()
r = run({ url = base .. "/slow?ms=4000", low_speed_limit = 10, low_speed_time_ms = 900 })
elapsed = core.now() - t0
check("low speed limit aborts", r.curl_code == CURLE.OPERATION_TIMEDOUT and r.timeout_phase == "total" and elapsed < 3000,
  r.curl_code .. " " .. elapsed)

r = run({ url = "http://[::1", retries = 3 })
check("malformed URL not retried", r.curl_code == CURLE.URL_MALFORMAT and r.attempts == 1, r.curl_code .. " " .. r.attempts)

path = tmp .. "/flaky.bin"
r = run({ url = base .. "/flaky?key=flaky", output = path, retries = 1, retry_unsafe = true, backoff_ms = 10 })
check("dropped download retried, file truncated", r.status == 200 and r.attempts == 2
  and read_file(path) == string.rep("b", 1000), r.curl_code .. " " .. r.attempts)
r = run({ url = base .. "/flaky?key=flaky2", output = path, retries = 1, retry_unsafe = false })
check("dropped download not retried without retry_unsafe", r.curl_code == CURLE.PARTIAL_FILE and r.attempts == 1, r.curl_code)

r = run({ url = "http://unipile.invalid/hello", proxy = base })
check("proxy", r.status == 200 and r.body == "hello world", r.curl_error)

---------------------------------------------------------------- TLS

r = run({ url = tls_base .. "/", retries = 2 })
check("TLS verification on by default, not retried", r.curl_code == CURLE.PEER_FAILED_VERIFICATION and r.attempts == 1, r.curl_code)
r = run({ url = tls_base .. "/", verify = false })
check("verify = false", r.status == 200 and r.body == "secure", r.curl_error)
local m5 = core.multi()
r1 = run({ url = tls_base .. "/", ca_file = cert }, m5)
r2 = run({ url = tls_base .. "/", ca_file = cert }, m5)
check("ca_file", r1.status == 200 and r1.body == "secure", r1.curl_error)
check("TLS connection reused", r2.status == 200 and r2.new_connections == 0
  and header(r1, "X-Conn") == header(r2, "X-Conn"), r2.new_connections)
m5:close()

---------------------------------------------------------------- scheduling

local m3 = core.multi()
m3:pause(300)
t0 = core.now()
local tp = m3:add({ url = base .. "/hello" })
local to = m3:timeout()
check("timeout() reflects the pause", to > 200 and to <= 300, to)
local n = m3:perform(0)
check("perform(0) does not block", core.now() - t0 < 100 and n == 1, core.now() - t0)
while not tp:done() do m3:perform(1000) end
check("pause delays the start", core.now() - t0 >= 290 and tp:result().status == 200, core.now() - t0)

local ts1 = m3:add({ url = base .. "/slow?ms=3000" })
m3:perform(0)
t0 = core.now()
m3:perform(200)
check("perform(wait) waits at most wait_ms", core.now() - t0 < 400, core.now() - t0)
check("cancel returns true once", ts1:cancel() == true and ts1:cancel() == false and ts1:done())
r = ts1:result()
check("cancelled result", r.curl_code == CURLE.ABORTED_BY_CALLBACK and r.curl_error == "cancelled" and m3:pending() == 0, r.curl_error)
check("result is cached", ts1:result() == r)

local tr = m3:add({ url = "http://127.0.0.1:1/", retries = 5, backoff_ms = 2000 })
m3:perform(100)
check("retry waits inside the multi", not tr:done() and m3:pending() == 1 and m3:timeout() > 500, m3:timeout())
local tw = m3:add({ url = base .. "/slow?ms=3000" })
m3:perform(0)
m3:close()
check("close aborts active transfers", tr:done() and tw:done() and tw:result().curl_error == "multi closed"
  and tr:result().attempts == 1)
ok, err = pcall(m3.add, m3, { url = base .. "/hello" })
check("closed multi refuses add", not ok and err:find("closed", 1, true), err)
m3:close()
check("close is idempotent", true)

-- Transfers dropped mid-flight with their multi: both get collected.
do
  local m4 = core.multi()
  for _ = 1, 3 do m4:add({ url = base .. "/slow?ms=3000" }) end
  m4:perform(0)
end
collectgarbage()
collectgarbage()
check("abandoned multi is collected", true)

m2:close()
end

-- Whatever happens, the servers are stopped.
local ran, trace = xpcall(main, debug.traceback)
if not ran then check("smoke script ran to the end", false, trace) end
m:close()
cleanup()
print(string.format("%d passed, %d failed", passed, failed))
-- Falling off the end closes the Lua state on every interpreter (os.exit
-- would not on 5.1), so leak checkers see every finalizer run.
if failed > 0 then os.exit(1, true) end
