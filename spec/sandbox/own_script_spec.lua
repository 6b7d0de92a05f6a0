-- bin/unipile-sandbox from a checkout, as a newcomer uses it: `run -- LUA
-- my_script.lua` from another directory with no LUA_PATH nor LUA_CPATH
-- set (run gives the interpreter this checkout's lua/ and build/<its
-- runtime>/), one clear line when that runtime has no build, and one line
-- (not nginx's bind errors) when --port is taken.
local shell = require "support.shell"
local sys = require "unipile.sandbox.sys"
local socket = require "socket"
local quote = sys.quote

local LUA = os.getenv("UNIPILE_TEST_LUA") or "lua5.4"
local ROOT = sys.cwd()

local SCRIPT = [[
local unipile = require "unipile"
print(#unipile.new().accounts:list().items .. " accounts")
print("from " .. debug.getinfo(unipile.new, "S").source)
]]

describe("bin/unipile-sandbox, a script of one's own", function()
  local AWAY
  -- `cli` (the command line of an unipile-sandbox) with `args`, run from
  -- AWAY with no Lua paths → stdout, exit code, stderr
  local function away(cli, args)
    local out, rc = shell.run("cd " .. quote(AWAY) .. " && " .. shell.clean("-u LUA_PATH -u LUA_CPATH " .. LUA .. " "
      .. cli .. " " .. args) .. " 2>" .. quote(AWAY .. "/stderr"))
    return out, rc, sys.read_file(AWAY .. "/stderr")
  end
  setup(function()
    AWAY = shell.tmpdir()
    sys.write_file(AWAY .. "/my_script.lua", SCRIPT)
  end)
  teardown(function() shell.remove(AWAY) end)

  it("run -- " .. LUA .. " my_script.lua from another directory loads this checkout's unipile", function()
    local out, rc, err = away(quote(ROOT .. "/bin/unipile-sandbox"), "run -- " .. LUA .. " my_script.lua")
    assert.are.equal(0, rc, err)
    assert.truthy(tonumber(out:match("^(%d+) accounts")) > 0, out)
    assert.truthy(out:find("from @" .. ROOT .. "/lua/unipile/", 1, true), out)
  end)

  it("run -- a runtime this checkout has not built: one line naming tools/build.sh", function()
    -- a checkout with no build/: bin/ and lua/ only
    local copy = AWAY .. "/checkout"
    sys.execute("mkdir -p " .. quote(copy .. "/bin") .. " && cp bin/unipile-sandbox " .. quote(copy .. "/bin/")
      .. " && ln -s " .. quote(ROOT .. "/lua") .. " " .. quote(copy .. "/lua"))
    local runtime = LUA == "luajit" and "luajit" or "lua" .. (LUA:match("%d+%.%d+"))
    local out, rc, err = away(quote(copy .. "/bin/unipile-sandbox"), "run -- " .. LUA .. " my_script.lua")
    assert.are.same({ 1, "" }, { rc, out })
    assert.are.equal(("unipile-sandbox run: %s is %s and %s/build/%s/unipile/core.so is missing: run tools/build.sh %s first\n")
      :format(LUA, LUA == "luajit" and "Lua 5.1 (LuaJIT)" or "Lua " .. LUA:match("%d+%.%d+"), copy, runtime, runtime), err)
  end)

  it("examples/quickstart.lua on the sandbox says where it ran and what to try next", function()
    local out, rc, err = away(quote(ROOT .. "/bin/unipile-sandbox"),
      "run -- " .. LUA .. " " .. quote(ROOT .. "/examples/quickstart.lua"))
    assert.are.equal(0, rc, err)
    assert.truthy(out:find("\nThis ran against the local sandbox", 1, true), out)
    assert.truthy(out:find("\nNext: write a script of your own and run it the same way:\n"
      .. "  bin/unipile-sandbox run -- lua5.4 my_script.lua\n", 1, true), out)
  end)

  describe("a --port that is taken", function()
    local server, port
    setup(function()
      server = assert(socket.bind("127.0.0.1", 0))
      port = select(2, server:getsockname())
    end)
    teardown(function() server:close() end)

    for _, args in ipairs({ "start --port %d", "run --port %d -- true" }) do
      it(args:match("^%a+") .. ": one line, exit 1", function()
        local out, rc, err = away(quote(ROOT .. "/bin/unipile-sandbox"), args:format(port))
        assert.are.same({ 1, "", "unipile.sandbox: port " .. port
          .. " on 127.0.0.1 is in use: pick another port, or none for a free one\n" }, { rc, out, err })
      end)
    end
  end)
end)
