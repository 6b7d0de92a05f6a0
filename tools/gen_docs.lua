#!/usr/bin/env lua
-- Writes one LDoc source file per resource group, generated from the
-- operations table, into the directory given as argv[1]. `make docs` runs
-- it and then LDoc over those files and the SDK's own modules.
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
local registry = require "unipile.operations"
local resources = require "unipile.resources"

local out_dir = assert(arg[1], "usage: gen_docs.lua OUTDIR")

local function param_lines(op)
  local lines = {}
  local function add(place, list)
    for _, name in ipairs(list) do
      local required = op.required_at[place][name]
      local moved = op.where[name] ~= place and (" (pass it as `" .. place .. " = { " .. name .. " = ... }`)") or ""
      lines[#lines + 1] = string.format("-- @param%s params.%s %s parameter%s%s",
        required and "" or "[opt]", name, place, required and ", required" or "", moved)
    end
  end
  add("path", op.path_params)
  add("query", op.query_params)
  add("body", op.body_fields)
  return lines
end

local function describe(op)
  local d = {}
  d[#d + 1] = "--- " .. op.title .. "."
  d[#d + 1] = "-- `" .. op.method .. " " .. op.path .. "` (operation `" .. op.id .. "`, confidence " .. op.confidence .. ")."
  d[#d + 1] = "--"
  d[#d + 1] = "-- Same as `client:call(\"" .. op.id .. "\", params, opts)`."
  if op.body then
    d[#d + 1] = "-- Body: " .. op.body .. (next(op.json_fields) and " (address fields sent as JSON text)" or "") .. "."
  end
  if op.paginated then
    local each, pages = resources.iterator_names(op)
    d[#d + 1] = "-- Paginated (" .. op.paginated .. (op.max_limit and (", limit 1.." .. op.max_limit) or "")
      .. "): iterate with `:" .. each .. "(params)` (items) or `:" .. pages .. "(params)` (pages)."
  elseif op.max_limit then
    d[#d + 1] = "-- `limit` 1.." .. op.max_limit .. "."
  end
  if op.response == "binary" then
    d[#d + 1] = "-- Returns the bytes, or streams them with `opts.output` (a file path or a function)."
  end
  if op.idempotency then
    d[#d + 1] = "-- Takes `opts.idempotency_key` (sent as `Idempotency-Key`); with it a retry is safe."
  end
  d[#d + 1] = "-- @tparam table params"
  for _, l in ipairs(param_lines(op)) do d[#d + 1] = l end
  d[#d + 1] = "-- @tparam[opt] table opts per-call options: `output`, `timeout_ms`, `retries`, `headers`" ..
    (op.idempotency and ", `idempotency_key`" or "")
  d[#d + 1] = "-- @return " .. (op.response == "binary" and "the bytes (string)" or "the decoded JSON answer")
  d[#d + 1] = "-- @function " .. op.name
  return table.concat(d, "\n")
end

for _, group in ipairs(registry.group_order) do
  local ops = {}
  for _, op in ipairs(registry.list) do if op.group == group then ops[#ops + 1] = op end end
  local f = assert(io.open(out_dir .. "/" .. group .. ".lua", "w"))
  f:write("--- `client.", group, "`: ", #ops, " operations of the Unipile API, generated from the operations table.\n")
  f:write("-- Call as `client.", group, ":name(params, opts)`.\n")
  f:write("-- @module client.", group, "\n\n")
  for _, op in ipairs(ops) do f:write(describe(op), "\n\n") end
  f:close()
end
print(("documented %d operations in %d groups"):format(#registry.list, #registry.group_order))
