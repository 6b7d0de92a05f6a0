--- Resource tables (`client.chats`, `client.emails`, ...), built from the
-- operations table: every row of a group becomes a method named by its
-- `name` column; every paginated `list` / `list_<things>` row also gets
-- `each` / `each_<things>` (items) and `pages` / `pages_<things>`.
-- @module unipile.resources

local registry = require "unipile.registry"

local M = {}

local Resource = {}
Resource.__index = Resource

function Resource:__tostring()
  return "unipile.resource(" .. self.group .. ")"
end

local function bind(op)
  return function(self, params, opts) return self.client:call(op.id, params, opts) end
end

-- Helpers written by hand on top of the generated methods.
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

function M.new(client, group)
  local resource = setmetatable({ client = client, group = group }, Resource)
  for name, op in pairs(registry.groups[group]) do
    resource[name] = bind(op)
    local each, pages = M.iterator_names(op)
    if each then
      resource[each] = bind_iter(op, "each")
      resource[pages] = bind_iter(op, "pages")
    end
  end
  for name, module in pairs(M.EXTENSIONS[group] or {}) do
    resource[name] = function(self, ...) return require(module)[name](self, ...) end
  end
  return resource
end

return M
