#!/usr/bin/env lua
-- Writes one LDoc source file per resource group into the directory given
-- as argv[1]; `make docs` then runs LDoc over them, docs/guide.md and the
-- SDK's public modules.
--
-- The facts: the operations table (names, places, required, pagination,
-- limits, per-call options), api/param-schemas.json (parameter types,
-- values, formats, bounds; tools/schemas.py derive-params) and
-- api/response-schemas.json (the answers; tools/schemas.py derive), both
-- derived from Unipile's OpenAPI document. Parameters that document lacks
-- (added from Unipile's newer reference pages, see
-- /work/shared/api/NOTES.md) take their types from SUPPLEMENT (tools/param_schemas.lua).
-- No description text is copied from the OpenAPI: the words are ours.
package.path = "lua/?.lua;lua/?/init.lua;tools/?.lua;" .. package.path
-- unipile.client.check needs the C core only inside its checks: the docs
-- build without a compiled core.
if not pcall(require, "unipile.core") then package.loaded["unipile.core"] = {} end
local registry = require "unipile.operations"
local resources = require "unipile.resources"
local check = require "unipile.client.check"

local schemas = require "param_schemas"
local ANSWERS, NULL = schemas.ANSWERS, schemas.NULL
local type_list, object_name, type_word = schemas.type_list, schemas.object_name, schemas.type_word
local op_key, param_schema = schemas.op_key, schemas.param_schema

local out_dir = assert(arg[1], "usage: gen_docs.lua OUTDIR")

