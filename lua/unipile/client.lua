--- The client: configuration, the raw `request`, and `call` by operation id.
-- One client owns one `unipile.core` multi handle, so every request it makes
-- shares connections, DNS and TLS sessions. The API key is handed to the
-- C core once, as a default header, and is not kept anywhere in Lua.
-- @module unipile.client

local core = require "unipile.core"
local cjson = require "cjson"
local errors = require "unipile.errors"
local encode = require "unipile.encode"
local registry = require "unipile.registry"
local pager = require "unipile.pager"
local scheduler = require "unipile.scheduler"

local json = cjson.new()
json.encode_sparse_array(true)
json.encode_invalid_numbers(false)

local M = {}
local Client = {}
Client.__index = function(self, key)
  local method = Client[key]
  if method ~= nil then return method end
  if key == "safe" then                  -- the non-raising view, built on first use
    local view = require("unipile.resources").safe_view(self)
    rawset(self, key, view)
    return view
  end
  -- Resource tables (client.chats, ...) are built on first use.
  local group = registry.groups[key] and key or M.group_alias[key]
  if group then
    local resource = require("unipile.resources").new(self, group)
    rawset(self, key, resource)
    return resource
  end
end
M.Client = Client

M.VERSION = "0.1.0"
M.json = json
M.null = cjson.null
M.group_alias = {}

local API_PREFIX = "/api/v1"

local DEFAULTS = {
  timeout_ms = 60000,          -- whole request, for JSON calls
  connect_timeout_ms = 10000,
  low_speed_limit = 1,         -- bytes/s; below it for low_speed_time_ms ...
  low_speed_time_ms = 60000,   -- ... the transfer is a timeout (long downloads)
  retries = 2,
  backoff_ms = 200,
  backoff_max_ms = 5000,
  retry_after_max_ms = 60000,
  max_body_bytes = 64 * 1024 * 1024, -- any answer held in memory, after decompression
}

-- The C side cuts strings at a NUL: "/etc/hostname\0/etc/shadow" would
-- upload /etc/hostname. CR and LF would forge header lines.
local function has_ctl(s) return s:find("[%z\r\n]") ~= nil end

-- Longest URL sent (servers and proxies answer 414 well before 10 MB).
local MAX_URL = 16384
local MAX_MS = 2147483647        -- what curl takes as a long on every platform
local MAX_BYTES = 2 ^ 53

-- Option checkers: `check.x(where, name, value)` raises a usage error
-- naming `name` unless `value` fits. Values are never put in messages
-- (one of them is the API key).
local check = {}

local function bad(where, name, want, v)
  errors.usage(where, "'" .. tostring(name) .. "' must be " .. want .. ", got " .. type(v), name)
end

function check.any() end

function check.string(where, name, v)
  if type(v) ~= "string" then bad(where, name, "a string", v) end
end

-- A string that reaches C or a header line.
function check.text(where, name, v)
  check.string(where, name, v)
  if has_ctl(v) then errors.usage(where, "'" .. name .. "' contains CR, LF or NUL", name) end
end

function check.boolean(where, name, v)
  if type(v) ~= "boolean" then bad(where, name, "a boolean", v) end
end

function check.number(where, name, v)
  if type(v) ~= "number" or v ~= v then bad(where, name, "a number", v) end
end

function check.table(where, name, v)
  if type(v) ~= "table" then bad(where, name, "a table", v) end
end

-- Milliseconds and rates: any number curl can take (NaN and inf fail both tests).
function check.ms(where, name, v)
  if type(v) ~= "number" or not (v >= 0 and v <= MAX_MS) then
    bad(where, name, "a number from 0 to " .. MAX_MS, v)
  end
end

function check.count(where, name, v)
  if type(v) ~= "number" or not (v >= 0 and v <= MAX_MS) or v ~= math.floor(v) then
    bad(where, name, "an integer from 0 to " .. MAX_MS, v)
  end
end

function check.bytes(where, name, v)
  if type(v) ~= "number" or not (v >= 1 and v <= MAX_BYTES) or v ~= math.floor(v) then
    bad(where, name, "an integer >= 1 (bytes)", v)
  end
