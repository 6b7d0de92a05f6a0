-- The operations table: exactly what tools/gen_operations.lua makes of
-- api/*.tsv, every column reaching the operation records, every row
-- reachable as a resource method; and, where ../shared/api/operations.tsv
-- is beside the checkout, no drift of the shared columns from it.
-- UNIPILE_SHARED_TSV names another reference ("" = none: a plain clone).
local registry = require "unipile.operations"
local resources = require "unipile.resources"
local pager = require "unipile.pager"
local support = require "support"
local tsv = dofile("tools/tsv.lua")
local gen = assert(loadfile("tools/gen_operations.lua"))("--module")

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local function names(list, required)
  local out = {}
  for _, n in ipairs(list) do out[#out + 1] = n .. ((required and required[n]) and "!" or "") end
  return table.concat(out, ",")
end

local function set_of(s)
  local set = {}
  for n in s:gmatch("[^,]+") do set[n] = true end
  return set
end

-- Differences of the shared columns (the reference's header) between our
-- rows and the reference's, as "operation column: ours | shared" lines.
local function drift(ours, shared, shared_header)
  local by_id, out = {}, {}
  for _, r in ipairs(ours) do by_id[r.operation_id] = r end
  local seen = {}
  for _, s in ipairs(shared) do
    local r = by_id[s.operation_id]
    seen[s.operation_id] = true
    if not r then
      out[#out + 1] = s.operation_id .. ": missing from api/operations.tsv"
    else
      for _, col in ipairs(shared_header) do
        if r[col] ~= s[col] then
          out[#out + 1] = string.format("%s %s: %q | %q", s.operation_id, col, tostring(r[col]), s[col])
        end
      end
    end
  end
  for _, r in ipairs(ours) do
    if not seen[r.operation_id] then out[#out + 1] = r.operation_id .. ": not in the shared table" end
  end
  return out
end

local rows = assert(tsv.read("api/operations.tsv"))
local shared_path = os.getenv("UNIPILE_SHARED_TSV") or "../shared/api/operations.tsv"
local shared, shared_header = tsv.read(shared_path)

-- The column each kind of pagination may have as page shape.
local PAGINATED_OF = {
  items_cursor = "cursor", paging_count = "cursor+paging", paging_total = "cursor+paging",
  paging_comments = "cursor+paging", paging_search = "cursor+paging", cursor_in_paging = "cursor+paging",
  data_next_cursor = "data+next_cursor", ["-"] = "no",
}

describe("operations table", function()
  it("is exactly what tools/gen_operations.lua makes of api/*.tsv", function()
    local ops_file, events_file = os.tmpname(), os.tmpname()
    gen.main { "--api", "api", "--operations", ops_file, "--events", events_file }
    local ops, events = slurp(ops_file), slurp(events_file)
    os.remove(ops_file)
    os.remove(events_file)
    assert.is_true(ops == slurp("lua/unipile/operation_rows.lua"),
      "lua/unipile/operation_rows.lua is stale: run lua tools/gen_operations.lua")
    assert.is_true(events == slurp("lua/unipile/webhook_events.lua"),
      "lua/unipile/webhook_events.lua is stale: run lua tools/gen_operations.lua")
  end)

  it("has the 90 operations of api/operations.tsv, field by field", function()
    assert.are.equal(90, #rows)
    assert.are.equal(#rows, #registry.list)
    for i, r in ipairs(rows) do
      local op = registry.list[i]
      assert.are.equal(r.operation_id, op.id)
      assert.are.equal(r.group, op.group)
      assert.are.equal(r.method_name, op.name)
      assert.are.equal(r.method, op.method)
      assert.are.equal(r.path, op.path)
      assert.are.equal(r.path_params, names(op.path_params))
      assert.are.equal(r.query_params, names(op.query_params, op.required_at.query))
      assert.are.equal(r.body_fields, names(op.body_fields, op.required_at.body))
      assert.are.equal(r.body, op.body or "none")
      assert.are.equal(r.paginated, op.paginated or "no")
      assert.are.equal(r.max_limit, op.max_limit and tostring(op.max_limit) or "-")
      assert.are.equal(r.response, op.response)
      assert.are.equal(r.title, op.title)
      assert.are.same(set_of(r.file_fields), op.file_fields)
      assert.are.same(set_of(r.json_fields), op.json_fields)
      assert.are.equal(r.idempotency == "yes", op.idempotency)
      assert.are.equal(r.page_shape, op.page_shape or "-")
    end
  end)

  it("gives each row columns that fit together", function()
    for _, op in ipairs(registry.list) do
      local where = op.id .. " "
      assert.are.equal(op.paginated or "no", PAGINATED_OF[op.page_shape or "-"], where .. "page_shape")
      if op.page_shape then assert.is_table(pager.SHAPES[op.page_shape], where .. "page_shape") end
      local body = {}
      for _, n in ipairs(op.body_fields) do body[n] = true end
      for _, key in ipairs { "file_fields", "json_fields" } do
        for n in pairs(op[key]) do
          assert.is_true(op.body == "multipart" and body[n], where .. key .. " " .. n)
        end
      end
    end
  end)

  it("reports drift of a shared column by operation and column", function()
    local ours = { { operation_id = "A", path = "/a", method_name = "x" }, { operation_id = "B", path = "/b" } }
    local ref = { { operation_id = "A", path = "/a2" }, { operation_id = "C", path = "/c" } }
    assert.are.same({ 'A path: "/a" | "/a2"', "C: missing from api/operations.tsv", "B: not in the shared table" },
      drift(ours, ref, { "operation_id", "path" }))
    assert.are.same({}, drift(ours, { { operation_id = "A", path = "/a" }, { operation_id = "B", path = "/b" } },
      { "operation_id", "path" }))
  end)

  if shared then
    it("agrees with " .. shared_path .. " on every shared column", function()
      assert.are.same({}, drift(rows, shared, shared_header))
    end)
  end

  it("gives every webhook event of api/webhook_events.tsv its source", function()
    local webhook = require "unipile.webhook"
    local events = assert(tsv.read("api/webhook_events.tsv"))
    assert.are.equal(23, #events)
    for _, e in ipairs(events) do
      local got
      if e.source == "account_status" then
        got = webhook.parse('{"AccountStatus":{"message":"' .. e.event:upper() .. '"}}')
        assert.are.equal(e.event, got.name)
      else
        got = webhook.parse('{"event":"' .. e.event .. '"}', { ["Content-Type"] = "application/json" })
      end
      assert.are.equal(e.source, got.source, e.event)
    end
  end)

  it("gives every row a resource method, and list rows their iterators", function()
    local client = support.client()
    for _, op in ipairs(registry.list) do
      local resource = client[op.group]
      assert.is_function(resource[op.name], op.id)
      local each, pages = resources.iterator_names(op)
      if op.paginated then
        assert.is_function(resource[each], op.id)
        assert.is_function(resource[pages], op.id)
      end
    end
  end)
end)
