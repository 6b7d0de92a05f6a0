--- Error objects.
-- Every failure the SDK raises is one of these, thrown with `error()`. Catch
-- them without `pcall` (which PUC Lua 5.1 cannot yield across inside
-- `unipile.run`) through `client.safe` or a pending request's `:result()`,
-- both returning `nil, err`; then look at `err.kind`:
--
-- * `usage`: bad input, found before any I/O (operation, param named);
-- * `network`: no usable HTTP response (refused, reset, cut mid-body);
-- * `timeout`: connect or total time limit hit (`err.phase`);
-- * `http`: the server answered anything but a 2xx (`status`, `type`, `title`,
--   `detail`; `location` for a 3xx, which is never followed);
-- * `decode`: a 2xx answer we could not read (bad JSON, a page without its
--   list, repeated cursor);
-- * `limit`: an answer over one of the caller's caps (`err.limit` names
--   the option: `max_body_bytes`, `max_bytes`, `headers`; `err.cap` its value);
-- * `pace`: the pacer (`unipile.pacer`, `on_limit = "error"`) holds an
--   action back (`class`, `account`, `allowed_at`: wall time in seconds);
-- * `journal`: the journal refuses to send again a call whose answer was
--   lost (`key`, `state`; `resend = true` sends it anyway);
-- * `store`: the pacer's or the journal's store failed (SQLite, Redis).
--
-- Every error also says what a caller can do about it: `err.action` is
-- one of
--
-- * `retry`: try the same call again (network, timeout, 5xx);
-- * `wait`: try again later (429, `limit_exceeded`, provider throttling;
--   `err.retry_after` when the server said how long);
-- * `skip`: this recipient or item cannot be done, go on with the next
--   (`already_invited_recently`, `invalid_recipient`, 404, ...);
-- * `stop`: the account cannot go on (`disconnected_account`,
--   `account_restricted`, `invalid_credentials`, ...);
-- * `fix`: the call is wrong (usage, 400s, a cap of the caller's);
--
-- and `err.retryable` is true for `retry` and `wait`. An `http` error takes
-- its action from its `type` (api/error-types.tsv, every type of the API),
-- else from its status; the other kinds from their kind.
--
-- Errors carry the method and path, never the API key, and `tostring(err)`
-- gives one readable line. `err.at` is the caller's place ("script.lua:12"):
-- the innermost stack frame outside the SDK's own files when the error was
-- made, so that an uncaught error names the line that made the call even
-- where the interpreter prints no traceback for error objects (Lua 5.2+).
-- @module unipile.errors

local TYPES = require "unipile.error_types"

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
  if self.at then line = line .. " at " .. self.at end
  return line
end

-- The directory of the SDK's files as stack frames name it ("lua/unipile/"
-- from a checkout, ".../share/lua/5.4/unipile/" once installed): every
-- module of the SDK is loaded from the same place as this one.
local OWN = debug.getinfo(1, "S").source:match("^@(.*[/\\])[^/\\]+$")

