-- The operations table against shared/api/operations.tsv, and every row
-- reachable as a resource method.
local registry = require "unipile.registry"
local resources = require "unipile.resources"
local support = require "support"

local function read_tsv()
  for _, path in ipairs { os.getenv("UNIPILE_OPERATIONS_TSV") or "", "../shared/api/operations.tsv" } do
    local f = io.open(path, "r")
    if f then
      local rows, header = {}, nil
      for line in f:lines() do
        local cols = {}
        for c in (line .. "\t"):gmatch("([^\t]*)\t") do cols[#cols + 1] = c end
        if not header then header = cols else
          local r = {}
          for i, h in ipairs(header) do r[h] = cols[i] or "" end
          rows[#rows + 1] = r
        end
      end
      f:close()
      return rows
    end
  end
end

local function names(list, required)
  local out = {}
  for _, n in ipairs(list) do out[#out + 1] = n .. ((required and required[n]) and "!" or "") end
  return table.concat(out, ",")
end

describe("operations table", function()
  local tsv = read_tsv()

  it("has the 90 operations of the TSV, field by field", function()
    if not tsv then
      pending("shared/api/operations.tsv not found beside the checkout")
      return
    end
    assert.are.equal(#tsv, #registry.list)
    for i, r in ipairs(tsv) do
      local op = registry.list[i]
      assert.are.equal(r.operation_id, op.id)
      assert.are.equal(r.group, op.group)
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
