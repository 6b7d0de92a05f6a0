-- A bounded, seeded random-request run against the sandbox over raw TCP
-- (requests the SDK would never send): odd methods, the operations table's
-- routes with hostile segments, repeated and bracketed query keys, random
-- JSON / form / multipart / garbage bodies, odd headers, with and without
-- the key. Every answer must be a non-500 JSON answer (the error envelope
-- for errors) with no Lua text in it, and the sandbox must still answer.
--   UNIPILE_FUZZ_SEED=123 UNIPILE_FUZZ_N=5000 busted spec/sandbox_fuzz_spec.lua
local socket = require "socket"
local cjson = require "cjson"
local prng = require "unipile.sandbox.prng"
local registry = require "unipile.operations"
local support = require "support"

local SEED = tonumber(os.getenv("UNIPILE_FUZZ_SEED") or "") or os.time()
local COUNT = tonumber(os.getenv("UNIPILE_FUZZ_N") or "") or 5000
local RESET_EVERY = 400 -- fuzzed deletes and connects wear the data set down

-- Methods nginx refuses before reading the body (405).
local REFUSED_UP_FRONT = { TRACE = true, CONNECT = true }

local LUA_TEXT = { ".lua:", "stack traceback", "attempt to", "bad argument" }

local function enc(s)
  return (s:gsub("[^%w%-._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

---------------------------------------------------------------------------
-- Random pieces

local HOSTILE = { ".", "..", "%2e", "%2E%2E", "%00", "%", "%zz", "%2F", "a%2Fb", "", " ", "%20", "é", "%C3%A9",
  "✓😀", "%F0%9F%98%80", "\xff\xfe", "%FF", "[]", "{x}", "'", "\"", "<script>", "-1", "0", "1e309", "null",
  "true", "%0D%0AX-Injected:%201", "a;b", "a,b", "*", "$", "\\", "%5C" }
local METHODS = { "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "PROPFIND", "get", "FOO",
  "CONNECT", "" }
local CONTENT_TYPES = { "application/json", "application/json; charset=utf-8", "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=ZZZ", "multipart/form-data", "multipart/form-data; boundary=", "text/plain",
  "application/octet-stream", "application/jsonx", "json", ";;;", "multipart/mixed; boundary=\"q q\"", "" }
local EXTRA_HEADERS = { "Idempotency-Key: k1", "Idempotency-Key: " .. string.rep("k", 300), "Idempotency-Key:",
  "Accept: */*", "Accept: text/html", "X-API-KEY: a", "X-API-KEY:", "X_API_KEY: under", "Expect: 100-continue",
  "Content-Type: application/json", "Cookie: a=b", "Range: bytes=0-1", "If-None-Match: *", "Origin: null",
  "X-Forwarded-For: ::1", "Transfer-Encoding: gzip", "Host: other.example", "User-Agent: \x01\x02" }

-- A random JSON value of bounded depth.
local function value(r, depth)
  local k = r:int(1, depth > 2 and 6 or 9)
  if k == 1 then return r:pick(HOSTILE) end
  if k == 2 then return r:int(-5, 100000) end
  if k == 3 then return r:chance(0.5) end
  if k == 4 then return cjson.null end
  if k == 5 then return r:id(r:int(1, 30)) end
  if k == 6 then return r:random() * 1e6 end
  if k == 7 then
    local a = {}
    for i = 1, r:int(0, 3) do a[i] = value(r, depth + 1) end
    return a
  end
  local o = {}
  for _ = 1, r:int(1, 3) do o[r:pick({ "id", "text", "a", "identifier", "date_time", "x" })] = value(r, depth + 1) end
  return o
end

local function fuzz_string(r, examples_value)
  local k = r:int(1, 6)
  if k == 1 and examples_value ~= nil and type(examples_value) ~= "table" then return tostring(examples_value) end
  if k == 2 then return string.rep(r:pick({ "a", "%", "é", "." }), r:int(100, 3000)) end
  if k == 3 then return tostring(r:int(-10, 1000)) end
  return r:pick(HOSTILE)
end

---------------------------------------------------------------------------
-- Requests

-- The path of `op` with each param an example id or a hostile segment.
local function path_of(r, op, ex)
  local segs = {}
  for i, seg in ipairs(op.segments) do
    local param = seg:match("^{(.+)}$")
    if param then
      local v = ex and ex[param]
      if v ~= nil and r:chance(0.6) then segs[i] = enc(tostring(v))
      else segs[i] = r:chance(0.5) and r:pick(HOSTILE) or enc(fuzz_string(r, v)) end
    elseif r:chance(0.03) then
      segs[i] = r:pick(HOSTILE)
    else
      segs[i] = seg
    end
  end
  if r:chance(0.1) and segs[1] == "api" then table.remove(segs, 1) end -- the /v1 mount
  if r:chance(0.05) then table.insert(segs, r:int(1, #segs), r:pick({ ".", "..", "" })) end
  if r:chance(0.05) then segs[#segs + 1] = r:pick(HOSTILE) end
  return "/" .. table.concat(segs, "/") .. (r:chance(0.05) and "/" or "")
end

local function query_of(r, op, ex)
  if r:chance(0.2) then return "" end
  local names = {}
  for _, n in ipairs(op.query_params) do names[#names + 1] = n end
  for _, n in ipairs({ "limit", "cursor", "x", "a[]", "a[b]", "account_id", "" }) do names[#names + 1] = n end
  local parts = {}
  for _ = 1, r:int(1, 6) do
    local name = r:pick(names)
    local v = ex and ex[name]
    local repeats = r:chance(0.3) and r:int(2, 3) or 1
    for _ = 1, repeats do
      local k = r:int(1, 5)
      if k == 1 then parts[#parts + 1] = enc(name)
      elseif k == 2 then parts[#parts + 1] = enc(name) .. "=" .. r:pick(HOSTILE)
      else parts[#parts + 1] = enc(name) .. "=" .. enc(fuzz_string(r, v)) end
    end
  end
  if r:chance(0.1) then parts[#parts + 1] = r:pick({ "&&", "=", "==x", "%zz=1", "a=%", "a[=1", "a]]=1" }) end
  return "?" .. table.concat(parts, "&")
end

-- Body and its Content-Type header (or nil).
local function body_of(r, op, ex)
  local k = r:int(1, op.body and 7 or 12)
  local fields = {}
  for _, n in ipairs(op.body_fields) do
    if r:chance(0.5) then fields[n] = r:chance(0.4) and ex and ex[n] ~= nil and ex[n] or value(r, 1) end
  end
  if k <= 2 then
    return cjson.encode(next(fields) and fields or value(r, 0)), r:pick(CONTENT_TYPES)
  elseif k == 3 then
    local p = {}
    for n, v in pairs(fields) do p[#p + 1] = enc(n) .. "=" .. enc(type(v) == "table" and cjson.encode(v) or tostring(v)) end
    return table.concat(p, "&"), "application/x-www-form-urlencoded"
  elseif k <= 5 then
    local b, p = "ZZZ", {}
    for n, v in pairs(fields) do
      p[#p + 1] = "--" .. b .. "\r\nContent-Disposition: form-data; name=\"" .. n .. "\""
        .. (r:chance(0.2) and "; filename=\"" .. r:pick(HOSTILE) .. "\"" or "")
        .. "\r\n\r\n" .. (type(v) == "table" and cjson.encode(v) or tostring(v)) .. "\r\n"
    end
    if r:chance(0.3) then p[#p + 1] = "--" .. b .. "\r\nContent-Disposition: form-data\r\n\r\nnameless\r\n" end
    local tail = r:chance(0.85) and "--" .. b .. "--\r\n" or "--" .. b
    return table.concat(p) .. tail, r:chance(0.9) and "multipart/form-data; boundary=" .. b or r:pick(CONTENT_TYPES)
  elseif k == 6 then
    return r:bytes(r:int(1, 300)), r:pick(CONTENT_TYPES)
  elseif k == 7 then
    return r:pick({ "{", "[]", "null", "1", "\"x\"", "{\"a\":", "{}", "[{}]", "{\"__proto__\":1}" }), "application/json"
  end
  return nil
end

local function request_of(r, op, ex, api_key)
  local method = r:chance(0.7) and op.method or r:pick(METHODS)
  local target = path_of(r, op, ex) .. query_of(r, op, ex)
  local head = { "Host: 127.0.0.1", "Connection: close" }
  local kk = r:int(1, 10)
  if kk <= 8 then head[#head + 1] = "X-API-KEY: " .. api_key
  elseif kk == 9 then head[#head + 1] = "X-API-KEY: wrong" end
  local body, ctype = body_of(r, op, ex)
  if ctype and ctype ~= "" then head[#head + 1] = "Content-Type: " .. ctype end
  for _ = 1, r:chance(0.3) and r:int(1, 3) or 0 do head[#head + 1] = r:pick(EXTRA_HEADERS) end
  local payload = body or ""
  if body and r:chance(0.1) then -- chunked, sometimes broken
    head[#head + 1] = "Transfer-Encoding: chunked"
    -- concatenated: Lua 5.1's %s stops at a NUL, which random bodies hold
    payload = string.format("%x\r\n", #body) .. body .. "\r\n0\r\n\r\n"
    if r:chance(0.3) then payload = "zz\r\n" .. body end
  elseif body then
    head[#head + 1] = "Content-Length: " .. #body
  end
  return table.concat({ method .. " " .. target .. " HTTP/1.1", table.concat(head, "\r\n"), "", payload }, "\r\n")
end

-- A valid call of `op` (its example params, the key) with one or two
-- values swapped for random ones of any JSON type: reaches the handlers'
-- own checks, where wrongly typed input used to raise Lua errors.
local function mutant_of(r, op, ex, api_key)
  local params = {}
  for k, v in pairs(ex or {}) do params[k] = v end
  local names = {}
  for _, n in ipairs(op.query_params) do names[#names + 1] = n end
  for _, n in ipairs(op.body_fields) do names[#names + 1] = n end
  for _ = 1, r:int(1, 2) do
    if #names > 0 then params[r:pick(names)] = value(r, 1) end
  end
  local segs = {}
  for i, seg in ipairs(op.segments) do
    local param = seg:match("^{(.+)}$")
    segs[i] = param and enc(tostring(ex and ex[param] or "x")) or seg
  end
  local query, fields = {}, {}
  for k, v in pairs(params) do
    local places = op.places[k] or {}
    if places.query and not places.path then
      for _, x in ipairs(type(v) == "table" and v or { v }) do
        query[#query + 1] = enc(k) .. "=" .. enc(type(x) == "table" and cjson.encode(x) or tostring(x))
      end
    elseif places.body then
      fields[k] = v
    end
  end
  table.sort(query)
  local body = op.body and cjson.encode(fields) or nil
  local head = { "Host: 127.0.0.1", "Connection: close", "X-API-KEY: " .. api_key }
  if body then
    head[#head + 1] = "Content-Type: application/json"
    head[#head + 1] = "Content-Length: " .. #body
  end
  return table.concat({ op.method .. " /" .. table.concat(segs, "/") .. (#query > 0 and "?" .. table.concat(query, "&") or "")
    .. " HTTP/1.1", table.concat(head, "\r\n"), "", body or "" }, "\r\n")
end

-- Send `req` on a new connection; returns the whole answer or nil, error.
local function exchange(port, req)
  local c = assert(socket.tcp())
  c:settimeout(4)
  local ok, err = c:connect("127.0.0.1", port)
  if not ok then return nil, err end
  c:send(req)
  local answer, rerr, partial = c:receive("*a")
  c:close()
  answer = answer or partial
  if not answer or answer == "" then return nil, rerr or "empty answer" end
  return answer
end

-- Nil if `answer` is acceptable, else why not.
local function verdict(answer, op)
  for _, s in ipairs(LUA_TEXT) do
    if answer:find(s, 1, true) then return "Lua text " .. s end
  end
  answer = answer:gsub("^HTTP/1%.1 1%d%d [^\r\n]*\r\n\r\n", "") -- interim (Expect: 100-continue)
  local top, body = answer:match("^(.-)\r\n\r\n(.*)$")
  if not top then return "no header end" end
  local status = tonumber(top:match("^HTTP/1%.%d (%d%d%d)"))
  if not status then return "no status line" end
  if status == 500 and not op.any_status then return "status 500" end
  if top:lower():find("\ntransfer%-encoding: chunked") then
    local plain, pos = {}, 1 -- de-chunk
    while true do
      local size, at = body:match("^(%x+)[^\r\n]*\r\n()", pos)
      if not size or tonumber(size, 16) == 0 then break end
      plain[#plain + 1] = body:sub(at, at + tonumber(size, 16) - 1)
      pos = at + tonumber(size, 16) + 2
    end
    body = table.concat(plain)
  end
  if body == "" then return nil end
  local ctype = (top:lower():match("\ncontent%-type:%s*([^\r\n]*)") or "")
  if not ctype:find("^application/json") then
    if status < 300 and op.response == "binary" then return nil end
    return "status " .. status .. " body of type " .. ctype
  end
  local ok, data = pcall(cjson.decode, body)
  if not ok then return "invalid JSON: " .. body:sub(1, 200) end
  if status >= 400 and not op.any_status and not (type(data) == "table" and data.status == status and type(data.type) == "string"
    and data.type:find("^errors/") and type(data.title) == "string") then
    return "not the error envelope: " .. body:sub(1, 200)
  end
end

-- Control routes worth fuzzing (reset and faults would reshape the run).
local CONTROL = {
  { method = "POST", segments = { "_sandbox", "inbound", "email" }, body_fields = { "account_id", "from", "to",
    "subject", "body", "folder", "in_reply_to", "attachments" }, query_params = {}, body = "json" },
  { method = "POST", segments = { "_sandbox", "inbound", "message" }, body_fields = { "chat_id", "sender_id", "text",
    "attachments" }, query_params = {}, body = "json" },
  { method = "POST", segments = { "_sandbox", "accounts", "{account_id}", "status" }, body_fields = { "message" },
    query_params = {}, body = "json" },
  { method = "POST", segments = { "_sandbox", "emails", "{email_id}", "track" }, body_fields = { "event", "url" },
    query_params = {}, body = "json" },
  -- (the webhook receiver answers ?fail=N with 500 {received = false}: on purpose)
  { method = "POST", segments = { "_sandbox", "hook", "{name}" }, body_fields = { "x" }, query_params = { "fail", "status" },
    body = "json", any_status = true },
  { method = "GET", segments = { "_sandbox", "requests" }, body_fields = {}, query_params = { "last" } },
  { method = "GET", segments = { "_sandbox", "deliveries" }, body_fields = {}, query_params = { "last", "webhook_id", "event" } },
  { method = "GET", segments = { "_sandbox", "hooks" }, body_fields = {}, query_params = { "last", "name" } },
  { method = "POST", segments = { "_sandbox", "hosted", "{token}" }, body_fields = { "provider" }, query_params = {},
    body = "json" },
  { method = "POST", segments = { "_sandbox", "invitations", "{id}", "accept" }, body_fields = {}, query_params = {} },
}

describe("sandbox fuzz", function()
  it("answers " .. COUNT .. " random requests without a 500 or Lua text (seed " .. SEED .. ")", function()
    print(string.format("\nsandbox fuzz: seed %d, %d requests (UNIPILE_FUZZ_SEED=%d to replay)", SEED, COUNT, SEED))
    local sb = support.reset()
    local examples = support.examples()
    local st = sb:state()
    local control_ex = { account_id = st.accounts[1].id, name = "fz", token = "t",
      email_id = st.emails and st.emails[1] and st.emails[1].id }
    local ops = {}
    for _, op in ipairs(registry.list) do ops[#ops + 1] = op end
    for _, op in ipairs(CONTROL) do ops[#ops + 1] = op end
    local r = prng.new(SEED)
    local failures, started, classes = {}, socket.gettime(), {}
    for i = 1, COUNT do
      if i % RESET_EVERY == 0 then support.reset() end
      local op = r:pick(ops)
      local ex = op.id and examples[op.id] or control_ex
      local req
      if op.id and r:chance(0.5) then req = mutant_of(r, op, ex, sb.api_key) else req = request_of(r, op, ex, sb.api_key) end
      local answer, err = exchange(sb.port, req)
      local why
      if answer then why = verdict(answer, op) else why = "no answer: " .. tostring(err) end
      local class = answer and answer:match("^HTTP/1%.1 (%d)%d%d") or "-"
      classes[class] = (classes[class] or 0) + 1
      if why == "no answer: closed" and REFUSED_UP_FRONT[req:match("^%S*")] and req:find("\r\n\r\nzz\r\n") then
        why = nil -- nginx refuses the method, then drops the broken chunked body and the connection
      end
      if why and #failures < 15 then
        failures[#failures + 1] = string.format("#%d %s: %s\n    %s", i, op.id or "control",
          why, (string.format("%q", req:sub(1, 700)):gsub("\\\n", "\n    ")))
      end
    end
    print(string.format("sandbox fuzz: %.1f s; answers 1xx-5xx: %d %d %d %d %d, none: %d", socket.gettime() - started,
      classes["1"] or 0, classes["2"] or 0, classes["3"] or 0, classes["4"] or 0, classes["5"] or 0, classes["-"] or 0))
    if #failures > 0 then -- the sandbox's side of the story: its Lua errors
      local log = support.read_file(sb.prefix .. "/logs/error.log")
      local errs = {}
      for line in log:gmatch("[^\n]+") do
        if line:find("lua", 1, true) and #errs < 10 then errs[#errs + 1] = line:sub(1, 400) end
      end
      failures[#failures + 1] = "logs/error.log:\n" .. table.concat(errs, "\n")
    end
    assert(#failures == 0, "seed " .. SEED .. ":\n" .. table.concat(failures, "\n"))
    -- still alive and sane
    local answer = exchange(sb.port, "GET /api/v1/accounts HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-API-KEY: "
      .. sb.api_key .. "\r\n\r\n")
    assert.matches("^HTTP/1%.1 200", answer)
    assert.are.equal(true, sb:call("GET", "/_sandbox/health").ok)
  end)
end)
