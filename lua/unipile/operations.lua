--- The operations table, indexed for use.
-- Turns the compact rows of `unipile.operation_rows` (generated from
-- api/operations.tsv) into operation records that
-- the client, the resources, the sandbox router and the docs share. Pure Lua
-- 5.1+, so it also runs inside nginx (LuaJIT).
-- @module unipile.operations

local rows = require "unipile.operation_rows"

local M = {}

local function split_names(s)
  local list, required = {}, {}
  if s then
    for name in s:gmatch("[^,]+") do
      local bare = name:gsub("!$", "")
      list[#list + 1] = bare
      if bare ~= name then required[bare] = true end
    end
  end
  return list, required
end

--- One operation record:
-- `id`, `group`, `name` (method name on the resource), `method`, `path`,
-- `path_params`, `query_params`, `body_fields` (arrays of names),
-- `required` (set, any place), `required_at` (place → set), `where` (name → "path" | "query" | "body",
-- the first place a name appears), `places` (name → set of places),
-- `body` ("json" | "multipart" | nil), `paginated`, `max_limit`,
-- `response` ("json" | "binary"), `file_fields` (set of multipart fields
-- whose string values are file paths), `json_fields` (set of multipart
-- fields sent as JSON text), `idempotency` (honours Idempotency-Key),
-- `page_shape` (paginated rows: where a page keeps its list and cursor,
-- see `unipile.pager`), `title`, `confidence`, `segments` (the path split
-- on "/", with `{param}` entries kept as is).
--- The set of the names in a comma-separated list (nil: empty).
function M.set(list)
  local set = {}
  for name in (list or ""):gmatch("[^,]+") do set[name] = true end
  return set
end

local function build(row)
  local op = {
    id = row[1], group = row[2], name = row[3], method = row[4], path = row[5],
    body = row.body, paginated = row.paginated, max_limit = row.max_limit,
    response = row.response or "json", title = row.title, confidence = row.confidence,
    idempotency = row.idempotency == true, page_shape = row.page_shape,
    file_fields = M.set(row.file_fields), json_fields = M.set(row.json_fields),
    required = {}, required_at = { path = {}, query = {}, body = {} }, where = {}, places = {},
  }
  local sets = {
    { "path", "path_params", row.path_params },
    { "query", "query_params", row.query },
    { "body", "body_fields", row.fields },
  }
  for _, s in ipairs(sets) do
    local place, key, spec = s[1], s[2], s[3]
    local list, req = split_names(spec)
    op[key] = list
    for _, name in ipairs(list) do
      op.where[name] = op.where[name] or place
      op.places[name] = op.places[name] or {}
      op.places[name][place] = true
      if req[name] or place == "path" then
        op.required[name] = true
        op.required_at[place][name] = true
      end
    end
  end
  op.segments = {}
  for seg in op.path:gmatch("[^/]+") do op.segments[#op.segments + 1] = seg end
  return op
end

M.list = {}       -- in table order
M.by_id = {}      -- operation_id → op
M.groups = {}     -- group → { name → op }
M.group_order = {}
M.file_fields = {} -- union of every operation's file_fields (raw requests)

for _, row in ipairs(rows) do
  local op = build(row)
  M.list[#M.list + 1] = op
  assert(not M.by_id[op.id], "duplicate operation " .. op.id)
  M.by_id[op.id] = op
  if not M.groups[op.group] then
    M.groups[op.group] = {}
    M.group_order[#M.group_order + 1] = op.group
  end
  assert(not M.groups[op.group][op.name], "duplicate method " .. op.group .. ":" .. op.name)
  M.groups[op.group][op.name] = op
  for name in pairs(op.file_fields) do M.file_fields[name] = true end
end

--- Find the operation for a method and a list of decoded path segments
-- (without the `/api/v1` prefix handling: segments start with "api", "v1").
-- Literal segments win over `{param}` ones, so `/users/me` beats
-- `/users/{identifier}`. Returns op, params (name → decoded value).
function M.match(method, segments)
  local best, best_params, best_score
  for _, op in ipairs(M.list) do
    if op.method == method and #op.segments == #segments then
      local params, score = {}, 0
      for i, seg in ipairs(op.segments) do
        local pname = seg:match("^{(.+)}$")
        if pname then
          params[pname] = segments[i]
        elseif seg == segments[i] then
          score = score + 2 ^ (#segments - i)
        else
          params = nil
          break
        end
      end
      if params and (not best_score or score > best_score) then
        best, best_params, best_score = op, params, score
      end
    end
  end
  return best, best_params
end

return M
