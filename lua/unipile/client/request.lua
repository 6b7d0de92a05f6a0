--- Requests: the one record a request is, from the caller's arguments to
-- the C core. `raw` builds it from `client:request{...}`, `call` from an
-- operation call whose params are already sorted into values; both check
-- what they are given once and return the same shape, which `multi:add`
-- takes as it is (C reads the transfer fields and ignores the rest).
--
-- A request: `operation` (the name errors give, or nil), `operation_id`
-- (of a call), `method`, `path`
-- (the API path as given), `url`, `headers` (the request's own lines: the
-- key lives in the client's default headers, never here), `body` or
-- `parts`, `output`, `raw` (keep the bytes), `body_only` (the call returns
-- the body, not the response), `keep_text` (the response keeps the body's
-- bytes as `text` beside the decoded body), and the transfer's settings: `verify`,
-- `ca_file`, `proxy`, `connect_timeout_ms`, `timeout_ms`,
-- `low_speed_limit`, `low_speed_time_ms`, `retries`, `retry_unsafe`,
-- `backoff_ms`, `backoff_max_ms`, `retry_after_max_ms`, `max_body_bytes`,
-- `max_bytes`, `dry_run` (build it, do not send it).
-- @module unipile.client.request
-- @local

local cjson = require "cjson"
local errors = require "unipile.errors"
local encode = require "unipile.encode"
local check = require "unipile.client.check"
local config = require "unipile.client.config"

local M = {}

local json = cjson.new()
json.encode_sparse_array(true)
json.encode_invalid_numbers(false)
M.json = json

local API_PREFIX = config.API_PREFIX

--- Map an operation path (/api/v1/...) onto the client's configured prefix.
function M.url_for(client, path)
  if path:sub(1, #API_PREFIX) == API_PREFIX then path = path:sub(#API_PREFIX + 1) end
  return client.base.url .. path
end

-- The param to name when a JSON body fails to encode: for a call, the
-- top-level field that fails alone; for a raw request, "json".
local function json_culprit(body, named)
  if named and type(body) == "table" then
    for k, v in pairs(body) do
      if not pcall(json.encode, { [k] = v }) then return k end
    end
  end
  return "json"
end

local function add_url(r, client, where, query, named)
  local url = M.url_for(client, r.path)
  if query ~= nil then
    local qs, err, name = encode.query(query)
    if not qs then errors.usage(where, err, named and name or "query") end
    if qs ~= "" then url = url .. "?" .. qs end
  end
  if #url > check.MAX_URL then
    errors.usage(where, "the URL would be longer than " .. check.MAX_URL .. " bytes", query and "query" or "path")
  end
  r.url = url
end

-- The body and the headers that describe it. `f` holds json | multipart
-- (+ json_fields, file_fields) | body (+ content_type), headers, idempotency_key.
local function add_body(r, where, f, named)
  local headers = check.header_lines(f.headers, where)
  if f.json ~= nil then
    local ok, encoded = pcall(json.encode, f.json)
    if not ok then
      errors.usage(where, "body cannot be encoded as JSON: " .. tostring(encoded), json_culprit(f.json, named))
    end
    r.body = encoded
    headers[#headers + 1] = "Content-Type: application/json"
  elseif f.multipart ~= nil then
    local parts, err, name = encode.multipart(f.multipart, f.json_fields, json.encode, f.file_fields)
    if not parts then errors.usage(where, err, named and name or "multipart") end
    check.parts(where, parts, not named and "multipart" or nil)
    r.parts = parts
  elseif f.body ~= nil then
    r.body = f.body
    if f.content_type then headers[#headers + 1] = "Content-Type: " .. f.content_type end
  end
  if f.idempotency_key ~= nil then headers[#headers + 1] = "Idempotency-Key: " .. f.idempotency_key end
  r.headers = headers
end

-- The transfer's settings: the call's own, else the client's.
local function add_settings(r, client, o)
  local function opt(name) local v = o[name] if v == nil then v = client[name] end return v end
  r.verify, r.ca_file, r.proxy = client.verify, client.ca_file, client.proxy
  r.connect_timeout_ms = opt("connect_timeout_ms")
  -- Streamed downloads are bounded by the low-speed limit, not a total time.
  r.timeout_ms = o.timeout_ms or (r.output and 0 or client.timeout_ms)
  r.low_speed_limit, r.low_speed_time_ms = opt("low_speed_limit"), opt("low_speed_time_ms")
  r.retries = opt("retries")
  r.backoff_ms, r.backoff_max_ms = opt("backoff_ms"), opt("backoff_max_ms")
  r.retry_after_max_ms = opt("retry_after_max_ms")
  -- In-memory bodies are capped; a download to `output` only when asked.
  r.max_body_bytes = opt("max_body_bytes")
  r.max_bytes = o.max_bytes
  -- A POST is retried after reaching the server only with an idempotency key.
  r.retry_unsafe = r.method ~= "POST" or o.idempotency_key ~= nil
  r.dry_run = opt("dry_run")
end

-- What both builders add: URL, body and headers, settings.
local function finish(r, client, where, f, opts, named)
  add_url(r, client, where, f.query, named)
  add_body(r, where, f, named)
  add_settings(r, client, opts)
  return r
end

--- The request for `client:request(spec)`, every option checked.
function M.raw(client, spec, where)
  check.request_spec(where, spec)
  local r = { operation = spec.operation, method = (spec.method or "GET"):upper(), path = spec.path,
    output = spec.output, raw = spec.raw }
  return finish(r, client, where, spec, spec, spec.operation ~= nil)
end

--- The request for an operation call: `values` from params.split, `opts`
-- already checked (check.call_opts). Path values are one encoded segment
-- each (encode.path), so the path needs no raw-path check.
function M.call(client, op, where, values, opts)
  local r = { operation = where, operation_id = op.id, method = op.method, path = encode.path(op.path, values.path),
    output = opts.output, raw = opts.raw or op.response == "binary", body_only = not opts.output,
    keep_text = opts.keep_text }
  local f = { query = next(values.query) and values.query or nil, headers = opts.headers,
    idempotency_key = opts.idempotency_key }
  if op.body == "json" then
    f.json = values.body
  elseif op.body == "multipart" then
    f.multipart, f.json_fields, f.file_fields = values.body, op.json_fields, op.file_fields
  end
  return finish(r, client, where, f, opts, true)
end

return M
