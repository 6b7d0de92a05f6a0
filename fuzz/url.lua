-- The check of fuzz/url.c: nil, or what is wrong with core.escape and
-- core.parse_url on the input.
local core = ...

local function unescape(s)
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

local function check_escape(s)
  local e = core.escape(s)
  if type(e) ~= "string" then return "escape returned a " .. type(e) end
  -- only RFC 3986 unreserved characters and %XX are left
  if e:gsub("%%[0-9A-F][0-9A-F]", ""):find("[^A-Za-z0-9%-._~]") then return "escape kept a reserved byte: " .. e end
  if unescape(e) ~= s then return "unescaping escape's output does not give the input back" end
end

local function check_parse_url(s)
  local ok, u, err = pcall(core.parse_url, s)
  if not ok then return "parse_url raised: " .. tostring(u) end
  if u == nil then return type(err) ~= "string" and "parse_url: nil without a message" or nil end
  if type(u) ~= "table" or (u.scheme ~= "http" and u.scheme ~= "https") then return "parse_url: no http(s) scheme" end
  if type(u.host) ~= "string" or type(u.path) ~= "string" then return "parse_url: host or path missing" end
  if u.path:sub(-1) == "/" then return "parse_url: path ends with /: " .. u.path end
  if u.port ~= nil and (math.type(u.port) ~= "integer" or u.port < 0 or u.port > 65535) then
    return "parse_url: port out of range: " .. tostring(u.port)
  end
  if u.query ~= nil and type(u.query) ~= "string" then return "parse_url: query is a " .. type(u.query) end
end

return function(s) return check_escape(s) or check_parse_url(s) end
