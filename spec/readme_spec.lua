-- What the README tells a newcomer is what the SDK does: its webhook
-- snippet runs on real sandbox deliveries and finds the payload where it
-- says, and its retry paragraph lists the statuses that are (not) retried.
local support = require "spec.support"
local unipile = require "unipile"

local README = assert(support.read_file("README.md"))

-- The README's webhook dispatch: from `local event = webhook.parse(` to
-- the first line that is `end`.
local function webhook_snippet()
  local first = README:find("local event = webhook.parse(", 1, true)
  assert(first, "README: no `local event = webhook.parse(` line")
  local last = select(2, README:find("\nend\n", first, true))
  assert(last, "README: the webhook snippet has no `if ... end` dispatch")
  return README:sub(first, last)
end

-- Run the snippet on one delivery; → the values it printed (one print call).
local function run_snippet(delivery)
  local printed = {}
  local env = setmetatable({ webhook = unipile.webhook, body = delivery.body, headers = delivery.headers,
    print = function(...) printed[#printed + 1] = { n = select("#", ...), ... } end }, { __index = _G })
  local code = webhook_snippet()
  local setfenv = rawget(_G, "setfenv")   -- Lua 5.1: loadstring, then setfenv
  local chunk
  if setfenv then
    chunk = setfenv(assert(rawget(_G, "loadstring")(code, "=README")), env)
  else
    chunk = assert(load(code, "=README", "t", env))
  end
  chunk()
  assert.are.equal(1, #printed, "the snippet printed nothing for this delivery")
  return printed[1]
end

describe("README", function()
  local sb, state, client
  before_each(function() sb, state, client = support.fresh() end)

  local function account_of(type_)
    for _, a in ipairs(sb:state().accounts) do if a.type == type_ then return a.id end end
  end

  -- Each event the snippet handles: how to make the sandbox deliver it,
  -- and the webhook source that receives it.
  local EVENTS = {
    { "message_received", "messaging", function()
      sb:inbound_message { chat_id = state.chats[1], text = "hello from the README" } end },
    { "mail_received", "email", function()
      sb:inbound_email { account_id = account_of("MAIL"), from = "ann@example.com", subject = "README" } end },
    { "credentials", "account_status", function() sb:account_status(state.accounts[1], "CREDENTIALS") end },
  }
  for _, e in ipairs(EVENTS) do
    local name, source, make = e[1], e[2], e[3]
    it("webhook snippet: a " .. name .. " delivery prints its payload, no nil", function()
      client.webhooks:create { request_url = sb:hook_url(source), source = source }
      make()
      local got = sb:hooks(source, { wait = 1, timeout = 5 })
      assert.are.equal(1, #got)
      local event = unipile.webhook.parse(got[1].body, got[1].headers)
      assert.are.equal(name, event.name)
      assert.are.equal(source, event.source)
      local values = run_snippet(got[1])
      assert.is_true(values.n >= 2)
      for i = 1, values.n do assert.is_not_nil(values[i], "printed value " .. i .. " is nil") end
    end)
  end

  -- The statuses of the bullet that starts with `**label**` in "### Retries".
  local function statuses(label)
    local section = README:match("\n### Retries\n(.-)\n##")
    assert(section, "README: no ### Retries section")
    local bullet = section:match("\n%- %*%*" .. label .. "%*%*(.-)\n[\n-]")
    assert(bullet, "README: no **" .. label .. "** bullet under ### Retries")
    local out = {}
    for n in bullet:gmatch("%f[%d](%d%d%d)%f[%D]") do out[#out + 1] = tonumber(n) end
    assert(#out > 0, "README: the **" .. label .. "** bullet names no status")
    return out
  end

  local function attempts(status, method, key)
    sb:fault { method = method, status = status }
    local req = method == "GET" and { path = "/api/v1/accounts" } or
      { method = "POST", path = "/api/v1/chats/" .. state.chats[1] .. "/messages", multipart = { text = "x" },
        idempotency_key = key }
    local res, err = client.safe:request(req)
    return (res or err).attempts
  end

  it("retry paragraph: the retried statuses are retried for GET and a keyed POST, not a bare POST", function()
    for _, status in ipairs(statuses("retried")) do
      support.reset()
      assert.are.equal(2, attempts(status, "GET"), status .. " GET")
      assert.are.equal(1, attempts(status, "POST"), status .. " POST")
      assert.are.equal(2, attempts(status, "POST", "key-" .. status), status .. " POST with a key")
    end
  end)

  it("retry paragraph: the never-retried statuses are not, and 500 is one", function()
    local never = statuses("never retried")
    local has_500 = false
    for _, status in ipairs(never) do
      has_500 = has_500 or status == 500
      support.reset()
      assert.are.equal(1, attempts(status, "GET"), status .. " GET")
    end
    assert.is_true(has_500, "README: 500 is not in the never-retried bullet")
  end)
end)
