--- Routes API requests through the operations table to the handlers.
-- Handlers live in `unipile.sandbox.handlers.<group module>`, each a table
-- operation_id → function(ctx); to cover a new group, add its module to
-- GROUPS (and its seed data to state.lua). Rows without a handler answer 501.
-- @module unipile.sandbox.router

local registry = require "unipile.registry"
local api = require "unipile.sandbox.api"
local reply = require "unipile.sandbox.reply"

local GROUPS = { "accounts", "messaging" }

local M = {}

M.handlers = {}
for _, name in ipairs(GROUPS) do
  for id, fn in pairs(require("unipile.sandbox.handlers." .. name)) do
    assert(registry.by_id[id], "handler for an unknown operation: " .. id)
    M.handlers[id] = fn
  end
end

--- Segments of an API path without its prefix: `/api/v1/...` and `/v1/...`
-- (API-compatible hosts mount the same API there). Nil for other paths.
function M.api_segments(segments)
  if segments[1] == "api" and segments[2] == "v1" then return segments end
  if segments[1] == "v1" then
    local s = { "api" }
    for i, seg in ipairs(segments) do s[i + 1] = seg end
    return s
  end
end

--- Response for an authenticated API request `rec` (its record; sets
-- `rec.operation`).
function M.dispatch(rec)
  local segs = M.api_segments(rec.segments)
  local op, params = nil, nil
  if segs then op, params = registry.match(rec.method, segs) end
  if not op then
    return reply.error(404, "resource_not_found", "No route for " .. rec.method .. " " .. rec.path)
  end
  rec.operation = op.id
  local handler = M.handlers[op.id]
  if not handler then
    return reply.error(501, "feature_not_implemented",
      string.format("%s (%s %s) is not implemented by the sandbox yet.", op.id, op.method, op.path))
  end
  local ctx, err = api.context(op, params, rec)
  if not ctx then return err end
  return handler(ctx)
end

return M
