-- A path id never sends a call to another operation: ".", ".." and
-- "a/../b" are sent as one segment each ("%2E%2E", "a%2F..%2Fb") and reach
-- the sandbox as the operation called, for every path param of every
-- operation. A raw request path cannot leave the configured prefix.
local encode = require "unipile.encode"
local errors = require "unipile.errors"
local operations = require "unipile.operations"
local support = require "support"

local VALUES = { ".", "..", "a/../b", "...", "%2E%2E" }

-- Where `{name}` sits in the operation's path segments.
local function position(op, name)
  for i, seg in ipairs(op.segments) do
    if seg == "{" .. name .. "}" then return i end
  end
end

describe("path safety", function()
  describe("encode.path", function()
    local cases = {
      { ".", "/x/%2E/y" }, { "..", "/x/%2E%2E/y" }, { "...", "/x/%2E%2E%2E/y" },
      { "a/../b", "/x/a%2F..%2Fb/y" }, { "..a", "/x/..a/y" }, { "a.b", "/x/a.b/y" },
    }
    for _, case in ipairs(cases) do
      it("sends " .. case[1] .. " as " .. case[2], function()
        assert.are.equal(case[2], encode.path("/x/{id}/y", { id = case[1] }))
      end)
    end
  end)

  describe("every path param of every operation", function()
    local client, examples
    setup(function()
      support.reset()
      examples = support.examples()
    end)
    before_each(function()
      support.reset()
      client = support.client { retries = 0 }
    end)

    for _, op in ipairs(operations.list) do
      for _, name in ipairs(op.path_params) do
        for _, value in ipairs(VALUES) do
          it(op.id .. " " .. name .. " = " .. value, function()
            local params = {}
            for k, v in pairs(examples[op.id] or {}) do params[k] = v end
            params[name] = value
            local ok, err = pcall(client.call, client, op.id, params)
            if not ok then assert.is_true(errors.is(err, "http"), tostring(err)) end
            local reqs = support.requests()
            assert.are.equal(1, #reqs, "requests recorded")
            local rec = reqs[1]
            assert.are.equal(op.method, rec.method)
            assert.are.equal(op.id, rec.operation, rec.path)
            assert.are.equal(#op.segments, #rec.segments, rec.path)
            assert.are.equal(value, rec.segments[position(op, name)], rec.path)
          end)
        end
      end
    end
  end)

  describe("raw request paths", function()
    local client
    before_each(function()
      support.reset()
      client = support.client()
    end)
    local bad = { "/../../x", "/api/v1/../x", "/api/v1/accounts/..", "/api/v1/./accounts", "/%2e%2e/x",
      "/api/v1/%2E%2E/x", "/api/v1/.%2e/x", "/api/v1/%2e/accounts", "/api/v1//accounts", "//evil.example/x" }
    for _, path in ipairs(bad) do
      it("refuses " .. path, function()
        local err = support.catch(client.request, client, { path = path })
        assert.is_true(errors.is(err, "usage"), tostring(err))
        assert.are.equal("path", err.param)
        assert.are.equal(0, #support.requests())
      end)
    end
    it("sends a path with dots inside segments as is", function()
      local err = support.catch(client.request, client, { path = "/api/v1/chats/a..b" })
      assert.are.equal(404, err.status)
      assert.are.equal("/api/v1/chats/a..b", support.last().path)
    end)
  end)
end)
