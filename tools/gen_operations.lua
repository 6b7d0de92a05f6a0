#!/usr/bin/env lua
-- Regenerates the SDK's tables from the repository's api/ directory:
--   api/operations.tsv     → lua/unipile/operation_rows.lua (one row per operation)
--   api/webhook_events.tsv → lua/unipile/webhook_events.lua (event → source)
--   api/error-types.tsv    → lua/unipile/error_types.lua (type → action)
-- Usage (from anywhere): lua tools/gen_operations.lua [--api DIR]
--   [--operations FILE] [--events FILE] [--errors FILE]; the defaults are this checkout's
-- api/ and lua/unipile/. spec/operations_spec.lua runs it into temporary
-- files and checks that the committed modules are exactly what it makes.
-- Every fact about a row is a column of its TSV: nothing is kept here.

local here = debug.getinfo(1, "S").source:match("^@(.*)$"):match("^(.*)[/\\]") or "."
local root = here .. "/.."
local tsv = dofile(here .. "/tsv.lua")

local function q(s) return string.format("%q", s) end

local function read(path)
  local rows, header = tsv.read(path)
  if not rows then error("gen_operations: " .. tostring(header), 0) end
  return rows, header
end

-- The columns the generator needs, so a renamed column fails loudly
-- instead of generating empty fields.
local function require_columns(path, header, names)
  local have = {}
  for _, h in ipairs(header) do have[h] = true end
  for _, n in ipairs(names) do
    if not have[n] then error("gen_operations: " .. path .. " has no column " .. n, 0) end
  end
end

local OP_COLUMNS = { "operation_id", "group", "title", "method", "path", "path_params", "query_params", "body",
  "body_fields", "paginated", "max_limit", "response", "confidence",
  "method_name", "file_fields", "json_fields", "idempotency", "page_shape" }

local function operation_row(r)
  if r.method_name == "" then error("gen_operations: no method_name for " .. r.operation_id, 0) end
  local parts = { q(r.operation_id), q(r.group), q(r.method_name), q(r.method), q(r.path) }
  local opt = {}
  local function add(k, v) if v ~= "" and v ~= "-" and v ~= "no" then opt[#opt + 1] = k .. " = " .. v end end
  local function text(k, v, absent) add(k, v ~= absent and v ~= "" and q(v) or "") end
  text("path_params", r.path_params)
  text("query", r.query_params)
  text("body", r.body, "none")
  text("fields", r.body_fields)
  text("paginated", r.paginated, "no")
  add("max_limit", r.max_limit)
  text("response", r.response, "json")
  text("file_fields", r.file_fields)
  text("json_fields", r.json_fields)
  add("idempotency", r.idempotency == "yes" and "true" or "")
  text("page_shape", r.page_shape, "-")
  opt[#opt + 1] = "title = " .. q(r.title)
  opt[#opt + 1] = "confidence = " .. q(r.confidence)
  return "  { " .. table.concat(parts, ", ") .. ",\n    " .. table.concat(opt, ", ") .. " },"
end

local OPERATIONS_HEAD = [[
-- The Unipile v1 operations: one row per operation, the single source the
-- SDK methods, the sandbox routes and the docs are built from.
-- Generated from api/operations.tsv by tools/gen_operations.lua: edit the
-- TSV, not this file; spec/operations_spec.lua checks they agree.
--
-- Row: { operation_id, group, method_name, http_method, path, ... }
--   path_params / query / fields: comma-separated names, "!" = required
--   body: "json" | "multipart" (absent: no body)
--   paginated: "cursor" | "cursor+paging" | "data+next_cursor" (absent: no)
--   page_shape: where a page keeps its list and its cursor (docs/internals.md)
--   response: "binary" (absent: json)
--   file_fields: multipart fields whose string values are file paths
--   json_fields: multipart fields sent as JSON text (email address lists)
--   idempotency: the operation honours an Idempotency-Key header
return {
]]

local EVENTS_HEAD = [[
-- The webhook events: { event, source, default = true when a webhook that
-- lists no events gets it }. Generated from api/webhook_events.tsv by
-- tools/gen_operations.lua: edit the TSV, not this file.
return {
]]

local ERRORS_HEAD = [[
-- What each error type of the API means to a caller: type → { action,
-- statuses } (statuses: where the OpenAPI or the sandbox answers it).
-- Generated from api/error-types.tsv by tools/gen_operations.lua: edit the
-- TSV, not this file; unipile.errors applies it (errors.action_of).
return {
]]

local ACTIONS = { retry = true, wait = true, skip = true, stop = true, fix = true }

local M = {}

--- The text of lua/unipile/error_types.lua from `api_dir`/error-types.tsv.
function M.generate_errors(api_dir)
  local path = api_dir .. "/error-types.tsv"
  local rows, header = read(path)
  require_columns(path, header, { "type", "statuses", "action", "source" })
  local out = {}
  for _, r in ipairs(rows) do
    if not r.type:find("^errors/[%w_]+$") then error("gen_operations: " .. path .. ": bad type " .. r.type, 0) end
    if not ACTIONS[r.action] then error("gen_operations: " .. path .. ": " .. r.type .. " has no action", 0) end
    out[#out + 1] = "  [" .. q(r.type) .. "] = { " .. q(r.action) .. ", " .. q(r.statuses) .. " },"
  end
  return ERRORS_HEAD .. table.concat(out, "\n") .. "\n}\n"
end

--- The text of both generated modules from the TSVs in `api_dir`.
function M.generate(api_dir)
  local ops_path, events_path = api_dir .. "/operations.tsv", api_dir .. "/webhook_events.tsv"
  local rows, header = read(ops_path)
  require_columns(ops_path, header, OP_COLUMNS)
  local out = {}
  for _, r in ipairs(rows) do out[#out + 1] = operation_row(r) end
  local events, eheader = read(events_path)
  require_columns(events_path, eheader, { "event", "source", "default" })
  local ev = {}
  for _, e in ipairs(events) do
    ev[#ev + 1] = "  { " .. q(e.event) .. ", " .. q(e.source) .. (e.default == "yes" and ", default = true" or "") .. " },"
  end
  return OPERATIONS_HEAD .. table.concat(out, "\n") .. "\n}\n", EVENTS_HEAD .. table.concat(ev, "\n") .. "\n}\n"
end

local function write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

--- Write the generated modules; `args` as on the command line.
function M.main(args)
  local opts = { ["--api"] = root .. "/api", ["--operations"] = root .. "/lua/unipile/operation_rows.lua",
    ["--events"] = root .. "/lua/unipile/webhook_events.lua", ["--errors"] = root .. "/lua/unipile/error_types.lua" }
  for i = 1, #args, 2 do
    if opts[args[i]] == nil or args[i + 1] == nil then
      error("usage: gen_operations.lua [--api DIR] [--operations FILE] [--events FILE] [--errors FILE]", 0)
    end
    opts[args[i]] = args[i + 1]
  end
  local operations, events = M.generate(opts["--api"])
  write(opts["--operations"], operations)
  write(opts["--events"], events)
  write(opts["--errors"], M.generate_errors(opts["--api"]))
end

-- `loadfile(path)("--module")` (the spec) gets the module;
-- `lua tools/gen_operations.lua [options]` writes the files.
if ... == "--module" then return M end
M.main { ... }
