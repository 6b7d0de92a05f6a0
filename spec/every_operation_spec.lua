-- Every row of the operations table, end to end: called through its
-- resource method with the sandbox's example params, then checked against
-- what the sandbox received (method, path, query, headers, body) and what
-- the caller got back. A row without a method, a route or an example fails.
local encode = require "unipile.encode"
local pager = require "unipile.pager"
local registry = require "unipile.operations"
local support = require "support"
local seen = require "support.seen"

describe("every operation", function()
  local sb, client, examples
  setup(function()
    sb = support.reset()
    examples = support.examples()
    client = support.client { retries = 0 }
  end)

  for _, op in ipairs(registry.list) do
    it(op.group .. ":" .. op.name .. " (" .. op.id .. ")", function()
      local params = examples[op.id]
      assert(params, "the sandbox has no example params for " .. op.id)
      local resource = client[op.group]
      assert.is_function(resource[op.name])
      sb:clear_requests()
      local result = resource[op.name](resource, params)

      local reqs = support.requests()
      assert.are.equal(1, #reqs, "one request per call")
      local req = reqs[1]
      assert.are.equal(op.method, req.method)
      local values = require("unipile.client").split_params(op, params, op.id)
      assert.are.equal(encode.path(op.path, values.path), req.path)
      assert.are.equal("matched", req.api_key)
      assert.are.equal("application/json", req.headers["accept"])
      seen.query(values, req.args)
      if op.body == "json" then
        assert.matches("^application/json", req.headers["content-type"])
        for name, v in pairs(values.body) do assert.are.same(v, req.json[name], name) end
      elseif op.body == "multipart" then
        assert.matches("^multipart/form%-data", req.headers["content-type"])
        seen.parts(values, req.parts)
      else
        assert.are.equal("", req.body or "")
      end

      if op.response == "binary" then
        assert.is_string(result)
        assert.is_true(#result > 0)
      else
        assert.is_table(result)
        if op.paginated then
          local items = pager.read(result)
          assert.is_table(items)
        end
      end
    end)
  end
end)
