--- HTTP header tables whose lookup ignores case, for the SDK and the
-- sandbox alike (pure Lua: the sandbox runs it inside nginx).
--
--     local map = headers.new { { "Content-Type", "text/plain" }, { "Set-Cookie", "a" }, { "set-cookie", "b" } }
--     map["content-type"], map["Content-Type"]   --> "text/plain", "text/plain"
--     map["set-cookie"]                          --> "a, b"
--     headers.get(ngx.req.get_headers(), "X-Webhook-Secret") --> the first value
--
-- Modelled on lua-resty-http's headers table: names are stored lowercased,
-- a repeated name keeps every value, joined with ", " (RFC 9110 5.3).
-- @module unipile.headers

local M = {}

-- Shared by every map: only string keys are folded.
local Map = {}
Map.__index = function(t, k)
  if type(k) == "string" then return rawget(t, k:lower()) end
end
M.Map = Map

local function add(map, name, value)
  name = name:lower()
  local old = rawget(map, name)
  rawset(map, name, old and (old .. ", " .. value) or value)
end

-- A value as ngx gives it: a string, or an array of them for a repeated header.
local function add_values(map, name, value)
  if type(value) == "table" then
    for _, v in ipairs(value) do add(map, name, v) end
  else
    add(map, name, value)
  end
end

--- A case-insensitive map built from `source`: an array of `{name, value}`
-- pairs (the C core's `result.headers`), a map `{ ["Name"] = value }` whose
-- values may be arrays (`ngx.req.get_headers()`), or nil (an empty map).
-- Pairs come first, in order; a name repeated (in any case) keeps every
-- value, joined with ", ".
function M.new(source)
  local map = setmetatable({}, Map)
  if source == nil then return map end
  for _, pair in ipairs(source) do add(map, pair[1], pair[2]) end
  for name, value in pairs(source) do
    if type(name) == "string" then add_values(map, name, value) end
  end
  return map
end

-- One entry of a headers table as (name, value), or nil when it is not a header.
local function entry(k, v)
  if type(k) == "string" then return k, v end
  if type(k) == "number" and type(v) == "table" then return v[1] or v.name, v[2] or v.value end
end

--- The value of header `name` in any headers table, ignoring case: a map
-- (values may be arrays, as ngx gives repeated headers: the first one is
-- returned), an array of `{name, value}` or `{ name =, value = }`, or a map
-- from `new`. nil when absent or when `t` is not a table.
function M.get(t, name)
  if type(t) ~= "table" or type(name) ~= "string" then return nil end
  local want = name:lower()
  local value = rawget(t, name)
  if value == nil then value = rawget(t, want) end
  if value == nil then
    for k, v in pairs(t) do
      local key, val = entry(k, v)
      if type(key) == "string" and key:lower() == want then value = val break end
    end
  end
  if type(value) == "table" then value = value[1] end
  return value
end

return M
