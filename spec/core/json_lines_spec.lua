-- core.json_lines(s, key): the items of a page as NDJSON lines, framed from
-- the body's own bytes (src/json_lines.c), or nothing when it cannot be
-- done byte for byte (the CLI then encodes the decoded items).
local core = require "unipile.core"
local cjson = require "cjson"

local CASES = {
  { "members minified, one a line",
    '{"object":"X","items":[ {"a": 1, "b":[1, 2,{"c":"x y"}]}, 3 ,"s\\"t", null,true],"cursor":null}',
    '{"a":1,"b":[1,2,{"c":"x y"}]}\n3\n"s\\"t"\nnull\ntrue\n', 5 },
  { "an empty list", '{"items":[]}', "", 0 },
  { "whitespace everywhere", ' \n{ "items" :\t[ 1 ,\r\n 2 ] } \n', "1\n2\n", 2 },
  { "the key nested elsewhere is not it", '{"x":{"items":[9]},"items":[12.5e3,-1]}', "12.5e3\n-1\n", 2 },
  { "escapes kept as sent", '{"items":["\\u00e9\\n\\\\"]}', '"\\u00e9\\n\\\\"\n', 1 },
}

local REFUSED = {
  { "a second items (the decoder keeps the last)", '{"items":[1],"items":[2]}' },
  { "items an object", '{"items":{}}' },
  { "no such key", '{"data":[1]}' },
  { "the key written with an escape", '{"it\\u0065ms":[1]}' },
  { "a raw newline inside a string", '{"items":["a\nb"]}' },
  { "a NUL byte", '{"items":[1\0002]}' },
  { "an array at the top", '[1]' },
  { "empty text", "" },
  { "cut inside the list", '{"items":[1,2' },
  { "cut inside a string", '{"items":["abc' },
  { "cut after the list", '{"items":[1,2]' },
  { "two commas", '{"items":[1,,2]}' },
  { "no comma", '{"items":[1 2]}' },
  { "a colon in the list", '{"items":[:]}' },
  { "a stray closer", '{"items":[1]]}' },
  { "an empty object", '{}' },
}

describe("core.json_lines", function()
  for _, c in ipairs(CASES) do
    it(c[1], function()
      local lines, n = core.json_lines(c[2], "items")
      assert.are.equal(c[3], lines)
      assert.are.equal(c[4], n)
    end)
  end

  for _, c in ipairs(REFUSED) do
    it("refuses " .. c[1], function()
      assert.are.equal(0, select("#", core.json_lines(c[2], "items")))
    end)
  end

  it("gives back, line by line, what the decoder reads from the same body", function()
    local items = {}
    for i = 1, 40 do
      items[i] = { id = "m" .. i, text = ("é \"quoted\" \\ /\t" .. i):rep(i % 3 + 1), n = i * 1.5,
        list = { i, { deep = { true, false } }, "x" }, empty = {}, none = cjson.null }
    end
    local body = cjson.encode { object = "MessageList", items = items, cursor = "c2" }
    local lines, n = core.json_lines(body, "items")
    assert.are.equal(40, n)
    local decoded, i = core.json_decode(body).items, 0
    for line in lines:gmatch("([^\n]*)\n") do
      i = i + 1
      assert.are.same(decoded[i], core.json_decode(line))
    end
    assert.are.equal(40, i)
  end)
end)
