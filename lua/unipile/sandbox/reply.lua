--- Responses of the sandbox: plain tables built by the handlers
-- (`{ status=, json= | body=, content_type=, headers= }`) and written to the
-- client by `send`, so faults can still reshape them (cut them, delay them).
-- @module unipile.sandbox.reply

local json = require "unipile.sandbox.json"

local M = {}

M.JSON = "application/json; charset=utf-8"

-- Titles of the error types (seed 000 OpenAPI and shared/api/NOTES.md).
local TITLES = {
  invalid_parameters = "Invalid parameters", missing_parameters = "Missing parameters",
  malformed_request = "Malformed request", content_too_large = "Content too large",
  missing_credentials = "Missing credentials", invalid_credentials = "Invalid credentials",
  disconnected_account = "Disconnected account",
  insufficient_permissions = "Insufficient permissions", account_mismatch = "Account mismatch",
  resource_not_found = "Resource not found", request_timeout = "Request timed out",
  already_exists = "Already exists", unsupported_media_type = "Unsupported media type",
  limit_exceeded = "Limit exceeded", auth_in_progress = "Authentication in progress",
  too_many_requests = "Too many requests", unexpected_error = "Unexpected error",
  feature_not_implemented = "Feature not implemented", proxy_error = "Proxy error",
  service_unavailable = "Service unavailable", invalid_account = "Invalid account",
  idempotency_conflict = "Idempotency conflict", invalid_checkpoint_solution = "Invalid checkpoint solution",
  invalid_recipient = "Invalid recipient", already_invited_recently = "Already invited recently",
  action_already_performed = "Action already performed", too_many_characters = "Too many characters",
  unprocessable_entity = "Unprocessable entity", insufficient_credits = "Insufficient credits",
  expired_link = "Expired link", invalid_folder = "Invalid folder",
}

-- The error type a bare status answers with (faults, unknown statuses).
local TYPE_OF_STATUS = {
  [400] = "invalid_parameters", [401] = "invalid_credentials", [403] = "insufficient_permissions",
  [404] = "resource_not_found", [408] = "request_timeout", [409] = "already_exists",
  [413] = "content_too_large", [415] = "unsupported_media_type", [422] = "limit_exceeded",
  [425] = "auth_in_progress", [429] = "too_many_requests", [500] = "unexpected_error",
  [501] = "feature_not_implemented", [502] = "proxy_error", [503] = "service_unavailable",
  [504] = "request_timeout",
}

--- A JSON answer.
function M.ok(obj, status) return { status = status or 200, json = obj } end

--- The error envelope `{status, type, title, detail}`. `kind` is the name
-- after `errors/` (default: the one for `status`).
function M.error(status, kind, detail, title)
  kind = kind or TYPE_OF_STATUS[status] or (status >= 500 and "unexpected_error" or "invalid_parameters")
  kind = kind:gsub("^errors/", "")
  return { status = status, json = { status = status, type = "errors/" .. kind,
    title = title or TITLES[kind] or kind:gsub("_", " "):gsub("^%l", string.upper),
    detail = detail } }
end

function M.not_found(what, id)
  return M.error(404, "resource_not_found", string.format("%s not found: %s", what, tostring(id)))
end

function M.invalid(param, why)
  return M.error(400, "invalid_parameters", string.format("Invalid parameter '%s': %s", param, why))
end

function M.missing(param)
  return M.error(400, "missing_parameters", string.format("Missing parameter '%s'", param))
end

--- Raw bytes (attachments, pictures, resumes); `filename` adds a
-- Content-Disposition header.
function M.bytes(data, content_type, status, filename)
  local safe = filename and filename:gsub('["\\%c]', "_")
  local headers = safe and { ["Content-Disposition"] = 'attachment; filename="' .. safe .. '"' }
  return { status = status or 200, body = data, content_type = content_type or "application/octet-stream",
    headers = headers }
end

--- The body string and content type of a response.
function M.render(resp)
  if resp.json ~= nil then return json.encode(resp.json), resp.content_type or M.JSON end
  return resp.body or "", resp.content_type or M.JSON
end

--- Write `resp` to the client (headers, Content-Length, body).
-- `resp.no_gzip`: never compress (faults describe exact bytes);
-- `resp.cut_at`: send that many body bytes, then drop the connection.
function M.send(resp)
  local body, ctype = M.render(resp)
  if resp.no_gzip then ngx.req.clear_header("Accept-Encoding") end
  ngx.status = resp.status or 200
  ngx.header["Content-Type"] = ctype
  for k, v in pairs(resp.headers or {}) do ngx.header[k] = v end
  -- gzip (when negotiated) replaces this with chunked encoding
  ngx.header["Content-Length"] = #body
  if resp.cut_at then
    ngx.send_headers()
    ngx.print(body:sub(1, resp.cut_at))
    ngx.flush(true)
    return ngx.exit(ngx.ERROR) -- nginx closes the connection mid-body
  end
  if ngx.req.get_method() ~= "HEAD" then ngx.print(body) end
end

return M
