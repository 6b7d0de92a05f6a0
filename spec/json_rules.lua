-- How core.json_decode is compared with lua-cjson's decode, shared by
-- spec/json_spec.lua and the fuzzer (fuzz/json_decode.lua).
local cjson = require "cjson"

local M = {}

--- Deep equality; numbers compare as floats (cjson returns 1.0 where we may
-- return 1), zeros by sign too, NaN equals NaN.  (`* 1.0`, not `+ 0.0`:
-- -0.0 + 0.0 is +0.0, which would hide a lost sign.)
function M.same(a, b)
  if type(a) ~= type(b) then return false end
  if type(a) == "number" then
    local x, y = a * 1.0, b * 1.0
    if x ~= x then return y ~= y end
    return x == y and (x ~= 0 or 1 / x == 1 / y)
  end
  if type(a) ~= "table" then return a == b end
  for k, v in pairs(a) do if not M.same(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

-- RFC 8259's number grammar.
local function is_json_number(s)
  local int, rest = s:match("^%-?(%d+)(.*)$")
  if not int or (#int > 1 and int:sub(1, 1) == "0") then return false end
  rest = rest:gsub("^%.%d+", "", 1)
  rest = rest:gsub("^[eE][+-]?%d+", "", 1)
  return rest == ""
end

--- Is `err`, our error for `text`, about a number that is not JSON but that
-- cjson takes ("+1", "01", "1.", "0x10", "inf", "-nan", ...)?  The only
-- documents we reject on purpose while cjson accepts them.
function M.lax_number(text, err)
  local at = tonumber(err:match("at character (%d+)$"))
  if not at or not (err:find("invalid number", 1, true) or err:find("invalid token", 1, true)
      or err:find("T_NUMBER", 1, true)) then
    return false
  end
  -- the run of number-like bytes around the position
  local first, last = at, at - 1
  while first > 1 and text:sub(first - 1, first - 1):match("[%w+%-.]") do first = first - 1 end
  while text:sub(last + 1, last + 1):match("[%w+%-.]") do last = last + 1 end
  local token = text:sub(first, last)
  local ok, v = pcall(cjson.decode, token)
  return token ~= "" and not is_json_number(token) and ok and type(v) == "number"
end

--- nil when `text` is decoded as cjson decodes it, or why not.
-- `decode` is core.json_decode.  With a NUL byte nothing is compared:
-- cjson stops there, we read on.
function M.compare(decode, text)
  local ok, got = pcall(decode, text)
  if not ok and type(got) ~= "string" then return "json_decode raised a " .. type(got) end
  if text:find("\0", 1, true) then return nil end
  local cok, want = pcall(cjson.decode, text)
  if ok and not cok then return "cjson rejects what json_decode accepts: " .. tostring(want) end
  if ok and not M.same(want, got) then return "json_decode and cjson read different values" end
  if not ok and cok and not M.lax_number(text, got) then
    return "json_decode rejects what cjson accepts: " .. got
  end
  return nil
end

return M
