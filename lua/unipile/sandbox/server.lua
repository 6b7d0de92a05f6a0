--- The sandbox entry point inside nginx:
--   init_by_lua_block    { require("unipile.sandbox.server").init() }
--   content_by_lua_block { require("unipile.sandbox.server").handle() }
-- Captures every request into a record (docs/internals.md), answers
-- /_sandbox/ from the control API and everything else as the Unipile API,
-- after latency and faults. Needs `worker_processes 1`: the state lives in
-- the worker's Lua VM.
-- @module unipile.sandbox.server

local json = require "unipile.sandbox.json"
local multipart = require "unipile.sandbox.multipart"
local state = require "unipile.sandbox.state"
local faults = require "unipile.sandbox.faults"
local reply = require "unipile.sandbox.reply"
local control = require "unipile.sandbox.control"
local router = require "unipile.sandbox.router"
local header_map = require "unipile.headers"
local percent = require "unipile.percent"

local M = {}

-- Split the raw path on "/" before decoding, so "%2F" stays inside its
-- segment; a "+" stays a "+" (percent.decode, unlike ngx.unescape_uri).
local function split_path(path)
  local inner = path:gsub("^/", "", 1):gsub("/$", "", 1)
  local segs = json.array()
  if inner == "" then return segs end
  for seg in (inner .. "/"):gmatch("([^/]*)/") do segs[#segs + 1] = percent.decode(seg) end
  return segs
end

-- The request body, also when nginx buffered it to a temporary file.
local function read_body()
  ngx.req.read_body()
  local data = ngx.req.get_body_data()
  if data then return data end
  local file = ngx.req.get_body_file()
  if not file then return "" end
  local f = assert(io.open(file, "rb"))
  data = f:read("*a")
  f:close()
  return data
end

-- Plain copy of an ngx headers/args table, repeated values as JSON arrays.
local function plain(t)
  local out = {}
  for k, v in pairs(t) do
    if type(v) == "table" then
      local a = json.array()
      for i, x in ipairs(v) do a[i] = x end
      v = a
    end
    out[k] = v
  end
  return out
end

-- The X-API-KEY header's value (the first one if repeated), removed from
-- the recorded headers: records are served on /_sandbox/requests, and a
-- real key sent here by mistake must not be exposed. Names spelled with
-- underscores (kept by nginx: underscores_in_headers) are dropped too,
-- though they do not authenticate.
local function take_key(headers)
  local key = header_map.get(headers, "x-api-key")
  for name in pairs(headers) do
    if name:lower():gsub("_", "-") == "x-api-key" then headers[name] = nil end
  end
  return key
end

-- "absent", "matched" or "wrong": what the request's key was, never its value.
local function key_status(key)
  if key == nil or key == "" or key == true then return "absent" end
  return key == control.config.api_key and "matched" or "wrong"
end

--- The record of the current request.
function M.capture()
  ngx.update_time()
  local raw = ngx.var.request_uri
  local path, query = raw:match("^([^?]*)%??(.*)$")
  local rec = {
    method = ngx.req.get_method(), path = path, segments = split_path(path), query = query,
    args = plain(ngx.req.get_uri_args(0)), headers = plain(ngx.req.get_headers(0)),
    body = read_body(), connection = tonumber(ngx.var.connection),
    connection_requests = tonumber(ngx.var.connection_requests), time = ngx.now(),
  }
  rec.api_key = key_status(take_key(rec.headers))
  local ctype = header_map.get(rec.headers, "content-type")
  if rec.body ~= "" and ctype then
    local boundary = multipart.boundary(ctype)
    if boundary then
      local parts, err = multipart.parse(rec.body, boundary)
      rec.parts, rec.parts_error = parts and json.array(parts), err
    elseif ctype:lower():find("json", 1, true) then
      rec.json, rec.json_error = json.decode(rec.body)
    end
  end
  return rec
end

-- Paths outside the API prefixes, then the key check, then the operation.
local function authenticated(rec)
  if not router.api_segments(rec.segments) then
    return reply.error(404, "resource_not_found", "No route for " .. rec.method .. " " .. rec.path)
  end
  if rec.api_key == "absent" then
    return reply.error(401, "missing_credentials", "Some credentials are necessary to perform the request (X-API-KEY header).")
  end
  if rec.api_key ~= "matched" then
    return reply.error(401, "invalid_credentials", "The provided credentials are invalid.")
  end
  return router.dispatch(rec)
end

-- Rate-limit headers (x-ratelimit-limit, -remaining, -reset: the seconds
-- until the window ends), as Unipile documents them: one counter for the
-- key over a fixed window that starts at the first request after a reset.
-- The sandbox only reports it; it does not refuse past the limit.
M.RATE_LIMIT, M.RATE_WINDOW_S = 1000, 60
local window = { started = nil, count = 0 }

local function add_rate_limit(resp)
  local now = ngx.now()
  if not window.started or now >= window.started + M.RATE_WINDOW_S then window.started, window.count = now, 0 end
  window.count = window.count + 1
  local headers = resp.headers or {}
  headers["X-RateLimit-Limit"] = tostring(M.RATE_LIMIT)
  headers["X-RateLimit-Remaining"] = tostring(math.max(0, M.RATE_LIMIT - window.count))
  headers["X-RateLimit-Reset"] = tostring(math.ceil(window.started + M.RATE_WINDOW_S - now))
  resp.headers = headers
end

local function handle()
  local rec = M.capture()
  if rec.segments[1] == "_sandbox" then
    if rec.segments[2] == "reset" then window.started = nil end
    return reply.send(control.handle(rec))
  end
  control.record(rec)
  local latency = control.config.latency_ms
  if latency and latency > 0 then ngx.sleep(latency / 1000) end
  local function run() return authenticated(rec) end
  local fault = faults.take(rec.method, rec.path)
  local resp = fault and faults.respond(fault, run)
  rec.fault = fault and fault.id or nil
  resp = resp or run()
  rec.status = resp.status
  if rec.api_key == "matched" then add_rate_limit(resp) end
  return reply.send(resp)
end

-- Errors nginx answers before (or instead of) the sandbox: status → the
-- envelope's type and detail. 494 is nginx's "request header too large",
-- sent as 400.
local NGINX_ERRORS = {
  [400] = { "malformed_request", "Bad request: malformed request line, header or URI." },
  [404] = { "resource_not_found", "No such resource." },
  [405] = { "malformed_request", "Method not allowed.", "Method not allowed" },
  [408] = { "request_timeout", "The request was not received in time." },
  [413] = { "content_too_large", "The request body is too large." },
  [414] = { "malformed_request", "The request URI is too long.", "URI too long" },
  [494] = { "malformed_request", "A request header is too large.", "Header too large", 400 },
  [501] = { "feature_not_implemented", "This transfer encoding or method is not implemented." },
}

--- Answer an error of nginx's own (error_page) with the JSON envelope.
function M.nginx_error()
  local status = ngx.status
  local e = NGINX_ERRORS[status] or { "unexpected_error", "The sandbox could not answer this request." }
  local resp = reply.error(e[4] or (status >= 400 and status <= 599 and status) or 500, e[1], e[2], e[3])
  resp.no_gzip = true
  return reply.send(resp)
end

--- Build the default data set (runs once in the nginx master, before fork).
function M.init()
  state.reset({ seed = 1 })
end

--- Answer the current request; a Lua error (a sandbox bug: inputs are
-- validated) becomes a 500 envelope whose detail names no Lua internals,
-- the traceback goes to logs/error.log.
function M.handle()
  local ok, err = xpcall(handle, debug.traceback)
  if not ok then
    ngx.log(ngx.ERR, err)
    if not ngx.headers_sent then
      reply.send(reply.error(500, "unexpected_error", "Sandbox error (details in the sandbox's logs/error.log)."))
    end
  end
end

return M
