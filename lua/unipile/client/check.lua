--- Argument checks of the client: every option of `unipile.new`, of a raw
-- `request` and of a `call`, each value alone, before any I/O. A check is
-- `fn(where, name, value)` and raises a usage error naming `name`; values
-- are never put in messages (one of them is the API key).
-- @module unipile.client.check
-- @local

local core = require "unipile.core"
local errors = require "unipile.errors"
local encode = require "unipile.encode"

local M = {}

-- Longest URL sent (servers and proxies answer 414 well before 10 MB).
M.MAX_URL = 16384
local MAX_MS = 2147483647        -- what curl takes as a long on every platform
local MAX_BYTES = 2 ^ 53

-- The C side cuts strings at a NUL: "/etc/hostname\0/etc/shadow" would
-- upload /etc/hostname. CR and LF would forge header lines.
local function has_ctl(s) return s:find("[%z\r\n]") ~= nil end
M.has_ctl = has_ctl

local function bad(where, name, want, v)
  errors.usage(where, "'" .. tostring(name) .. "' must be " .. want .. ", got " .. type(v), name)
end

function M.any() end

function M.string(where, name, v)
  if type(v) ~= "string" then bad(where, name, "a string", v) end
end

-- A string that reaches C or a header line.
function M.text(where, name, v)
  M.string(where, name, v)
  if has_ctl(v) then errors.usage(where, "'" .. name .. "' contains CR, LF or NUL", name) end
end

function M.boolean(where, name, v)
  if type(v) ~= "boolean" then bad(where, name, "a boolean", v) end
end

function M.number(where, name, v)
  if type(v) ~= "number" or v ~= v then bad(where, name, "a number", v) end
end

function M.table(where, name, v)
  if type(v) ~= "table" then bad(where, name, "a table", v) end
end

-- Milliseconds and rates: any number curl can take (NaN and inf fail both tests).
function M.ms(where, name, v)
  if type(v) ~= "number" or not (v >= 0 and v <= MAX_MS) then
    bad(where, name, "a number from 0 to " .. MAX_MS, v)
  end
end

function M.count(where, name, v)
  if type(v) ~= "number" or not (v >= 0 and v <= MAX_MS) or v ~= math.floor(v) then
    bad(where, name, "an integer from 0 to " .. MAX_MS, v)
  end
end

function M.bytes(where, name, v)
  if type(v) ~= "number" or not (v >= 1 and v <= MAX_BYTES) or v ~= math.floor(v) then
    bad(where, name, "an integer >= 1 (bytes)", v)
  end
end

local function positive_integer(where, name, v)
  if type(v) ~= "number" or not (v >= 1 and v <= MAX_BYTES) or v ~= math.floor(v) then
    errors.usage(where, "'" .. name .. "' must be a positive integer", name)
  end
end

--- The number options of the client, also accepted per request and per call.
M.NUMBER_OPTS = {
  timeout_ms = M.ms, connect_timeout_ms = M.ms,
  low_speed_limit = M.ms, low_speed_time_ms = M.ms,
  retries = M.count, backoff_ms = M.ms, backoff_max_ms = M.ms,
  retry_after_max_ms = M.ms, max_body_bytes = M.bytes, max_bytes = M.bytes,
}

local function check_output(where, name, output)
  local t = type(output)
  if t == "function" then return end
  if t ~= "string" or output == "" then errors.usage(where, "output must be a file path or a function", name) end
  M.text(where, name, output)
end

local function check_method(where, name, method)
  if type(method) ~= "string" or not method:match("^%a+$") then
    errors.usage(where, "method must be an HTTP method name such as \"GET\"", name)
  end
end

local function check_idempotency_key(where, name, key)
  M.text(where, name, key)
  if #key < 1 or #key > 255 then errors.usage(where, "idempotency_key must be 1 to 255 characters", name) end
end