end

-- The number options of the client, also accepted per request and per call.
local NUMBER_OPTS = {
  timeout_ms = check.ms, connect_timeout_ms = check.ms,
  low_speed_limit = check.ms, low_speed_time_ms = check.ms,
  retries = check.count, backoff_ms = check.ms, backoff_max_ms = check.ms,
  retry_after_max_ms = check.ms, max_body_bytes = check.bytes, max_bytes = check.bytes,
}

--- Resolve the base URL: `host:port` or a URL; no path → `/api/v1`
-- appended; a path (`/api/v1`, `/v1`, ...) is used as given.
function M.parse_base(dsn)
  if type(dsn) ~= "string" or dsn == "" then
    return nil, "missing dsn (pass dsn = 'https://api1.unipile.com:13111' or set UNIPILE_DSN)"
  end
  local url = dsn
  if not url:find("^%a[%w+.-]*://") then url = "https://" .. url end
  local parts, err = core.parse_url(url)
  if not parts then return nil, "malformed dsn '" .. dsn .. "': " .. tostring(err) end
  if parts.query and parts.query ~= "" then return nil, "malformed dsn '" .. dsn .. "': no query allowed" end
  local origin = parts.scheme .. "://" .. parts.host .. (parts.port and (":" .. parts.port) or "")
  local prefix = parts.path ~= "" and parts.path or API_PREFIX
  return { origin = origin, prefix = prefix, url = origin .. prefix }
end

local function user_agent(extra)
  local lua = jit and jit.version or _VERSION
  local ua = string.format("lua-unipile/%s libcurl/%s %s", M.VERSION, core.version().curl, lua)
  if extra then ua = ua .. " " .. extra end
  return ua
end
M.user_agent = user_agent

-- The options of `unipile.new` besides the DEFAULTS keys, with their checks.
local NEW_OPTS = {
  dsn = check.text, base_url = check.text, api_key = check.text,
  verify = check.boolean, ca_file = check.text, proxy = check.text,
  user_agent = check.text, headers = check.table, seed = check.number,
}

-- Every given option of `unipile.new` is known and of the right type.
local function check_new_opts(opts)
  for k, v in pairs(opts) do
    local fits = NEW_OPTS[k] or (DEFAULTS[k] ~= nil and NUMBER_OPTS[k])
    if not fits then errors.usage("unipile.new", "unknown option '" .. tostring(k) .. "'", k) end
    fits("unipile.new", k, v)
  end
end

