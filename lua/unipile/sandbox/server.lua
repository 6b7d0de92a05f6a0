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

local M = {}

-- Percent-decoding of one path segment ("+" stays "+", unlike ngx.unescape_uri).
local function unescape(s)
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

-- Split the raw path on "/" before decoding, so "%2F" stays inside its segment.
local function split_path(path)
  local inner = path:gsub("^/", "", 1):gsub("/$", "", 1)
  local segs = json.array()
  if inner == "" then return segs end
  for seg in (inner .. "/"):gmatch("([^/]*)/") do segs[#segs + 1] = unescape(seg) end
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
  local ctype = rec.headers["content-type"]
  if type(ctype) == "table" then ctype = ctype[1] end
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
  local key = rec.headers["x-api-key"]
  if type(key) == "table" then key = key[1] end
  if key == nil or key == "" then
    return reply.error(401, "missing_credentials", "Some credentials are necessary to perform the request (X-API-KEY header).")
  end
  if key ~= control.config.api_key then
    return reply.error(401, "invalid_credentials", "The provided credentials are invalid.")
  end
  return router.dispatch(rec)
end

local function handle()
  local rec = M.capture()
  if rec.segments[1] == "_sandbox" then return reply.send(control.handle(rec)) end
  control.record(rec)
  local latency = control.config.latency_ms
  if latency and latency > 0 then ngx.sleep(latency / 1000) end
  local function run() return authenticated(rec) end
  local fault = faults.take(rec.method, rec.path)
  local resp = fault and faults.respond(fault, run)
  rec.fault = fault and fault.id or nil
  resp = resp or run()
  rec.status = resp.status
  return reply.send(resp)
end

--- Build the default data set (runs once in the nginx master, before fork).
function M.init()
  state.reset({ seed = 1 })
end

--- Answer the current request; a Lua error becomes a 500 envelope.
function M.handle()
  local ok, err = xpcall(handle, debug.traceback)
  if not ok then
    ngx.log(ngx.ERR, err)
    if not ngx.headers_sent then
      reply.send(reply.error(500, "unexpected_error", "Sandbox error: " .. tostring(err):match("[^\n]*")))
    end
  end
end

return M