--- Every option of `request`, with the check of its value alone (how the
-- options combine is checked by `request_spec`).
M.REQUEST_OPTS = {
  method = check_method, path = M.any, query = M.table, json = M.any,
  multipart = M.table, body = M.string,
  content_type = M.text, output = check_output, headers = M.table, raw = M.boolean,
  idempotency_key = check_idempotency_key, operation = M.text, json_fields = M.table,
  dry_run = M.boolean,
}

--- Options that belong to a call, not to the API (the second argument of
-- `call`), with the check of each value: the request's own, or the pager's.
M.CALL_OPTS = { max_items = positive_integer, prefetch = M.boolean, keep_text = M.boolean,
  journal_key = M.text, resend = M.boolean }   -- the journal's (unipile.journal)

for _, name in ipairs { "timeout_ms", "connect_timeout_ms", "low_speed_time_ms", "low_speed_limit",
    "retries", "max_body_bytes", "max_bytes" } do
  M.REQUEST_OPTS[name] = M.NUMBER_OPTS[name]
  M.CALL_OPTS[name] = M.NUMBER_OPTS[name]
end
for _, name in ipairs { "output", "headers", "idempotency_key", "raw", "dry_run" } do
  M.CALL_OPTS[name] = M.REQUEST_OPTS[name]
end

--- Check every key of `given` against `known` (name → check).
function M.options(where, given, known, what)
  for k, v in pairs(given) do
    local fits = known[k]
    if not fits then errors.usage(where, "unknown " .. what .. " '" .. tostring(k) .. "'", k) end
    fits(where, k, v)
  end
end

--- A raw path stays under the configured prefix: no "." or ".." segment
-- (also as %2E, which servers decode before resolving), and no empty one.
function M.path(where, path)
  if type(path) ~= "string" or path:sub(1, 1) ~= "/" or path:find("[%s%c?#]") then
    errors.usage(where, "path must be an absolute API path without query, spaces or control characters", "path")
  end
  if #path > M.MAX_URL then errors.usage(where, "path is longer than " .. M.MAX_URL .. " bytes", "path") end
  if path:find("//", 1, true) then errors.usage(where, "path has an empty segment ('//')", "path") end
  for seg in path:gmatch("[^/]+") do
    local dots = seg:gsub("%%2[Ee]", ".")
    if dots == "." or dots == ".." then
      errors.usage(where, "path has a '" .. seg .. "' segment, which would leave the API prefix", "path")
    end
  end
end

--- How the options of a raw request combine: one body kind at most,
-- `content_type` only with `body`, `max_bytes` only with `output`.
function M.request_spec(where, spec)
  M.options(where, spec, M.REQUEST_OPTS, "request option")
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
  M.download_cap(where, spec)
  M.path(where, spec.path)
end

function M.download_cap(where, opts)
  if opts.max_bytes ~= nil and opts.output == nil then
    errors.usage(where, "max_bytes limits an output download; use max_body_bytes otherwise", "max_bytes")
  end
end

--- Per-call options, before any request (also for each/pages, whose
-- requests start later, inside the iterator).
function M.call_opts(op, where, opts)
  if type(opts) ~= "table" then errors.usage(where, "options must be a table", "opts") end
  M.options(where, opts, M.CALL_OPTS, "option")
  if opts.idempotency_key ~= nil and not op.idempotency then
    errors.usage(where, "this operation does not take an Idempotency-Key", "idempotency_key")
  end
  M.header_lines(opts.headers, where)
  M.download_cap(where, opts)
end

--- Validate and format extra headers: a map or an array of {name, value}.
-- Returns the `"Name: value"` lines.
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

--- Multipart parts reach curl's mime API: names and labels become header
-- text, and a file must be one we can read now rather than a curl failure
-- halfway through the upload. Errors name `param` or else the top field
-- ("attachments").
function M.parts(where, parts, fixed)
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
      local ok, why = core.file_readable(file) -- the same check multi:add makes (src/mime.c)
      if not ok then
        errors.usage(where, "cannot send file '" .. file .. "' for '" .. param .. "': " .. why, param)
      end
    end
  end
end

return M
