-- unipile.core multipart bodies: file and data parts, types, filenames,
-- repeated names; what add refuses.
local cs = require "support.core_server"
local sys = require "unipile.sandbox.sys"
local run = cs.run

describe("core multipart", function()
  local server, m, base, tmp, body
  setup(function()
    server = cs.start()
    base, tmp = server.base, server.tmp
    m = cs.smoke_multi()
    local upload = tmp .. "/doc.txt"
    sys.write_file(upload, "file-content-123\n")
    body = run({ url = base .. "/echo", method = "POST", parts = {
      { name = "doc", file = upload },
      { name = "meta", data = '{"k":1}', type = "application/json" },
      { name = "tag", data = "one" },
      { name = "tag", data = "two" },
      { name = "blob", data = "\1\2\3", filename = "b.bin", type = "application/octet-stream" },
      { name = "renamed", file = upload, filename = "other.txt" },
    } }, m).body or ""
  end)
  teardown(function()
    m:close()
    server:stop()
  end)

  local function holds(s) assert.truthy(body:find(s, 1, true), body:sub(1, 300)) end

  it("multipart content type", function() holds("content-type=multipart/form-data; boundary=") end)

  it("multipart file part", function()
    holds('name="doc"; filename="doc.txt"')
    holds("file-content-123")
  end)

  it("multipart data part with type", function() holds('name="meta"\r\nContent-Type: application/json\r\n\r\n{"k":1}') end)

  it("multipart repeated names", function()
    local _, tags = body:gsub('name="tag"\r\n', "")
    assert.are.equal(2, tags)
    holds("\r\n\r\none\r\n")
    holds("\r\n\r\ntwo\r\n")
  end)

  it("data part with filename is a file part", function() holds('name="blob"; filename="b.bin"') end)

  it("file part with explicit filename", function() holds('name="renamed"; filename="other.txt"') end)

  -- name, request, what the error says (nil: any error)
  local refused = {
    { "missing upload file is a Lua error at add",
      function() return { url = base .. "/echo", method = "POST", parts = { { name = "f", file = tmp .. "/missing.txt" } } } end,
      "cannot send file" },
    { "CR/LF in part name refused",
      function() return { url = base .. "/echo", parts = { { name = "a\r\nX: y", data = "1" } } } end, "CR" },
    { "body and parts are exclusive", function() return { url = base .. "/echo", body = "x", parts = {} } end },
  }
  for _, case in ipairs(refused) do
    it(case[1], function()
      local ok, err = pcall(m.add, m, case[2]())
      assert.is_false(ok)
      if case[3] then assert.truthy(tostring(err):find(case[3], 1, true), err) end
    end)
  end
end)
