-- The sandbox under hostile or careless input, over raw HTTP (luasocket):
-- it never exposes a key sent to it, never answers a Lua error, answers
-- nginx's own errors with the JSON envelope, refuses statuses no HTTP
-- answer can have, and routes on the raw request URI.
local socket = require "socket"
local cjson = require "cjson"
local support = require "support"

-- One request over a fresh connection; `head` lines are sent as given
-- (nothing is normalized or refused on the way). Returns status, headers
-- (lower-case names), body.
local function raw(sb, request_line, head, body)
  local c = assert(socket.tcp())
  c:settimeout(10)
  assert(c:connect("127.0.0.1", sb.port))
  local lines = { request_line, "Host: 127.0.0.1", "Connection: close" }
  for _, h in ipairs(head or {}) do lines[#lines + 1] = h end
  if body then lines[#lines + 1] = "Content-Length: " .. #body end
  assert(c:send(table.concat(lines, "\r\n") .. "\r\n\r\n" .. (body or "")))
  -- The head line by line, then the body by its Content-Length: waiting
  -- for the close would wait out nginx's lingering close (5 s) after a 413.
  local top = {}
  repeat
    local line = assert(c:receive("*l"))
    top[#top + 1] = line
  until line == ""
  top = table.concat(top, "\r\n")
  local status = tonumber(top:match("^HTTP/1%.%d (%d%d%d)"))
  local headers = {}
  for name, value in top:gmatch("\n([^:\r\n]+):%s*([^\r\n]*)") do headers[name:lower()] = value end
  local length = tonumber(headers["content-length"])
  local rest = length and (length > 0 and assert(c:receive(length)) or "") or c:receive("*a")
  c:close()
  return status, headers, rest
end

local function get(sb, path, head) return raw(sb, "GET " .. path .. " HTTP/1.1", head) end

local function key(sb) return "X-API-KEY: " .. sb.api_key end

local LUA_TEXT = { ".lua:", "stack traceback", "attempt to", "bad argument" }

-- The body is the error envelope for `status`, with no Lua text in it.
local function assert_envelope(status, headers, body, want_status, want_type)
  assert.are.equal(want_status, status, body)
  assert.matches("^application/json", headers["content-type"] or "")
  for _, s in ipairs(LUA_TEXT) do assert.is_nil(body:find(s, 1, true), body) end
  local e = cjson.decode(body)
  assert.are.equal(want_status, e.status)
  assert.is_string(e.title)
  if want_type then assert.are.equal("errors/" .. want_type, e.type) else assert.matches("^errors/%l", e.type) end
  return e
end

local function control(sb, method, path, t)
  local body = cjson.encode(t)
  return raw(sb, method .. " " .. path .. " HTTP/1.1", { "Content-Type: application/json" }, body)
end

describe("sandbox hardening", function()
  local sb, examples
  before_each(function()
    sb = support.reset()
    examples = support.examples()
  end)

  describe("keys", function()
    local SECRET = "sk_live_do-not-leak_" .. tostring(os.time())

    it("records whether a key was sent and matched, never its value", function()
      get(sb, "/api/v1/accounts", { key(sb) })
      get(sb, "/api/v1/accounts", { "X-API-KEY: " .. SECRET })
      get(sb, "/api/v1/accounts", { "X_API_KEY: " .. SECRET })
      get(sb, "/api/v1/accounts")
      get(sb, "/api/v1/nowhere", { "X-API-KEY: " .. SECRET })
      local _, _, listing = get(sb, "/_sandbox/requests")
      assert.is_nil(listing:find(SECRET, 1, true))
      assert.is_nil(listing:find(sb.api_key, 1, true))
      local recs = support.requests()
      local seen = {}
      for i, r in ipairs(recs) do
        seen[i] = r.api_key
        assert.is_nil(r.headers["x-api-key"])
        assert.is_nil(r.headers["x_api_key"])
      end
      assert.are.same({ "matched", "wrong", "absent", "absent", "wrong" }, seen)
    end)

    it("keeps keys out of nginx's logs, also for requests nginx refuses", function()
      get(sb, "/api/v1/accounts?x=1", { "X-API-KEY: " .. SECRET })
      get(sb, "/api/v1/accounts", { "X-API-KEY: " .. SECRET, "Bad Header Line" })
      get(sb, "/api/v1/" .. string.rep("a", 70000), { "X-API-KEY: " .. SECRET })
      raw(sb, "POST /api/v1/chats HTTP/1.1", { "X-API-KEY: " .. SECRET, "Content-Length: 900000000" })
      raw(sb, "TRACE /api/v1/accounts HTTP/1.1", { "X-API-KEY: " .. SECRET })
      for _, log in ipairs({ "error.log", "access.log" }) do
        local text = support.read_file(sb.prefix .. "/logs/" .. log)
        assert.is_nil(text:find(SECRET, 1, true), log)
      end
    end)
  end)

  describe("inputs that used to raise a Lua error", function()
    local function list_path(op, extra)
      local ex = examples[op]
      local path = op == "MailsController_listMails" and "/api/v1/emails"
        or "/api/v1/calendars/" .. ex.calendar_id:gsub("@", "%%40") .. "/events"
      return path .. "?account_id=" .. ex.account_id .. extra
    end

    local CASES = {
      { "listMails, repeated search", "MailsController_listMails", "&search=a&search=b", "search" },
      { "listMails, repeated folder", "MailsController_listMails", "&folder=INBOX&folder=Sent", "folder" },
      { "listMails, repeated from", "MailsController_listMails", "&from=a@b.c&from=d@e.f", "from" },
      { "calendar events, repeated title", "CalendarsController_listCalendarEventsByCalendar", "&title=a&title=b", "title" },
      { "calendar events, repeated attendees", "CalendarsController_listCalendarEventsByCalendar",
        "&attendees=a&attendees=b", "attendees" },
      { "calendar events, repeated start", "CalendarsController_listCalendarEventsByCalendar",
        "&start=2025-01-01T00:00:00.000Z&start=2025-01-02T00:00:00.000Z", "start" },
    }
    for _, case in ipairs(CASES) do
      it(case[1] .. " → 400 naming it", function()
        local status, headers, body = get(sb, list_path(case[2], case[3]), { key(sb) })
        local e = assert_envelope(status, headers, body, 400, "invalid_parameters")
        assert.matches("'" .. case[4] .. "'", e.detail, 1, true)
      end)
    end

    it("a bare query key (?search) is an empty value", function()
      local status, _, body = get(sb, list_path("MailsController_listMails", "&search"), { key(sb) })
      assert.are.equal(200, status)
      assert.are.equal("EmailList", cjson.decode(body).object)
    end)

    it("list params still take repeated keys", function()
      local ex = examples.MailsController_listMails
      local status, _, body = get(sb, "/api/v1/emails?account_id=" .. ex.account_id
        .. "&exclude_folders=INBOX&exclude_folders=Sent", { key(sb) })
      assert.are.equal(200, status, body)
    end)

    local account = function() return examples.MailsController_listMails.account_id end
    local INBOUND = {
      { "subject", 5 }, { "body", { x = 1 } }, { "from", 7 }, { "from", { identifier = 1 } }, { "to", "a@b.c" },
      { "to", { 5 } }, { "folder", true }, { "attachments", { { content = 5 } } }, { "account_id", { 1 } },
    }
    for _, case in ipairs(INBOUND) do
      it("inbound email with " .. case[1] .. " = " .. cjson.encode(case[2]) .. " → 400 naming it", function()
        local b = { account_id = account(), from = "a@example.com", subject = "s", body = "b" }
        b[case[1]] = case[2]
        local status, headers, body = control(sb, "POST", "/_sandbox/inbound/email", b)
        local e = assert_envelope(status, headers, body, 400, "invalid_parameters")
        assert.matches("'" .. case[1] .. "'", e.detail, 1, true)
      end)
    end

    -- found by the fuzz spec: a number as a recipient's display_name was
    -- stored, and listContacts then raised on it for every later caller
    for _, field in ipairs { "to", "from" } do
      it("sendMail with a number as " .. field .. "'s display_name → 400, contacts still answer", function()
        local c = support.client { retries = 0 }
        local params = {}
        for k, v in pairs(examples.MailsController_sendMail) do params[k] = v end
        local who = { display_name = 5, identifier = "x@example.com" }
        params[field] = field == "from" and who or { who } -- from is one attendee, to a list
        local _, err = c.safe.emails:send(params)
        assert.are.equal(400, err and err.status, tostring(err))
        assert.matches("'" .. field .. "'", err.detail, 1, true)
        local contacts = c.emails:list_contacts { account_id = params.account_id }
        assert.are.equal("EmailContactList", contacts.object)
      end)
    end

    it("inbound message with a non-string text → 400", function()
      local chat = sb:state().chats[1].id
      local status, headers, body = control(sb, "POST", "/_sandbox/inbound/message", { chat_id = chat, text = { 1 } })
      assert_envelope(status, headers, body, 400, "invalid_parameters")
    end)

    local BAD_FAULTS = {
      { "Content-Length header", { status = 500, headers = { ["Content-Length"] = "abc" } } },
      { "Transfer-Encoding header", { status = 500, headers = { ["Transfer-Encoding"] = "chunked" } } },
      { "header with CR/LF", { status = 500, headers = { ["X-A"] = "a\r\nX-B: b" } } },
      { "header name with a space", { status = 500, headers = { ["X A"] = "a" } } },
      { "header value a table", { status = 500, headers = { ["X-A"] = { 1 } } } },
      { "numeric type", { status = 500, type = 5 } },
      { "status 99", { status = 99 } }, { "status 100", { status = 100 } }, { "status 600", { status = 600 } },
      { "status 1000", { status = 1000 } }, { "status 503.5", { status = 503.5 } }, { "status \"503\"", { status = "503" } },
    }
    for _, case in ipairs(BAD_FAULTS) do
      it("fault with " .. case[1] .. " is refused with a 400, nothing queued", function()
        local status, headers, body = control(sb, "POST", "/_sandbox/faults", case[2])
        assert_envelope(status, headers, body, 400, "invalid_parameters")
        assert.are.equal(0, #sb:faults())
        assert.are.equal(200, (get(sb, "/api/v1/accounts", { key(sb) })))
      end)
    end

    it("a fault's own headers and limits still work (200 and 599)", function()
      sb:fault { status = 599, headers = { ["X-Extra"] = "1" } }
      local status, headers = get(sb, "/api/v1/accounts", { key(sb) })
      assert.are.equal(599, status)
      assert.are.equal("1", headers["x-extra"])
      sb:fault { status = 200, body = "{}" }
      assert.are.equal(200, (get(sb, "/api/v1/accounts", { key(sb) })))
    end)

    for _, s in ipairs({ "99", "600", "abc", "1e9" }) do
      it("webhook receiver ?status=" .. s .. " is refused with a 400", function()
        local status, headers, body = get(sb, "/_sandbox/hook/h?fail=1&status=" .. s)
        assert_envelope(status, headers, body, 400, "invalid_parameters")
        assert.are.equal(0, #sb:hooks("h"))
      end)
    end
  end)

  describe("errors nginx answers itself carry the JSON envelope", function()
    local CASES = {
      { "bad header line", function() return get(sb, "/api/v1/accounts", { "Bad Header Line" }) end, 400 },
      { "bad request line", function() return raw(sb, "FOO BAR") end, 400 },
      { "path above the root", function() return get(sb, "/../../etc/passwd") end, 400 },
      { "NUL in the path", function() return get(sb, "/api/v1/%00") end, 400 },
      { "bad Content-Length", function() return get(sb, "/api/v1/accounts", { "Content-Length: x" }) end, 400 },
      { "URI too long", function() return get(sb, "/api/v1/" .. string.rep("a", 70000)) end, 414 },
      { "header too large", function() return get(sb, "/api/v1/a", { "X-Big: " .. string.rep("b", 70000) }) end, 400 },
      { "body too large", function()
        return raw(sb, "POST /api/v1/chats HTTP/1.1", { key(sb), "Content-Length: 900000000" })
      end, 413, "content_too_large" },
      { "TRACE", function() return raw(sb, "TRACE /api/v1/accounts HTTP/1.1") end, 405 },
      { "unknown Transfer-Encoding", function()
        return get(sb, "/api/v1/accounts", { "Transfer-Encoding: bogus" })
      end, 501, "feature_not_implemented" },
      { "the internal error location asked directly", function() return get(sb, "/_sandbox_nginx_error") end, 404 },
    }
    for _, case in ipairs(CASES) do
      it(case[1] .. " → " .. case[3], function()
        local status, headers, body = case[2]()
        assert_envelope(status, headers, body, case[3], case[4])
      end)
    end
  end)

  describe("path ids made of dots", function()
    it("/accounts/%2E is getAccount with id '.': 404 resource_not_found", function()
      local status, headers, body = get(sb, "/api/v1/accounts/%2E", { key(sb) })
      local e = assert_envelope(status, headers, body, 404, "resource_not_found")
      assert.matches("Account not found: .", e.detail, 1, true)
      local rec = support.last()
      assert.are.equal("AccountsController_getAccountById", rec.operation)
      assert.are.equal("/api/v1/accounts/%2E", rec.path)
      assert.are.equal(".", rec.segments[4])
    end)

    it("/accounts/%2E%2E is getAccount with id '..'", function()
      local status = get(sb, "/api/v1/accounts/%2E%2E", { key(sb) })
      assert.are.equal(404, status)
      local rec = support.last()
      assert.are.equal("AccountsController_getAccountById", rec.operation)
      assert.are.equal("..", rec.segments[4])
    end)

    -- nginx's $uri would turn these into /api/v1/accounts/x (or /api/v1/x):
    -- routing must never see that.
    local RAW_DOTS = {
      { "GET", "/api/v1/accounts/./" }, { "GET", "/api/v1/accounts/." },
      { "GET", "/api/v1/chats/../accounts" }, { "POST", "/api/v1/accounts/x/../restart" },
      { "GET", "/api/v1/./accounts" },
    }
    for _, case in ipairs(RAW_DOTS) do
      it(case[1] .. " " .. case[2] .. " is refused, not routed elsewhere", function()
        local status, headers, body = raw(sb, case[1] .. " " .. case[2] .. " HTTP/1.1", { key(sb) }, "")
        assert_envelope(status, headers, body, 400, "invalid_parameters")
        local rec = support.last()
        assert.are.equal(case[2], rec.path)
        assert.is_nil(rec.operation)
      end)
    end

    it("a real account still answers through %-encoded segments", function()
      local id = sb:state().accounts[1].id
      local status, _, body = get(sb, "/api/v1/accounts/" .. id:gsub(".", function(c)
        return string.format("%%%02X", c:byte())
      end), { key(sb) })
      assert.are.equal(200, status, body)
      assert.are.equal(id, cjson.decode(body).id)
    end)
  end)
end)