--- Make a client. Options: `dsn` (or `base_url`), `api_key`, the timeouts
-- in milliseconds (`timeout_ms`, `connect_timeout_ms`, `low_speed_time_ms`,
-- `low_speed_limit`), `retries`, `backoff_ms`, `backoff_max_ms`,
-- `retry_after_max_ms`, `max_body_bytes` (largest response body kept in
-- memory, default 64 MiB), `verify` (TLS, default true), `ca_file`, `proxy`,
-- `user_agent` (appended), `headers` (extra headers on every request),
-- `seed` (retry jitter). Unknown options are usage errors.
-- `dsn` and `api_key` default to `UNIPILE_DSN` and `UNIPILE_API_KEY`.
function M.new(opts)
  opts = opts or {}
  if type(opts) ~= "table" then errors.usage("unipile.new", "options must be a table", "opts") end
  check_new_opts(opts)
  local base, err = M.parse_base(opts.dsn or opts.base_url or os.getenv("UNIPILE_DSN"))
  if not base then errors.usage("unipile.new", err, "dsn") end
  local key = opts.api_key or os.getenv("UNIPILE_API_KEY")
  if type(key) ~= "string" or key == "" then
    errors.usage("unipile.new", "missing api_key (pass api_key or set UNIPILE_API_KEY)", "api_key")
  end
  check.text("unipile.new", "api_key", key)

  local self = setmetatable({ base = base }, Client)
  for k, v in pairs(DEFAULTS) do
    self[k] = opts[k] or v
  end
  self.verify = opts.verify ~= false
  self.ca_file, self.proxy = opts.ca_file, opts.proxy
  local default_headers = {
    "X-API-KEY: " .. key,
    "Accept: application/json",
  }
  for _, h in ipairs(M.header_lines(opts.headers, "unipile.new")) do
    default_headers[#default_headers + 1] = h
  end
  self.multi = core.multi {
    user_agent = user_agent(opts.user_agent),
    headers = default_headers,
    seed = opts.seed,
  }
  return self
end

function Client:__tostring()
  return "unipile.Client(" .. self.base.url .. ")"
end

--- Wait `ms` milliseconds (a finite number, capped as `unipile.sleep`).
-- Inside `unipile.run` other tasks go on meanwhile; outside, this client's
-- own transfers are driven.
function Client:sleep(ms)
  ms = scheduler.sleep_ms("client:sleep", ms)
  if scheduler.in_task() then return scheduler.sleep(ms) end
  local deadline = core.now() + ms
  while true do
    local left = deadline - core.now()
    if left <= 0 then return end
    -- a closed client has nothing in flight: a plain sleep
    if not rawget(self, "closed") and self.multi:pending() > 0 then self.multi:perform(left) else core.sleep(left) end
  end
end

--- Release the connections now (also done by the garbage collector).
function Client:close()
  if self.multi then self.multi:close() end
  self.closed = true
end
Client.__close = Client.close

-- After close every request is a usage error (not "multi is closed" from C).
local function check_open(client, where)
  if rawget(client, "closed") then errors.usage(where, "client is closed") end
end

--- Validate and format extra headers: a map or an array of {name, value}.
function M.header_lines(headers, where)
  local lines = {}
  if headers == nil then return lines end
  if type(headers) ~= "table" then errors.usage(where, "headers must be a table", "headers") end
  local function add(name, value)
    if type(name) ~= "string" or not name:match("^[!#$%%&'*+.^_`|~%w-]+$") then
      errors.usage(where, "invalid header name '" .. tostring(name):gsub("%c", "?") .. "'", "headers")
    end
    value = encode.scalar(value)
    if not value then errors.usage(where, "header '" .. name .. "' needs a string value", "headers") end
    if has_ctl(value) then errors.usage(where, "header '" .. name .. "' contains CR, LF or NUL", "headers") end
    lines[#lines + 1] = name .. ": " .. value
  end
  if encode.is_array(headers) then
    for i, pair in ipairs(headers) do
      if type(pair) ~= "table" then
        errors.usage(where, "headers[" .. i .. "] must be a {name, value} pair", "headers")
      end
      add(pair[1], pair[2])
    end
  else
    local names, key = encode.sorted_keys(headers)
    if not names then errors.usage(where, "header name " .. tostring(key) .. " is not a string", "headers") end
    for _, name in ipairs(names) do add(name, headers[name]) end
  end
  return lines
end

-- Response headers: an array of {name, value} becomes a table whose lookup
-- ignores case (`res.headers["content-type"]`, `res.headers["Content-Type"]`).
local HeaderMap = {}
HeaderMap.__index = function(t, k)
  if type(k) == "string" then return rawget(t, k:lower()) end
end
function M.headers(list)
  local map = setmetatable({}, HeaderMap)
  for _, pair in ipairs(list or {}) do
    local name = pair[1]:lower()
    local old = rawget(map, name)
    rawset(map, name, old and (old .. ", " .. pair[2]) or pair[2])
  end
  return map
end

-- Map an operation path (/api/v1/...) onto the configured prefix.
function Client:url_for(path)
  if path:sub(1, #API_PREFIX) == API_PREFIX then path = path:sub(#API_PREFIX + 1) end
  return self.base.url .. path
end

local CURLE_OPERATION_TIMEDOUT = 28 -- curl's code for any of its time limits

local function is_json(content_type)
  return content_type and content_type:lower():find("json", 1, true) ~= nil
end

local function fail(fields, res, spec)
  fields.method, fields.path = spec.method, spec.path_only
  fields.operation = spec.operation
  fields.attempts = res and res.attempts
  return errors.new(fields)
end

-- A Retry-After the SDK can act on: a delay in the future, in seconds.
local function positive(n)
  n = tonumber(n)
  if n and n > 0 then return n end
end

-- A transfer that ended without a usable HTTP answer.
local function transfer_failure(res, spec)
  if res.sink_error ~= nil then
    local e = res.sink_error
    if errors.is(e) then return e end
    return fail({ kind = "network", message = "output sink failed: " .. tostring(e), cause = e }, res, spec)
  end
  if res.limit then
    return fail({ kind = "limit", limit = res.limit, cap = res.limit_cap, status = res.status,
      message = res.curl_error }, res, spec)
  end
  local kind = res.curl_code == CURLE_OPERATION_TIMEDOUT and "timeout" or "network"
  return fail({ kind = kind, phase = res.timeout_phase, curl_code = res.curl_code,
    message = res.curl_error, retry_after = res.retry_after }, res, spec)
end

-- Any answer but a 2xx: the JSON error envelope when there is one, else
-- what a human can read of the body. A 3xx is not followed (the key must
-- never go to another host): its Location is in the error.
local function status_failure(res, spec, headers)
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
  return fail(fields, res, spec)
end

-- Turn a finished transfer into a response table, or an error object.
-- Only a 2xx is a success.
local function to_response(res, spec)
  if res.curl_code ~= 0 then return nil, transfer_failure(res, spec) end
  local headers = M.headers(res.headers)
  if res.status < 200 or res.status >= 300 then return nil, status_failure(res, spec, headers) end
  local response = { status = res.status, headers = headers, attempts = res.attempts,
    new_connections = res.new_connections, total_time = res.total_time, bytes = res.bytes }
  local body = res.body
  if body ~= nil and not spec.raw and is_json(headers["content-type"]) then
    if body == "" then
      body = nil
    else
      local ok, decoded = pcall(core.json_decode, body)
      if not ok then
        return nil, fail({ kind = "decode", status = res.status, headers = headers,
          message = "invalid JSON in response: " .. tostring(decoded):gsub("^.-: ", ""),
          snippet = errors.snippet(body, 120) }, res, spec)
      end
      body = decoded
    end
  end
  response.body = body
  return response
end

-- Build the C-side request table from a validated spec.
function Client:transfer_spec(spec)
  local req = {
    url = spec.url, method = spec.method, headers = spec.headers,
    body = spec.body, parts = spec.parts, output = spec.output,
    verify = self.verify, ca_file = self.ca_file, proxy = self.proxy,
  }
  local o = spec.opts
  local function opt(name) local v = o[name] if v == nil then v = self[name] end return v end
  req.connect_timeout_ms = opt("connect_timeout_ms")
  -- Streamed downloads are bounded by the low-speed limit, not a total time.
  req.timeout_ms = o.timeout_ms or (spec.output and 0 or self.timeout_ms)
  req.low_speed_limit, req.low_speed_time_ms = opt("low_speed_limit"), opt("low_speed_time_ms")
  req.retries = opt("retries")
  req.backoff_ms, req.backoff_max_ms = opt("backoff_ms"), opt("backoff_max_ms")
  req.retry_after_max_ms = opt("retry_after_max_ms")
  -- In-memory bodies are capped; a download to `output` only when asked.
  req.max_body_bytes = opt("max_body_bytes")
  req.max_bytes = o.max_bytes
  -- A POST is retried after reaching the server only with an idempotency key.
  req.retry_unsafe = spec.method ~= "POST" or spec.idempotent == true
  return req
end

-- A request in flight: `wait()` returns what the synchronous call would.
local Pending = {}
Pending.__index = Pending

function Pending:wait()
  if not self.response then
    scheduler.await(self.client.multi, self.transfer)
    local response, err = to_response(self.transfer:result(), self.spec)
    if not response then error(err, 0) end
    self.response = response
  end
  if self.body_only then return self.response.body end
  return self.response
end

-- The values of a pcall, or `nil, err` when it caught an SDK error object;
-- anything else (a bug, not a failure of the request) is raised again.
local function caught(ok, ...)
  if ok then return ... end
  local err = ...
  if errors.is(err) then return nil, err end
  error(err, 0)
end
M.caught = caught

--- Like `wait`, but returns `nil, err` (the error object) instead of
-- raising. Inside a task it yields like `wait`, with no pcall around the
-- yield (PUC Lua 5.1 cannot yield across one): the transfer is awaited
-- first, and only what `wait` does once it is done (no yield) runs under
-- pcall.
function Pending:result()
  scheduler.await(self.client.multi, self.transfer)
  return caught(pcall(self.wait, self))
end

-- Start one transfer on this client's multi handle, and give curl a first
-- turn at once so the request is on the wire while the caller goes on.
function Client:start(spec)
  local transfer = self.multi:add(self:transfer_spec(spec))
  self.multi:perform(0)
  return setmetatable({ client = self, transfer = transfer, spec = spec }, Pending)
end

local function check_output(where, name, output)
  local t = type(output)
  if t == "function" then return end
  if t ~= "string" or output == "" then errors.usage(where, "output must be a file path or a function", name) end
  check.text(where, name, output)
end

local function check_method(where, name, method)
  if type(method) ~= "string" or not method:match("^%a+$") then
    errors.usage(where, "method must be an HTTP method name such as \"GET\"", name)
  end
end

-- Marks a request spec built by start_call, whose path segments come from
-- encode.path: there "%2E" is a value made of dots, sent as data.
-- A table key, so no caller can set it by accident.
local BUILT_PATH = {}

-- A raw path stays under the configured prefix: no "." or ".." segment
-- (also as %2E, which servers decode before resolving), and no empty one.
local function check_path(where, path, built)
  if type(path) ~= "string" or path:sub(1, 1) ~= "/" or path:find("[%s%c?#]") then
    errors.usage(where, "path must be an absolute API path without query, spaces or control characters", "path")
  end
  if #path > MAX_URL then errors.usage(where, "path is longer than " .. MAX_URL .. " bytes", "path") end
  if path:find("//", 1, true) then errors.usage(where, "path has an empty segment ('//')", "path") end
  for seg in path:gmatch("[^/]+") do
    local dots = built and seg or seg:gsub("%%2[Ee]", ".")
    if dots == "." or dots == ".." then
      errors.usage(where, "path has a '" .. seg .. "' segment, which would leave the API prefix", "path")
    end
  end
end

-- Every option of `request`, with the check of its value alone (how the
-- options combine is checked in start_request).
local REQUEST_OPTS = {
  method = check_method, path = check.any, query = check.table, json = check.any,
  multipart = check.table, body = check.string,
  content_type = check.text, output = check_output, headers = check.table, raw = check.boolean,
  idempotency_key = function(where, name, key)
    check.text(where, name, key)
    if #key < 1 or #key > 255 then errors.usage(where, "idempotency_key must be 1 to 255 characters", name) end
  end,
  operation = check.text, json_fields = check.table, [BUILT_PATH] = check.any,
}
for _, name in ipairs { "timeout_ms", "connect_timeout_ms", "low_speed_time_ms", "low_speed_limit",
    "retries", "max_body_bytes", "max_bytes" } do
  REQUEST_OPTS[name] = NUMBER_OPTS[name]
end

-- The param to name when a JSON body fails to encode: for a call, the
-- top-level field that fails alone; for a raw request, "json".
local function json_culprit(spec)
  if spec.operation and type(spec.json) == "table" then
    for k, v in pairs(spec.json) do
      if not pcall(json.encode, { [k] = v }) then return k end
    end
  end
  return "json"
end

-- A regular file we can read. io.open also opens a directory (reading it
-- then fails) and blocks on a FIFO, so stat() comes first; a device has no
-- end where its size says (/dev/zero would be an endless upload).
local function readable_file(path)
  local kind = core.file_kind(path)
  if kind ~= "file" and kind ~= "char" then return false end
  local f = io.open(path, "rb")
  if not f then return false end
  local size = f:seek("end")
  local data, err
  if size then
    f:seek("set", size)
    data, err = f:read(1)
  end
  f:close()
  return size ~= nil and data == nil and err == nil
end

-- Multipart parts reach curl's mime API: names and labels become header
-- text, and a file must be one we can read now rather than a curl failure
-- halfway through the upload. Errors name `param` or else the top field
-- ("attachments").
local function check_parts(where, parts, fixed)
  for _, part in ipairs(parts) do
    local param = fixed or part.name:match("^[^%[]*")
    if has_ctl(part.name) then errors.usage(where, "field name '" .. param .. "' contains CR, LF or NUL", param) end
    for label, shown in pairs { filename = "filename", type = "content_type" } do
      local v = part[label]
      if v ~= nil and (type(v) ~= "string" or has_ctl(v)) then
        errors.usage(where, "the " .. shown .. " of '" .. param .. "' must be a string without CR, LF or NUL", param)
      end
    end
    local file = part.file
    if file ~= nil then
      if type(file) ~= "string" or file == "" or file:find("%z") then
        errors.usage(where, "the file of '" .. param .. "' must be a path without NUL", param)
      end
      if not readable_file(file) then
        errors.usage(where, "cannot read file '" .. file .. "' for '" .. param .. "' (not a readable regular file)", param)
      end
    end
  end
end

--- The raw escape hatch: `client:request{ method =, path =, query =,
-- json = | multipart = | body =, headers =, output =, timeout_ms =, retries = }`.
-- `path` is an API path (`/api/v1/chats` or `/chats`), mapped onto the
-- configured prefix. Returns `{ status, headers, body }` (body decoded when
-- JSON); raises an error object otherwise.
function Client:request(spec)
  return self:start_request(spec):wait()
end

--- Like `request`, but returns at once with a pending request whose
-- `:wait()` gives the response (inside `unipile.run`, other tasks run
-- while it waits).
function Client:start_request(spec)
  local where = type(spec) == "table" and type(spec.operation) == "string" and spec.operation or "request"
  if type(spec) ~= "table" then errors.usage(where, "request needs a table", "spec") end
  check_open(self, where)
  for k, v in pairs(spec) do
    local fits = REQUEST_OPTS[k]
    if not fits then errors.usage(where, "unknown request option '" .. tostring(k) .. "'", k) end
    fits(where, k, v)
  end
  local body_kind
  for _, k in ipairs { "json", "multipart", "body" } do
    if spec[k] ~= nil then
      if body_kind then errors.usage(where, "give only one of json, multipart and body", k) end
      body_kind = k
    end
  end
  if spec.content_type ~= nil and body_kind ~= "body" then
    errors.usage(where, "content_type goes with body (json and multipart set their own)", "content_type")
  end
  if spec.max_bytes ~= nil and spec.output == nil then
    errors.usage(where, "max_bytes limits an output download; use max_body_bytes otherwise", "max_bytes")
  end
  local method = (spec.method or "GET"):upper()
  local path = spec.path
  check_path(where, path, spec[BUILT_PATH])
  local url = self:url_for(path)
  if spec.query ~= nil then
    local qs, err, name = encode.query(spec.query)
    if not qs then errors.usage(where, err, spec.operation and name or "query") end
    if qs ~= "" then url = url .. "?" .. qs end
  end
  if #url > MAX_URL then
    errors.usage(where, "the URL would be longer than " .. MAX_URL .. " bytes", spec.query and "query" or "path")
  end
  local headers = M.header_lines(spec.headers, where)
  local body, parts
  if spec.json ~= nil then
    local ok, encoded = pcall(json.encode, spec.json)
    if not ok then
      errors.usage(where, "body cannot be encoded as JSON: " .. tostring(encoded), json_culprit(spec))
    end
    body = encoded
    headers[#headers + 1] = "Content-Type: application/json"
  elseif spec.multipart ~= nil then
    local err, name
    parts, err, name = encode.multipart(spec.multipart, spec.json_fields, json.encode)
    if not parts then errors.usage(where, err, spec.operation and name or "multipart") end
    check_parts(where, parts, not spec.operation and "multipart" or nil)
  elseif spec.body ~= nil then
    body = spec.body
    if spec.content_type then headers[#headers + 1] = "Content-Type: " .. spec.content_type end
  end
  if spec.idempotency_key ~= nil then
    headers[#headers + 1] = "Idempotency-Key: " .. spec.idempotency_key
  end
  return self:start {
    url = url, method = method, headers = headers, body = body, parts = parts,
    output = spec.output, raw = spec.raw, operation = spec.operation,
    path_only = path, idempotent = spec.idempotency_key ~= nil, opts = spec,
  }
end

-- Options that belong to the call, not to the API (second argument of call).
-- Each maps to the check of its value (the request's own, or the pager's).
local CALL_OPTS = {
  max_items = function(where, name, v)
    if type(v) ~= "number" or not (v >= 1 and v <= MAX_BYTES) or v ~= math.floor(v) then
      errors.usage(where, "'max_items' must be a positive integer", name)
    end
  end,
  prefetch = check.boolean,
}
for _, name in ipairs { "output", "headers", "timeout_ms", "connect_timeout_ms", "low_speed_time_ms",
    "low_speed_limit", "retries", "idempotency_key", "raw", "max_body_bytes", "max_bytes" } do
  CALL_OPTS[name] = REQUEST_OPTS[name]
end

-- Per-call options, before any request (also for each/pages, whose
-- requests start later, inside the iterator).
local function check_call_opts(op, where, opts)
  if type(opts) ~= "table" then errors.usage(where, "options must be a table", "opts") end
  for k, v in pairs(opts) do
    local fits = CALL_OPTS[k]
    if not fits then errors.usage(where, "unknown option '" .. tostring(k) .. "'", k) end
    fits(where, k, v)
  end
  if opts.idempotency_key ~= nil and not op.idempotency then
    errors.usage(where, "this operation does not take an Idempotency-Key", "idempotency_key")
  end
  M.header_lines(opts.headers, where)
  if opts.max_bytes ~= nil and opts.output == nil then
    errors.usage(where, "max_bytes limits an output download; use max_body_bytes otherwise", "max_bytes")
  end
end

local function place_value(op, where, name, value, out)
  local place = op.where[name]
  if not place then
    errors.usage(where, "unknown parameter '" .. tostring(name) .. "'", name)
  end
  out[place][name] = value
end

--- Sort one flat params table into path, query and body values for `op`,
-- checking names and required params. `query = {}` / `body = {}` sub-tables
-- force a place for names that exist in two.
function M.split_params(op, params, where)
  local out = { path = {}, query = {}, body = {} }
  if params == nil then params = {} end
  if type(params) ~= "table" then errors.usage(where, "params must be a table", "params") end
  for name, value in pairs(params) do
    if (name == "query" or name == "body") and type(value) == "table" and not op.where[name] then
      for k, v in pairs(value) do
        if not (op.places[k] and op.places[k][name]) then
          errors.usage(where, "unknown " .. name .. " parameter '" .. tostring(k) .. "'", k)
        end
        out[name][k] = v
      end
    elseif name ~= "max_items" then
      place_value(op, where, name, value, out)
    end
  end
  for name in pairs(op.required) do
    local place = op.where[name]
    local v = out[place][name]
    if v == nil then
      for p in pairs(op.places[name]) do v = v or out[p][name] end
    end
    if v == nil or v == "" then errors.usage(where, "missing required parameter '" .. name .. "'", name) end
  end
  for _, name in ipairs(op.path_params) do
    local v = out.path[name]
    if not encode.scalar(v) or type(v) == "boolean" then
      errors.usage(where, "path parameter '" .. name .. "' must be a string or number", name)
    end
  end
  -- A value that alone exceeds the URL bound is named here; the whole URL
  -- is checked again once encoded.
  for _, place in ipairs { "path", "query" } do
    for name, v in pairs(out[place]) do
      if type(v) == "string" and #v > MAX_URL then
        errors.usage(where, "'" .. name .. "' would make the URL longer than " .. MAX_URL .. " bytes", name)
      end
    end
  end
  if op.max_limit and out.query.limit ~= nil then
    local limit = out.query.limit
    if type(limit) ~= "number" or limit ~= math.floor(limit) or limit < 1 or limit > op.max_limit then
      errors.usage(where, "'limit' must be an integer from 1 to " .. op.max_limit, "limit")
    end
  end
  return out
end

local function lookup(operation_id)
  local op = registry.by_id[operation_id]
  if not op then errors.usage(tostring(operation_id), "unknown operation '" .. tostring(operation_id) .. "'") end
  return op, op.group .. ":" .. op.name .. " (" .. op.id .. ")"
end

-- Validate a paginated call before any request and return what the pager
-- needs: a fetch function, the first params and the pager options.
function Client:paginate(operation_id, params, opts)
  local op, where = lookup(operation_id)
  if not op.paginated then errors.usage(where, "operation is not paginated") end
  check_open(self, where)
  params, opts = params or {}, opts or {}
  if type(params) ~= "table" then errors.usage(where, "params must be a table", "params") end
  check_call_opts(op, where, opts)
  local plain = {}
  for k, v in pairs(params) do if k ~= "prefetch" then plain[k] = v end end
  M.split_params(op, plain, where)
  for _, name in ipairs { "max_items", "prefetch" } do
    if params[name] ~= nil then CALL_OPTS[name](where, name, params[name]) end
  end
  local max_items = params.max_items or opts.max_items
  local first = {}
  for k, v in pairs(params) do if k ~= "max_items" and k ~= "prefetch" then first[k] = v end end
  if max_items and first.limit == nil and op.max_limit then first.limit = math.min(max_items, op.max_limit) end
  local function start(p) return self:start_call(op.id, p, opts) end
  local prefetch = opts.prefetch
  if prefetch == nil then prefetch = params.prefetch end
  return start, first, { max_items = max_items, where = where, prefetch = prefetch ~= false }
end

--- Page iterator for a paginated operation: yields `page, next_cursor,
-- cursor`. `params.cursor` resumes from a saved cursor; `max_items` (in
-- params or opts) caps the total while `limit` stays the page size. Bad
-- params raise here, before any request.
function Client:pages(operation_id, params, opts)
  return pager.pages(self:paginate(operation_id, params, opts))
end

--- Item iterator for a paginated operation (see `pages`).
function Client:each(operation_id, params, opts)
  return pager.each(self:paginate(operation_id, params, opts))
end

--- Run an operation by its `operation_id` with params named as in the
-- operations table; `opts` holds per-call options (`output`, `timeout_ms`,
-- `retries`, `idempotency_key`, `headers`). Returns the decoded body (or the
-- bytes of a binary operation, or the response when streamed to `output`).
function Client:call(operation_id, params, opts)
  return self:start_call(operation_id, params, opts):wait()
end

--- Like `call`, but returns at once with a pending request; its `:wait()`
-- returns what `call` would (or raises).
function Client:start_call(operation_id, params, opts)
  local op, where = lookup(operation_id)
  check_open(self, where)
  opts = opts or {}
  check_call_opts(op, where, opts)
  local values = M.split_params(op, params, where)
  local spec = {
    operation = where, method = op.method, path = encode.path(op.path, values.path),
    query = next(values.query) and values.query or nil,
    output = opts.output, headers = opts.headers, timeout_ms = opts.timeout_ms,
    connect_timeout_ms = opts.connect_timeout_ms, retries = opts.retries,
    low_speed_time_ms = opts.low_speed_time_ms, low_speed_limit = opts.low_speed_limit,
    idempotency_key = opts.idempotency_key, raw = opts.raw or op.response == "binary",
    max_body_bytes = opts.max_body_bytes, max_bytes = opts.max_bytes, [BUILT_PATH] = true,
  }
  if op.body == "json" then
    spec.json = values.body
  elseif op.body == "multipart" then
    spec.multipart, spec.json_fields = values.body, op.json_fields
  end
  local pending = self:start_request(spec)
  pending.body_only = not opts.output
  return pending
end

return M
