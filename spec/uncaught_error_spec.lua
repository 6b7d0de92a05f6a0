-- An SDK error nobody catches names the line of the caller's script: Lua
-- 5.2+ standalone interpreters print an error object's __tostring and no
-- traceback, so the message itself has to say where the call was made.
local support = require "spec.support"
local shell = require "spec.support.shell"
local sys = require "unipile.sandbox.sys"
local unipile = require "unipile"

-- The interpreter of this busted run, and the build of the core it loads.
local function runtime()
  if jit then return "luajit" end
  return "lua" .. _VERSION:match("%d+%.%d+")
end

-- Scripts that fail on their line 3, with the sandbox's DSN and `key`.
local SCRIPTS = {
  { name = "an http error (wrong key)", key = "secret-key-123", kind = "http error 401",
    call = "client.accounts:list()" },
  { name = "a usage error (misspelt param)", kind = "usage error",
    call = "client.chats:list { acount_id = 'x' }" },
  { name = "an http error from a pager", kind = "http error 401", key = "secret-key-123",
    call = "for chat in client.chats:each() do print(chat.id) end" },
}

local function run_script(lua, dir, case)
  local sb = support.sandbox()
  local path = dir .. "/my_script.lua"
  sys.write_file(path, table.concat({
    'local unipile = require "unipile"',
    "local client = unipile.new()",
    case.call,
    'print("not reached")', "" }, "\n"))
  local cmd = string.format("env LUA_PATH=%s LUA_CPATH=%s UNIPILE_DSN=%s UNIPILE_API_KEY=%s %s %s 2>&1",
    sys.quote("lua/?.lua;lua/?/init.lua;;"), sys.quote("build/" .. lua .. "/?.so;;"),
    sys.quote(sb.url), sys.quote(case.key or sb.api_key), lua, sys.quote(path))
  local out, rc = shell.run(shell.clean(cmd))
  return out, rc, path
end

describe("an uncaught SDK error", function()
  local dir
  setup(function() dir = shell.tmpdir() end)
  teardown(function() shell.remove(dir) end)

  -- Lua 5.1's interpreter prints "(error object is not a string)" for any
  -- error object: nothing the SDK can change there.
  local runtimes = { "lua5.4" }
  if runtime() ~= "lua5.4" and runtime() ~= "lua5.1" then runtimes[2] = runtime() end

  for _, lua in ipairs(runtimes) do
    for _, case in ipairs(SCRIPTS) do
      it("under " .. lua .. ", " .. case.name .. ": stderr names the script and line", function()
        local out, rc, path = run_script(lua, dir, case)
        assert.are_not.equal(0, rc, out)
        assert.matches("unipile " .. case.kind, out, 1, true)
        assert.matches(" at " .. path .. ":3", out, 1, true)
        assert.is_nil(out:find("not reached", 1, true), out)
        if case.key then assert.is_nil(out:find(case.key, 1, true), out) end
      end)
    end
  end

  it("in-process: tostring ends with this file and line, err.at holds them", function()
    local client = support.client()
    local ok, err = pcall(client.chats.list, client.chats, { acount_id = "x" })
    local line = debug.getinfo(1, "l").currentline - 1
    assert.is_false(ok)
    assert.are.equal("spec/uncaught_error_spec.lua:" .. line, err.at)
    assert.matches(" at spec/uncaught_error_spec.lua:" .. line .. "$", tostring(err))
  end)

  it("inside unipile.run: the task's line", function()
    local client = support.client { api_key = "wrong" }
    local err, line
    unipile.run(function()
      local _, e = client.safe.accounts:list()
      err, line = e, debug.getinfo(1, "l").currentline - 1
    end)
    assert.are.equal("http", err.kind)
    assert.are.equal("spec/uncaught_error_spec.lua:" .. line, err.at)
  end)
end)
