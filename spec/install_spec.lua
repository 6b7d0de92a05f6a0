-- Both rocks installed with `luarocks make --deps-mode=none --tree DIR`
-- for the runtime of the run (UNIPILE_TEST_LUA), then used as a user
-- would, from a directory outside the checkout: the installed
-- unipile-sandbox started with no LUA_PATH and with another Lua's
-- LUA_CPATH in the environment (a 5.4 cjson.so first: the sandbox's nginx,
-- LuaJIT, must not inherit it), and a script of the user's that requires
-- unipile and lists the accounts. LuaRocks is told, as the README says,
-- that Debian provides lua-cjson and luasocket (no "Missing dependencies").
-- One build of the C core per run of this file: about 5 s in all. The
-- rocks are made from a copy of the checkout (what `luarocks make` builds
-- in, build.luarocks/, would be shared by the runtimes' suites, which
-- tools/test.sh runs at the same time).
local shell = require "support.shell"
local sys = require "unipile.sandbox.sys"
local quote = sys.quote

local LUA = os.getenv("UNIPILE_TEST_LUA") or "lua5.4"
-- runtime → LuaRocks' Lua version, and the headers when they are not that Lua's
local ROCKS = {
  ["lua5.4"] = { "5.4" }, ["lua5.3"] = { "5.3" }, ["lua5.2"] = { "5.2" }, ["lua5.1"] = { "5.1" },
  luajit = { "5.1", "LUA_INCDIR=/usr/include/luajit-2.1" },
}
local V, INCDIR = ROCKS[LUA][1], ROCKS[LUA][2] or ""
-- A Lua C module of another runtime than nginx's LuaJIT (and, for the
-- 5.1 runtimes, than the command's: the sandbox's control client then
-- falls back to dkjson).
local OTHER_CJSON = "/usr/lib/x86_64-linux-gnu/lua/5.4/cjson.so"

