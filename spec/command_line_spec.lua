-- The `unipile` command line (bin/unipile, lua/unipile/cli/), run as a
-- user runs it, one process per command under the runtime of the run,
-- against the suite's sandbox: every operation of the table with the
-- sandbox's examples, what the sandbox saw and what the command printed.
local cjson = require "cjson"
local encode = require "unipile.encode"
local registry = require "unipile.operations"
local sys = require "unipile.sandbox.sys"
local support = require "support"
local seen = require "support.seen"
local args = require "unipile.cli.args"
local cli_mod = require "unipile.cli"
local facts = require "unipile.cli.facts"

local unpack = table.unpack or unpack -- luacheck: ignore 113 143 (5.2+ has one, 5.1 and LuaJIT the other)
local LUA = os.getenv("UNIPILE_TEST_LUA") or "lua5.4"
local quote = sys.quote

local TMP = sys.temp_dir("unipile-cli-spec")
local EMPTY_CONFIG = TMP .. "/no-config"

-- Run the shell line `line` with the sandbox's variables (and `env`'s:
-- false unsets one) → stdout, stderr, exit status.
local function shell(line, env)
  local sb = support.sandbox()
  local vars = { UNIPILE_DSN = sb.url, UNIPILE_API_KEY = sb.api_key, XDG_CONFIG_HOME = EMPTY_CONFIG }
  for k, v in pairs(env or {}) do vars[k] = v or nil end
  local assign = {}
  for k, v in pairs(vars) do assign[#assign + 1] = k .. "=" .. quote(v) end
  local out, err = TMP .. "/out", TMP .. "/err"
  local cmd = "env -u UNIPILE_DSN -u UNIPILE_API_KEY -u UNIPILE_DEBUG -u UNIPILE_PROFILE "
    .. table.concat(assign, " ") .. " bash -o pipefail -c " .. quote(line) .. " >" .. out .. " 2>" .. err .. " </dev/null"
  local _, rc = sys.execute(cmd)
  return sys.read_file(out), sys.read_file(err), rc
end

-- Run `unipile WORDS...`; `wrap`: a function of the command line (a
-- pseudo-terminal).
local function unipile(words, env, wrap)
  local quoted = {}
  for i, w in ipairs(words) do quoted[i] = quote(w) end
  local line = LUA .. " bin/unipile " .. table.concat(quoted, " ")
  return shell(wrap and wrap(line) or line, env)
end

-- `line` on a pseudo-terminal (util-linux script; -e: its status is the
-- command's). Under the sanitizer run, script itself runs without them
-- (its leaks are not ours) and the command with them.
local SANITIZER_VARS = {}
for _, name in ipairs { "LD_PRELOAD", "ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS" } do
  local v = os.getenv(name)
  if v then SANITIZER_VARS[#SANITIZER_VARS + 1] = name .. "=" .. quote(v) end
end
local function on_tty(line)
  return sys.WITHOUT_SANITIZERS .. " script -qec " .. quote(table.concat(SANITIZER_VARS, " ") .. " " .. line) .. " /dev/null"
end

-- A fresh sandbox state with no requests recorded: its ids.
local function fresh_state()
  support.reset()
  support.sandbox():clear_requests()
  return support.state()
end

local function lines(s)
  local list = {}
  for l in s:gmatch("[^\n]+") do list[#list + 1] = l end
  return list
end

-- The status of the table's row for `kind` (and `action`, for the rows
-- that name actions).
local function exit_of(kind, action)
  for _, row in ipairs(cli_mod.EXIT) do
    local actions = {}
    for _, a in ipairs(row[4] or {}) do actions[a] = true end
    for _, k in ipairs(row[3] or {}) do
      if k == kind and (action and actions[action] or not action and not row[4]) then return row[1] end
    end
  end
end

-- A value of the examples as the words of its option: a list repeats
-- it, an object is JSON, a file (`{filename, content}`) is @path.
local function file_word(v)
  local path = TMP .. "/" .. (v.filename or "upload.bin")
  sys.write_file(path, v.content or "")
  return "@" .. path
end

local function option_words(op, name, v, out)
  local opt = "--" .. args.dashed(name)
  local fact = facts[op.id][name] or { t = "any" }
  local function word(x)
    if type(x) == "table" and x.content ~= nil then return file_word(x) end
    if type(x) == "table" then return cjson.encode(x) end
    return tostring(x)
  end
  if type(v) == "table" and v[1] ~= nil and fact.t == "array" then
    for _, x in ipairs(v) do out[#out + 1] = opt out[#out + 1] = word(x) end
  else
    out[#out + 1] = opt
    out[#out + 1] = word(v)
  end
end

local function words_for(op, params)
  local words = { op.group, args.dashed(op.name), "--retries", "0" }
  local names = {}
  for name in pairs(params) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do option_words(op, name, params[name], words) end
  if op.response == "binary" then words[#words + 1] = "--output" words[#words + 1] = TMP .. "/download" end
  return words
end

local scalar = seen.scalar

-- The example's value as the command line sends it: converted by the
-- param's type, so a number the schema types as such may come from a
-- string of digits in the examples ("6532346574" → 6532346574).
local function as_sent(v)
  if type(v) == "table" then
    local t = {}
    for k, x in pairs(v) do t[k] = as_sent(x) end
    return t
  end
  return scalar(v)
end

describe("unipile (the command line)", function()
  teardown(function() sys.execute("rm -rf " .. quote(TMP)) end)

  describe("every operation, with the sandbox's examples", function()
    local examples
    setup(function()
      support.reset()
      examples = support.examples()
    end)

    for _, op in ipairs(registry.list) do
      it(op.group .. " " .. args.dashed(op.name) .. " (" .. op.id .. ")", function()
        local params = assert(examples[op.id], "no example for " .. op.id)
        support.sandbox():clear_requests()
        local out, err, rc = unipile(words_for(op, params))   -- bin/unipile, as the rock installs it
        assert.are.equal(0, rc, err)
        local reqs = support.requests()
        assert.are.equal(1, #reqs, "one request per command")
        local req, values = reqs[1], require("unipile.client").split_params(op, params, op.id)
        assert.are.same({ op.method, encode.path(op.path, values.path) }, { req.method, req.path })
        seen.query(values, req.args)
        if op.body == "json" then
          for name, v in pairs(values.body) do assert.are.same(as_sent(v), as_sent(req.json[name]), name) end
        elseif op.body == "multipart" then
          seen.parts(values, req.parts)
        end
        if op.response == "binary" then
          assert.is_true(#sys.read_file(TMP .. "/download") > 0)
        else
          assert.is_table(cjson.decode(out))
        end
      end)
    end
  end)

  describe("output.json (the encoder of every line)", function()
    local output = require "unipile.cli.output"
    local function keys_in_order(text)
      local list = {}
      for k in text:gmatch('"([%w_]+)":') do list[#list + 1] = k end
      return list
    end
    local CASES = {
      { "escapes and slashes", { s = 'a "q" \\ \n /path/ \t' }, '{"s":"a \\"q\\" \\\\ \\n /path/ \\t"}' },
      { "numbers: integers without .0, floats as such", { a = 0, b = 1.0, c = 2.5, d = -1, e = 300, f = 2 ^ 40 },
        '{"a":0,"b":1,"c":2.5,"d":-1,"e":300,"f":1099511627776}' },
      { "null, booleans, empty tables as []", { n = cjson.null, t = true, f = false, e = {} },
        '{"e":[],"f":false,"n":null,"t":true}' },
      { "nested, keys sorted at every level", { z = { y = 1, x = { 2, 3 } }, a = "A" }, '{"a":"A","z":{"x":[2,3],"y":1}}' },
      { "numeric keys of an object", { [3] = "n", a = 1 }, '{"3":"n","a":1}' },
    }
    for _, c in ipairs(CASES) do
      it(c[1], function() assert.are.equal(c[3], output.json(c[2])) end)
    end

    it("objects with the same first key and count but other keys are not given another's order", function()
      for i = 1, 200 do
        local t = { a = i }
        t["k" .. (i % 7)] = i
        t["m" .. (i % 5)] = true
        local text = output.json(t)
        assert.are.same(t, cjson.decode(text))
        local keys = keys_in_order(text)
        local sorted = { unpack(keys) }
        table.sort(sorted)
        assert.are.same(sorted, keys)
      end
    end)

    it("pretty: two-space indent, the same values", function()
      local v = { b = { 1, { c = true } }, a = "x" }
      local text = output.json(v, true)
      assert.are.equal('{\n  "a": "x",\n  "b": [\n    1,\n    {\n      "c": true\n    }\n  ]\n}', text)
      assert.are.same(v, cjson.decode(text))
    end)
  end)

  describe("output", function()
    local state
    setup(function()
      support.reset()
      state = support.state()
    end)

    it("--all --format ndjson prints one line per item of the sandbox's state", function()
      for _, t in ipairs { { "chats", state.chats }, { "messages", state.messages } } do
        local out, err, rc = unipile { t[1], "list", "--all", "--limit", "7", "--format", "ndjson", "--fields", "id" }
        assert.are.equal(0, rc, err)
        local ids = {}
        for i, l in ipairs(lines(out)) do ids[i] = cjson.decode(l).id end
        table.sort(ids)
        local want = { unpack(t[2]) }
        table.sort(want)
        assert.are.same(want, ids)
      end
    end)

    it("--all --format ndjson writes each item as the API sent it (its key order), one line each", function()
      local sb = support.reset()
      sb:fault { path = "^/api/v1/chats$", count = 1, body = '{ "object": "ChatList", "items": [ {"z": 1.50, '
        .. '"a": "x\\/y", "list": [ 1, {} ]},\n {"id": "b", "name": null} ], "cursor": null }' }
      local out, err, rc = unipile { "chats", "list", "--all", "--format", "ndjson" }
      assert.are.equal(0, rc, err)
      assert.are.equal('{"z":1.50,"a":"x\\/y","list":[1,{}]}\n{"id":"b","name":null}\n', out)
      assert.are.equal(1, #support.requests())        -- one page: its cursor was null
      support.reset()
    end)

    it("--max-items stops after that many items", function()
      local out = unipile { "chats", "list", "--max-items", "3", "--limit", "2", "--format", "ndjson" }
      assert.are.equal(3, #lines(out))
    end)

    -- RFC 4180 as the writer makes it: quoted cells, "" for a quote.
    local function parse_csv(text)
      local rows, row, cell, i, quoted = {}, {}, {}, 1, false
      while i <= #text do
        local c = text:sub(i, i)
        if quoted then
          if c == '"' and text:sub(i + 1, i + 1) == '"' then cell[#cell + 1] = '"' i = i + 1
          elseif c == '"' then quoted = false
          else cell[#cell + 1] = c end
        elseif c == '"' then quoted = true
        elseif c == "," then row[#row + 1] = table.concat(cell) cell = {}
        elseif c == "\r" and text:sub(i + 1, i + 1) == "\n" then
          row[#row + 1] = table.concat(cell)
          rows[#rows + 1] = row
          row, cell, i = {}, {}, i + 1
        else cell[#cell + 1] = c end
        i = i + 1
      end
      return rows
    end

    it("CSV parses back into the items (lists and objects as JSON cells)", function()
      local fields = "id,name,folder,attendees.0.name"
      local csv = unipile { "chats", "list", "--all", "--format", "csv", "--fields", fields }
      local nd = unipile { "chats", "list", "--all", "--format", "ndjson" }
      local rows = parse_csv(csv)
      assert.are.same({ "id", "name", "folder", "attendees.0.name" }, rows[1])
      local items = lines(nd)
      assert.are.equal(#items, #rows - 1)
      for i, l in ipairs(items) do
        local item = cjson.decode(l)
        local row = rows[i + 1]
        assert.are.same({ item.id, item.name or "" }, { row[1], row[2] })
        assert.are.same(item.folder, cjson.decode(row[3]))
      end
    end)

    it("--format table aligns a header and the rows", function()
      local out = unipile { "chats", "list", "--limit", "3", "--format", "table", "--fields", "id,name" }
      local l = lines(out)
      assert.are.equal(4, #l)
      assert.matches("^id%s+name$", l[1])
      local at = l[1]:find("name$")
      for i = 2, 4 do assert.matches("^%S+%s+$", l[i]:sub(1, at - 1)) end
    end)

    it("JSON on a terminal is indented (and one call shows no progress)", function()
      local out, err, rc = unipile({ "chats", "list", "--limit", "1" }, nil, on_tty)
      assert.are.equal(0, rc, err)
      assert.matches('^{\r?\n  "cursor": ', out)
    end)

    it("JSON in a pipe is one line, keys sorted; a page prints whole", function()
      local out = unipile { "chats", "list", "--limit", "2" }
      assert.are.equal(1, #lines(out))
      local page = cjson.decode(out)
      assert.are.equal(2, #page.items)
      assert.truthy(out:find('^{"cursor":'), out)
      assert.is_nil(out:find("\\/", 1, true))
    end)
  end)

  describe("params", function()
    local state
    before_each(function() state = fresh_state() end)

    it("converts by the param's type: booleans, integers, repeated arrays, nested fields, files", function()
      local file = TMP .. "/report.txt"
      sys.write_file(file, "the report\n")
      local _, err, rc = unipile { "chats", "start", "--account-id", state.accounts[1], "--text", "hi",
        "--attendees-ids", "a1", "--attendees-ids", "a2", "--linkedin.inmail", "true", "--linkedin.api", "classic",
        "--attachments", "@" .. file }
      assert.are.equal(0, rc, err)
      local req = support.last("POST")
      local parts = {}
      for _, p in ipairs(req.parts) do parts[p.name] = parts[p.name] or {} table.insert(parts[p.name], p) end
      local ids = {}
      for _, p in ipairs(parts.attendees_ids or {}) do ids[#ids + 1] = p.data end
      table.sort(ids)
      assert.are.same({ "a1", "a2" }, ids)
      local attachment = parts.attachments and parts.attachments[1]
      assert.are.same({ "report.txt", "the report\n" }, { attachment.filename, attachment.data })
      local linkedin = {}
      for name, list in pairs(parts) do
        local field = name:match("^linkedin%[(.-)%]$")
        if field then linkedin[field] = list[1].data end
      end
      if next(linkedin) == nil then linkedin = cjson.decode(parts.linkedin[1].data) end
      assert.are.same("classic", linkedin.api)
      assert.truthy(linkedin.inmail == true or linkedin.inmail == "true")
    end)

    it("JSON body booleans are JSON booleans (yes/no, true/false, 1/0)", function()
      for _, t in ipairs { { "yes", true }, { "false", false }, { "1", true }, { "off", false } } do
        local _, err, rc = unipile { "webhooks", "create", "--request-url", "https://example.com/hook", "--source",
          "messaging", "--enabled", t[1] }
        assert.are.equal(0, rc, err)
        assert.are.equal(t[2], support.last("POST").json.enabled, t[1])
      end
    end)

    it("query booleans and integers reach the server as such", function()
      local _, err, rc = unipile { "chats", "list", "--unread", "yes", "--limit", "4", "--account-id", state.accounts[1] }
      assert.are.equal(0, rc, err)
      assert.are.same({ "true", "4", state.accounts[1] }, { support.last().args.unread, support.last().args.limit,
        support.last().args.account_id })
    end)

    it("--body takes the whole body as JSON or @file; options override its fields", function()
      local chat = state.chats[1]
      sys.write_file(TMP .. "/body.json", cjson.encode { text = "from the file" })
      for _, t in ipairs { { "@" .. TMP .. "/body.json", {}, "from the file" },
          { '{"text":"inline"}', { "--text", "override" }, "override" } } do
        local words = { "chats", "send-message", "--chat-id", chat, "--body", t[1] }
        for _, w in ipairs(t[2]) do words[#words + 1] = w end
        local _, err, rc = unipile(words)
        assert.are.equal(0, rc, err)
        local req = support.last("POST")
        local text
        for _, p in ipairs(req.parts) do if p.name == "text" then text = p.data end end
        assert.are.equal(t[3], text)
      end
    end)

    local BAD = {
      { "an unknown option", { "chats", "get", "--chat-id", "x", "--colour", "red" }, "unknown option '%-%-colour'" },
      { "a missing param", { "chats", "get" }, "missing required parameter 'chat_id'" },
      { "a number that is not", { "chats", "list", "--limit", "many" }, "takes an integer" },
      { "a boolean that is not", { "chats", "list", "--unread", "perhaps" }, "takes true or false" },
      { "a value not in the enum", { "chats", "list", "--account-type", "FAX" }, "must be one of 'WHATSAPP'" },
      { "an unknown command", { "chats", "fly" }, "unknown command 'chats fly'" },
    }
    for _, t in ipairs(BAD) do
      it("refuses " .. t[1] .. " with a usage error, the command's usage line and no request", function()
        local out, err, rc = unipile(t[2])
        assert.are.equal(exit_of("usage"), rc)
        assert.are.equal("", out)
        assert.matches("^unipile: usage error: [^\n]*" .. t[3], err)
        if t[2][2] ~= "fly" then assert.matches("\nusage: unipile " .. t[2][1] .. " " .. t[2][2], err) end
        assert.are.equal(0, #support.requests())
      end)
    end
  end)

  describe("exit status by error kind", function()
    local chat
    before_each(function()
      local sb = support.reset()
      sb:clear_requests()
      chat = support.state().chats[1]
    end)

    local PACE = TMP .. "/pace.sqlite"
    local CASES = {
      { "http", function() return { "chats", "get", "--chat-id", "no-such-chat" } end },
      { "network", function() return { "chats", "list", "--retries", "0" },
        { UNIPILE_DSN = "http://127.0.0.1:" .. support.closed_port() } end },
      { "decode", function()
        support.sandbox():fault { kind = "malformed", path = "^/api/v1/chats$", count = 1 }
        return { "chats", "list", "--retries", "0" } end },
      { "pace", function()
        os.remove(PACE)
        local first = { "chats", "send-message", "--chat-id", chat, "--text", "one", "--pace", PACE }
        local _, err, rc = unipile(first)
        assert.are.equal(0, rc, err)
        return { "chats", "send-message", "--chat-id", chat, "--text", "two", "--pace", PACE } end },
      { "timeout", function()
        support.sandbox():fault { latency_ms = 1500, path = "^/api/v1/chats$", count = 1 }
        return { "chats", "list", "--retries", "0", "--timeout", "200" } end },
      { "journal", function()
        local journal = TMP .. "/uncertain.sqlite"
        os.remove(journal)
        local words = { "chats", "send-message", "--chat-id", chat, "--text", "lost", "--journal", journal, "--retries", "0" }
        support.sandbox():fault { kind = "close", method = "POST", count = 1 }
        local _, err, rc = unipile(words)   -- sent, its answer lost: uncertain
        assert.are.equal(exit_of("network"), rc, err)
        return words end },
      { "usage", function() return { "chats", "get" } end },
      { "limit", function() return { "chats", "list", "--max-body-bytes", "100" } end },
      { "http", function()
        support.sandbox():fault { status = 503, path = "^/api/v1/chats$", count = 2 }
        return { "chats", "list", "--retries", "0" } end, "retry" },
    }
    for _, case in ipairs(CASES) do
      local kind, action = case[1], case[3]
      local status = exit_of(kind, action)
      it(kind .. (action and (" (" .. action .. ")") or "") .. " exits " .. status
          .. ", one line on stderr; --format json: the error object", function()
        local words, env = case[2]()
        local out, err, rc = unipile(words, env)
        assert.are.same({ status, "" }, { rc, out }, err)
        assert.matches("^unipile: " .. kind .. " error", err)
        if kind == "usage" then return end
        words, env = case[2]()
        words[#words + 1] = "--format"
        words[#words + 1] = "json"
        local _, jerr, jrc = unipile(words, env)
        local e = cjson.decode(jerr)
        assert.are.same({ status, kind }, { jrc, e.kind })
        if action then assert.are.equal(action, e.action) else assert.is_string(e.action) end
      end)
    end
  end)

  describe("progress", function()
    before_each(function() support.reset() end)
    local ALL = { "messages", "list", "--all", "--limit", "5", "--format", "ndjson" }

    it("shows pages and items on stderr when stderr is a terminal", function()
      local out = unipile(ALL, nil, function(line) return on_tty(line .. " >/dev/null") end)
      assert.matches("unipile: %d+ pages, %d+ items, [%d.]+ k?B, %d+ items/s, [%d.]+ s", out)
    end)

    it("shows nothing in a pipe, nor with --quiet on a terminal", function()
      local out, err, rc = unipile(ALL)
      assert.are.same({ 0, "" }, { rc, err })
      assert.is_true(#lines(out) > 5)
      local q = ALL
      q[#q + 1] = "--quiet"
      local tty = unipile(q, nil, function(line) return on_tty(line .. " >/dev/null") end)
      assert.are.equal("", tty)
    end)
  end)

  describe("safety", function()
    local state
    before_each(function() state = fresh_state() end)

    it("--dry-run sends nothing and prints the request, the key as ***", function()
      local out, err, rc = unipile { "chats", "send-message", "--chat-id", state.chats[1], "--text", "hi", "--dry-run" }
      assert.are.equal(0, rc, err)
      assert.are.equal(0, #support.requests())
      local r = cjson.decode(out)
      assert.are.same({ true, "POST", "/api/v1/chats/" .. state.chats[1] .. "/messages" }, { r.dry_run, r.method, r.path })
      assert.are.equal("X-API-KEY: ***", r.headers[1])
    end)

    it("the key appears in no output: help, dry run, debug, errors, completion", function()
      local key = support.sandbox().api_key
      local runs = {
        { { "--help" } }, { { "chats", "list", "--help" } }, { { "chats", "list", "--dry-run" } },
        { { "chats", "list", "--limit", "1", "--debug" } }, { { "chats", "list", "--limit", "1" }, { UNIPILE_DEBUG = "2" } },
        { { "chats", "get", "--chat-id", "nope", "--format", "json" } }, { { "completion", "bash" } },
        { { "api", "GET", "/api/v1/chats", "--query", "limit=1", "--debug" } },
      }
      for _, r in ipairs(runs) do
        local out, err = unipile(r[1], r[2])
        assert.is_nil((out .. err):find(key, 1, true), table.concat(r[1], " "))
      end
    end)
  end)

  describe("sending options and outputs", function()
    local state
    before_each(function() state = fresh_state() end)

    it("a binary answer: --output FILE, else stdout in a pipe; refused on a terminal", function()
      local picture = { "attendees", "get-picture", "--id", state.attendees[1] }
      local file = TMP .. "/picture"
      local words = { unpack(picture) }
      words[#words + 1] = "--output"
      words[#words + 1] = file
      local out, err, rc = unipile(words)
      assert.are.same({ 0, "" }, { rc, out }, err)
      local piped, perr, prc = unipile(picture)
      assert.are.equal(0, prc, perr)
      assert.is_true(#piped > 0)
      assert.are.equal(sys.read_file(file), piped)
      local shown, _, trc = unipile(picture, nil, on_tty)
      assert.are.equal(exit_of("usage"), trc)   -- script -e: the command's status
      assert.matches("usage error: a binary answer: give %-%-output FILE", shown)
    end)

    it("--journal: the same send twice goes out once (the second is the first's answer)", function()
      local journal = TMP .. "/journal.sqlite"
      os.remove(journal)
      local words = { "chats", "send-message", "--chat-id", state.chats[1], "--text", "once", "--journal", journal }
      local first, err1, rc1 = unipile(words)
      local second, err2, rc2 = unipile(words)
      assert.are.same({ 0, 0 }, { rc1, rc2 }, err1 .. err2)
      local posts = 0
      for _, r in ipairs(support.requests()) do if r.method == "POST" then posts = posts + 1 end end
      assert.are.equal(1, posts)
      assert.are.equal(cjson.decode(first).message_id, cjson.decode(second).message_id)
    end)

    it("--idempotency-key is sent as the header; --debug writes debug lines on stderr", function()
      local op = registry.by_id.MailsController_sendMail
      local words = words_for(op, support.examples()[op.id])
      for _, w in ipairs { "--idempotency-key", "k-123", "--debug" } do words[#words + 1] = w end
      local _, err, rc = unipile(words)
      assert.are.equal(0, rc, err)
      assert.are.equal("k-123", support.last("POST").headers["idempotency-key"])
      assert.matches("unipile: POST /api/v1/emails 20%d", err)
    end)

    it("unipile sandbox hands over to unipile-sandbox: its words, its answer, its status", function()
      local _, err, rc = unipile { "sandbox", "start", "--colour" }
      assert.are.equal(2, rc)
      assert.matches("^unipile%-sandbox: bad option %-%-colour\nusage: unipile%-sandbox start", err)
    end)
  end)

  describe("configuration", function()
    local dir, state
    before_each(function()
      state = fresh_state()
      dir = TMP .. "/xdg"
      sys.execute("rm -rf " .. quote(dir) .. " && mkdir -p " .. quote(dir .. "/unipile"))
    end)
    local function config(text, mode)
      local path = dir .. "/unipile/config"
      sys.write_file(path, text)
      sys.execute("chmod " .. mode .. " " .. quote(path))
    end

    it("--profile: its dsn, its key_command and its default account_id", function()
      local sb = support.sandbox()
      config("# mine\n[work]\ndsn = " .. sb.url .. "\nkey_command = echo " .. sb.api_key .. "\naccount_id = "
        .. state.accounts[2] .. "\n", "644")
      local out, err, rc = unipile({ "chats", "list", "--limit", "1", "--profile", "work" },
        { UNIPILE_DSN = false, UNIPILE_API_KEY = false, XDG_CONFIG_HOME = dir })
      assert.are.equal(0, rc, err)
      assert.is_table(cjson.decode(out))
      assert.are.same({ "matched", state.accounts[2] }, { support.last().api_key, support.last().args.account_id })
      local _, err2, rc2 = unipile({ "chats", "list", "--limit", "1" },
        { UNIPILE_DSN = false, UNIPILE_API_KEY = false, XDG_CONFIG_HOME = dir, UNIPILE_PROFILE = "work" })
      assert.are.same({ 0, state.accounts[2] }, { rc2, support.last().args.account_id }, err2)
    end)

    it("the environment wins over the default profile; a key in a file others can read is refused", function()
      config("[default]\ndsn = http://127.0.0.1:1\nkey = not-the-key\n", "600")
      local _, err, rc = unipile({ "chats", "list", "--limit", "1" }, { XDG_CONFIG_HOME = dir })
      assert.are.equal(0, rc, err)
      config("[default]\ndsn = http://127.0.0.1:1\nkey = not-the-key\n", "644")
      local _, err2, rc2 = unipile({ "chats", "list", "--profile", "default" }, { XDG_CONFIG_HOME = dir })
      assert.are.equal(exit_of("usage"), rc2)
      assert.matches("readable by others", err2)
      assert.is_nil(err2:find("not-the-key", 1, true))
    end)
  end)

  it("its types are exactly what tools/gen_cli_facts.lua makes of the schemas", function()
    local gen = assert(loadfile("tools/gen_cli_facts.lua"))("--module")
    assert.is_true(gen.text() == sys.read_file("lua/unipile/cli/facts.lua"),
      "lua/unipile/cli/facts.lua is stale: run lua tools/gen_cli_facts.lua")
  end)

  describe("help and completion", function()
    it("unipile --help lists the groups and the exit statuses of the table", function()
      local out, _, rc = unipile { "--help" }
      assert.are.equal(0, rc)
      for _, g in ipairs(registry.group_order) do assert.matches("\n   " .. g .. " ", out) end
      for _, row in ipairs(cli_mod.EXIT) do assert.truthy(out:find(row[1] .. "%s+" .. row[2]:gsub("%p", "%%%0")), row[2]) end
    end)

    it("no command, or a group without one: the help on stderr, a usage status", function()
      for _, t in ipairs { { {}, "Usage: unipile " }, { { "chats" }, "give a command: unipile chats COMMAND" } } do
        local out, err, rc = unipile(t[1])
        assert.are.same({ exit_of("usage"), "" }, { rc, out })
        assert.truthy(err:find(t[2], 1, true), err)
      end
      local _, err = unipile { "chats" }
      assert.matches("\n   send%-message ", err)
    end)

    it("unipile chats --help lists its commands; chats list --help each param's type, place and values", function()
      local out = unipile { "chats", "--help" }
      for name in pairs(registry.groups.chats) do assert.matches("\n   " .. args.dashed(name):gsub("%-", "%%-") .. " ", out) end
      local list = unipile { "chats", "list", "--help" }
      assert.matches("%-%-unread <boolean>%s+boolean; query", list)
      assert.matches("%-%-account%-type <string>%s+string; query; one of WHATSAPP, LINKEDIN", list)
      local get = unipile { "chats", "get", "--help" }
      assert.matches("%-%-chat%-id <string>%s+string; path; required", get)
    end)

    it("bash and zsh completion scripts know every group, command and option", function()
      for _, name in ipairs { "bash", "zsh" } do
        local out, _, rc = unipile { "completion", name }
        assert.are.equal(0, rc)
        for _, op in ipairs(registry.list) do
          assert.truthy(out:find(args.dashed(op.name), 1, true), op.id)
        end
        assert.truthy(out:find("--attendees-ids", 1, true))
      end
      local out = unipile { "completion", "bash" }
      local f = TMP .. "/complete.bash"
      sys.write_file(f, out)
      -- what bash offers after `unipile chats send-m<TAB>`, `--chat<TAB>`, `--account-type <TAB>`
      local probe = "source " .. quote(f) .. "; for words in 'chats send-m' 'chats send-message --chat' "
        .. "'chats list --account-type '; do COMP_WORDS=(unipile $words); [ \"${words% }\" = \"$words\" ] || "
        .. "COMP_WORDS+=(''); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _unipile; echo \"${COMPREPLY[*]}\"; done"
      local offered = sys.capture(sys.WITHOUT_SANITIZERS .. " bash -c " .. quote(probe))
      assert.are.same({ "send-message", "--chat-id", "WHATSAPP LINKEDIN SLACK TWITTER MESSENGER INSTAGRAM TELEGRAM" },
        lines(offered))
    end)
  end)

  describe("README, Command line", function()
    local README = sys.read_file("README.md")
    local section = assert(README:match("\n## Command line\n(.-)\n## "), "README: no ## Command line")

    it("its exit statuses are the table's", function()
      local rows = {}
      for n, what in section:gmatch("\n| (%d+) | ([^|\n]-) |") do rows[#rows + 1] = { tonumber(n), what } end
      local want = {}
      for i, row in ipairs(cli_mod.EXIT) do want[i] = { row[1], row[2] } end
      assert.are.same(want, rows)
    end)

    it("its five one-liners run against the sandbox (the dry run sends nothing)", function()
      local block = assert(section:match("```sh\n(.-)```"), "README: no sh block in ## Command line")
      support.reset()
      local state = support.state()
      local dir = TMP .. "/readme"
      sys.execute("rm -rf " .. quote(dir) .. " && mkdir -p " .. quote(dir .. "/bin"))
      sys.write_file(dir .. "/bin/unipile", "#!/bin/sh\nexec " .. LUA .. " " .. quote(sys.cwd() .. "/bin/unipile") .. ' "$@"\n')
      sys.execute("chmod +x " .. quote(dir .. "/bin/unipile"))
      sys.write_file(dir .. "/report.pdf", "%PDF-1.4 the report\n")
      local env = { PATH = dir .. "/bin:" .. os.getenv("PATH"), CHAT = state.chats[1], ACCOUNT = state.accounts[1],
        ATTENDEE = state.attendees[1] }
      local n = 0
      for line in block:gmatch("[^\n]+") do
        n = n + 1
        support.sandbox():clear_requests()
        local out, err, rc = shell("cd " .. quote(dir) .. " && " .. line, env)
        assert.are.equal(0, rc, line .. "\n" .. err)
        assert.are.equal("", err, line)
        if line:find("> chats.csv", 1, true) then
          local csv = sys.read_file(dir .. "/chats.csv")
          assert.are.equal(#state.chats + 1, select(2, csv:gsub("\r\n", "")), line)
        else
          assert.is_true(#out > 0, line)
        end
        if line:find("--dry-run", 1, true) then assert.are.equal(0, #support.requests(), line) end
      end
      assert.are.equal(5, n)
    end)
  end)

  describe("unipile api", function()
    before_each(function() support.reset() end)

    it("sends a raw request; --paginate follows the cursors", function()
      local n = #support.state().chats
      local out, err, rc = unipile { "api", "GET", "/api/v1/chats", "--query", "limit=3", "--paginate", "--format", "ndjson" }
      assert.are.equal(0, rc, err)
      assert.are.equal(n, #lines(out))
      local one = unipile { "api", "get", "/chats", "--query", "limit=1" }
      assert.are.equal(1, #cjson.decode(one).items)
    end)

    it("--body sends JSON, --header a header; --dry-run sends nothing", function()
      local body = '{"request_url":"https://example.com/raw","source":"messaging"}'
      support.sandbox():clear_requests()
      local out, err, rc = unipile { "api", "POST", "/api/v1/webhooks", "--body", body, "--header", "X-Trace: t-1" }
      assert.are.equal(0, rc, err)
      local req = support.last("POST")
      assert.are.same({ "https://example.com/raw", "t-1" }, { req.json.request_url, req.headers["x-trace"] })
      assert.is_table(cjson.decode(out))
      support.sandbox():clear_requests()
      local dry = unipile { "api", "POST", "/api/v1/webhooks", "--body", body, "--dry-run" }
      assert.are.same({ 0, "POST", "https://example.com/raw" }, { #support.requests(), cjson.decode(dry).method,
        cjson.decode(dry).json.request_url })
    end)
  end)
end)
