--- A small multipart/form-data parser (RFC 7578), enough for what HTTP
-- clients send: parts keep their order, repeated names stay repeated and
-- names like `linkedin[inmail]` are kept as is. Pure Lua.
-- @module unipile.sandbox.multipart

local M = {}

--- The boundary of a `multipart/form-data` content type, or nil.
function M.boundary(content_type)
  if type(content_type) ~= "string" then return nil end
  if not content_type:lower():find("^%s*multipart/form%-data") then return nil end
  local b = content_type:match('[Bb][Oo][Uu][Nn][Dd][Aa][Rr][Yy]="([^"]+)"')
    or content_type:match("[Bb][Oo][Uu][Nn][Dd][Aa][Rr][Yy]=([^;%s]+)")
  return b
end

-- A parameter of Content-Disposition: a quoted string (with \" escapes,
-- scanned so that ";" or quotes inside it do not end it) or a bare token.
local function param(disposition, key)
  local _, e = disposition:find(";%s*" .. key .. "%s*=%s*")
  if not e then return nil end
  if disposition:sub(e + 1, e + 1) ~= '"' then return disposition:match("^[^;%s]+", e + 1) end
  local out, i = {}, e + 2
  while i <= #disposition do
    local c = disposition:sub(i, i)
    if c == '"' then return table.concat(out) end
    if c == "\\" then i = i + 1; c = disposition:sub(i, i) end
    out[#out + 1] = c
    i = i + 1
  end
  return table.concat(out) -- unterminated: take the rest
end

local function parse_headers(block)
  local h = {}
  for line in (block .. "\r\n"):gmatch("(.-)\r\n") do
    local k, v = line:match("^([^:]+):%s*(.-)%s*$")
    if k then h[k:lower()] = v end
  end
  return h
end

--- Parse `body` with `boundary`. Returns an array of parts
-- `{ name, filename, content_type, data, size, headers }`, or nil, message.
function M.parse(body, boundary)
  local delim = "--" .. boundary
  local pos = body:find(delim, 1, true)
  if not pos then return nil, "multipart boundary not found" end
  local parts = {}
  pos = pos + #delim
  while true do
    if body:sub(pos, pos + 1) == "--" then return parts end -- closing delimiter
    local eol = body:find("\r\n", pos, true)
    if not eol then return nil, "multipart body ends inside a delimiter line" end
    local head_end = body:find("\r\n\r\n", eol, true)
    local headers
    if body:sub(eol, eol + 3) == "\r\n\r\n" then -- part without headers
      headers, head_end = {}, eol
    elseif head_end then
      headers = parse_headers(body:sub(eol + 2, head_end - 1))
    else
      return nil, "multipart part headers not terminated"
    end
    local data_start = head_end + 4
    local next_delim = body:find("\r\n" .. delim, data_start, true)
    if not next_delim then return nil, "multipart closing delimiter missing" end
    local data = body:sub(data_start, next_delim - 1)
    local disp = headers["content-disposition"] or ""
    local filename = param(disp, "filename")
    parts[#parts + 1] = {
      name = param(disp, "name"),
      filename = filename,
      content_type = headers["content-type"] or (filename and "application/octet-stream" or "text/plain"),
      data = data,
      size = #data,
      headers = headers,
    }
    pos = next_delim + 2 + #delim
  end
end

return M