local SCRIPT = [[
local unipile = require "unipile"
local client = unipile.new()   -- UNIPILE_DSN, UNIPILE_API_KEY
print(#client.accounts:list().items .. " accounts")
print("from " .. debug.getinfo(unipile.new, "S").source)
]]

describe("luarocks make into a tree of its own (" .. LUA .. ", --lua-version " .. V .. ")", function()
  local TREE, AWAY, SRC, env
  -- `cmd` run from AWAY with no LUA_PATH nor LUA_CPATH, or with the other
  -- runtime's LUA_CPATH when `other` → output (stdout and stderr), exit code
  local function away(cmd, other)
    local cpath = other and "LUA_CPATH=" .. quote(AWAY .. "/other/?.so;;") or ""
    return shell.run("cd " .. quote(AWAY) .. " && " .. shell.clean("-u LUA_PATH -u LUA_CPATH " .. cpath .. " " .. cmd)
      .. " 2>&1")
  end
  local function sandbox_vars()
    local words = {}
    for _, k in ipairs({ "UNIPILE_DSN", "UNIPILE_API_KEY", "UNIPILE_SANDBOX_PREFIX" }) do
      words[#words + 1] = k .. "=" .. quote(env[k])
    end
    return table.concat(words, " ")
  end

  setup(function()
    TREE, AWAY, SRC = shell.tmpdir(), shell.tmpdir(), shell.tmpdir()
    assert(sys.execute(shell.clean("tar -cf - --exclude=./build --exclude=./build.luarocks --exclude=./.git .")
      .. " | " .. shell.clean("tar -xf - -C " .. quote(SRC))))
    sys.execute("mkdir " .. quote(AWAY .. "/other") .. " && ln -s " .. OTHER_CJSON .. " " .. quote(AWAY .. "/other/cjson.so"))
    sys.write_file(AWAY .. "/my_script.lua", SCRIPT)
  end)
  teardown(function()
    if env and env.UNIPILE_SANDBOX_PREFIX and shell.exists(env.UNIPILE_SANDBOX_PREFIX) then
      sys.capture(shell.clean(quote(TREE .. "/bin/unipile-sandbox") .. " stop " .. quote(env.UNIPILE_SANDBOX_PREFIX)))
    end
    shell.remove(TREE)
    shell.remove(AWAY)
    shell.remove(SRC)
  end)

  -- the README's `luarocks config rocks_provided...`, in a HOME of its own
  local function provided(home)
    for _, rock in ipairs({ "lua-cjson 2.1.0-1", "luasocket 3.1.0-1", "argparse 0.7.1-1" }) do
      local name, version = rock:match("(%S+) (%S+)")
      local out, rc = shell.run(shell.clean("HOME=" .. quote(home) .. " luarocks --lua-version " .. V
        .. " config rocks_provided." .. name .. " " .. version) .. " 2>&1")
      assert(rc == 0, out)
    end
  end

  for _, rockspec in ipairs({ "unipile-scm-1.rockspec", "unipile-sandbox-scm-1.rockspec" }) do
    it("installs " .. rockspec .. ", no \"Missing dependencies\" once told what Debian provides", function()
      local home = AWAY .. "/home"
      if not shell.exists(home) then
        sys.execute("mkdir -p " .. quote(home .. "/.luarocks"))
        provided(home)
      end
      local make = "luarocks --lua-version " .. V .. " make --deps-mode=none --tree " .. quote(TREE) .. " "
        .. rockspec .. " " .. INCDIR
      local out, rc = shell.run("cd " .. quote(SRC) .. " && " .. shell.clean("HOME=" .. quote(home) .. " " .. make) .. " 2>&1")
      assert.are.equal(0, rc, out)
      assert.is_nil(out:find("Missing dependencies", 1, true), out)
    end)
  end

  it("the installed unipile-sandbox starts from another directory, another Lua's LUA_CPATH set", function()
    local out, rc = away(quote(TREE .. "/bin/unipile-sandbox") .. " start --seed 3", true)
    env = {}
    for k, v in out:gmatch("(UNIPILE_[%u_]+)=([^\n]*)") do env[k] = v:match("^'(.*)'$") or v end
    assert.are.same({ 0, true }, { rc, env.UNIPILE_DSN ~= nil }, out)
  end)

  it("its nginx loads the sandbox from the tree, with LuaJIT's own paths", function()
    local conf = sys.read_file(env.UNIPILE_SANDBOX_PREFIX .. "/nginx.conf")
    local lmod = TREE .. "/share/lua/" .. V
    assert.truthy(conf:find('lua_package_path "' .. lmod .. "/?.lua;" .. lmod .. '/?/init.lua;;";', 1, true), conf)
    assert.truthy(conf:find('lua_package_cpath ";;";', 1, true), conf)
  end)

  it("a script of the user's, on the tree's paths (luarocks path), lists its accounts", function()
    local out, rc = away("sh -c " .. quote('eval "$(luarocks --lua-version ' .. V .. " path --tree " .. quote(TREE)
      .. ')" && ' .. sandbox_vars() .. " " .. LUA .. " my_script.lua"))
    assert.are.equal(0, rc, out)
    assert.truthy(tonumber(out:match("^(%d+) accounts")) > 0, out)
    assert.truthy(out:find("from @" .. TREE .. "/share/lua/" .. V .. "/unipile/", 1, true), out)
  end)

  it("the installed unipile runs from another directory: --help, and chats list against the sandbox", function()
    local exe = quote(TREE .. "/bin/unipile")
    local help, hrc = away(exe .. " --help")
    assert.are.equal(0, hrc, help)
    assert.truthy(help:find("Usage: unipile", 1, true), help)
    local out, rc = away(sandbox_vars() .. " " .. exe .. " chats list --limit 2 --format ndjson")
    assert.are.equal(0, rc, out)
    local n = 0
    for line in out:gmatch("[^\n]+") do
      assert.truthy(line:find('^{"'), out)
      n = n + 1
    end
    assert.are.equal(2, n, out)
  end)

  it("the installed unipile-sandbox stops it", function()
    local out, rc = away(quote(TREE .. "/bin/unipile-sandbox") .. " stop " .. quote(env.UNIPILE_SANDBOX_PREFIX))
    assert.are.same({ 0, false }, { rc, shell.exists(env.UNIPILE_SANDBOX_PREFIX) }, out)
  end)

  it("the installed unipile-sandbox run -- " .. LUA .. " my_script.lua gives it the tree's paths", function()
    local out, rc = away(quote(TREE .. "/bin/unipile-sandbox") .. " run -- " .. LUA .. " my_script.lua")
    assert.are.equal(0, rc, out)
    assert.truthy(tonumber(out:match("^(%d+) accounts")) > 0, out)
    assert.truthy(out:find("from @" .. TREE .. "/share/lua/" .. V .. "/unipile/", 1, true), out)
  end)
end)
