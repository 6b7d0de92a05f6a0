-- tools/deps.sh: `make demo` installs what the demo needs only; the
-- test-only packages come with `make test`.
local sys = require "unipile.sandbox.sys"

local function packages(set)
  local out = {}
  for p in sys.capture("sh tools/deps.sh " .. set .. " --list"):gmatch("%S+") do out[p] = true end
  return out
end

local DEMO = { "build-essential", "cmake", "libcurl4-openssl-dev", "lua5.4", "liblua5.4-dev", "lua-cjson", "lua-socket",
  "nginx", "libnginx-mod-http-lua" }
local TEST_ONLY = { "neovim", "valgrind", "lua-ldoc", "lua-check", "clang", "python3-jsonschema", "lua5.1", "luajit2",
  "lua5.2", "lua5.3", "lua-busted", "luarocks" }

describe("tools/deps.sh", function()
  local demo, test = packages("demo"), packages("test")
  for _, p in ipairs(DEMO) do
    it("demo and test install " .. p, function() assert.are.same({ true, true }, { demo[p], test[p] }) end)
  end
  for _, p in ipairs(TEST_ONLY) do
    it("only test installs " .. p, function() assert.are.same({ false, true }, { demo[p] or false, test[p] }) end)
  end
end)
