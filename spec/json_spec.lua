-- core.json_decode (src/json.c) against lua-cjson 2.1.0's decode, which it
-- replaces for response bodies: the same values (an integer may come back
-- where cjson gives the equal float), the same errors, and where the two
-- differ on purpose, the difference is spelled out here.
local core = require "unipile.core"
local cjson = require "cjson"

local decode = core.json_decode
local null = cjson.null
-- luacheck: read globals math.type math.maxinteger math.mininteger (5.3+: only behind HAS_INTEGERS)
local HAS_INTEGERS = math.type ~= nil -- Lua 5.3+

local rules = require "json_rules"
local same = rules.same

local function show(s)
  return (("%q"):format(s):gsub("\\\n", "\\n"))
end

local function assert_like_cjson(text)
  local ok, want = pcall(cjson.decode, text)
  assert(ok, "cjson rejects " .. show(text) .. ": " .. tostring(want))
  local ok2, got = pcall(decode, text)
  assert(ok2, "json_decode rejects " .. show(text) .. ": " .. tostring(got))
  assert(same(want, got), "different values for " .. show(text))
  return got
end

local VALID = {
  -- scalars at the top level
  "true", "false", "null", '""', '"x"', "0", "1", "-1",
  -- every escape
  [["\"\\\/\b\f\n\r\t"]], [["a\"b"]], [["\\"]], [["\\\""]], [["\/\/"]],
  [["\u0041\u00e9\u00E9\u20AC\uFFFF\u0800\u07FF\u0080\u007F"]],
  [["\uD83D\uDE00 \ud83d\ude00 \uDBFF\uDFFF \uD800\uDC00"]],
  [["\u0000"]], [["a\u0000b\u0000"]], [["x\n\u0001y"]],
  -- bytes passed through: UTF-8, control characters (invalid JSON, cjson takes them)
  '"été 日本 😀"', '"tab\there"', '"\1\31\127\255"',
  -- numbers
  "0.0", "-0", "-0.0", "1.5", "-1.5e-3", "1E2", "1e+2", "1e-2", "0.1", "10", "100",
  "123456789012345678", "-123456789012345678", "999999999999999999",
  "1234567890123456789", "9007199254740993", "9223372036854775807", "-9223372036854775808",
  "9223372036854775808", "-9223372036854775809", "12345678901234567890123",
  "1e400", "-1e400", "1e-400", "2.2250738585072014e-308", "4.9e-324", "1.7976931348623157e308",
  "0." .. ("0"):rep(100) .. "1", "1" .. ("0"):rep(70), "-" .. ("9"):rep(30) .. ".5e-3",
  -- containers
  "[]", "{}", "[[]]", "[{}]", '{"a":[]}', '{"a":{}}', "[1,[2,[3,[4]]]]", '[1,"a",true,false,null]',
  "[null]", "[1,null,3]", "[null,null]", '{"a":null}', '{"a":null,"b":[null]}',
  '{"a":1,"a":2}', '{"":1}', [[{"a\nb":1,"\u00e9":2,"\\":3}]], '{"k":{"k":{"k":"v"}}}',
  -- whitespace everywhere
  ' \t\r\n{ "a" : [ 1 , 2 , { } , [ ] ] , "b" : { "c" : null } } \n\t ',
  " [ ] ", "\n1\n", ' "s" ',
}

local function big_array(n) local t = {} for i = 1, n do t[i] = tostring(i) end return "[" .. table.concat(t, ",") .. "]" end
local function big_object(n)
  local t = {} for i = 1, n do t[i] = ('"k%d":%d'):format(i, i) end return "{" .. table.concat(t, ",") .. "}"
