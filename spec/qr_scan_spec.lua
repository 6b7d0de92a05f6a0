-- The README's QR-code flow in the sandbox: nothing scans the code unless
-- the test does (sb:scan) or asks the sandbox to (reset auto_scan_ms).
local support = require "spec.support"

-- A WHATSAPP connection: the sandbox answers a QRCODE checkpoint.
local function connect(client)
  local cp = client.accounts:connect { provider = "WHATSAPP" }
  assert.are.equal("QRCODE", cp.type)
  return cp
end

-- GETs of the account the sandbox saw: 1 when `wait` found it connected
-- at its first poll.
local function gets_of(account_id)
  local n = 0
  for _, r in ipairs(support.requests()) do
    if r.method == "GET" and r.path == "/api/v1/accounts/" .. account_id then n = n + 1 end
  end
  return n
end

describe("sandbox QR codes", function()
  local sb, client
  before_each(function()
    sb = support.reset()
    client = support.client()
  end)

  it("sb:scan connects the account: wait returns it at its first poll", function()
    local cp = connect(client)
    local answer = sb:scan(cp.account_id)
    assert.are.equal("AccountCreated", answer.object)
    assert.are.equal(cp.account_id, answer.account_id)
    local account = cp:wait { interval_ms = 20, timeout_ms = 5000 }
    assert.are.equal(cp.account_id, account.id)
    assert.are.equal("OK", account.sources[1].status)
    assert.are.equal(1, gets_of(cp.account_id))
  end)

  it("sb:scan refuses an account with no QR code to scan", function()
    local id = sb:state().accounts[1].id
    local ok, err = pcall(sb.scan, sb, id)
    assert.is_false(ok)
    assert.matches("/_sandbox/accounts/" .. id .. "/scan: 400 .*no pending QRCODE checkpoint", err)
  end)

  it("sb:validate approves an IN_APP_VALIDATION checkpoint", function()
    local cp = client.accounts:connect { provider = "INSTAGRAM", username = "u", password = "p" }
    assert.are.equal("IN_APP_VALIDATION", cp.type)
    assert.are.equal("AccountCreated", sb:validate(cp.account_id).object)
    assert.are.equal(cp.account_id, cp:wait { interval_ms = 20, timeout_ms = 5000 }.id)
    assert.are.equal(1, gets_of(cp.account_id))
  end)

  it("reset auto_scan_ms: the code is scanned by itself, wait returns the account", function()
    local s = sb:reset { seed = 7, auto_scan_ms = 50 }
    assert.are.equal(50, s.auto_scan_ms)
    local cp = connect(client)
    local account = cp:wait { interval_ms = 20, timeout_ms = 10000 }
    assert.are.equal(cp.account_id, account.id)
    assert.are.equal("OK", account.sources[1].status)
  end)

  it("the next reset without auto_scan_ms turns it off", function()
    sb:reset { seed = 7, auto_scan_ms = 50 }
    assert.is_nil(sb:reset({ seed = 7 }).auto_scan_ms)
  end)

  it("reset refuses a negative auto_scan_ms", function()
    local ok, err = pcall(sb.reset, sb, { seed = 7, auto_scan_ms = -1 })
    assert.is_false(ok)
    assert.matches("auto_scan_ms", err)
  end)
end)
