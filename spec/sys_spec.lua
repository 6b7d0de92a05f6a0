-- unipile.sandbox.sys: the shell and file helpers answer the same under
-- every runtime (Lua 5.1/LuaJIT's os.execute gives a raw wait status).
local sys = require "unipile.sandbox.sys"

describe("unipile.sandbox.sys", function()
  describe("execute", function()
    -- command, ok, exit code, signal
    local cases = {
      { "true", true, 0, nil },
      { "false", false, 1, nil },
      { "exit 3", false, 3, nil },
      { "exit 200", false, 200, nil },
      { "kill -TERM $$", false, 143, 15 },
      { "kill -KILL $$", false, 137, 9 },
    }
    for _, case in ipairs(cases) do
      it(case[1] .. " → " .. tostring(case[2]) .. ", " .. case[3], function()
        local ok, code, signal = sys.execute(case[1])
        assert.are.equal(case[2], ok)
        assert.are.equal(case[3], code)
        assert.are.equal(case[4], signal)
      end)
    end
  end)

  describe("quote and word", function()
    local words = { "plain", "it's", "a b", "$HOME", "`id`", "back\\slash", "semi;colon", "", "new\nline", "*" }
    for _, w in ipairs(words) do
      it(string.format("%q reaches the command as it is", w), function()
        for _, quote in ipairs({ sys.quote, sys.word }) do
          assert.are.equal("[" .. w .. "]", (sys.capture("printf '[%s]' " .. quote(w))))
        end
      end)
    end

    it("word leaves NAME=value and URLs bare", function()
      assert.are.equal("UNIPILE_DSN=http://127.0.0.1:8080/x", sys.word("UNIPILE_DSN=http://127.0.0.1:8080/x"))
      assert.are.equal("'a b'", sys.word("a b"))
    end)
  end)

  it("capture: stdout without its trailing white space, then the status", function()
    local out, ok, code = sys.capture("printf 'one\\ntwo \\n\\n'")
    assert.are.equal("one\ntwo", out)
    assert.is_true(ok)
    assert.are.equal(0, code)
  end)

  it("write_file, read_file, readable, temp_dir", function()
    local dir = sys.temp_dir("unipile-sys-spec")
    finally(function() sys.execute("rm -rf " .. sys.quote(dir)) end)
    assert.is_truthy(dir:find("/unipile%-sys%-spec%.%w+$"), dir)
    local path = dir .. "/f.bin"
    assert.is_false(sys.readable(path))
    assert.is_nil(sys.read_file(path))
    sys.write_file(path, "a\0b\r\n")
    assert.is_true(sys.readable(path))
    assert.are.equal("a\0b\r\n", sys.read_file(path))
    assert.has_error(function() sys.write_file(dir .. "/no/such/dir", "x") end)
  end)

  it("tail: the last n lines", function()
    assert.are.equal("3\n4", sys.tail("1\n2\n3\n4\n", 2))
    assert.are.equal("1\n2", sys.tail("1\n\n2", 5))
    assert.are.equal("", sys.tail(nil))
  end)

  it("which, cwd, alive, terminate, free_port", function()
    assert.are.equal("/bin/sh", (sys.which("sh"):gsub("^/usr", "")))
    assert.is_nil(sys.which("no-such-program-unipile"))
    assert.are.equal(sys.capture("pwd"), sys.cwd())
    local pid = sys.capture("sleep 30 >/dev/null 2>&1 & echo $!")
    assert.is_true(sys.alive(pid))
    sys.terminate(pid, 2)
    assert.is_false(sys.alive(pid))
    local port = sys.free_port()
    assert.is_true(port > 0 and port < 65536)
  end)
end)
