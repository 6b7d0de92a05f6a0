-- What the sandbox saw of a call, checked against the values it was made
-- with: the specs that send every operation (every_operation_spec through
-- the SDK, command_line_spec through the command line) share these checks.
local assert = require "luassert"
local encode = require "unipile.encode"

local M = {}

function M.scalar(v) return (encode.scalar(v)) end

--- Each query value of `values.query` is what the request's `args` hold
-- (a list: every item, in order, as text).
function M.query(values, args)
  for name, v in pairs(values.query) do
    local got = args[name]
    if type(v) == "table" then
      local want = {}
      for i, item in ipairs(v) do want[i] = M.scalar(item) end
      assert.are.same(want, type(got) == "table" and got or { got }, name)
    else
      assert.are.equal(M.scalar(v), got, name)
    end
  end
end

--- The names of the multipart parts the request holds (`attachments[0]`
-- counts as `attachments`) include every body value's.
function M.parts(values, parts)
  local names = {}
  for _, part in ipairs(parts) do names[part.name:match("^[^%[]+")] = true end
  for name in pairs(values.body) do assert.is_true(names[name] == true, name) end
end

return M
