-- bin/unipile-sandbox over real HTTP with curl, under the runtime of the
-- run: start (its UNIPILE_* lines), the key check, pagination, a multipart
-- send read back and downloaded, %2F segments, gzip, every fault kind,
-- latency that does not hold up other requests, stop, `run` exit status.
-- (What tools/sandbox_smoke.sh checked; its run of tools/sandbox_check.lua
-- is the other spec/sandbox specs, which every runtime runs.)
local cjson = require "cjson"
local shell = require "support.shell"
local sys = require "unipile.sandbox.sys"
local quote = sys.quote

local LUA = os.getenv("UNIPILE_TEST_LUA") or "lua5.4"
local CLI = shell.clean(LUA .. " bin/unipile-sandbox")

-- cjson on Lua 5.4 decodes 401 as 401.0: compare numbers as numbers.
local function decode(body)
  local ok, d = pcall(cjson.decode, body)
  if ok then return d end
end

describe("bin/unipile-sandbox", function()
  local env, D, K, TMP
  -- curl's output for `args` (already quoted), with the key unless key = false
  local function curl(args, key)
    local auth = key == false and "" or "-H " .. quote("X-API-KEY: " .. K) .. " "
    return (sys.capture(shell.clean("curl -s " .. auth .. args)))
  end
  local function get(path, key) return decode(curl(quote(D .. path), key)) end
  local function fault(f)
    assert.are.equal("", curl("-f -o /dev/null -X POST " .. quote(D .. "/_sandbox/faults") .. " -d " .. quote(cjson.encode(f)),
      false))
  end

  setup(function()
    env = {}
    for k, v in (sys.capture(CLI .. " start --seed 7")):gmatch("(UNIPILE_[%u_]+)=([^\n]*)") do
      env[k] = v:match("^'(.*)'$") or v
    end
    assert(env.UNIPILE_DSN and env.UNIPILE_SANDBOX_PREFIX, "unipile-sandbox start printed no UNIPILE_DSN")
    D, K = env.UNIPILE_DSN, env.UNIPILE_API_KEY
    TMP = shell.tmpdir()
  end)
  teardown(function()
    if shell.exists(env.UNIPILE_SANDBOX_PREFIX or "") then sys.capture(CLI .. " stop " .. quote(env.UNIPILE_SANDBOX_PREFIX)) end
    shell.remove(TMP)
  end)

  describe("key check", function()
    it("no key → 401 json", function()
      assert.are.equal("401 application/json; charset=utf-8",
        curl("-o " .. TMP .. "/b -w '%{http_code} %{content_type}' " .. quote(D .. "/api/v1/accounts"), false))
    end)

    it("no key → missing_credentials", function()
      assert.are.equal("errors/missing_credentials", decode(sys.read_file(TMP .. "/b")).type)
    end)

    it("wrong key → invalid_credentials", function()
      local d = decode((sys.capture(shell.clean("curl -s -H 'X-API-KEY: wrong' " .. quote(D .. "/api/v1/accounts")))))
      assert.are.same({ 401, "errors/invalid_credentials" }, { d.status, d.type })
    end)
  end)

  describe("pagination and list parameters", function()
    local state
    setup(function() state = get("/_sandbox/state", false) end)

    it("chats paginated to cursor null", function()
      local seen, pages, cursor = 0, 0, nil
      repeat
        local page = get("/api/v1/chats?limit=5" .. (cursor and "&cursor=" .. shell.escape(cursor) or ""))
        seen, pages = seen + #page.items, pages + 1
        cursor = page.cursor ~= cjson.null and page.cursor or nil
      until not cursor or pages > 50
      assert.are.equal(state.counts.chats, seen, pages .. " pages")
    end)

    it("/v1 prefix + account_id filter", function()
      local acc = state.chats[1].account_id
      local d = get("/v1/chats?limit=1&account_id=" .. acc)
      assert.are.same({ "ChatList", acc }, { d.object, d.items[1].account_id })
    end)

    it("limit=abc → 400 naming limit", function()
      local d = get("/api/v1/chats?limit=abc")
      assert.are.equal(400, d.status)
      assert.truthy(d.detail:find("limit"), d.detail)
    end)

    it("limit=251 → 400", function()
      local d = get("/api/v1/chats?limit=251")
      assert.are.same({ 400, "errors/invalid_parameters" }, { d.status, d.type })
    end)

    it("bad cursor → 400", function()
      assert.are.equal(400, get("/api/v1/chats?cursor=bogus").status)
    end)
  end)

  describe("a multipart message with an attachment", function()
    local state, chat, file, mid, msg
    setup(function()
      state = get("/_sandbox/state", false)
      chat = state.chats[1].id
      sys.execute("head -c 50000 /dev/urandom > " .. TMP .. "/file.bin")
      file = sys.read_file(TMP .. "/file.bin")
    end)

    it("send message → 201 MessageSent", function()
      local part = "attachments=@" .. TMP .. "/file.bin;type=application/pdf;filename=report.pdf"
      local code = curl("-F 'text=hello from smoke' -F " .. quote(part) .. " -o " .. TMP .. "/sent -w '%{http_code}' "
        .. quote(D .. "/api/v1/chats/" .. chat .. "/messages"))
      local sent = decode(sys.read_file(TMP .. "/sent"))
      assert.are.same({ "201", "MessageSent" }, { code, sent.object })
      mid = sent.message_id
    end)

    it("newest message first in chat", function()
      local d = get("/api/v1/chats/" .. chat .. "/messages?limit=1")
      assert.are.same({ mid, "hello from smoke" }, { d.items[1].id, d.items[1].text })
    end)

    it("attachment listed", function()
      msg = get("/api/v1/messages/" .. mid)
      local a = msg.attachments[1]
      assert.are.same({ "report.pdf", "application/pdf", 50000 }, { a.file_name, a.mimetype, a.file_size })
    end)

    it("download content type", function()
      assert.are.equal("application/pdf", curl("-o " .. TMP .. "/down.bin -w '%{content_type}' "
        .. quote(D .. "/api/v1/messages/" .. mid .. "/attachments/" .. msg.attachments[1].id)))
    end)

    it("download byte-for-byte", function()
      assert.is_true(sys.read_file(TMP .. "/down.bin") == file)
    end)

    it("seeded attachment bytes", function()
      local att = state.attachments[1]
      curl("-o " .. TMP .. "/seeded.bin " .. quote(D .. "/api/v1/messages/" .. att.message_id .. "/attachments/" .. att.id))
      assert.is_true(sys.read_file(TMP .. "/seeded.bin") == require("unipile.sandbox").seeded_bytes(att))
    end)
  end)

  describe("routes", function()
    it("%2F id → 404 resource_not_found", function()
      local d = get("/api/v1/chats/a%2Fb")
      assert.are.same({ 404, "errors/resource_not_found" }, { d.status, d.type })
    end)

    it("record: raw path + decoded segment", function()
      local r = get("/_sandbox/requests?last=1", false).items[1]
      assert.are.same({ "/api/v1/chats/a%2Fb", "a/b" }, { r.path, r.segments[4] })
    end)

    it("restart (every row has a handler)", function()
      local acc = get("/_sandbox/state", false).chats[1].account_id
      local d = decode(curl("-X POST " .. quote(D .. "/api/v1/accounts/" .. acc .. "/restart")))
      -- the OpenAPI's AccountRestarted carries only its object name
      assert.are.same({ object = "AccountRestarted" }, d)
    end)

    it("examples for every row", function()
      local n = 0
      for _ in pairs(get("/_sandbox/examples")) do n = n + 1 end
      assert.are.equal(90, n)
    end)

    it("gzip negotiated", function()
      local h = curl("-H 'Accept-Encoding: gzip' -D - -o /dev/null " .. quote(D .. "/api/v1/chats"))
      assert.truthy(h:lower():find("\ncontent%-encoding: gzip"), h)
    end)
  end)

  describe("faults", function()
    local headers
    it("fault 503 envelope", function()
      fault({ status = 503, retry_after = 2, path = "^/api/v1/accounts$" })
      local d = decode(curl("-D " .. TMP .. "/h " .. quote(D .. "/api/v1/accounts")))
      headers = sys.read_file(TMP .. "/h")
      assert.are.same({ 503, "errors/service_unavailable" }, { d.status, d.type })
    end)

    it("fault Retry-After", function()
      assert.truthy(headers:lower():find("\nretry%-after: 2"), headers)
    end)

    it("fault consumed (count 1)", function()
      assert.are.equal("AccountList", get("/api/v1/accounts").object)
    end)

    -- a 429 twice, then the normal answer
    for i, want in ipairs { { "type", "errors/too_many_requests" }, { "type", "errors/too_many_requests" },
      { "object", "ChatList" } } do
      it(i < 3 and "fault 429 x2 (" .. i .. ")" or "fault 429 x2 then normal", function()
        if i == 1 then fault({ status = 429, count = 2, method = "GET" }) end
        assert.are.equal(want[2], get("/api/v1/chats")[want[1]])
      end)
    end

    it("fault malformed: 200, invalid JSON", function()
      fault({ kind = "malformed" })
      assert.are.equal("200", curl("-w '%{http_code}' -o " .. TMP .. "/b " .. quote(D .. "/api/v1/chats")))
      assert.is_nil(decode(sys.read_file(TMP .. "/b")))
    end)

    it("fault truncated: Content-Length = bytes, invalid JSON", function()
      fault({ kind = "truncated" })
      curl("-H 'Accept-Encoding: gzip' -D " .. TMP .. "/h -o " .. TMP .. "/b " .. quote(D .. "/api/v1/chats"))
      local body = sys.read_file(TMP .. "/b")
      assert.are.equal(tonumber(sys.read_file(TMP .. "/h"):lower():match("\ncontent%-length: *(%d+)")), #body)
      assert.is_nil(decode(body))
    end)

    it("fault close: curl 18 (partial transfer)", function()
      fault({ kind = "close" })
      local _, rc = shell.run(shell.clean("curl -s -o /dev/null -H " .. quote("X-API-KEY: " .. K) .. " "
        .. quote(D .. "/api/v1/chats")))
      assert.are.equal(18, rc)
    end)

    it("fault html: 502 text/html", function()
      fault({ kind = "html" })
      assert.are.equal("502 text/html", curl("-o /dev/null -w '%{http_code} %{content_type}' " .. quote(D .. "/api/v1/chats")))
    end)

    it("fault body: exact", function()
      local body = '{"object":"ChatList","items":[],"cursor":"x"}'
      fault({ status = 200, body = body })
      assert.are.equal(body, curl(quote(D .. "/api/v1/chats")))
    end)

    -- the margins are wide: 1.5 s of latency against a request that waits none
    it("latency on one request does not delay a concurrent one", function()
      fault({ latency_ms = 1500, path = "/accounts$" })
      local k = "-H " .. quote("X-API-KEY: " .. K) .. " -o /dev/null -w '%{time_total}' "
      local c = shell.clean("curl -s " .. k)
      local times = sys.capture("(" .. c .. quote(D .. "/api/v1/accounts") .. " > " .. TMP .. "/slow &"
        .. " sleep 0.2; " .. c .. quote(D .. "/api/v1/chats") .. " > " .. TMP .. "/fast; wait);"
        .. " cat " .. TMP .. "/slow; echo; cat " .. TMP .. "/fast")
      local slow, fast = times:match("([%d.]+)%s+([%d.]+)")
      assert.is_true(tonumber(slow) >= 1.4 and tonumber(fast) < 0.5, "slow " .. slow .. "s, concurrent " .. fast .. "s")
    end)
  end)

  describe("stop and run", function()
    it("stop", function()
      local _, rc = shell.run(CLI .. " stop " .. quote(env.UNIPILE_SANDBOX_PREFIX))
      assert.are.equal(0, rc)
    end)

    it("prefix removed", function()
      assert.is_false(shell.exists(env.UNIPILE_SANDBOX_PREFIX))
    end)

    it("run -- CMD exit status", function()
      local script = 'curl -sf "$UNIPILE_DSN/api/v1/accounts" -H "X-API-KEY: $UNIPILE_API_KEY" >/dev/null && exit 7'
      local _, rc = shell.run(CLI .. " run -- sh -c " .. quote(script))
      assert.are.equal(7, rc)
    end)
  end)
end)
