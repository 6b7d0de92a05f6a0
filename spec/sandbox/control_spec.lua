-- The sandbox's control side, over curl and its Lua API: what it records,
-- the faults it injects, a new key, attach, a busy port, stop. On a sandbox
-- of its own, since the last its stop it.
local cjson = require "cjson"
local support = require "support"
local sapi = require "support.sandbox_api"
local shell = require "support.shell"
local sys = require "unipile.sandbox.sys"
local api, status = sapi.api, sapi.status
local sandbox = require "unipile.sandbox"
local SIZE = sapi.SMALL

local function sh(cmd) return (sys.capture(shell.clean(cmd))) end
local quote = sys.quote

describe("sandbox control", function()
  local rs, r1, s27, d27, s28, d28, s29, d29, s30, d30, h30, before, other, ok, err, prefix
  local sb, li, base
  setup(function()
    sb = sandbox.start({ seed = 5, size = SIZE })
    local st = sapi.use(sb).sb:state()
    li = st.accounts[1]
    -- a 1to1 chat of the LinkedIn account
    base = "/api/v1/chats/" .. sapi.first_of(st.chats, function(c) return c.account_id == li.id and c.type == 0 end).id
  end)
  teardown(function()
    sb:stop()
    sapi.use(support.sandbox())
  end)

  describe("records", function()
    it("two records", function()
      sb:clear_requests()
      sh("curl -s -H " .. quote("X-API-KEY: " .. sb.api_key) .. " -H 'X-Custom_Under: 1' "
        .. quote(sb.url .. "/api/v1/chats?a=1&a=2&b&c=x%20y+z") .. " " .. quote(sb.url .. "/api/v1/accounts") .. " > /dev/null")
      rs = sb:requests()
      r1 = rs[1]
      assert.truthy(#rs == 2)
    end)

    it("record args", function()
      assert.truthy(r1.args.a[1] == "1" and r1.args.a[2] == "2" and r1.args.b == true and r1.args.c == "x y z"
        and r1.query == "a=1&a=2&b&c=x%20y+z", cjson.encode(r1.args))
    end)

    it("record headers: the key's status, never its value", function()
      assert.truthy(r1.api_key == "matched" and r1.headers["x-api-key"] == nil
        and r1.headers["x-custom_under"] == "1" and not cjson.encode(rs):find(sb.api_key, 1, true))
    end)

    it("record keep-alive connection", function()
      assert.truthy(rs[2].connection == r1.connection and rs[2].connection_requests == 2)
    end)

    it("record time", function()
      assert.truthy(type(r1.time) == "number" and r1.time > 1.7e9)
    end)

    it("record operation and status", function()
      assert.truthy(r1.operation == "ChatsController_listAllChats" and r1.status == 200)
    end)
  end)

  describe("faults", function()
    it("invalid fault refused", function()
      assert.truthy(not pcall(sb.fault, sb, { kind = "explode" }))
    end)

    it("empty fault refused", function()
      assert.truthy(not pcall(sb.fault, sb, {}))
    end)

    it("method filter", function()
      sb:fault({ status = 500, method = "POST", count = -1 })
      assert.truthy(status("GET", "/api/v1/chats") == 200)
    end)

    it("fault 500 envelope", function()
      s27, d27 = api("POST", base .. "/messages", { form = { "text=x" } })
      assert.truthy(s27 == 500 and d27.type == "errors/unexpected_error" and d27.title == "Unexpected error")
    end)

    it("count -1 stays", function()
      assert.truthy(status("POST", base .. "/messages", { form = { "text=x" } }) == 500 and #sb:faults() == 1)
    end)

    it("faults cleared", function()
      sb:clear_faults()
      assert.truthy(#sb:faults() == 0 and status("POST", base .. "/messages", { form = { "text=x" } }) == 201)
    end)

    it("path pattern miss", function()
      sb:fault({ status = 504, path = "^/api/v1/messages" })
      assert.truthy(status("GET", "/api/v1/chats") == 200)
    end)

    it("path pattern hit: 504", function()
      s28, d28 = api("GET", "/api/v1/messages")
      assert.truthy(s28 == 504 and d28.type == "errors/request_timeout")
    end)

    it("502 proxy_error", function()
      sb:fault({ status = 502 })
      s29, d29 = api("GET", "/api/v1/messages")
      assert.truthy(s29 == 502 and d29.type == "errors/proxy_error")
    end)

    it("fault type, detail, headers", function()
      sb:fault({ status = 401, type = "errors/disconnected_account", detail = "gone", headers = { ["X-Extra"] = "1" } })
      s30, d30, h30 = api("GET", "/api/v1/messages")
      assert.truthy(s30 == 401 and d30.type == "errors/disconnected_account" and d30.detail == "gone"
        and h30:find("X%-Extra: 1"))
    end)

    it("close: the POST happened", function()
      before = #sb:state().chats
      sb:fault({ kind = "close", method = "POST" })
      api("POST", "/api/v1/chats", { json = { account_id = li.id, text = "x", attendees_ids = { "ACoAAbrandnew" } } })
      assert.truthy(#sb:state().chats == before + 1)
    end)

    it("status fault: nothing happened", function()
      sb:fault({ status = 503, method = "POST" })
      api("POST", "/api/v1/chats", { json = { account_id = li.id, text = "x", attendees_ids = { "ACoAAother" } } })
      assert.truthy(#sb:state().chats == before + 1)
    end)
  end)

  describe("key, attach, busy port, stop", function()
    it("new key", function()
      sb:reset({ api_key = "k2", size = SIZE })
      assert.truthy(sb.api_key == "k2" and status("GET", "/api/v1/chats") == 200
        and status("GET", "/api/v1/chats", { key = "sbx" }) == 401)
    end)

    it("attach", function()
      other = sandbox.attach(sb.url)
      assert.truthy(other.api_key == "k2" and other.prefix == sb.prefix and #other:state().accounts == 3)
    end)

    it("busy port: clear error", function()
      ok, err = pcall(sandbox.start, { port = sb.port })
      assert.are.same({ false, "unipile.sandbox: port " .. sb.port
        .. " on 127.0.0.1 is in use: pick another port, or none for a free one" }, { ok, tostring(err) })
    end)

    it("stopped and removed", function()
      prefix = sb.prefix
      sb:stop()
      assert.truthy(not io.open(prefix .. "/nginx.conf") and not pcall(sandbox.attach, sb.url))
    end)
  end)
end)