local function own(source)
  return source:sub(1, 1) == "@" and source:sub(2, #OWN + 1) == OWN
end

-- "file:line" of the innermost Lua frame outside the SDK, or nil (none, or
-- the SDK was not loaded from files).
local function caller()
  if not OWN then return nil end
  local level = 3
  while true do
    local info = debug.getinfo(level, "Sl")
    if not info then return nil end
    if info.what ~= "C" and info.currentline > 0 and not own(info.source) then
      local file = info.source:sub(1, 1) == "@" and info.source:sub(2) or info.short_src
      return file .. ":" .. info.currentline
    end
    level = level + 1
  end
end

-- The action of an error by its kind, when no type or status says more.
-- A `decode` error is a 2xx we could not read (cut, damaged): the same
-- call may read well; a `limit` is the caller's own cap, hit again.
-- (Public for the reference, tools/gen_docs.lua: not to be changed.)
M.KIND_ACTIONS = { usage = "fix", network = "retry", timeout = "retry", decode = "retry", limit = "fix" }

-- The action of an `http` error whose type the table does not know, by
-- status: these statuses, else retry for a 5xx and fix for the rest.
M.STATUS_ACTIONS = { [401] = "stop", [403] = "stop", [404] = "skip", [408] = "retry", [409] = "skip",
  [422] = "skip", [425] = "wait", [429] = "wait" }

local RETRYABLE = { retry = true, wait = true }

--- What a caller can do about an error made of `fields`: "retry", "wait",
-- "skip", "stop" or "fix" (see the module's description).
function M.action_of(fields)
  if fields.kind == "http" then
    local known = type(fields.type) == "string" and TYPES[fields.type]
    if known then return known[1] end
    local status = tonumber(fields.status) or 0
    if M.STATUS_ACTIONS[status] then return M.STATUS_ACTIONS[status] end
    if status >= 500 then return "retry" end
  end
  return M.KIND_ACTIONS[fields.kind] or "fix"
end

--- Make an error object. `fields.kind` is required; `fields.at` is filled
-- with the caller's place when not given; `action` and `retryable` with
-- what the error means (`action_of`) when not given.
function M.new(fields)
  assert(fields.kind, "error kind required")
  fields.at = fields.at or caller()
  fields.action = fields.action or M.action_of(fields)
  if fields.retryable == nil then fields.retryable = RETRYABLE[fields.action] == true end
  return setmetatable(fields, Error)
end

--- Raise `err` (error() at level 0). An SDK error made where no frame
-- outside the SDK was on the stack (in a prefetching coroutine) gets the
-- place of the caller it is raised to.
function M.raise(err)
  if getmetatable(err) == Error and not err.at then err.at = caller() end
  error(err, 0)
end

--- True when `v` is an SDK error (optionally of the given kind).
function M.is(v, kind)
  return getmetatable(v) == Error and (kind == nil or v.kind == kind)
end

--- Raise a usage error: `where` names the operation or function, `message`
-- says what is wrong with which parameter.
-- @local
function M.usage(where, message, param)
  error(M.new { kind = "usage", operation = where, message = message, param = param }, 0)
end

-- Only this much of a body that is not the envelope is looked at: enough
-- for a proxy's error page, and every scan below stays linear in it.
local SCAN_BYTES = 4096

-- Drop the elements whose text is code, not message: `<script>...</script>`.
-- Plain find calls, each resuming where the last stopped: linear time.
local function drop_element(text, lower, name)
  local out, pos = {}, 1
  while true do
    local open = lower:find("<" .. name, pos, true)
    if not open then break end
    out[#out + 1] = text:sub(pos, open - 1)
    local _, close = lower:find("</" .. name .. ">", open, true)
    if not close then pos = #text + 1 break end
    pos = close + 1
  end
  out[#out + 1] = text:sub(pos)
  return table.concat(out, " ")
end

--- A short, single-line, printable excerpt of a body that is not the JSON
-- error envelope (an HTML 502 page, a proxy message...).
-- @local
function M.snippet(body, max)
  if type(body) ~= "string" or body == "" then return nil end
  max = max or 200
  local text = body:sub(1, SCAN_BYTES)
  text = drop_element(text, text:lower(), "script")
  text = drop_element(text, text:lower(), "style")
  text = text:gsub("<[^<>]*>", " "):gsub("[<>]", " ")
             :gsub("[%c%s]+", " ")
             :gsub("^ ", ""):gsub(" $", "")
  if #text > max then text = text:sub(1, max) .. "..." end
  return text
end

--- The `<title>` of an HTML body, looked for in its first bytes only.
-- @local
function M.html_title(body)
  if type(body) ~= "string" then return nil end
  local head = body:sub(1, SCAN_BYTES)
  local _, open = head:lower():find("<title>", 1, true)
  if not open then return nil end
  local close = head:find("</", open + 1, true)
  if not close then return nil end
  local title = head:sub(open + 1, close - 1):gsub("[%c%s]+", " "):gsub("^ ", ""):gsub(" $", "")
  if title == "" then return nil end
  return title
end

return M
