--- Request encoding: path segments, query strings, multipart parts.
-- Scalars become text the same way everywhere: booleans `true`/`false`,
-- integral numbers without a decimal point. Arrays become repeated keys,
-- nested tables bracket keys (`linkedin[inmail]`). The percent-encoding
-- itself is `unipile.core.escape` (C, RFC 3986 unreserved set).
-- @module unipile.encode

local core = require "unipile.core"
local operations = require "unipile.operations"

local escape = core.escape
local M = {}

local function is_array(t)
  local n = #t
  if n == 0 then return next(t) == nil end
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  return count == n
end
M.is_array = is_array

--- Text form of a scalar, or nil and a reason.
function M.scalar(v)
  local tv = type(v)
  if tv == "string" then return v end
  if tv == "boolean" then return v and "true" or "false" end
  if tv == "number" then
    if v ~= v or v == math.huge or v == -math.huge then return nil, "a finite number" end
    if v == math.floor(v) and v >= -2^53 and v <= 2^53 then return string.format("%d", v) end
    return string.format("%.17g", v)
  end
  return nil, "a string, number or boolean"
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do
    if type(k) ~= "string" then return nil, k end
    keys[#keys + 1] = k
  end
  table.sort(keys)
  return keys
end
M.sorted_keys = sorted_keys

-- Deeper nesting is a mistake (or a cycle), not a request.
local MAX_DEPTH = 32

-- Walk a value into (name, scalar) pairs: arrays repeat the name, maps
-- nest with brackets. `leaf(name, v)` may claim a value (file parts) first.
-- Errors are nil, a message.
local function flatten(name, v, emit, leaf, depth)
  if leaf and leaf(name, v) then return true end
  if type(v) == "table" then
    depth = (depth or 0) + 1
    if depth > MAX_DEPTH then return nil, "'" .. name .. "' is nested more than " .. MAX_DEPTH .. " levels deep" end
    if is_array(v) then
      for _, item in ipairs(v) do
        local ok, err = flatten(name, item, emit, leaf, depth)
        if not ok then return nil, err end
      end
    else
      local keys, bad = sorted_keys(v)
      if not keys then return nil, "key " .. tostring(bad) .. " of '" .. name .. "' is not a string" end
      for _, k in ipairs(keys) do
        local ok, err = flatten(name .. "[" .. k .. "]", v[k], emit, leaf, depth)
        if not ok then return nil, err end
      end
    end
    return true
  end
  local text, want = M.scalar(v)
  if not text then return nil, "'" .. name .. "' must be " .. want .. ", got " .. type(v) end
  emit(name, text)
  return true
end

--- Encode a table of query params; returns the string (no leading "?") or
-- nil, an error message and the top-level name at fault. Keys are sorted
-- so URLs are reproducible.
function M.query(params)
  local keys, bad = sorted_keys(params)
  if not keys then return nil, "query key " .. tostring(bad) .. " is not a string", bad end
  local out = {}
  local function emit(name, text) out[#out + 1] = escape(name) .. "=" .. escape(text) end
  for _, k in ipairs(keys) do
    local ok, err = flatten(k, params[k], emit)
    if not ok then return nil, err, k end
  end
  return table.concat(out, "&")
end

-- One path segment. A segment made only of dots ("." or "..") is a dot
-- segment to curl, proxies and servers, which remove it (RFC 3986 5.2.4)
-- and so send the call to another operation: its dots go percent-encoded.
local function segment(v)
  local text = escape(assert(M.scalar(v)))
  if text:find("^%.+$") then return (text:gsub("%.", "%%2E")) end
  return text
end
M.segment = segment

--- Fill `{name}` placeholders of an operation path, each value as one
-- percent-encoded segment.
function M.path(template, values)
  return (template:gsub("{([^}]+)}", function(name) return segment(values[name]) end))
end

local function file_part(name, v)
  if type(v) ~= "table" then return nil end
  if v.path or v.file then
    return { name = name, file = v.path or v.file, filename = v.filename, type = v.content_type }
  end
  if v.content ~= nil then
    if type(v.content) ~= "string" then return false, "'" .. name .. "' content must be a string" end
    return { name = name, data = v.content, filename = v.filename or "file", type = v.content_type }
  end
end

--- Multipart parts for curl's mime API from a flat field table; returns an
-- array of `{name, data|file, filename, type}` or nil, a message and the
-- top-level field at fault.
-- `json_fields` (set) names fields sent as JSON text (email address lists);
-- `file_fields` (set, the operation's) names fields whose string values are
-- file paths; without it (a raw request), the file fields of any operation.
-- A table with `path`/`file` or `content` is a file in any field.
function M.multipart(fields, json_fields, json_encode, file_fields)
  file_fields = file_fields or operations.file_fields
  local parts, failure = {}, nil
  local function emit(name, text) parts[#parts + 1] = { name = name, data = text } end
  local function leaf(name, v)
    local top = name:match("^[^%[]+")
    if json_fields and json_fields[top] and name == top then
      local ok, text = true, v
      if type(v) ~= "string" then ok, text = pcall(json_encode, v) end
      if not ok then failure = failure or ("'" .. name .. "' cannot be encoded as JSON: " .. tostring(text)) return true end
      parts[#parts + 1] = { name = name, data = text }
      return true
    end
    local part, err = file_part(name, v)
    if part == false then failure = failure or err return true end
    if part then parts[#parts + 1] = part return true end
    if type(v) == "string" and file_fields[top] then
      parts[#parts + 1] = { name = name, file = v }
      return true
    end
  end
  local keys, bad = sorted_keys(fields)
  if not keys then return nil, "field " .. tostring(bad) .. " is not a string", bad end
  for _, k in ipairs(keys) do
    local ok, err = flatten(k, fields[k], emit, leaf)
    if not ok then return nil, err, k end
    if failure then return nil, failure, k end
  end
  return parts
end

return M
