--- The client: configuration, the raw `request`, and `call` by operation id.
-- One client owns one `unipile.core` multi handle, so every request it makes
-- shares connections, DNS and TLS sessions. The API key is handed to the
-- C core once, as a default header, and is not kept anywhere in Lua.
--
-- Every request goes the same way, one concern per module:
--
--     call(id, params, opts)       request(spec)
--       params.split  (values)       |
--       check.call_opts              |
--       request.call  ─────┐   ┌──── request.raw      (the request record,
--                          ▼   ▼                        checked once)
--                       Client:send(request)           (the seam: one
--                          │                            place every request
--                          ▼                            passes)
--                   multi:add → pending.wait → response.read
--
-- @module unipile.client

local core = require "unipile.core"
local cjson = require "cjson"
local errors = require "unipile.errors"
local registry = require "unipile.operations"
local pager = require "unipile.pager"
local scheduler = require "unipile.scheduler"
local check = require "unipile.client.check"
local config = require "unipile.client.config"
local params_mod = require "unipile.client.params"
local request_mod = require "unipile.client.request"
local pending_mod = require "unipile.client.pending"
local response_mod = require "unipile.client.response"
local watch = require "unipile.client.watch"
local dry = require "unipile.client.dry"

local M = {}
local Client = {}
Client.__index = function(self, key)
  local method = Client[key]
  if method ~= nil then return method end
  if key == "safe" then                  -- the non-raising view, built on first use
    local view = require("unipile.resources").safe_view(self)
    rawset(self, key, view)
    return view
  end
  -- Resource tables (client.chats, ...) are built on first use.
  if registry.groups[key] then
    local resource = require("unipile.resources").new(self, key)
    rawset(self, key, resource)
    return resource
  end
end
M.Client = Client

M.VERSION = config.VERSION
M.json = request_mod.json
M.null = cjson.null
M.parse_base = config.parse_base
M.user_agent = config.user_agent
M.split_params = params_mod.split
M.header_lines = check.header_lines
M.headers = response_mod.headers
M.caught = pending_mod.caught

--- Make a client. Options: `dsn` (or `base_url`), `api_key`, the timeouts
-- in milliseconds (`timeout_ms`, `connect_timeout_ms`, `low_speed_time_ms`,
-- `low_speed_limit`), `retries`, `backoff_ms`, `backoff_max_ms`,
-- `retry_after_max_ms`, `max_body_bytes` (largest response body kept in
-- memory, default 64 MiB), `verify` (TLS, default true), `ca_file`, `proxy`,
-- `user_agent` (appended), `headers` (extra headers on every request),
-- `seed` (retry jitter). Unknown options are usage errors.
-- `dsn` and `api_key` default to `UNIPILE_DSN` and `UNIPILE_API_KEY`.
function M.new(opts)
  local settings, multi_opts = config.resolve(opts)
  local self = setmetatable(settings, Client)
  self.multi = core.multi(multi_opts)
  watch.setup(self, opts or {})
  return self
end

--- Add a hook: `event` is `request`, `attempt`, `retry` or `error`;
-- `fn(event_table)`. Returns the client. See the README, "Watch and
-- rehearse".
function Client:on(event, fn)
  return watch.on(self, event, fn)
end

function Client:__tostring()
  return "unipile.Client(" .. self.base.url .. ")"
end

--- Wait `ms` milliseconds (a finite number, capped as `unipile.sleep`).
-- Inside `unipile.run` other tasks go on meanwhile; outside, this client's
-- own transfers are driven.
function Client:sleep(ms)
  ms = scheduler.sleep_ms("client:sleep", ms)
  if scheduler.in_task() then return scheduler.sleep(ms) end
  local deadline = core.now() + ms
  while true do
    local left = deadline - core.now()
    if left <= 0 then return end
    -- a closed client has nothing in flight: a plain sleep
    if not rawget(self, "closed") and self.multi:pending() > 0 then self.multi:perform(left) else core.sleep(left) end
  end
end

--- Release the connections now (also done by the garbage collector).
function Client:close()
  if self.multi then
    self.multi:close()
    scheduler.nudge(self.multi, "closed") -- an event driver's runs learn it now, not at their timeout
  end
  self.closed = true
end
Client.__close = Client.close

-- After close every request is a usage error (not "multi is closed" from C).
local function check_open(client, where)
  if rawget(client, "closed") then errors.usage(where, "client is closed") end
end

--- Map an operation path (`/api/v1/...`) onto the configured prefix.
-- @local
function Client:url_for(path)
  return request_mod.url_for(self, path)
end

--- Send a request record (built by `unipile.client.request`) and return
-- the pending request. Every request of the client passes here, once per
-- call or page: the seam where what watches or replaces sending goes.
-- curl gets a first turn at once, so the request is on the wire while the
-- caller goes on.
-- @local
function Client:send(request)
  -- a dry run sends nothing: no pace spent, no journal key claimed
  if request.op and not request.dry_run and (rawget(self, "pacer") or rawget(self, "journal")) then
    return self:send_guarded(request)
  end
  local w = rawget(self, "watch")
  if w then watch.sent(w, request) end
  if request.dry_run then return dry.pending(self, request) end
  local transfer = self.multi:add(request)
  self.multi:perform(0)
  return pending_mod.new(self, request, transfer)
end

