--- Watching a client: hooks (`unipile.new{ hooks = {...} }`,
-- `client:on(event, fn)`) and the debug lines of `UNIPILE_DEBUG` /
-- `debug =`. Events: `request` (at Client:send, before any I/O),
-- `attempt` (one per attempt), `retry` (an attempt the C core retried:
-- reason and delay), `error` (a request that failed, or a hook that
-- raised). Retries happen inside the C core, so `attempt` and `retry`
-- events are made from the transfer's attempt log when the request ends.
-- Events carry method, path, query and operation; the API key is never in
-- a request record, so it cannot reach an event or a debug line.
-- @module unipile.client.watch
-- @local

local cjson = require "cjson"
local errors = require "unipile.errors"

local M = {}

M.EVENTS = { request = true, attempt = true, retry = true, error = true }

--- Fields whose values never appear in debug output (matched ignoring
-- case, in JSON bodies and multipart parts, at any depth).
M.SECRET = {
  password = true, access_token = true, refresh_token = true, premium_token = true,
  imap_password = true, smtp_password = true, code = true, cookie = true, cookies = true,
  ["set-cookie"] = true, api_key = true, ["x-api-key"] = true,
}

M.BODY_MAX = 2048            -- debug level 2: bytes of a body shown

local function check_hooks(where, name, hooks)
  if type(hooks) ~= "table" then errors.usage(where, "'" .. name .. "' must be a table of functions", name) end
  for event, fn in pairs(hooks) do
    if not M.EVENTS[event] then
      errors.usage(where, "unknown hook '" .. tostring(event) .. "' (request, attempt, retry, error)", name)
    end
    if type(fn) ~= "function" then errors.usage(where, "hook '" .. event .. "' must be a function", name) end
  end
end

local function check_debug(where, name, level)
  if level ~= 0 and level ~= 1 and level ~= 2 and type(level) ~= "boolean" then
    errors.usage(where, "'" .. name .. "' must be 0, 1, 2 or a boolean", name)
  end
end

--- The options of `unipile.new` this module adds, with their checks.
M.NEW_OPTS = { hooks = check_hooks, debug = check_debug }

local function debug_level(opts)
  local level = opts.debug
  if level == nil then
    local env = os.getenv("UNIPILE_DEBUG")
    level = (env == nil or env == "") and 0 or tonumber(env) or 1   -- UNIPILE_DEBUG=yes: 1
  end
  if level == true then level = 1 elseif level == false then level = 0 end
  return math.max(0, math.min(2, math.floor(level)))
end

--- Set `client.watch` (nil when nothing watches: the fast path) from the
-- options of `unipile.new`.
function M.setup(client, opts)
  local level = debug_level(opts)
  local hooks = {}
  for event, fn in pairs(opts.hooks or {}) do hooks[event] = { fn } end
  if level == 0 and next(hooks) == nil then return end
  client.watch = { debug = level, hooks = hooks }
end

