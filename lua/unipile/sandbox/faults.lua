--- Queued faults (docs/internals.md, "Sandbox control API"): validated on
-- POST /_sandbox/faults, taken by matching API requests, turned into the
-- response to send.
-- @module unipile.sandbox.faults

local reply = require "unipile.sandbox.reply"

local M = {}

local queue, serial = {}, 0

local KINDS = { malformed = true, truncated = true, close = true, html = true }

local function check(cond, msg)
  if not cond then error({ fault = msg }, 0) end
end

local function integer(v) return type(v) == "number" and v == math.floor(v) end

--- True for a status a fault or the webhook receiver may answer with: a
-- final HTTP status, 200 to 599 (1xx are interim answers, not final ones;
-- nginx cannot send anything outside 100-599).
function M.valid_status(v) return integer(v) and v >= 200 and v <= 599 end

-- Headers nginx frames the answer with: a fault describes a body, and
-- `kind` = "close" / "truncated" cover lying lengths.
local FRAMING = { ["content-length"] = true, ["transfer-encoding"] = true, connection = true }

-- Nil or the reason why `h` is not a usable `headers` object.
local function bad_headers(h)
  if type(h) ~= "table" then return "headers must be an object" end
  for k, v in pairs(h) do
    if type(k) ~= "string" or not k:find("^[%w!#$%%&'*+.^_`|~-]+$") then
      return "headers: " .. tostring(k) .. " is not a header name"
    end
    if FRAMING[k:lower()] then return "headers: " .. k .. " is set by the sandbox (use kind = truncated or close)" end
    if (type(v) ~= "string" and type(v) ~= "number") or tostring(v):find("[%c]") then
      return "headers: " .. k .. " must be a string without control characters"
    end
  end
end

--- Validate and queue a fault; returns it (with `id`) or nil, message.
function M.add(f)
  local ok, err = pcall(function()
    check(type(f) == "table", "a fault is a JSON object")
    f.count = f.count == nil and 1 or f.count
    check(integer(f.count) and (f.count >= 1 or f.count == -1), "count must be a positive integer (or -1: until cleared)")
    check(f.method == nil or type(f.method) == "string", "method must be a string")
    check(f.path == nil or type(f.path) == "string" and pcall(string.find, "", f.path),
      "path must be a valid Lua pattern")
    check(f.status == nil or M.valid_status(f.status), "status must be an integer from 200 to 599")
    check(f.retry_after == nil or type(f.retry_after) == "number"
      or type(f.retry_after) == "string" and not f.retry_after:find("%c"),
      "retry_after must be a number of seconds or an HTTP date")
    check(f.latency_ms == nil or type(f.latency_ms) == "number" and f.latency_ms >= 0, "latency_ms must be >= 0")
    check(f.body == nil or type(f.body) == "string", "body must be a string")
    local why = f.headers ~= nil and bad_headers(f.headers)
    check(not why, why)
    for _, name in ipairs({ "type", "title", "detail" }) do
      check(f[name] == nil or type(f[name]) == "string", name .. " must be a string")
    end
    check(f.kind == nil or KINDS[f.kind], "kind must be one of malformed, truncated, close, html")
    check(f.status or f.latency_ms or f.body or f.kind, "a fault needs status, body, kind or latency_ms")
  end)
  if not ok then return nil, type(err) == "table" and err.fault or tostring(err) end
  serial = serial + 1
  f.id, f.hits = serial, 0
  if f.method then f.method = f.method:upper() end
  queue[#queue + 1] = f
  return f
end

function M.clear()
  local n = #queue
  queue = {}
  return n
end

function M.list() return queue end

--- Take one use of the oldest fault matching `method` and raw `path`.
function M.take(method, path)
  for i, f in ipairs(queue) do
    if (not f.method or f.method == method) and (not f.path or path:find(f.path)) then
      f.hits = f.hits + 1
      if f.count > 0 then
        f.count = f.count - 1
        if f.count == 0 then table.remove(queue, i) end
      end
      return f
    end
  end
end

local HTML = "<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n" ..
  "<center><h1>%d %s</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
local REASONS = { [502] = "Bad Gateway", [503] = "Service Temporarily Unavailable",
  [504] = "Gateway Time-out", [500] = "Internal Server Error", [429] = "Too Many Requests" }

-- The normal answer, forced to a success status (the fault reshapes its body).
local function success(run)
  local resp = run()
  local body = reply.render(resp)
  local status = resp.status >= 200 and resp.status < 300 and resp.status or 200
  return body, status
end

--- The response for fault `f`; `run()` produces the normal response (called
-- only for kinds where the server did the work: malformed, truncated, close).
-- Returns nil when the fault only adds latency.
function M.respond(f, run)
  if f.latency_ms and f.latency_ms > 0 then ngx.sleep(f.latency_ms / 1000) end
  local resp
  if f.kind == "html" then
    local status = f.status or 502
    local reason = REASONS[status] or "Error"
    resp = { status = status, content_type = "text/html", body = HTML:format(status, reason, status, reason) }
  elseif f.kind == "malformed" then
    local _, status = success(run)
    resp = { status = status, body = f.body or '{"object":"MessageList","items":[{"id":"x",]' }
  elseif f.kind == "truncated" or f.kind == "close" then
    local body, status = success(run)
    local half = math.floor(#body / 2)
    if f.kind == "truncated" then
      resp = { status = status, body = body:sub(1, half) }
    else -- announce the full length, send half, drop the connection
      resp = { status = status, body = body, cut_at = half }
    end
  elseif f.status then
    resp = f.body and { status = f.status, body = f.body }
      or reply.error(f.status, f.type, f.detail or "Fault injected by the sandbox.", f.title)
  elseif f.body then
    resp = { status = 200, body = f.body }
  else
    return nil
  end
  resp.headers = {}
  for k, v in pairs(f.headers or {}) do resp.headers[k] = v end
  if f.retry_after then resp.headers["Retry-After"] = tostring(f.retry_after) end
  resp.no_gzip = true -- keep the bytes (and Content-Length) exactly as described
  return resp
end

return M