end
-- many members: filled in batches instead of at once
for _, n in ipairs({ 255, 256, 257, 511, 512, 513, 1025, 5000 }) do
  VALID[#VALID + 1] = big_array(n)
  VALID[#VALID + 1] = big_object(n)
end
VALID[#VALID + 1] = "[" .. ("[1,2,3],"):rep(999) .. "[1,2,3]]"
VALID[#VALID + 1] = "[" .. ('{"id":"x","n":null,"a":[1,null]},'):rep(300) .. "{}]"
-- Objects of one shape (same first key), each differing from the one
-- before where the decoder guesses a key or a string value from it: longer,
-- shorter, escaped, reordered, missing, extra, nested, another type.
VALID[#VALID + 1] = '[{"t":"Chat","id":"a","n":1},{"t":"Chatter","id":"b","n":2},{"t":"Cha","id":"c"},'
  .. '{"t":"Chat\\n","id":"d"},{"t":"Chat","ids":"e"},{"t":"Chat","i":"f"},{"t":"Chat","id\\u0041":"g"},'
  .. '{"t":"Chat","n":3,"id":"h"},{"t":"Chat"},{"t":"Chat","id":"a","n":1,"x":{"t":"Chat","id":1}},'
  .. '{"t":1,"id":["a"]},{"t":"Chat","id":"a","id":"b"},{"t":"","id":""},{"t":"Chat","id":"a","n":1}]'
VALID[#VALID + 1] = "[" .. ('{"k":"v","w":"x"},'):rep(40) .. '{"k":"v","w":"x2"},{"k":"v","w":"x"}]'
-- a member whose values keep changing (past the misses after which they skip the caches), then repeat
VALID[#VALID + 1] = '[{"t":1,"v":"a1"},{"t":1,"v":"a2"},{"t":1,"v":"a3"},{"t":1,"v":"a3"},{"t":1,"v":"a\\n"},'
  .. '{"t":1,"v":""},{"t":1,"v":1},{"t":1,"v":"' .. ("x"):rep(41) .. '"},{"t":1,"v":"a3"}]'

describe("core.json_decode", function()
  it("decodes like cjson.decode", function()
    for _, text in ipairs(VALID) do assert_like_cjson(text) end
  end)

  it("decodes escapes and surrogate pairs to UTF-8", function()
    assert.are.equal('"\\/\b\f\n\r\t', decode([["\"\\\/\b\f\n\r\t"]]))
    assert.are.equal("A\195\169\226\130\172\239\191\191", decode([["\u0041\u00e9\u20AC\uffff"]]))
    assert.are.equal("\240\159\152\128", decode([["\uD83D\uDE00"]]))
    assert.are.equal("\244\143\191\191", decode([["\uDBFF\uDFFF"]]))
    assert.are.equal("a\0b", decode([["a\u0000b"]]))
    assert.are.equal("x", decode('{"\\u0078":"x"}').x)
  end)

  it("keeps raw NUL bytes inside strings (cjson stops at the first NUL)", function()
    assert.are.equal("a\0b", decode('"a\0b"'))
    assert.are.same({ "\0", "x\0\0y" }, decode('["\0","x\0\0y"]'))
    assert.are.equal(1, decode('{"k\0":1}')["k\0"])
    assert.is_false(pcall(cjson.decode, '"a\0b"'))
  end)

  it("gives null as cjson.null and keeps arrays' length", function()
    local t = decode("[1,null,null]")
    assert.are.equal(3, #t)
    assert.are.equal(null, t[2])
    assert.are.equal(null, t[3])
    assert.are.equal(null, decode("null"))
    assert.are.equal(null, decode('{"a":null}').a)
    assert.are.equal(require("unipile").null, decode("null"))
  end)

  it("gives integers where they fit (5.3+), floats otherwise, -0 as -0.0", function()
    assert.are.equal(0, #decode("[]"))
    assert.are.same({}, decode("{}"))
    assert.are.equal(-math.huge, 1 / decode("-0"))
    assert.are.equal(-math.huge, 1 / decode("-0.0"))
    assert.are.equal(math.huge, decode("1e400"))
    assert.are.equal(-math.huge, decode("-1e400"))
    assert.are.equal(0, decode("1e-400"))
    assert.are.equal(2 ^ 53, decode("9007199254740992"))
    if HAS_INTEGERS then
      assert.are.equal("integer", math.type(decode("1")))
      assert.are.equal("integer", math.type(decode("-123456789012345678")))
      assert.are.equal(math.maxinteger, decode("9223372036854775807"))
      assert.are.equal(math.mininteger, decode("-9223372036854775808"))
      assert.are.equal(9007199254740993, decode("9007199254740993"))
      assert.are.equal("float", math.type(decode("9223372036854775808")))
      assert.are.equal("float", math.type(decode("1.0")))
      assert.are.equal("float", math.type(decode("1e2")))
      assert.are.equal(100.0, decode("1e2"))
    else
      assert.are.equal(123456789012345678, decode("123456789012345678"))
    end
  end)

  it("keeps the last of two equal keys, as cjson", function()
    assert.are.equal(2, decode('{"a":1,"a":2}').a)
    local t = {}
    for i = 1, 600 do t[i] = ('"k%d":%d'):format(i % 7, i) end
    assert.are.same(cjson.decode("{" .. table.concat(t, ",") .. "}"), decode("{" .. table.concat(t, ",") .. "}"))
  end)

  -- Errors: the same message as cjson where cjson rejects the text too.
  local INVALID = {
    { "", "Expected value but found T_END at character 1" },
    { " ", "Expected value but found T_END at character 2" },
    { "[", "Expected value but found T_END at character 2" },
    { "]", "Expected value but found T_ARR_END at character 1" },
    { "{", "Expected object key string but found T_END at character 2" },
    { "[1,]", "Expected value but found T_ARR_END at character 4" },
    { "[,1]", "Expected value but found T_COMMA at character 2" },
    { "[1 2]", "Expected comma or array end but found T_NUMBER at character 4" },
    { "[1,2", "Expected comma or array end but found T_END at character 5" },
    { '{"a"}', "Expected colon but found T_OBJ_END at character 5" },
    { '{"a":}', "Expected value but found T_OBJ_END at character 6" },
    { '{"a":1,}', "Expected object key string but found T_OBJ_END at character 8" },
    { '{"a":1 "b":2}', "Expected comma or object end but found T_STRING at character 8" },
    { "{1:2}", "Expected object key string but found T_NUMBER at character 2" },
    { "{'a':1}", "Expected object key string but found invalid token at character 2" },
    { "[1]x", "Expected the end but found invalid token at character 4" },
    { "[1] [2]", "Expected the end but found T_ARR_BEGIN at character 5" },
    { "[1,2]]", "Expected the end but found T_ARR_END at character 6" },
    { "[true false]", "Expected comma or array end but found T_BOOLEAN at character 7" },
    { "nul", "Expected value but found invalid token at character 1" },
    { "tru", "Expected value but found invalid token at character 1" },
    { "True", "Expected value but found invalid token at character 1" },
    { "/* */ 1", "Expected value but found invalid token at character 1" },
    { "\239\187\191[1]", "Expected value but found invalid token at character 1" },
    { '"abc', "Expected value but found unexpected end of string at character 5" },
    { '"abc\\"', "Expected value but found unexpected end of string at character 7" },
    { [["\x"]], "Expected value but found invalid escape code at character 2" },
    { [["\'"]], "Expected value but found invalid escape code at character 2" },
    { [[{"a\x":1}]], "Expected object key string but found invalid escape code at character 4" },
    { [["\u12"]], "Expected value but found invalid unicode escape code at character 2" },
    { [["\u12G4"]], "Expected value but found invalid unicode escape code at character 2" },
    { [=[[1,"\uZZZZ"]]=], "Expected value but found invalid unicode escape code at character 5" },
    -- lone, unpaired or reversed surrogates are errors, as in cjson
    { [["\uD800"]], "Expected value but found invalid unicode escape code at character 2" },
    { [["\uDC00"]], "Expected value but found invalid unicode escape code at character 2" },
    { [["\uD800\u0041"]], "Expected value but found invalid unicode escape code at character 2" },
    { [["\uD800x"]], "Expected value but found invalid unicode escape code at character 2" },
    { [["\uDC00\uD800"]], "Expected value but found invalid unicode escape code at character 2" },
    { [["ab\uD83D\uD83D"]], "Expected value but found invalid unicode escape code at character 4" },
    { "-", "Expected value but found invalid number at character 1" },
    { "--1", "Expected value but found invalid number at character 1" },
    { "[-]", "Expected value but found invalid number at character 2" },
    { ".5", "Expected value but found invalid token at character 1" },
    { "1.5.3", "Expected the end but found invalid token at character 4" },
  }
  -- Rejected with messages of their own: cjson names another position or
  -- token for the first five, and accepts the rest.
  local INVALID_HERE = {
    { '"\\', "Expected value but found unexpected end of string at character 3" },
    { "1e", "Expected value but found invalid number at character 1" },
    { "1e+", "Expected value but found invalid number at character 1" },
    { "[1e]", "Expected value but found invalid number at character 2" },
    { "\0", "Expected value but found invalid token at character 1" },
    -- cjson accepts these (not JSON); no encoder writes them, we reject them
    { "+1", "Expected value but found invalid token at character 1" },
    { "01", "Expected the end but found T_NUMBER at character 2" },
    { "-01", "Expected the end but found T_NUMBER at character 3" },
    { "1.", "Expected value but found invalid number at character 1" },
    { "[1.e3]", "Expected value but found invalid number at character 2" },
    { "0x10", "Expected the end but found invalid token at character 2" },
    { "inf", "Expected value but found invalid token at character 1" },
    { "-inf", "Expected value but found invalid number at character 1" },
    { "nan", "Expected value but found invalid token at character 1" },
    { "NaN", "Expected value but found invalid token at character 1" },
    { "Infinity", "Expected value but found invalid token at character 1" },
    { "[1]\0", "Expected the end but found invalid token at character 4" }, -- cjson stops at the NUL
  }
  -- ends right inside or after a key or a value the decoder guesses from the
  -- object before (cut while the guess still matches): cjson's messages
  local SHAPED = '[{"ab":1,"cd":"ef"},{"ab":1,"cd":"ef"}]'
  for cut = #'[{"ab":1,"cd":"ef"},{"ab":1,"c', #SHAPED - 1 do
    local text = SHAPED:sub(1, cut)
    INVALID[#INVALID + 1] = { text, select(2, pcall(cjson.decode, text)) }
  end

  local function assert_raises(case)
    local ok, err = pcall(decode, case[1])
    assert(not ok, "accepted " .. show(case[1]))
    assert(err == case[2], show(case[1]) .. ": got " .. tostring(err) .. ", want " .. case[2])
    return err
  end

  it("raises cjson's messages on malformed input", function()
    for _, case in ipairs(INVALID) do
      local err = assert_raises(case)
      local cok, cerr = pcall(cjson.decode, case[1])
      assert(not cok and cerr == err, show(case[1]) .. ": cjson says " .. tostring(cerr))
    end
    for _, case in ipairs(INVALID_HERE) do
      local err = assert_raises(case)
      -- where cjson accepts, the fuzzer's rule must name it a lax number
      if not case[1]:find("\0", 1, true) and pcall(cjson.decode, case[1]) then
        assert(rules.lax_number(case[1], err), show(case[1]) .. " is not a lax number")
      end
    end
    assert.has_error(function() decode() end)
    assert.has_error(function() decode({}) end)
  end)

  it("limits nesting to 1000 levels, like cjson, without overflowing any stack", function()
    for _, open in ipairs({ { "[", "]" }, { '{"a":', "}" } }) do
      local ok_doc = open[1]:rep(1000) .. "1" .. open[2]:rep(1000)
      assert_like_cjson(ok_doc)
      local ok, err = pcall(decode, open[1]:rep(1001) .. "1" .. open[2]:rep(1001))
      assert.is_false(ok)
      assert.matches("^Found too many nested data structures %(1001%) at character", err)
      assert.is_false(pcall(decode, open[1]:rep(200000)))
    end
  end)

  it("stays within the stack when many members wait at many levels", function()
    -- 300 members, then the next level: without the stack budget this
    -- would hold 300 slots per level (Lua 5.1 and LuaJIT allow 8000).
    local a, o = {}, {}
    for i = 1, 300 do a[i] = tostring(i) o[i] = ('"k%d":%d'):format(i, i) end
    local arr = ("[" .. table.concat(a, ",") .. ","):rep(200) .. "[]" .. ("]"):rep(200)
    local obj = ("{" .. table.concat(o, ",") .. ',"next":'):rep(200) .. "{}" .. ("}"):rep(200)
    local t = assert_like_cjson(arr)
    for _ = 1, 199 do assert.are.equal(301, #t) assert.are.equal(300, t[300]) t = t[301] end
    t = assert_like_cjson(obj)
    for _ = 1, 199 do assert.are.equal(300, t.k300) t = t.next end
  end)

  -- A deterministic PRNG (Park-Miller: exact in doubles, same on 5.1 and 5.4).
  local seed
  local function rand(n) seed = (seed * 48271) % 2147483647 return seed % n + 1 end
  local PIECES = { "a", "Z", " ", '"', "\\", "/", "\n", "\t", "\1", "\31", "\127", "é", "日", "😀", "\0", "\200" }
  local function rstring()
    local t = {}
    for i = 1, rand(12) - 1 do t[i] = PIECES[rand(#PIECES)] end
    return table.concat(t)
  end
  local function rnumber()
    local k = rand(6)
    if k == 1 then return rand(2000) - 1000 end
    if k == 2 then return (rand(2147483647) - 1073741824) * 4096 + rand(4096) end -- beyond 2^31
    if k == 3 then return (rand(20001) - 10001) / (rand(997)) end
    if k == 4 then return (rand(1000) / 7) * 10 ^ (rand(600) - 300) end
    if k == 5 then return -(rand(1000) / 3) * 10 ^ (rand(40) - 20) end
    return 0
  end
  local function rvalue(depth)
    local k = rand(depth > 4 and 5 or 8)
    if k == 1 then return rstring() end
    if k == 2 then return rnumber() end
    if k == 3 then return rand(2) == 1 end
    if k == 4 then return null end
    if k == 5 then return rnumber() end
    local t = {}
    if k == 6 then for i = 1, rand(8) - 1 do t[i] = rvalue(depth + 1) end
    else for _ = 1, rand(8) - 1 do t[rstring()] = rvalue(depth + 1) end end
    return t
  end

  it("round-trips random values encoded by cjson like cjson.decode does", function()
    seed = 20261123
    for _ = 1, 1500 do assert_like_cjson(cjson.encode(rvalue(0))) end
  end)

  it("survives random mutations of valid documents: a value or an error, never a crash", function()
    seed = 424242
    local docs = {}
    for _, text in ipairs(VALID) do if #text < 2000 then docs[#docs + 1] = text end end
    for _ = 1, 60 do docs[#docs + 1] = cjson.encode(rvalue(0)) end
    local BYTES = { "[", "]", "{", "}", '"', "\\", ":", ",", "u", "0", "-", "e", ".", " ", "\0", "n", "t" }
    local decoded, raised = 0, 0
    for _ = 1, 4000 do
      local s = docs[rand(#docs)]
      for _ = 1, rand(3) do
        local i = rand(#s + 1)
        local k = rand(6)
        local b = rand(2) == 1 and BYTES[rand(#BYTES)] or string.char(rand(256) - 1)
        if k == 1 then s = s:sub(1, i - 1) .. b .. s:sub(i + 1)           -- replace
        elseif k == 2 then s = s:sub(1, i - 1) .. b .. s:sub(i)           -- insert
        elseif k == 3 then s = s:sub(1, i - 1) .. s:sub(i + 1)            -- delete
        elseif k == 4 then s = s:sub(1, i - 1)                            -- truncate
        elseif k == 5 then s = s:sub(1, i) .. s:sub(rand(#s + 1))         -- splice
        else s = s:sub(1, i - 1) .. s:sub(i, i + rand(8)):rep(2) .. s:sub(i + 9) end
      end
      -- accepted and rejected alike by cjson, bar lax numbers and raw NULs
      local why = rules.compare(decode, s)
      assert(why == nil, tostring(why) .. " on " .. show(s))
      if pcall(decode, s) then decoded = decoded + 1 else raised = raised + 1 end
    end
    assert.is_true(decoded > 100 and raised > 100)
  end)
end)

-- Around a big decode the collector's debt is moved to the next big one
-- (src/json.c, gc_hold: 5.4.4+), never forgiven, also when the document
-- fails; a stopped collector is left alone. On the other runtimes these
-- hold as they always did.
describe("core.json_decode and the garbage collector", function()
  local parts = {}
  for i = 1, 1500 do parts[i] = ('{"id":"%08d-%d","n":%d,"s":"text %d"}'):format(i * 7919, i, i, i % 10) end
  local BIG = "[" .. table.concat(parts, ",") .. "]"            -- ~70 KB, ~200 KB of tables
  local MODES = { "incremental", "generational" }

  -- How far the heap grew over `n` decodes of `text`, and the bound it
  -- must stay under: 16 MB, plus twice the heap the loop started from (a
  -- collector at the default pause of 200% lets the heap reach twice what
  -- a cycle left, which in a whole suite's process is already several MB).
  -- A debt forgiven instead of moved grows with `n`: 600 decodes allocate
  -- about 120 MB.
  local function growth_kb(n, text)
    collectgarbage()
    local base, peak = collectgarbage("count"), 0
    for _ = 1, n do
      pcall(decode, text)
      peak = math.max(peak, collectgarbage("count") - base)
    end
    return peak, 16 * 1024 + 2 * base
  end

  local function in_each_mode(fn)
    for _, mode in ipairs(MODES) do
      -- 5.4 has both modes; elsewhere the runtime's own (5.2's "generational"
      -- is another thing: left alone)
      local ok, previous = false, nil
      if _VERSION == "Lua 5.4" then ok, previous = pcall(collectgarbage, mode) end
      fn(ok and mode or "default")
      if ok and previous then collectgarbage(previous) end
    end
  end

  it("keeps memory bounded through a loop of big decodes, in every collector mode", function()
    in_each_mode(function(mode)
      local kb, bound = growth_kb(600, BIG)
      assert(kb < bound, mode .. ": memory grew by " .. math.floor(kb) .. " KB (bound " .. math.floor(bound) .. ")")
    end)
  end)

  it("keeps memory bounded through a loop of big documents that fail to decode", function()
    in_each_mode(function(mode)
      local kb, bound = growth_kb(600, BIG:sub(1, -2) .. ",}")   -- the error at the very end
      assert(kb < bound, mode .. ": memory grew by " .. math.floor(kb) .. " KB (bound " .. math.floor(bound) .. ")")
    end)
  end)

  it("leaves a stopped collector stopped", function()
    collectgarbage()
    local finalized = false
    collectgarbage("stop")
    do setmetatable({}, { __gc = function() finalized = true end }) end   -- garbage (5.2+ runs it)
    for _ = 1, 5 do decode(BIG) end
    local ran = finalized                          -- read before the collector runs again
    local running = select(2, pcall(collectgarbage, "isrunning"))   -- 5.2+, LuaJIT
    collectgarbage("restart")
    assert.is_false(ran)
    if type(running) == "boolean" then assert.is_false(running) end
  end)
end)
