--- Routes API requests through the operations table to the handlers.
-- Handlers live in `unipile.sandbox.handlers.<group module>`, each a table
-- operation_id → function(ctx); to cover a new group, add its module to
-- GROUPS (and its seed data to a seed/ module). Rows without a handler
-- answer 501. Operations marked `idempotency` in the table honour an
-- Idempotency-Key header here.
-- @module unipile.sandbox.router

local registry = require "unipile.operations"
local api = require "unipile.sandbox.api"
local reply = require "unipile.sandbox.reply"
local state = require "unipile.sandbox.state"
local json = require "unipile.sandbox.json"

local GROUPS = { "accounts", "messaging", "users", "linkedin", "mail", "webhooks", "calendars" }

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
  -- Raw "." and ".." segments: a client that normalizes paths would have
  -- sent another route; one that does not meant no id (ids made of dots
  -- come percent-encoded, %2E). Either way, not an operation.
  if ("/" .. rec.path .. "/"):find("/%.%.?/") then
    return reply.invalid("path", "'.' and '..' segments must be percent-encoded (%2E)")
  end
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
  if op.idempotency then return M.idempotent(ctx, handler) end
  return handler(ctx)
end

--- Run `handler` at most once per Idempotency-Key (1..255 characters) and
-- operation: the same key with the same request (query, fields and files,
-- whatever the multipart boundary) answers the first 2xx answer again, with
-- `Idempotent-Replayed: true`; with another request, 409
-- errors/idempotency_conflict. Failed answers are not kept.
function M.idempotent(ctx, handler)
  local key = api.header(ctx.rec, "idempotency-key")
  if key == nil then return handler(ctx) end
  if #key < 1 or #key > 255 then return reply.invalid("Idempotency-Key", "must be 1 to 255 characters") end
  local files = {}
  for i, f in ipairs(ctx.files) do files[i] = { f.name or "", f.filename or "", f.data } end
  local digest = ngx.md5(json.encode({ ctx.args, ctx.fields, files }))
  local store, slot = state.get().idempotency, ctx.op.id .. "\n" .. key
  local seen = store[slot]
  if seen and seen.digest ~= digest then
    return reply.error(409, "idempotency_conflict",
      "Idempotency-Key " .. key .. " was already used with another request.")
  elseif seen then
    return { status = seen.response.status, json = seen.response.json, headers = { ["Idempotent-Replayed"] = "true" } }
  end
  local resp = handler(ctx)
  if resp.status >= 200 and resp.status < 300 then store[slot] = { digest = digest, response = resp } end
  return resp
end

return M