-- A call of a paced or journaled operation: the journal first (a done
-- call is replayed, spending no pace), then the pacer (may wait), then
-- the journal's claim just before the request goes out.
-- @local
function Client:send_guarded(request)
  local op, values, where = request.op, request.values, request.operation
  request.op = nil
  local journal = rawget(self, "journal")
  local key, meta
  if journal then
    key, meta = require("unipile.journal").key(op.id, values, request.journal_key)
    if key then
      local replayed = journal:check(key, where, request.resend)
      if replayed then return replayed end
    end
  end
  local pacer, class = rawget(self, "pacer"), require("unipile.pacer").CLASSES[op.id]
  if pacer and class then
    local account = values.path.account_id or (type(values.body) == "table" and values.body.account_id) or values.query.account_id
    pacer:take(account, class, function(ms) self:sleep(ms) end, where)
  end
  if not key then return self:send(request) end
  return journal:around(key, meta, where, function() return self:send(request) end)
end

--- Journaled calls that were sent with no known answer (timeout,
-- connection lost, the process killed): `{ key, state, operation,
-- account, target, created }`. They are not sent again unless a call
-- says `resend = true` (or `client:journal_forget(key)`).
function Client:journal_uncertain()
  if not rawget(self, "journal") then errors.usage("journal_uncertain", "the client has no journal") end
  return self.journal:uncertain()
end

function Client:journal_forget(key)
  if not rawget(self, "journal") then errors.usage("journal_forget", "the client has no journal") end
  self.journal:forget(key)
end

--- The raw escape hatch: `client:request{ method =, path =, query =,
-- json = | multipart = | body =, headers =, output =, timeout_ms =, retries = }`.
-- `path` is an API path (`/api/v1/chats` or `/chats`), mapped onto the
-- configured prefix. Returns `{ status, headers, body }` (body decoded when
-- JSON); raises an error object otherwise.
function Client:request(spec)
  return self:start_request(spec):wait()
end

--- Like `request`, but returns at once with a pending request whose
-- `:wait()` gives the response (inside `unipile.run`, other tasks run
-- while it waits).
function Client:start_request(spec)
  local where = type(spec) == "table" and type(spec.operation) == "string" and spec.operation or "request"
  if type(spec) ~= "table" then errors.usage(where, "request needs a table", "spec") end
  check_open(self, where)
  return self:send(request_mod.raw(self, spec, where))
end

local CALL_SKIP = { max_items = true }        -- pager options, not params
local PAGER_SKIP = { max_items = true, prefetch = true }

--- Run an operation by its `operation_id` with params named as in the
-- operations table; `opts` holds per-call options (`output`, `timeout_ms`,
-- `retries`, `idempotency_key`, `headers`). Returns the decoded body (or the
-- bytes of a binary operation, or the response when streamed to `output`).
function Client:call(operation_id, params, opts)
  return self:start_call(operation_id, params, opts):wait()
end

--- Like `call`, but returns at once with a pending request; its `:wait()`
-- returns what `call` would (or raises).
function Client:start_call(operation_id, params, opts)
  local op, where = params_mod.lookup(operation_id)
  check_open(self, where)
  opts = opts or {}
  check.call_opts(op, where, opts)
  local values = params_mod.split(op, params, where, CALL_SKIP)
  local request = request_mod.call(self, op, where, values, opts)
  if rawget(self, "pacer") or rawget(self, "journal") then   -- what Client:send_guarded needs
    request.op, request.values, request.journal_key, request.resend = op, values, opts.journal_key, opts.resend
  end
  return self:send(request)
end

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

-- Validate a paginated call once, before any request, and return what the
-- pager needs: a function that starts the request for one page (its
-- params: the first params with another cursor), the first params and the
-- pager options. Pages after the first only change the cursor: their
-- values are the first page's, not checked again.
-- @local
function Client:paginate(operation_id, params, opts)
  local op, where = params_mod.lookup(operation_id)
  if not op.paginated then errors.usage(where, "operation is not paginated") end
  check_open(self, where)
  params, opts = params or {}, opts or {}
  if type(params) ~= "table" then errors.usage(where, "params must be a table", "params") end
  check.call_opts(op, where, opts)
  for name in pairs(PAGER_SKIP) do
    if params[name] ~= nil then check.CALL_OPTS[name](where, name, params[name]) end
  end
  local max_items = params.max_items or opts.max_items
  local first = {}
  for k, v in pairs(params) do if not PAGER_SKIP[k] then first[k] = v end end
  if max_items and first.limit == nil and op.max_limit then first.limit = math.min(max_items, op.max_limit) end
  local values = params_mod.split(op, first, where)
  local cursor_place = op.where.cursor or "query"
  local function start(p)
    local page_values = { path = values.path, query = values.query, body = values.body }
    page_values[cursor_place] = copy(values[cursor_place])
    page_values[cursor_place].cursor = p.cursor
    return self:send(request_mod.call(self, op, where, page_values, opts))
  end
  local prefetch = opts.prefetch
  if prefetch == nil then prefetch = params.prefetch end
  local dry_run = opts.dry_run
  if dry_run == nil then dry_run = self.dry_run end
  return start, first, { max_items = max_items, where = where, prefetch = prefetch ~= false, op = op,
    dry_run = dry_run }
end

-- A dry run of a paginated call: one turn, the first page's request.
local function dry_iterator(start, first)
  local record = start(first):wait()
  return function()
    local r = record
    record = nil
    return r
  end
end

--- Page iterator for a paginated operation: yields `page, next_cursor,
-- cursor`. `params.cursor` resumes from a saved cursor; `max_items` (in
-- params or opts) caps the total while `limit` stays the page size. Bad
-- params raise here, before any request. In a dry run it yields once: the
-- first page's request.
function Client:pages(operation_id, params, opts)
  local start, first, info = self:paginate(operation_id, params, opts)
  if info.dry_run then return dry_iterator(start, first) end
  return pager.pages(start, first, info)
end

--- Item iterator for a paginated operation (see `pages`).
function Client:each(operation_id, params, opts)
  local start, first, info = self:paginate(operation_id, params, opts)
  if info.dry_run then return dry_iterator(start, first) end
  return pager.each(start, first, info)
end

return M
