#!/usr/bin/env lua
-- The error types Unipile's OpenAPI document names, for api/error-types.tsv
-- (whose `action` column is ours: see docs there and in the reference).
--   lua tools/error_types.lua [SCHEMAS.json [OPENAPI.yaml]]
-- prints "type<TAB>statuses" for every `type` enum of a non-2xx answer in
-- SCHEMAS.json (default api/response-schemas.json, which tools/schemas.py
-- derives from the OpenAPI), then "type<TAB>-" for the types OPENAPI.yaml
-- names only in its descriptions. spec/error_actions_spec.lua uses the
-- same functions to check that the TSV lists them all.
local M = {}

local function slurp(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local s = f:read("*a")
  f:close()
  return s
end

-- Every "errors/..." string of the `enum` of a `type` property under `node`.
local function collect(node, status, out)
  if type(node) ~= "table" then return end
  local t = type(node.properties) == "table" and node.properties.type
  if type(t) == "table" and type(t.enum) == "table" then
    for _, v in ipairs(t.enum) do
      if type(v) == "string" and v:find("^errors/") then
        out[v] = out[v] or {}
        out[v][status] = true
      end
    end
  end
  for _, v in pairs(node) do collect(v, status, out) end
end

--- type → set of statuses (strings), from a response-schemas.json.
function M.from_schemas(path, decode)
  decode = decode or require("cjson").decode
  local doc = decode(assert(slurp(path)))
  local out = {}
  for _, answers in pairs(doc.operations) do
    for status, schema in pairs(answers) do
      if not status:find("^2") then collect(schema, status, out) end
    end
  end
  return out
end

--- Set of every "errors/..." the raw OpenAPI text names (descriptions
-- included), or nil and a message when it cannot be read.
function M.from_text(path)
  local text, err = slurp(path)
  if not text then return nil, err end
  local out = {}
  for name in text:gmatch("errors/[%w_]+") do out[name] = true end
  return out
end

--- "400,502" for a set of statuses.
function M.statuses(set)
  local list = {}
  for s in pairs(set) do list[#list + 1] = s end
  table.sort(list)
  return table.concat(list, ",")
end

local function sorted_keys(t)
  local list = {}
  for k in pairs(t) do list[#list + 1] = k end
  table.sort(list)
  return list
end

function M.main(args)
  local here = debug.getinfo(1, "S").source:match("^@(.*)$"):match("^(.*)[/\\]") or "."
  local found = M.from_schemas(args[1] or (here .. "/../api/response-schemas.json"))
  for _, name in ipairs(sorted_keys(found)) do print(name .. "\t" .. M.statuses(found[name])) end
  if args[2] then
    for _, name in ipairs(sorted_keys(assert(M.from_text(args[2])))) do
      if not found[name] then print(name .. "\t-") end
    end
  end
end

if ... == "--module" then return M end
M.main { ... }
