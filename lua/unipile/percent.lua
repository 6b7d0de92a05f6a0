--- Percent-decoding (RFC 3986), for the SDK and the sandbox alike (pure
-- Lua: the sandbox runs it inside nginx).
-- @module unipile.percent

local M = {}

local function byte_of(hex) return string.char(tonumber(hex, 16)) end

--- `s` with every `%XX` decoded; a "+" stays a "+" (a path segment, unlike
-- `ngx.unescape_uri`), and a "%" not followed by two hex digits stays.
function M.decode(s)
  return (s:gsub("%%(%x%x)", byte_of))
end

--- `s` decoded as a field of an application/x-www-form-urlencoded body,
-- where a "+" is a space.
function M.decode_form(s)
  return M.decode((s:gsub("%+", " ")))
end

return M
