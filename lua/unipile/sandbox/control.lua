--- The control API under /_sandbox/ (docs/internals.md, "Sandbox control
-- API"): reset, state, recorded requests, faults. No key needed; control
-- requests are not recorded themselves.
-- @module unipile.sandbox.control

local state = require "unipile.sandbox.state"
local faults = require "unipile.sandbox.faults"
local reply = require "unipile.sandbox.reply"
local json = require "unipile.sandbox.json"

local M = {}

--- Settings kept across resets unless a reset names them.
M.config = { api_key = "sandbox", latency_ms = nil }

-- Recorded API requests, oldest first; the oldest go past MAX_RECORDS.
local MAX_RECORDS = 5000
local records = {}

function M.record(rec)
  records[#records + 1] = rec
  if #records > MAX_RECORDS then table.remove(records, 1) end
end

local function state_answer()
  local s = state.summary()
  s.api_key, s.latency_ms = M.config.api_key, M.config.latency_ms
  return reply.ok(s)
end

local ROUTES = {}

ROUTES["GET health"] = function()
  return reply.ok({ ok = true, pid = ngx.worker.pid(), prefix = ngx.config.prefix(),
    nginx = ngx.config.nginx_version, ngx_lua = ngx.config.ngx_lua_version })
end

ROUTES["POST reset"] = function(rec)
  local body = rec.json or {}
  if body.api_key ~= nil and (type(body.api_key) ~= "string" or body.api_key == "") then
    return reply.invalid("api_key", "must be a non-empty string")
  end
  if body.latency_ms ~= nil and (type(body.latency_ms) ~= "number" or body.latency_ms < 0) then
    return reply.invalid("latency_ms", "must be a number >= 0")
  end
  if body.size ~= nil and type(body.size) ~= "table" then return reply.invalid("size", "must be an object") end
  local ok, err = pcall(state.reset, { seed = body.seed, size = body.size })
  if not ok then return reply.error(400, "invalid_parameters", (tostring(err):gsub("^.-:%d+: ", ""))) end
  M.config.api_key = body.api_key or M.config.api_key
  M.config.latency_ms = body.latency_ms
  records = {}
  faults.clear()
  return state_answer()
end

ROUTES["GET state"] = state_answer

-- `?last=N`: only the N most recent records.
ROUTES["GET requests"] = function(rec)
  local first = 1
  if rec.args.last ~= nil then
    local n = tonumber(rec.args.last)
    if not n or n < 0 then return reply.invalid("last", "must be a number >= 0") end
    first = math.max(1, #records - n + 1)
  end
  local items = json.array()
  for i = first, #records do items[#items + 1] = records[i] end
  return reply.ok({ items = items })
end

ROUTES["DELETE requests"] = function()
  local n = #records
  records = {}
  return reply.ok({ cleared = n })
end

ROUTES["POST faults"] = function(rec)
  local f, err = faults.add(rec.json)
  if not f then return reply.error(400, "invalid_parameters", err) end
  return reply.ok(f, 201)
end

ROUTES["GET faults"] = function() return reply.ok({ items = json.array(faults.list()) }) end

ROUTES["DELETE faults"] = function() return reply.ok({ cleared = faults.clear() }) end

--- Response for a request under /_sandbox/.
function M.handle(rec)
  local route = #rec.segments == 2 and ROUTES[rec.method .. " " .. rec.segments[2]]
  if not route then
    return reply.error(404, "resource_not_found", "No sandbox control route " .. rec.method .. " " .. rec.path)
  end
  if rec.body ~= "" and rec.json == nil then -- JSON whatever the content type (curl -d)
    rec.json, rec.json_error = json.decode(rec.body)
  end
  if rec.body ~= "" and type(rec.json) ~= "table" then
    return reply.error(400, "malformed_request", "Control bodies are JSON objects.")
  end
  return route(rec)
end

return M
