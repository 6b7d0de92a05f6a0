-- Every bad argument is a usage error that names the operation and the
-- parameter, raised before any I/O: the sandbox records no request.
-- The probes are data: { label, param, where, fn(client) }.
local unipile = require "unipile"
local errors = require "unipile.errors"
local operations = require "unipile.operations"
local support = require "support"

local NAN, INF = 0 / 0, math.huge
local HUGE = string.rep("x", 10 * 1024 * 1024) -- 10 MB

local function where_of(group, name)
  local op = operations.groups[group][name]
  return op.group .. ":" .. op.name .. " (" .. op.id .. ")", op.id
end
local LIST, LIST_ID = where_of("chats", "list")
local SEND, SEND_ID = where_of("chats", "send_message")
local GET = where_of("chats", "get")
local MAIL = where_of("emails", "send")

-- A regular file for the probes whose only fault is elsewhere.
local FILE = os.tmpname()
do
  local f = assert(io.open(FILE, "wb"))
  f:write("attachment")
  f:close()
end

-- A FIFO: io.open on it blocks until a writer comes, so only a stat()
-- before opening keeps the check from hanging.
local FIFO = os.tmpname()
os.remove(FIFO)
assert(os.execute("mkfifo " .. FIFO))

local probes = {}
local function probe(label, param, where, fn)
  probes[#probes + 1] = { label = label, param = param, where = where, fn = fn }
end

-- Bad values shared by several options.
local NOT_MS = { "10", -1, NAN, INF, -INF, 2 ^ 31, {}, true }
local NOT_COUNT = { "1", -1, 1.5, NAN, INF, {}, false }
local NOT_BYTES = { 0, -1, 1.5, "1", NAN, INF, {} }
local NOT_TEXT = { 5, true, {}, print, "a\0b", "a\r\nb", "a\nb" }
local NOT_BOOL = { 1, "yes", {} }

local function values(list, fn)
  for _, v in ipairs(list) do fn(v) end
end

local function show(v)
  if type(v) == "string" then return string.format("%q", v:sub(1, 20)) end
  return tostring(v)
end

---------------------------------------------------------------- request
local function request(spec)
  return function(c) return c:request(spec) end
end
local function req_with(key, v, extra)
  local spec = { path = "/api/v1/accounts" }
  for k, x in pairs(extra or {}) do spec[k] = x end
  spec[key] = v
  return spec
end

for _, key in ipairs { "timeout_ms", "connect_timeout_ms", "low_speed_time_ms", "low_speed_limit" } do
  values(NOT_MS, function(v) probe("request " .. key .. " = " .. show(v), key, "request", request(req_with(key, v))) end)
end
values(NOT_COUNT, function(v) probe("request retries = " .. show(v), "retries", "request", request(req_with("retries", v))) end)
values(NOT_BYTES, function(v)
  probe("request max_body_bytes = " .. show(v), "max_body_bytes", "request", request(req_with("max_body_bytes", v)))
  probe("request max_bytes = " .. show(v), "max_bytes", "request",
    request(req_with("max_bytes", v, { output = function() end })))
end)
probe("request max_bytes without output", "max_bytes", "request", request(req_with("max_bytes", 10)))
values({ 5, true, {}, "", "G T", "GET\0", "GET\r\nX: y", "G/T" }, function(v)
  probe("request method = " .. show(v), "method", "request", request(req_with("method", v)))
end)
values({ 5, true, {}, "", "accounts", "/a b", "/a?x=1", "/a#f", "/a\0b", "/a\r\nb", "/a\tb",
  "/../../x", "/api/v1/../x", "/api/v1/accounts/..", "/.", "/%2e%2e/x", "/%2E/x", "/api/v1/.%2E/x",
  "/a//b", "//x", "/" .. HUGE }, function(v)
  probe("request path = " .. show(v), "path", "request", request { path = v })
end)
probe("request without path", "path", "request", request {})
local cycle = {}
cycle.self = cycle
local deep = {}
do
  local t = deep
  for _ = 1, 40 do t.x = {} t = t.x end
end
values({ "x", 5, true, print, { [1] = "a", x = "b" }, { x = print }, { x = { y = coroutine.create(function() end) } },
  { x = NAN }, { x = INF }, { [true] = 1 }, cycle, deep, { q = HUGE } }, function(v)
  probe("request query = " .. show(v), "query", "request", request(req_with("query", v)))
end)
values({ print, { f = print }, cycle, { x = NAN }, { x = INF } }, function(v)
  probe("request json = " .. show(v), "json", "request", request(req_with("json", v, { method = "POST" })))
end)
local function mp(v) return request(req_with("multipart", v, { method = "POST" })) end
values({ "x", 5, true }, function(v) probe("request multipart = " .. show(v), "multipart", "request", mp(v)) end)
local bad_parts = {
  { "field name with CR LF", { ["a\r\nb"] = "x" } },
  { "field name with NUL", { ["a\0b"] = "x" } },
  { "nested key with LF", { a = { ["b\nc"] = "x" } } },
  { "non-string key", { [true] = "x" } },
  { "function value", { a = print } },
  { "directory", { attachments = "/tmp" } },
  { "directory as path", { attachments = { path = "/tmp" } } },
  { "missing file", { attachments = "/nonexistent/file" } },
  { "empty path", { attachments = "" } },
  { "NUL in path", { attachments = "/etc/hostname\0/etc/shadow" } },
  { "NUL in path table", { attachments = { path = FILE .. "\0x" } } },
  { "endless device", { attachments = "/dev/zero" } },
  { "FIFO (opening it would block)", { attachments = FIFO } },
  { "path not a string", { attachments = { path = 5 } } },
  { "content not a string", { attachments = { content = 5 } } },
  { "filename with CR LF", { attachments = { content = "x", filename = "a\r\nX: y" } } },
  { "filename with NUL", { attachments = { content = "x", filename = "a\0b" } } },
  { "filename not a string", { attachments = { content = "x", filename = 5 } } },
  { "file filename with LF", { attachments = { path = FILE, filename = "a\nb" } } },
  { "content_type with CR LF", { attachments = { content = "x", content_type = "text/plain\r\nX: y" } } },
  { "content_type with NUL", { attachments = { content = "x", content_type = "text/plain\0" } } },
  { "content_type not a string", { attachments = { content = "x", content_type = {} } } },
  { "too deep", { a = deep } },
}
for _, case in ipairs(bad_parts) do
  probe("request multipart: " .. case[1], "multipart", "request", mp(case[2]))
end
values({ 5, true, {} }, function(v) probe("request body = " .. show(v), "body", "request", request(req_with("body", v))) end)
probe("request json and body", "body", "request", request(req_with("body", "x", { json = {} })))
probe("request json and multipart", "multipart", "request", request(req_with("multipart", {}, { json = {} })))
values(NOT_TEXT, function(v)
  probe("request content_type = " .. show(v), "content_type", "request",
    request(req_with("content_type", v, { body = "x" })))
end)
probe("request content_type with json", "content_type", "request",
  request(req_with("content_type", "text/plain", { json = {} })))
values({ 5, true, {}, "", "/tmp/out\0x", "a\r\nb" }, function(v)
  probe("request output = " .. show(v), "output", "request", request(req_with("output", v)))
end)
local bad_headers = {
  "x", 5, { 1, 2 }, { { "X-A" } }, { { 5, "v" } }, { ["bad name"] = "v" }, { ["X-A"] = "a\r\nb" },
  { ["X-A"] = "a\0b" }, { ["X-A"] = {} }, { ["X-A"] = print }, { { "X-A", "v" }, extra = "v" },
  { ["X\0A"] = "v" }, { ["X-A"] = NAN },
}
values(bad_headers, function(v)
  probe("request headers = " .. show(v), "headers", "request", request(req_with("headers", v)))
end)
values(NOT_BOOL, function(v) probe("request raw = " .. show(v), "raw", "request", request(req_with("raw", v))) end)
values({ 5, true, "", string.rep("k", 256), "a\r\nb", "a\0b" }, function(v)
  probe("request idempotency_key = " .. show(v), "idempotency_key", "request",
    request(req_with("idempotency_key", v, { method = "POST" })))
end)
probe("request unknown option", "timout_ms", "request", request(req_with("timout_ms", 5)))
probe("request numeric key", 1, "request", request(req_with(1, 5)))
probe("request spec not a table", "spec", "request", function(c) return c:request("/api/v1/accounts") end)
probe("start_request bad path", "path", "request", function(c) return c:start_request { path = "/a/../b" } end)

---------------------------------------------------------------- call
local function call(id, params, opts)
  return function(c) return c:call(id, params, opts) end
end
local function list_opts(key, v, extra)
  local o = {}
  for k, x in pairs(extra or {}) do o[k] = x end
  o[key] = v
  return call(LIST_ID, nil, o)
end
for _, key in ipairs { "timeout_ms", "connect_timeout_ms", "low_speed_time_ms", "low_speed_limit" } do
  values(NOT_MS, function(v) probe("call " .. key .. " = " .. show(v), key, LIST, list_opts(key, v)) end)
end
values(NOT_COUNT, function(v) probe("call retries = " .. show(v), "retries", LIST, list_opts("retries", v)) end)
values(NOT_BYTES, function(v)
  probe("call max_body_bytes = " .. show(v), "max_body_bytes", LIST, list_opts("max_body_bytes", v))
  probe("call max_bytes = " .. show(v), "max_bytes", LIST, list_opts("max_bytes", v, { output = print }))
end)
probe("call max_bytes without output", "max_bytes", LIST, list_opts("max_bytes", 5))
values({ 5, true, {}, "", "/tmp/out\0x" }, function(v)
  probe("call output = " .. show(v), "output", LIST, list_opts("output", v))
end)
values(bad_headers, function(v) probe("call headers = " .. show(v), "headers", LIST, list_opts("headers", v)) end)
values(NOT_BOOL, function(v) probe("call raw = " .. show(v), "raw", LIST, list_opts("raw", v)) end)
values({ 0, 1.5, "3", NAN }, function(v) probe("call max_items = " .. show(v), "max_items", LIST, list_opts("max_items", v)) end)
values(NOT_BOOL, function(v) probe("call prefetch = " .. show(v), "prefetch", LIST, list_opts("prefetch", v)) end)
probe("call idempotency_key on an operation without", "idempotency_key", LIST, list_opts("idempotency_key", "k"))
values({ 5, "", "a\0b", "a\r\nb" }, function(v)
  probe("call idempotency_key = " .. show(v), "idempotency_key", MAIL, call("MailsController_sendMail",
    { account_id = "a", to = { { identifier = "x@y.z" } }, body = "b" }, { idempotency_key = v }))
end)
probe("call unknown option", "timout_ms", LIST, list_opts("timout_ms", 5))
probe("call options not a table", "opts", LIST, call(LIST_ID, nil, "x"))
-- An unknown operation is named by `where` itself (param nil, as client.safe's spec has it).
values({ "nope", 5, {} }, function(v) probe("call operation_id = " .. show(v), nil, tostring(v), call(v)) end)
probe("call params not a table", "params", LIST, call(LIST_ID, "x"))
probe("call unknown param", "chatid", GET, call("ChatsController_getChat", { chatid = "x" }))
probe("call missing path param", "chat_id", GET, call("ChatsController_getChat", {}))
values({ true, {}, NAN, INF, print, "" }, function(v)
  probe("call chat_id = " .. show(v), "chat_id", GET, call("ChatsController_getChat", { chat_id = v }))
end)
probe("call 10 MB id", "chat_id", GET, call("ChatsController_getChat", { chat_id = HUGE }))
probe("call 10 MB query value", "account_id", GET, call("ChatsController_getChat", { chat_id = "c", account_id = HUGE }))
probe("call URL over the bound", "query", LIST,
  call(LIST_ID, { account_id = string.rep("a", 9000), cursor = string.rep("c", 9000) }))
values({ 0, operations.by_id[LIST_ID].max_limit + 1, 1.5, "10", NAN }, function(v)
  probe("call limit = " .. show(v), "limit", LIST, call(LIST_ID, { limit = v }))
end)
values({ print, { x = print } }, function(v)
  probe("call query value = " .. show(v), "account_id", LIST, call(LIST_ID, { account_id = v }))
end)
probe("call JSON body field not encodable", "value", where_of("chats", "update"),
  call("ChatsController_patchChat", { chat_id = "c", action = "setReadStatus", value = print }))
local function send(attachments)
  return call(SEND_ID, { chat_id = "c", text = "hi", attachments = attachments })
end
for _, case in ipairs(bad_parts) do
  if case[2].attachments then probe("call attachments: " .. case[1], "attachments", SEND, send(case[2].attachments)) end
end
probe("call attachments: second of two is a directory", "attachments", SEND, send { FILE, "/tmp" })

---------------------------------------------------------------- each / pages
for _, kind in ipairs { "each", "pages" } do
  probe(kind .. " bad option", "timeout_ms", LIST, function(c) return c[kind](c, LIST_ID, nil, { timeout_ms = -1 }) end)
  probe(kind .. " unknown option", "timout_ms", LIST, function(c) return c[kind](c, LIST_ID, nil, { timout_ms = 1 }) end)
  probe(kind .. " params not a table", "params", LIST, function(c) return c[kind](c, LIST_ID, "x") end)
  probe(kind .. " max_items in params", "max_items", LIST, function(c) return c[kind](c, LIST_ID, { max_items = 0 }) end)
  probe(kind .. " prefetch in params", "prefetch", LIST, function(c) return c[kind](c, LIST_ID, { prefetch = 1 }) end)
  probe(kind .. " bad headers", "headers", LIST, function(c) return c[kind](c, LIST_ID, nil, { headers = { 1 } }) end)
end
probe("resource each bad output", "output", LIST, function(c) return c.chats:each(nil, { output = 5 }) end)

---------------------------------------------------------------- unipile.new
local function new(extra)
  return function()
    local sb = support.sandbox()
    local o = { dsn = sb.url, api_key = sb.api_key }
    for k, v in pairs(extra) do o[k] = v end
    return unipile.new(o)
  end
end
for _, key in ipairs { "timeout_ms", "connect_timeout_ms", "low_speed_time_ms", "low_speed_limit",
    "backoff_ms", "backoff_max_ms", "retry_after_max_ms" } do
  values(NOT_MS, function(v) probe("new " .. key .. " = " .. show(v), key, "unipile.new", new { [key] = v }) end)
end
values(NOT_COUNT, function(v) probe("new retries = " .. show(v), "retries", "unipile.new", new { retries = v }) end)
values(NOT_BYTES, function(v)
  probe("new max_body_bytes = " .. show(v), "max_body_bytes", "unipile.new", new { max_body_bytes = v })
end)
for _, key in ipairs { "ca_file", "proxy", "user_agent", "api_key" } do
  values(NOT_TEXT, function(v) probe("new " .. key .. " = " .. show(v), key, "unipile.new", new { [key] = v }) end)
end
values({ 5, true, {}, "http://127.0.0.1\0.evil" }, function(v)
  probe("new dsn = " .. show(v), "dsn", "unipile.new", new { dsn = v })
end)
values(NOT_BOOL, function(v) probe("new verify = " .. show(v), "verify", "unipile.new", new { verify = v }) end)
values({ "x", NAN, {} }, function(v) probe("new seed = " .. show(v), "seed", "unipile.new", new { seed = v }) end)
values(bad_headers, function(v) probe("new headers = " .. show(v), "headers", "unipile.new", new { headers = v }) end)
probe("new unknown option", "timout_ms", "unipile.new", new { timout_ms = 5 })
probe("new max_bytes (a per-request option)", "max_bytes", "unipile.new", new { max_bytes = 5 })
probe("new numeric key", 1, "unipile.new", new { [1] = true })
probe("new options not a table", "opts", "unipile.new", function() return unipile.new("x") end)

---------------------------------------------------------------- closed client
local closed_calls = {
  { "request", "request", function(c) return c:request { path = "/api/v1/accounts" } end },
  { "start_request", "request", function(c) return c:start_request { path = "/api/v1/accounts" } end },
  { "call", LIST, function(c) return c:call(LIST_ID) end },
  { "start_call", LIST, function(c) return c:start_call(LIST_ID) end },
  { "each", LIST, function(c) return c:each(LIST_ID) end },
  { "pages", LIST, function(c) return c:pages(LIST_ID) end },
  { "resource method", LIST, function(c) return c.chats:list() end },
  { "resource each", LIST, function(c) return c.chats:each() end },
  { "resource pages", LIST, function(c) return c.chats:pages() end },
}
for _, case in ipairs(closed_calls) do
  probe("closed client: " .. case[1], nil, case[2], function(c)
    c:close()
    return case[3](c)
  end)
end

-- The C core refuses what the Lua layer refuses first, for callers of
-- unipile.core itself: a NUL would cut the file path ("a\0b" uploads "a"),
-- and fopen() on a FIFO would block forever.
describe("core multipart backstop", function()
  local core = require "unipile.core"
  local cases = {
    { "a file path with NUL", function() return FILE .. "\0/etc/shadow" end, "NUL" },
    { "a directory", function() return "/tmp" end, "not a regular file" },
    { "a FIFO", function()
      local path = os.tmpname()
      os.remove(path)
      assert(os.execute("mkfifo " .. path))
      return path
    end, "not a regular file" },
  }
  for _, case in ipairs(cases) do
    it("multi:add refuses " .. case[1], function()
      local m = core.multi {}
      local path = case[2]()
      local ok, err = pcall(m.add, m, { url = "http://127.0.0.1:9/", method = "POST",
        parts = { { name = "f", file = path } } })
      if case[1] == "a FIFO" then os.remove(path) end
      m:close()
      assert.is_false(ok)
      assert.matches(case[3], tostring(err), 1, true)
    end)
  end
end)

describe("usage errors", function()
  local client
  before_each(function()
    support.reset()
    client = support.client()
  end)

  it("has well over 100 probes", function()
    assert.is_true(#probes > 250, #probes .. " probes")
  end)

  for _, p in ipairs(probes) do
    it(p.label, function()
      local ok, err = pcall(p.fn, client)
      assert.is_false(ok, "no error")
      assert.is_true(errors.is(err, "usage"), "not a usage error: " .. tostring(err))
      assert.are.equal(p.param, err.param, tostring(err))
      assert.are.equal(p.where, err.operation, tostring(err))
      assert.are.equal(0, #support.requests(), "a request reached the sandbox")
      if p.label:find("^closed") then assert.matches("client is closed", err.message, 1, true) end
      if p.label:find("10 MB") or p.label:find("URL over") then assert.matches("16384", err.message, 1, true) end
      for _, field in ipairs { "message", "operation" } do
        assert.is_nil(tostring(err[field]):find(support.sandbox().api_key, 1, true), "API key in the error")
      end
    end)
  end

  -- The values a fuzzer would throw: every type, odd numbers, control
  -- bytes, long strings, nested and keyed tables. Seeded: reproducible.
  local function junk(depth)
    local pick = math.random(1, 10)
    if pick == 1 then return ({ 0, -1, 1.5, NAN, INF, -INF, 2 ^ 53, 2 ^ 31, 1, 30 })[math.random(1, 10)] end
    if pick == 2 then return math.random(1, 2) == 1 end
    if pick <= 5 then
      local n = math.random(0, 12)
      if math.random(1, 20) == 1 then n = 20000 end
      local b = {}
      for i = 1, n do b[i] = string.char(math.random(0, 255)) end
      return table.concat(b)
    end
    if pick == 6 then return ({ function() end, coroutine.create(function() end), io.stdout })[math.random(1, 3)] end
    if (depth or 0) > 2 then return "leaf" end
    local t = {}
    for _ = 1, math.random(0, 3) do
      local key = math.random(1, 3) == 1 and math.random(1, 3) or junk(3)
      if key ~= key then key = "nan" end -- NaN cannot be a key
      t[key] = junk((depth or 0) + 1)
    end
    return t
  end

  local function never_raw(fn)
    local ok, err = pcall(fn)
    if not ok then assert.is_true(errors.is(err), "raw error: " .. tostring(err)) end
  end

  local REQUEST_KEYS = { "method", "path", "query", "json", "multipart", "body", "content_type", "output",
    "headers", "raw", "idempotency_key", "timeout_ms", "connect_timeout_ms", "low_speed_time_ms",
    "low_speed_limit", "retries", "max_body_bytes", "max_bytes", "operation", "json_fields" }
  local CALL_KEYS = { "output", "headers", "timeout_ms", "connect_timeout_ms", "low_speed_time_ms",
    "low_speed_limit", "retries", "idempotency_key", "raw", "max_body_bytes", "max_bytes", "max_items", "prefetch" }

  -- A junk output that is a string names a file where none can be made.
  local function output_safe(key, v)
    if key == "output" and type(v) == "string" then return "/nonexistent/" .. v end
    return v
  end

  it("fuzz: junk in any request option is an error object or a request, never a raw error", function()
    math.randomseed(20240601)
    for round = 1, 12 do
      for _, key in ipairs(REQUEST_KEYS) do
        local spec = { path = "/api/v1/accounts", method = round % 2 == 0 and "POST" or nil }
        spec[key] = output_safe(key, junk())
        if key == "max_bytes" then spec.output = function() end end
        never_raw(function() return client:request(spec) end)
      end
    end
  end)

  it("fuzz: junk in any option of unipile.new is an error object or a client, never a raw error", function()
    math.randomseed(20240603)
    local keys = { "dsn", "base_url", "api_key", "verify", "ca_file", "proxy", "user_agent", "headers", "seed",
      "timeout_ms", "connect_timeout_ms", "low_speed_limit", "low_speed_time_ms", "retries", "backoff_ms",
      "backoff_max_ms", "retry_after_max_ms", "max_body_bytes" }
    for _ = 1, 12 do
      for _, key in ipairs(keys) do
        never_raw(function() local c = new { [key] = junk() }() c:close() end)
      end
    end
    assert.are.equal(0, #support.requests())
  end)

  it("fuzz: junk in any call option or param is an error object, never a raw error", function()
    math.randomseed(20240602)
    local ops = { operations.by_id[LIST_ID], operations.by_id[SEND_ID], operations.by_id.ChatsController_getChat }
    for _ = 1, 12 do
      for _, key in ipairs(CALL_KEYS) do
        never_raw(function() return client:call(LIST_ID, { limit = 2 }, { [key] = output_safe(key, junk()) }) end)
      end
      for _, op in ipairs(ops) do
        local params = { chat_id = "c", text = "hi" }
        for _, list in ipairs { op.path_params, op.query_params, op.body_fields } do
          for _, name in ipairs(list) do
            if math.random(1, 2) == 1 then params[name] = junk() end
          end
        end
        never_raw(function() return client:call(op.id, params) end)
      end
    end
  end)
end)
