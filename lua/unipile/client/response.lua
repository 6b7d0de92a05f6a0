--- Responses: what a finished transfer means. `read(result, request)`
-- turns the C core's result table into a response `{ status, headers,
-- body, ... }` (only for a 2xx) or an error object naming the request.
-- @module unipile.client.response
-- @local

local core = require "unipile.core"
local errors = require "unipile.errors"

local M = {}

local codes = core.codes

--- Response headers: an array of {name, value} becomes a table whose
-- lookup ignores case (`res.headers["content-type"]`).
M.headers = require("unipile.headers").new

local function is_json(content_type)
  return content_type and content_type:lower():find("json", 1, true) ~= nil
end

-- The x-ratelimit-* headers of the last answer, or nil when none is there.
local function rate_limit(res)
  local log = res and res.attempt_log
  local last = log and log[#log]
  return last and last.rate_limit
end
M.rate_limit = rate_limit

local function fail(fields, res, request)
  fields.method, fields.path = request.method, request.path
  fields.operation = request.operation
  fields.attempts = res and res.attempts
  fields.rate_limit = rate_limit(res)
  return errors.new(fields)
end

-- A Retry-After the SDK can act on: a delay in the future, in seconds.
local function positive(n)
  n = tonumber(n)
  if n and n > 0 then return n end
end

-- A transfer that ended without a usable HTTP answer.
local function transfer_failure(res, request)
  if res.sink_error ~= nil then
    local e = res.sink_error
    if errors.is(e) then return e end
    return fail({ kind = "network", message = "output sink failed: " .. tostring(e), cause = e }, res, request)
  end
  if res.limit then
    return fail({ kind = "limit", limit = res.limit, cap = res.limit_cap, status = res.status,
      message = res.curl_error }, res, request)
  end
  local kind = res.curl_code == codes.OPERATION_TIMEDOUT and "timeout" or "network"
  return fail({ kind = kind, phase = res.timeout_phase, curl_code = res.curl_code,
    message = res.curl_error, retry_after = res.retry_after }, res, request)
end

-- Any answer but a 2xx: the JSON error envelope when there is one, else
-- what a human can read of the body. A 3xx is not followed (the key must
-- never go to another host): its Location is in the error.
local function status_failure(res, request, headers)
  local body = res.body
  local env = is_json(headers["content-type"]) and body and body ~= "" and select(2, pcall(core.json_decode, body))
  local fields = { kind = "http", status = res.status, headers = headers,
    retry_after = res.retry_after or positive(headers["retry-after"]) }
  if res.status >= 300 and res.status < 400 then fields.location = headers["location"] end
  if type(env) == "table" then
    fields.type, fields.title, fields.detail, fields.instance =
      env.type, env.title, env.detail, env.instance
    fields.connection_params = env.connectionParams
    fields.body = env
  else
    local snippet = errors.snippet(body)
    fields.title = errors.html_title(body) or ("HTTP " .. res.status)
    fields.detail = snippet
    fields.snippet = snippet
  end
  return fail(fields, res, request)
end

-- The body of a 2xx: decoded when JSON (an empty one is nil), else bytes.
local function decoded_body(res, request, headers)
  local body = res.body
  if body == nil or request.raw or not is_json(headers["content-type"]) then return body end
  if body == "" then return nil end
  local ok, decoded = pcall(core.json_decode, body)
  if ok then return decoded end
  return nil, fail({ kind = "decode", status = res.status, headers = headers,
    message = "invalid JSON in response: " .. tostring(decoded):gsub("^.-: ", ""),
    snippet = errors.snippet(body, 120) }, res, request)
end

--- The response for a finished transfer's result, or nil and an error.
-- Only a 2xx is a success.
function M.read(res, request)
  if res.curl_code ~= codes.OK then return nil, transfer_failure(res, request) end
  local headers = M.headers(res.headers)
  if res.status < 200 or res.status >= 300 then return nil, status_failure(res, request, headers) end
  local body, err = decoded_body(res, request, headers)
  if err then return nil, err end
  return { status = res.status, headers = headers, attempts = res.attempts, body = body,
    new_connections = res.new_connections, total_time = res.total_time, bytes = res.bytes,
    rate_limit = rate_limit(res), attempt_log = res.attempt_log, text = request.keep_text and res.body or nil }
end

return M
