--- JSON for the sandbox.
-- Decoding goes through lua-cjson. Encoding is our own because Debian's
-- cjson 2.1.0 has no way to write an empty array (`[]` would come out as
-- `{}`), and because sorted keys make answers byte-for-byte reproducible.
-- Tables marked with `array()` (or non-empty sequences) are arrays, other
-- tables are objects; `null` (cjson.null) is JSON null. Strings are written
-- byte for byte (binary data stays binary; only `"`, `\` and control
-- characters are escaped).
-- @module unipile.sandbox.json

local cjson = require "cjson"

local M = {}
M.null = cjson.null

local ARRAY = { __jsontype = "array" }

--- Mark `t` (default: a new table) as a JSON array, even when empty.
function M.array(t) return setmetatable(t or {}, ARRAY) end

function M.is_array(t)
  if getmetatable(t) == ARRAY then return true end
  local n = #t
  if n == 0 then return false end
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  return count == n
end

local ESC = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return ESC[c] or string.format("\\u%04x", c:byte())
  end) .. '"'
end

local function number(x)
  if x ~= x or x == math.huge or x == -math.huge then return "null" end
  if x == math.floor(x) and math.abs(x) < 2 ^ 53 then return string.format("%d", x) end
  return string.format("%.16g", x)
end

local encode_into

local function encode_table(t, out)
  if M.is_array(t) then
    out[#out + 1] = "["
    for i = 1, #t do
      if i > 1 then out[#out + 1] = "," end
      encode_into(t[i], out)
    end
    out[#out + 1] = "]"
    return
  end
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  out[#out + 1] = "{"
  for i, k in ipairs(keys) do
    if i > 1 then out[#out + 1] = "," end
    local v = t[k]
    if v == nil then v = t[tonumber(k)] end
    out[#out + 1] = quote(k) .. ":"
    encode_into(v, out)
  end
  out[#out + 1] = "}"
end

function encode_into(v, out)
  local tv = type(v)
  if tv == "string" then out[#out + 1] = quote(v)
  elseif tv == "number" then out[#out + 1] = number(v)
  elseif tv == "boolean" then out[#out + 1] = tostring(v)
  elseif tv == "table" then encode_table(v, out)
  else out[#out + 1] = "null" end -- nil, cjson.null, functions
end

function M.encode(v)
  local out = {}
  encode_into(v, out)
  return table.concat(out)
end

--- Decode a JSON text; returns value or nil, message.
function M.decode(s)
  local ok, v = pcall(cjson.decode, s)
  if ok then return v end
  return nil, tostring(v)
end

return M
