--- Error objects.
-- Every failure the SDK raises is one of these, thrown with `error()`; use
-- `pcall` and look at `err.kind`:
--
-- * `usage`: bad input, found before any I/O (operation, param named);
-- * `network`: no usable HTTP response (refused, reset, cut mid-body);
-- * `timeout`: connect or total time limit hit (`err.phase`);
-- * `http`: the server answered 4xx/5xx (`status`, `type`, `title`, `detail`);
-- * `decode`: a 2xx answer we could not read (bad JSON, repeated cursor).
--
-- Errors carry the method and path, never the API key, and `tostring(err)`
-- gives one readable line.
-- @module unipile.errors

local M = {}

local Error = {}
Error.__index = Error
M.Error = Error

local function plural(n, word)
  return n .. " " .. word .. (n == 1 and "" or "s")
end

function Error:__tostring()
  local parts = { "unipile " .. self.kind .. " error" }
  if self.status and self.status > 0 then parts[#parts + 1] = tostring(self.status) end
  if self.type then parts[#parts + 1] = self.type end
  local text = self.title or self.message
  if self.detail and self.detail ~= text then
    text = text and (text .. ": " .. self.detail) or self.detail
  end
  local line = table.concat(parts, " ")
  if text then line = line .. ": " .. text end
  local where = {}
  if self.operation then where[#where + 1] = self.operation end
  if self.method and self.path then where[#where + 1] = self.method .. " " .. self.path end
  if self.attempts then where[#where + 1] = "after " .. plural(self.attempts, "attempt") end
  if #where > 0 then line = line .. " (" .. table.concat(where, ", ") .. ")" end
  return line
end

--- Make an error object. `fields.kind` is required.
function M.new(fields)
  assert(fields.kind, "error kind required")
  return setmetatable(fields, Error)
end

--- True when `v` is an SDK error (optionally of the given kind).
function M.is(v, kind)
  return getmetatable(v) == Error and (kind == nil or v.kind == kind)
end

--- Raise a usage error: `where` names the operation or function, `message`
-- says what is wrong with which parameter.
function M.usage(where, message, param)
  error(M.new { kind = "usage", operation = where, message = message, param = param }, 0)
end

--- A short, single-line, printable excerpt of a body that is not the JSON
-- error envelope (an HTML 502 page, a proxy message...).
function M.snippet(body, max)
  if type(body) ~= "string" or body == "" then return nil end
  max = max or 200
  local text = body:sub(1, 4096)
  text = text:gsub("<[Ss][Cc][Rr][Ii][Pp][Tt].-</[Ss][Cc][Rr][Ii][Pp][Tt]>", " ")
             :gsub("<[Ss][Tt][Yy][Ll][Ee].-</[Ss][Tt][Yy][Ll][Ee]>", " ")
             :gsub("<[^>]*>", " ")
             :gsub("[%c%s]+", " ")
             :gsub("^ ", ""):gsub(" $", "")
  if #text > max then text = text:sub(1, max) .. "..." end
  return text
end

return M
