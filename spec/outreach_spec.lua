-- examples/linkedin_outreach.lua run as a newcomer would, against the
-- suite's local sandbox with no OUTREACH_SPACING_MS: short spacing, one
-- line per invitation, and a clear end when nobody is left to invite.
local support = require "spec.support"
local shell = require "spec.support.shell"
local sys = require "unipile.sandbox.sys"

-- Output (stdout and stderr) and exit status of the example. `timeout`
-- ends a run that would sleep the API's 30-90 s spacing.
local function outreach(...)
  local sb = support.sandbox()
  local args = {}
  for i, a in ipairs { ... } do args[i] = sys.quote(a) end
  local cmd = string.format("env -u OUTREACH_SPACING_MS -u UNIPILE_SANDBOX_PREFIX LUA_PATH=%s LUA_CPATH=%s "
    .. "UNIPILE_DSN=%s UNIPILE_API_KEY=%s timeout 30 lua5.4 examples/linkedin_outreach.lua %s 2>&1",
    sys.quote("lua/?.lua;lua/?/init.lua;;"), sys.quote("build/lua5.4/?.so;;"),
    sys.quote(sb.url), sys.quote(sb.api_key), table.concat(args, " "))
  return shell.run(shell.clean(cmd))
end

local function count(text, plain)
  local n, pos = 0, 1
  while true do
    local s, e = text:find(plain, pos, true)
    if not s then return n end
    n, pos = n + 1, e + 1
  end
end

describe("examples/linkedin_outreach.lua on the local sandbox", function()
  before_each(function() support.reset() end)

  it("uses short spacing, prints each invitation, and says how many were sent", function()
    local out, rc = outreach("", "3")
    assert.are.equal(0, rc, out)
    assert.matches("200-800 ms between invitations (local sandbox)", out, 1, true)
    local sent = tonumber(out:match("outreach: %d+ people seen, (%d+) invited %(cap 3%)"))
    assert.is_not_nil(sent, out)
    assert.is_true(sent > 0, out)
    assert.are.equal(sent, count(out, "\n  invited "), out)
    local posts = 0
    for _, r in ipairs(support.requests()) do
      if r.method == "POST" and r.path == "/api/v1/users/invite" then posts = posts + 1 end
    end
    assert.is_true(posts >= sent, out)
  end)

  it("ends with a clear message, not an assert, when nobody is left to invite", function()
    local out, rc = outreach("zzz-nobody-has-this-name", "3")
    assert.are.equal(0, rc, out)
    assert.matches("nobody to invite: the search found no one for zzz-nobody-has-this-name", out, 1, true)
    assert.is_nil(out:find("assertion", 1, true), out)
  end)
end)