--- `client:on(event, fn)`: one more hook for `event`.
function M.on(client, event, fn)
  check_hooks("client:on", "event", { [event] = fn })
  local w = rawget(client, "watch")
  if not w then w = { debug = 0, hooks = {} } client.watch = w end
  local list = w.hooks[event] or {}
  list[#list + 1] = fn
  w.hooks[event] = list
  return client
end

-- What every event of a request carries.
local function base(request)
  return { method = request.method, path = request.path, query = request.url and request.url:match("%?(.*)$"),
    operation = request.operation_id or request.operation }
end

local emit

-- A hook that raises does not break the request: its error goes to the
-- `error` hooks, else to stderr (once per client).
local function hook_failed(w, event, err)
  if event ~= "error" and w.hooks.error then
    return emit(w, "error", { hook = event, error = err })
  end
  if not w.reported then
    w.reported = true
    io.stderr:write("unipile: the '", event, "' hook raised: ", tostring(err),
      " (the request goes on; further hook errors are not shown)\n")
  end
end

function emit(w, event, data)
  local list = w.hooks[event]
  if not list then return end
  for i = 1, #list do
    local ok, err = pcall(list[i], data)
    if not ok then hook_failed(w, event, err) end
  end
end

local function with(fields, request)
  local e = base(request)
  for k, v in pairs(fields) do e[k] = v end
  return e
end

-- Secret fields replaced by "***", at any depth.
local function scrub(v)
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do
    if type(k) == "string" and M.SECRET[k:lower()] then out[k] = "***" else out[k] = scrub(x) end
  end
  return out
end
M.scrub = scrub

-- `size`: the body's own length (a re-encoded one differs).
local function truncate(s, size)
  if #s <= M.BODY_MAX then return s end
  return s:sub(1, M.BODY_MAX) .. "... (" .. (size or #s) .. " bytes)"
end

--- A body for debug output: JSON re-encoded with its secrets hidden;
-- anything else shown only if no secret field name is in it.
function M.shown_body(body)
  if body == nil or body == "" then return nil end
  local ok, decoded = pcall(cjson.decode, body)
  if ok and type(decoded) == "table" then return truncate(cjson.encode(scrub(decoded)), #body) end
  if body:find("[%z\1-\8\14-\31\127]") then return "(" .. #body .. " bytes, binary)" end
  local lower = body:lower()
  for name in pairs(M.SECRET) do
    if lower:find(name, 1, true) then return "(" .. #body .. " bytes, not shown: may hold a secret)" end
  end
  return truncate(body)
end

--- Multipart parts for display: names, file names and sizes; values of
-- secret fields hidden.
function M.shown_parts(parts)
  local out = {}
  for i, p in ipairs(parts) do
    local d = { name = p.name, filename = p.filename, content_type = p.type }
    if p.file then
      d.file, d.filename = p.file, p.filename or p.file:match("[^/]+$")
      local f = io.open(p.file, "rb")
      if f then d.size = f:seek("end") f:close() end
    elseif p.filename then
      d.size = #p.data
    elseif M.SECRET[tostring(p.name):lower()] then
      d.value = "***"
    else
      d.value = p.data
    end
    out[i] = d
  end
  return out
end

local function target(request)
  local q = request.url and request.url:match("%?.*$") or ""
  return request.method .. " " .. tostring(request.path) .. q
end

local function request_body_line(request)
  if request.parts then
    local names = {}
    for _, p in ipairs(M.shown_parts(request.parts)) do
      names[#names + 1] = p.filename and (p.name .. "=" .. p.filename .. " (" .. tostring(p.size) .. " B)")
        or (p.name .. "=" .. tostring(p.value))
    end
    return "multipart " .. table.concat(names, ", ")
  end
  return M.shown_body(request.body)
end

--- At Client:send: the `request` event (before any I/O).
function M.sent(w, request)
  if w.debug >= 2 then
    local b = request_body_line(request)
    if b then io.stderr:write("unipile: > ", target(request), " ", b, "\n") end
  end
  emit(w, "request", with({ dry_run = request.dry_run or nil }, request))
end

local REASONS = { timeout = "timeout", not_sent = "not sent", connection_lost = "connection lost" }

local function attempt_event(request, entry, last)
  return with({ attempt = entry.attempt, status = entry.status, curl_code = entry.curl_code,
    ms = math.floor(entry.total_time * 1000 + 0.5), bytes = entry.bytes, retry_after = entry.retry_after,
    rate_limit = entry.rate_limit, final = last or nil }, request)
end

local function debug_line(e)
  local status = e.status ~= 0 and tostring(e.status) or ("curl error " .. e.curl_code)
  io.stderr:write(string.format("unipile: %s%s %s %d ms %d B attempt %d\n", e.method, " " .. tostring(e.path)
    .. (e.query and ("?" .. e.query) or ""), status, e.ms, e.bytes, e.attempt))
end

--- When a request has ended: one `attempt` event per logged attempt, a
-- `retry` event after each retried one, `error` if it failed; debug lines.
function M.ended(w, request, result, err)
  local log = result.attempt_log or {}
  for i, entry in ipairs(log) do
    local e = attempt_event(request, entry, i == #log)
    if w.debug >= 1 then debug_line(e) end
    emit(w, "attempt", e)
    if entry.delay_ms then
      local reason = entry.reason == "status" and ("HTTP " .. entry.status) or REASONS[entry.reason] or entry.reason
      emit(w, "retry", with({ attempt = entry.attempt, status = entry.status, reason = reason,
        delay_ms = entry.delay_ms, delay_from = entry.retry_after and "retry_after" or "backoff" }, request))
    end
  end
  if w.debug >= 2 then
    local b = M.shown_body(result.body)
    if b then io.stderr:write("unipile: < ", target(request), " ", b, "\n") end
  end
  if err then emit(w, "error", with({ error = err }, request)) end
end

return M
