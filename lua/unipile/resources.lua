--- Resource tables (`client.chats`, `client.emails`, ...), built from the
-- operations table: every row of a group becomes a method named by its
-- `name` column; every paginated `list` / `list_<things>` row also gets
-- `each` / `each_<things>` (items) and `pages` / `pages_<things>`.
--
-- `client.safe` is the same client in non-raising form, in the spirit of
-- `cjson.safe`: `client.safe:call(id, params, opts)`,
-- `client.safe:request{...}`, `client.safe.chats:get{...}` and the
-- helpers (`client.safe.accounts:connect`, its checkpoints,
-- `client.safe.hosted:link`) return the value, or `nil, err` with the error
-- object, usage errors included; test `err`, not the value (an empty 2xx
-- body is a nil value). It works inside `unipile.run` on every runtime:
-- the request is validated and started under pcall (nothing yields there),
-- then waited for with `pending:result()`, no pcall around the yield.
-- Iterators (`each`, `pages`) raise in the safe view too: a `for` loop
-- cannot hand back an error, and one that stopped early would look like the
-- end of the list. The other client methods (`sleep`, `close`, ...) are the
-- client's.
-- @module unipile.resources

local registry = require "unipile.operations"
local errors = require "unipile.errors"

local M = {}

local Resource = {}
Resource.__index = Resource
M.Resource = Resource

function Resource:__tostring()
  return "unipile.resource(" .. self.group .. (self.safe and ", safe" or "") .. ")"
end

--- The non-raising twin of a resource (itself when it is one).
function Resource:non_raising()
  return self.client.safe[self.group]
end

--- Hand back what a non-raising implementation returned, in the form
-- `owner` promises: a safe resource (or an object made from one) returns
-- `nil, err` as is, a raising one raises `err`.
function M.deliver(owner, value, err, ...)
  if value == nil and errors.is(err) and not owner.safe then errors.raise(err) end
  return value, err, ...
end

--- A usage error object, returned rather than raised (`errors.usage` raises).
function M.usage_error(where, message, param)
  return errors.new { kind = "usage", operation = where, message = message, param = param }
end

local function bind(op)
  return function(self, params, opts) return self.client:call(op.id, params, opts) end
end

-- Helpers written by hand on top of the generated methods. Each is written
-- non-raising (value or `nil, err`); `deliver` raises for raising resources.
M.EXTENSIONS = {
  accounts = { connect = "unipile.helpers.accounts" },
  hosted = { link = "unipile.helpers.hosted" },
}

local function bind_iter(op, kind)
  return function(self, params, opts) return self.client[kind](self.client, op.id, params, opts) end
end

--- The iterator method names of a paginated operation, or nil.
function M.iterator_names(op)
  if not op.paginated then return nil end
  if op.name == "list" then return "each", "pages" end
  local things = op.name:match("^list_(.+)$")
  if things then return "each_" .. things, "pages_" .. things end
  return "each_" .. op.name, "pages_" .. op.name
end

--- The resource of `group` over `client` (a client or its safe view; `safe`
-- says which).
function M.new(client, group, safe)
  local resource = setmetatable({ client = client, group = group, safe = safe == true }, Resource)
  for name, op in pairs(registry.groups[group]) do
    resource[name] = bind(op)
    local each, pages = M.iterator_names(op)
    if each then
      resource[each] = bind_iter(op, "each")
      resource[pages] = bind_iter(op, "pages")
    end
  end
  for name, module in pairs(M.EXTENSIONS[group] or {}) do
    resource[name] = function(self, ...) return M.deliver(self, require(module)[name](self, ...)) end
  end
  return resource
end

-- The safe view: `call` and `request` of its own, resources built over the
-- view (so their methods reach those two), the rest of the client bound.
local Safe = {}
M.Safe = Safe

-- Start under pcall (validation, no yield), then wait without raising.
local function safely(client, start, ...)
  local caught = require("unipile.client").caught
  local pending, err = caught(pcall(start, client, ...))
  if not pending then return nil, err end
  return pending:result()
end

function Safe:call(operation_id, params, opts)
  return safely(self.client, self.client.start_call, operation_id, params, opts)
end

function Safe:request(spec)
  return safely(self.client, self.client.start_request, spec)
end

function Safe:__index(key)
  local own = Safe[key]
  if own ~= nil then return own end
  local client = rawget(self, "client")
  local v = client[key]
  if getmetatable(v) == Resource then
    local twin = M.new(self, v.group, true)
    rawset(self, key, twin)
    return twin
  elseif type(v) == "function" then
    local bound = function(_, ...) return v(client, ...) end
    rawset(self, key, bound)
    return bound
  end
  return v
end

function Safe:__tostring()
  return tostring(self.client) .. ".safe"
end

--- The non-raising view of `client` (what `client.safe` gives).
function M.safe_view(client)
  local view = setmetatable({ client = client }, Safe)
  view.safe = view
  return view
end

return M
