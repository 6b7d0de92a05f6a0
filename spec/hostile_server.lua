-- A deliberately hostile HTTP/1.1 server for the hardening specs, run as a
-- child process (spec/support.lua `hostile()`): answers that never end,
-- bodies that decompress to gigabytes, headers of a megabyte, dripping
-- downloads. One connection at a time, which is all a blocking client needs.
--   lua hostile_server.lua PORT_FILE
local socket = require "socket"

local port_file = assert(arg[1], "usage: hostile_server.lua PORT_FILE")
local MiB = 1024 * 1024

-- 256 MiB of zeros as gzip: about 250 KiB on the wire.
local function gzip_bomb()
  local p = assert(io.popen("head -c " .. 256 * MiB .. " /dev/zero | gzip -1 -c"))
  local data = p:read("*a")
  p:close()
  return data
end
local bomb = gzip_bomb()

local function head(status, headers)
  local lines = { "HTTP/1.1 " .. status }
  for _, h in ipairs(headers) do lines[#lines + 1] = h end
  return table.concat(lines, "\r\n") .. "\r\n\r\n"
end

-- Writes `chunk` until the peer goes away.
local function forever(conn, chunk)
  while conn:send(chunk) do end
  return "close"
end

local block = string.rep("x", 64 * 1024)
local json_block = '{"items":[' .. string.rep('"abcdefgh",', 6000)

local routes = {}

routes["/endless"] = function(conn)
  conn:send(head("200 OK", { "Content-Type: application/json" }))
  conn:send(json_block)
  return forever(conn, json_block)
end

routes["/endless-error"] = function(conn)
  conn:send(head("500 Internal Server Error", { "Content-Type: text/plain" }))
  return forever(conn, block)
end

routes["/gzip"] = function(conn)
  conn:send(head("200 OK", { "Content-Type: application/json", "Content-Encoding: gzip",
    "Content-Length: " .. #bomb }))
  conn:send(bomb)
end

routes["/big-length"] = function(conn)
  conn:send(head("200 OK", { "Content-Type: application/json", "Content-Length: 100000000" }))
  conn:send('{"items":[')
  return forever(conn, block)
end

routes["/huge-header"] = function(conn)
  conn:send(head("200 OK", { "Content-Type: application/json", "X-Huge: " .. string.rep("h", MiB),
    "Content-Length: 2" }) .. "{}")
end

routes["/many-headers"] = function(conn)
  local headers = { "Content-Type: application/json", "Content-Length: 2" }
  local value = string.rep("v", 1000)
  for i = 1, 2000 do headers[#headers + 1] = "X-Many-" .. i .. ": " .. value end
  conn:send(head("200 OK", headers) .. "{}")
end

routes["/html"] = function(conn)
  local body = "<html><head><title>" .. string.rep("<b>", math.floor(MiB / 3))
  conn:send(head("502 Bad Gateway", { "Content-Type: text/html", "Content-Length: " .. #body }) .. body)
end

routes["/download"] = function(conn)
  conn:send(head("200 OK", { "Content-Type: application/octet-stream" }))
  return forever(conn, block)
end

routes["/drip"] = function(conn)
  conn:send(head("200 OK", { "Content-Type: application/octet-stream" }))
  while conn:send("x") do socket.sleep(0.05) end
  return "close"
end

-- Reads one request head; returns its path, or nil when the peer left.
local function read_request(conn)
  local line = conn:receive("*l")
  if not line then return nil end
  local path = line:match("^%u+ ([^ ]+)")
  repeat
    local h = conn:receive("*l")
    if not h then return nil end
  until h == ""
  -- routed by the last segment, whatever the API prefix before it
  return path and "/" .. (path:match("^[^?]*"):match("([^/]*)$") or "")
end

-- A kept-alive connection that stays idle is dropped soon: the next
-- client is waiting behind it.
local function serve(conn)
  local first = true
  while true do
    conn:settimeout(first and 5 or 0.3)
    first = false
    local path = read_request(conn)
    conn:settimeout(10)
    if not path then return end
    local route = routes[path]
    if not route then
      conn:send(head("404 Not Found", { "Content-Length: 0" }))
    elseif route(conn) == "close" then
      return
    end
  end
end

local server = assert(socket.bind("127.0.0.1", 0))
local _, port = server:getsockname()
local f = assert(io.open(port_file .. ".tmp", "w"))
f:write(port)
f:close()
os.rename(port_file .. ".tmp", port_file)
while true do
  local conn = server:accept()
  if conn then
    pcall(serve, conn)
    conn:close()
  end
end