-- What each per-call option is (the keys must be check.CALL_OPTS's).
local CALL_OPTS = {
  { "timeout_ms", "number", "whole-request timeout in milliseconds, for this call" },
  { "connect_timeout_ms", "number", "connection timeout in milliseconds" },
  { "low_speed_limit", "number", "bytes per second below which a transfer counts as stalled" },
  { "low_speed_time_ms", "number", "how long a stalled transfer may last, in milliseconds" },
  { "retries", "integer", "how many times a retryable failure is tried again (0: never)" },
  { "max_body_bytes", "integer", "the largest answer kept in memory; more is a `limit` error" },
  { "max_bytes", "integer", "the largest download written to `output`; only with `output`" },
  { "output", "string|function", "stream the answer's bytes to this file path, or to this function, chunk by chunk" },
  { "headers", "table", "extra request headers: `{ Name = value }` or `{ {name, value}, ... }`" },
  { "raw", "boolean", "return the response (status, headers, bytes) instead of the decoded body" },
  { "idempotency_key", "string", "1 to 255 characters, sent as `Idempotency-Key` (only the operations that take one)" },
  { "max_items", "integer", "iterators: stop after this many items in all (`limit` stays the page size)" },
  { "prefetch", "boolean", "iterators: fetch the next page while you handle this one (default true)" },
  { "keep_text", "boolean", "the response keeps the answer's bytes as `text` beside its decoded `body`"
    .. " (what `start_call(...):wait()` gives with `raw`; the command line's NDJSON copies items from it)" },
  { "dry_run", "boolean", "build the request and return it (the key shown as `***`) without sending anything" },
  { "journal_key", "string", "with a journal: the key this call is recorded under"
    .. " (default: account, operation, recipient and a hash of the content)" },
  { "resend", "boolean", "with a journal: send again a call whose earlier answer was lost (uncertain)" },
}
do
  local seen = {}
  for _, o in ipairs(CALL_OPTS) do
    assert(check.CALL_OPTS[o[1]], "gen_docs: " .. o[1] .. " is not a per-call option any more")
    seen[o[1]] = true
  end
  for name in pairs(check.CALL_OPTS) do assert(seen[name], "gen_docs: per-call option " .. name .. " is not documented") end
end

local function code(v)
  if v == NULL then return "`null`" end
  if type(v) == "string" then return "`\"" .. v .. "\"`" end
  if type(v) == "number" and v == math.floor(v) then return "`" .. string.format("%d", v) .. "`" end
  return "`" .. tostring(v) .. "`"
end

local ISO_PATTERN = "^[1-2]\\d{3}-[0-1]\\d-[0-3]\\dT\\d{2}:\\d{2}:\\d{2}.\\d{3}Z$"
local FORMATS = {
  ["date-time"] = "an ISO 8601 date and time", date = "a date, `YYYY-MM-DD`", uri = "a URL",
  email = "an e-mail address", ipv4 = "an IPv4 address", binary = "a file: its path (see the guide)",
}

-- The constraints of a schema, in words.
local function enum_values(schema, vals, seen)
  for _, v in ipairs(schema.enum or {}) do
    local c = code(v)
    if not seen[c] then seen[c] = true; vals[#vals + 1] = c end
  end
  for _, sub in ipairs(schema.anyOf or schema.oneOf or {}) do enum_values(sub, vals, seen) end
  return vals
end

local function constraints(schema, out, nested)
  out = out or {}
  if not nested then
    local vals = enum_values(schema, {}, {})
    if #vals > 0 then out[#out + 1] = (#vals == 1 and "always " or "one of ") .. table.concat(vals, ", ") end
  end
  for _, sub in ipairs(schema.anyOf or schema.oneOf or {}) do constraints(sub, out, true) end
  if schema.pattern == ISO_PATTERN then
    out[#out + 1] = "a UTC date and time, `YYYY-MM-DDTHH:MM:SS.sssZ` (e.g. `2025-01-31T09:00:00.000Z`)"
  elseif schema.pattern then
    out[#out + 1] = "matches `" .. schema.pattern .. "`"
  end
  if schema.format and FORMATS[schema.format] then out[#out + 1] = FORMATS[schema.format]
  elseif schema.format then out[#out + 1] = "format `" .. schema.format .. "`" end
  local function num(v) return v == math.floor(v) and string.format("%d", v) or tostring(v) end
  local function range(lo, hi, what)
    lo, hi = lo and num(lo), hi and num(hi)
    if lo and hi then out[#out + 1] = what .. lo .. ".." .. hi
    elseif lo then out[#out + 1] = what .. "at least " .. lo
    elseif hi then out[#out + 1] = what .. "at most " .. hi end
  end
  range(schema.minimum, schema.maximum, "")
  range(schema.minLength, schema.maxLength, "length ")
  range(schema.minItems, schema.maxItems, "items ")
  if schema.default ~= nil then out[#out + 1] = "default " .. code(schema.default) end
  if type(schema.items) == "table" and (schema.items.enum or schema.items.pattern or schema.items.format) then
    local inner = constraints(schema.items)
    if #inner > 0 then out[#out + 1] = "each item " .. table.concat(inner, ", ") end
  end
  if type_list(schema)[1] == "object" and type(schema.properties) == "table" then
    local names = {}
    for name in pairs(schema.properties) do names[#names + 1] = "`" .. name .. "`" end
    table.sort(names)
    if #names > 0 then out[#out + 1] = "fields " .. table.concat(names, ", ") end
  end
  return out
end

-- The params' lines; a name in two places (path `id` and body `id`) is
-- documented in both: the second one is passed as `body = { id = ... }`.
local function param_lines(op)
  local lines = {}
  local function add(place, list)
    for _, name in ipairs(list) do
      local schema = param_schema(op, place, name)
      if name == "limit" and op.max_limit then -- the table's bound (newer than the document's)
        local bounded = {}
        for k, v in pairs(schema) do bounded[k] = v end
        bounded.minimum, bounded.maximum = 1, op.max_limit
        schema = bounded
      end
      local required = op.required_at[place][name]
      local field = op.where[name] == place and ("params." .. name) or ("params." .. place .. "." .. name)
      local words = { place .. (required and ", required" or "") }
      if op.where[name] ~= place then
        words[#words + 1] = "also a " .. op.where[name] .. " parameter: pass this one as `" .. place
          .. " = { " .. name .. " = ... }`"
      end
      if name == "limit" and op.paginated then words[#words + 1] = "the page size" end
      if name == "cursor" and op.paginated then words[#words + 1] = "where to resume: a cursor from an earlier page" end
      if op.file_fields[name] then
        words[#words + 1] = "a file path, or a `{ path =, filename =, content_type = }` or"
          .. " `{ content =, filename =, content_type = }` table; a list of them for several"
      end
      if op.json_fields[name] then words[#words + 1] = "a table, sent as JSON text" end
      for _, c in ipairs(constraints(schema)) do words[#words + 1] = c end
      local word = type_word(schema) -- none: a plain @param, which the docs check reports
      lines[#lines + 1] = string.format("-- @%s%s %s%s %s", word and "tparam" or "param", required and "" or "[opt]",
        word and (word .. " ") or "", field, table.concat(words, "; "))
    end
  end
  add("path", op.path_params)
  add("query", op.query_params)
  add("body", op.body_fields)
  return lines
end

local function opts_line(op, iterator)
  local names = {}
  for _, o in ipairs(CALL_OPTS) do
    local n = o[1]
    local fits = (n ~= "idempotency_key" or op.idempotency) and ((n ~= "max_items" and n ~= "prefetch") or iterator)
      and ((n ~= "output" and n ~= "max_bytes") or not iterator)
    if fits then names[#names + 1] = "`" .. n .. "`" end
  end
  return "-- @tparam[opt] table opts per-call options (see the guide): " .. table.concat(names, ", ")
end

-- The 2xx answer schemas of an operation, by status.
local function answers(op)
  local all, out = ANSWERS[op_key(op)], {}
  for status, schema in pairs(all or {}) do
    if status:match("^2") then out[#out + 1] = { status = status, schema = schema } end
  end
  table.sort(out, function(a, b) return a.status < b.status end)
  return out
end

local function variants(schema)
  if schema == NULL or type(schema) ~= "table" then return {} end
  local subs = schema.anyOf or schema.oneOf
  if not subs then return { schema } end
  local out = {}
  for _, s in ipairs(subs) do for _, v in ipairs(variants(s)) do out[#out + 1] = v end end
  return out
end


-- Markdown lines describing an object schema's top-level fields.
local function field_lines(schema, indent)
  local lines, names = {}, {}
  local required = {}
  for _, n in ipairs(schema.required or {}) do required[n] = true end
  for name in pairs(schema.properties or {}) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    local sub = schema.properties[name]
    local c = constraints(sub)
    if name == "object" then c = {} end
    lines[#lines + 1] = string.format("--%s* `%s` (%s%s)%s", indent, name, type_word(sub) or "any",
      required[name] and "" or ", may be absent", #c > 0 and (": " .. table.concat(c, "; ")) or "")
  end
  return lines
end

local function describe_answer(op, d, items_only)
  if op.response == "binary" then
    d[#d + 1] = "-- **Answer**: the bytes (a string), or with `opts.output` the response,"
      .. " the bytes streamed to the file or function."
    return
  end
  local list = answers(op)
  if #list == 0 then
    d[#d + 1] = "-- **Answer**: decoded JSON (a table); the OpenAPI document does not describe its fields."
    return
  end
  for _, a in ipairs(list) do
    local vs = variants(a.schema)
    if #vs == 0 then d[#d + 1] = "-- **Answer** (status " .. a.status .. "): no body." end
    for _, v in ipairs(vs) do
      local target, what = v, "**Answer**"
      if items_only then
        local items = v.properties and (v.properties.items or v.properties.data)
        target = items and type(items.items) == "table" and items.items or v
        what = "**Each item**"
      end
      for _, t in ipairs(variants(target)) do
        local name = object_name(t)
        d[#d + 1] = "--"
        d[#d + 1] = "-- " .. what .. (#list > 1 and (" (status " .. a.status .. ")") or "") .. ": "
          .. (name and ("object `" .. name .. "`") or ("a " .. (type_word(t) or "value")))
          .. (t.properties and ", fields:" or ".")
        d[#d + 1] = "--"
        for _, l in ipairs(field_lines(t, " ")) do d[#d + 1] = l end
      end
    end
  end
end

local function header(op, d, title)
  d[#d + 1] = "--- " .. title
  d[#d + 1] = "-- `" .. op.method .. " " .. op.path .. "` (operation id `" .. op.id .. "`)."
  d[#d + 1] = "--"
end

local function describe(op)
  local d = {}
  header(op, d, op.title .. ".")
  d[#d + 1] = "-- Same as `client:call(\"" .. op.id .. "\", params, opts)`."
  if op.body then
    d[#d + 1] = "-- The body is sent as " .. (op.body == "multipart" and "multipart/form-data" or "JSON")
      .. (next(op.json_fields) and " (address fields as JSON text)" or "") .. "."
  end
  if op.paginated then
    local each, pages = resources.iterator_names(op)
    d[#d + 1] = "-- One page; to walk them all use `" .. each .. "` (items) or `" .. pages .. "` (pages)."
  end
  if op.idempotency then
    d[#d + 1] = "-- Takes `opts.idempotency_key` (sent as `Idempotency-Key`): with it, a retry cannot send twice."
  end
  describe_answer(op, d)
  d[#d + 1] = "-- @tparam table params"
  for _, l in ipairs(param_lines(op)) do d[#d + 1] = l end
  d[#d + 1] = opts_line(op, false)
  d[#d + 1] = "-- @treturn " .. (op.response == "binary" and "string the bytes" or "table the decoded answer")
  d[#d + 1] = "-- @function " .. op.name
  return table.concat(d, "\n")
end

-- `each` and `pages` of a paginated operation, as functions of their own.
local function describe_iterators(op)
  local each, pages = resources.iterator_names(op)
  local limit = op.max_limit and (" (`limit` 1.." .. op.max_limit .. " is the page size)") or ""
  local d = {}
  header(op, d, "Iterate over every item of `" .. op.name .. "`, page after page.")
  d[#d + 1] = "--     for item in client." .. op.group .. ":" .. each .. "(params, opts) do ... end"
  d[#d + 1] = "--"
  d[#d + 1] = "-- Takes the params of `" .. op.name .. "`" .. limit .. "; `max_items` (in params or opts) stops"
    .. " after that many items in all. Bad params raise at the call, before any request; a failed page raises"
    .. " inside the loop (also on `client.safe`)."
  describe_answer(op, d, true)
  d[#d + 1] = "-- @tparam[opt] table params as for `" .. op.name .. "`"
  d[#d + 1] = opts_line(op, true)
  d[#d + 1] = "-- @treturn function an iterator: each call gives the next item, nil at the end"
  d[#d + 1] = "-- @function " .. each
  d[#d + 1] = ""
  header(op, d, "Iterate over the pages of `" .. op.name .. "`.")
  d[#d + 1] = "--     for page, next_cursor, cursor in client." .. op.group .. ":" .. pages .. "(params) do ... end"
  d[#d + 1] = "--"
  d[#d + 1] = "-- Each step gives the decoded page (the answer of `" .. op.name .. "`), the cursor of the page"
    .. " after it (nil on the last one) and the cursor this page was asked with; save `next_cursor` and pass it"
    .. " as `params.cursor` to resume later."
  d[#d + 1] = "-- @tparam[opt] table params as for `" .. op.name .. "`"
  d[#d + 1] = opts_line(op, true)
  d[#d + 1] = "-- @treturn function an iterator of `page, next_cursor, cursor`"
  d[#d + 1] = "-- @function " .. pages
  return table.concat(d, "\n")
end

local documented = 0
for _, group in ipairs(registry.group_order) do
  local ops = {}
  for _, op in ipairs(registry.list) do if op.group == group then ops[#ops + 1] = op end end
  local f = assert(io.open(out_dir .. "/" .. group .. ".lua", "w"))
  f:write("--- `client.", group, "`: the ", #ops, " operations of this group of the Unipile API.\n")
  f:write("-- Call them as `client.", group, ":name(params, opts)`, or on `client.safe.", group,
    "` to get `nil, err` instead of an error. Each parameter says where it is sent (path, query or body),",
    " its type and the values it takes; each operation says what its answer holds.\n")
  f:write("-- @module client.", group, "\n\n")
  for _, op in ipairs(ops) do
    f:write(describe(op), "\n\n")
    if op.paginated then f:write(describe_iterators(op), "\n\n") end
    documented = documented + 1
  end
  f:close()
end
-- The page of error actions: what each action means, every type of
-- api/error-types.tsv under its action, then the rules by status and by kind
-- (the same tables unipile.errors applies).
local ACTION_ORDER = {
  { "retry", "try the same call again: the failure is transient (network, timeout, 5xx)" },
  { "wait", "try again later: the API or the provider is throttling (`err.retry_after` when it said how long)" },
  { "skip", "this recipient or item cannot be done: go on with the next one" },
  { "stop", "the account cannot go on: stop using it until a human has looked (reconnect, subscription, ...)" },
  { "fix", "the call is wrong: change it (a parameter, a cap, the address), retrying gives the same answer" },
}

local function sorted_pairs_text(t, fmt)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  local out = {}
  for _, k in ipairs(keys) do out[#out + 1] = fmt(k, t[k]) end
  return table.concat(out, ", ")
end

local function write_error_actions()
  local errors = require "unipile.errors"
  local tsv = dofile("tools/tsv.lua")
  local rows = assert(tsv.read("api/error-types.tsv"))
  local f = assert(io.open(out_dir .. "/error_actions.lua", "w"))
  f:write("--- What an error means: `err.action` and `err.retryable` of every error.\n",
    "-- Every error object (`unipile.errors`) carries `action`, one of five words, and `retryable`,\n",
    "-- true for `retry` and `wait`:\n--\n")
  for _, a in ipairs(ACTION_ORDER) do f:write("-- * `", a[1], "`: ", a[2], ";\n") end
  f:write("--\n-- An `http` error takes the action of its `type`, from the table below (",
    #rows, " types: every `type` of the OpenAPI's error answers, those its descriptions name,",
    " and the sandbox's own; `api/error-types.tsv`). A type not in the table takes the action",
    " of its status: ", sorted_pairs_text(errors.STATUS_ACTIONS, function(k, v) return k .. " " .. v end),
    "; any other 5xx retry, any other status fix. The other kinds take the action of their kind: ",
    sorted_pairs_text(errors.KIND_ACTIONS, function(k, v) return "`" .. k .. "` " .. v end), ".\n--\n")
  f:write("--     local _, err = client.safe.users:send_invitation { account_id = id, provider_id = who }\n",
    "--     if err and err.action == \"skip\" then ... next recipient ...\n",
    "--     elseif err and err.action == \"stop\" then ... this account is done for today ...\n",
    "--     elseif err then error(err) end\n--\n")
  for _, a in ipairs(ACTION_ORDER) do
    local list = {}
    for _, r in ipairs(rows) do
      if r.action == a[1] then list[#list + 1] = "`" .. r.type .. "` (" .. r.statuses:gsub(",", ", ") .. ")" end
    end
    f:write("-- **", a[1], "** (", #list, "): ", table.concat(list, ", "), ".\n--\n")
  end
  f:write("-- @module error_actions\n")
  f:close()
  return #rows
end

local error_types = write_error_actions()
print(("documented %d operations in %d groups, %d error types"):format(documented, #registry.group_order, error_types))
