--- Operation params: find an operation and sort the caller's one flat
-- params table into its path, query and body values (the `values` of a
-- call), checking names, required params, path values, the URL bound and
-- `limit`.
-- @module unipile.client.params
-- @local

local errors = require "unipile.errors"
local encode = require "unipile.encode"
local operations = require "unipile.operations"
local check = require "unipile.client.check"

local M = {}

--- The operation and the name errors give it ("chats:list (ChatsController_listAllChats)").
function M.lookup(operation_id)
  local op = operations.by_id[operation_id]
  if not op then errors.usage(tostring(operation_id), "unknown operation '" .. tostring(operation_id) .. "'") end
  return op, op.group .. ":" .. op.name .. " (" .. op.id .. ")"
end

local function place_value(op, where, name, value, out)
  local place = op.where[name]
  if not place then
    errors.usage(where, "unknown parameter '" .. tostring(name) .. "'", name)
  end
  out[place][name] = value
end

local function check_required(op, where, out)
  for name in pairs(op.required) do
    local place = op.where[name]
    local v = out[place][name]
    if v == nil then
      for p in pairs(op.places[name]) do v = v or out[p][name] end
    end
    if v == nil or v == "" then errors.usage(where, "missing required parameter '" .. name .. "'", name) end
  end
  for _, name in ipairs(op.path_params) do
    local v = out.path[name]
    if not encode.scalar(v) or type(v) == "boolean" then
      errors.usage(where, "path parameter '" .. name .. "' must be a string or number", name)
    end
  end
end

-- A value that alone exceeds the URL bound is named here; the whole URL is
-- checked again once encoded.
local function check_sizes(op, where, out)
  for _, place in ipairs { "path", "query" } do
    for name, v in pairs(out[place]) do
      if type(v) == "string" and #v > check.MAX_URL then
        errors.usage(where, "'" .. name .. "' would make the URL longer than " .. check.MAX_URL .. " bytes", name)
      end
    end
  end
  if op.max_limit and out.query.limit ~= nil then
    local limit = out.query.limit
    if type(limit) ~= "number" or limit ~= math.floor(limit) or limit < 1 or limit > op.max_limit then
      errors.usage(where, "'limit' must be an integer from 1 to " .. op.max_limit, "limit")
    end
  end
end

--- Sort one flat params table into `{ path =, query =, body = }` values for
-- `op`. `query = {}` / `body = {}` sub-tables force a place for names that
-- exist in two. `skip` names keys that are not params (the pager's).
function M.split(op, params, where, skip)
  local out = { path = {}, query = {}, body = {} }
  if params == nil then params = {} end
  if type(params) ~= "table" then errors.usage(where, "params must be a table", "params") end
  for name, value in pairs(params) do
    if (name == "query" or name == "body") and type(value) == "table" and not op.where[name] then
      for k, v in pairs(value) do
        if not (op.places[k] and op.places[k][name]) then
          errors.usage(where, "unknown " .. name .. " parameter '" .. tostring(k) .. "'", k)
        end
        out[name][k] = v
      end
    elseif not (skip and skip[name]) then
      place_value(op, where, name, value, out)
    end
  end
  check_required(op, where, out)
  check_sizes(op, where, out)
  return out
end

return M
