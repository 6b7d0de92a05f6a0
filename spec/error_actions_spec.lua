-- What an error means: every type of api/error-types.tsv answered by the
-- sandbox reaches the caller with its action and retryable; the other
-- kinds and the unknown types get theirs by kind and status; the table
-- lists every type the OpenAPI (api/response-schemas.json, and the raw
-- document where ../shared/api/openapi-v1.yaml is beside the checkout)
-- and the sandbox's own handlers can answer.
local support = require "support"
local errors = require "unipile.errors"
local tsv = dofile("tools/tsv.lua")
local gen = assert(loadfile("tools/gen_operations.lua"))("--module")
local error_types = assert(loadfile("tools/error_types.lua"))("--module")

local rows = assert(tsv.read("api/error-types.tsv"))
local by_type = {}
for _, r in ipairs(rows) do by_type[r.type] = r end

local RETRYABLE = { retry = true, wait = true, skip = false, stop = false, fix = false }

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local function statuses(row)
  local list = {}
  for s in row.statuses:gmatch("%d+") do list[#list + 1] = tonumber(s) end
  return list
end

local function sorted_missing(set, present)
  local out = {}
  for name in pairs(set) do if not present(name) then out[#out + 1] = name end end
  table.sort(out)
  return out
end

describe("the error-types table", function()
  it("gives every type one of the five actions and a status", function()
    assert.is_true(#rows >= 80)
    for _, r in ipairs(rows) do
      assert.is_not_nil(RETRYABLE[r.action], r.type .. ": action " .. r.action)
      assert.is_true(#statuses(r) > 0, r.type .. ": no status")
      assert.is_truthy(r.type:find("^errors/[%w_]+$"), r.type)
    end
  end)

  it("is exactly what lua/unipile/error_types.lua holds (tools/gen_operations.lua)", function()
    assert.are.equal(gen.generate_errors("api"), slurp("lua/unipile/error_types.lua"),
      "lua/unipile/error_types.lua is stale: run lua tools/gen_operations.lua")
  end)

  it("lists every error type of the OpenAPI's answers, with their statuses", function()
    local found = error_types.from_schemas("api/response-schemas.json")
    assert.are.same({}, sorted_missing(found, function(n) return by_type[n] end))
    for name, set in pairs(found) do
      assert.are.equal(error_types.statuses(set), by_type[name].statuses, name)
      assert.are.equal("openapi", by_type[name].source, name)
    end
  end)

  local yaml = os.getenv("UNIPILE_SHARED_OPENAPI") or "../shared/api/openapi-v1.yaml"
  local in_yaml = error_types.from_text(yaml)
  it("lists every error type the OpenAPI document names" .. (in_yaml and "" or " (no " .. yaml .. ": skipped)"), function()
    if not in_yaml then return end
    assert.are.same({}, sorted_missing(in_yaml, function(n) return by_type[n] end))
  end)

  local notes_path = os.getenv("UNIPILE_SHARED_NOTES") or "../shared/api/NOTES.md"
  local notes = io.open(notes_path, "rb")
  it("lists every error type of NOTES.md" .. (notes and "" or " (no " .. notes_path .. ": skipped)"), function()
    if not notes then return end
    local text = notes:read("*a")
    notes:close()
    local named = {}
    for name in text:gmatch("errors/([%w_]+)") do named["errors/" .. name] = true end
    -- "Statuses in oas (type examples): 400 invalid_parameters, ...": the names of the error envelope's list
    local list = assert(text:match("Statuses in oas(.-)node%-sdk"), "NOTES.md: no list of error types")
    for name in list:gmatch("%l[%l_]*_[%l_]+") do named["errors/" .. name] = true end
    assert.is_true(named["errors/service_unavailable"] and named["errors/limit_exceeded"] or false)
    assert.are.same({}, sorted_missing(named, function(n) return by_type[n] end))
  end)

  it("lists every error type the sandbox answers, with its status", function()
    local seen, calls = {}, 0
    local files = assert(io.popen("find lua/unipile/sandbox -name '*.lua' | sort"))
    for path in files:lines() do
      local text = slurp(path)
      -- reply.error(422, "invalid_account", ...) and M.error(404, "resource_not_found", ...)
      for status, name in text:gmatch("error%((%d+),%s*\"([%w_/]+)\"") do
        name = "errors/" .. name:gsub("^errors/", "")
        seen[name] = true
        calls = calls + 1
        local row = by_type[name]
        if row then
          assert.is_truthy((("," .. row.statuses .. ","):find("," .. status .. ",", 1, true)), name .. " " .. status)
        end
      end
      for name in text:gmatch("\"errors/([%w_]+)\"") do seen["errors/" .. name] = true end
      -- the defaults by status (reply.lua) and nginx's own errors (server.lua)
      for name in text:gmatch("%[%d+%]%s*=%s*{?%s*\"([%w_]+)\"") do seen["errors/" .. name] = true end
    end
    files:close()
    assert.is_true(calls > 20, "the sandbox's reply.error calls were not found")
    assert.is_true(seen["errors/idempotency_conflict"] and seen["errors/content_too_large"] or false)
    assert.are.same({}, sorted_missing(seen, function(n) return by_type[n] end))
  end)
end)

describe("the documentation of error actions", function()
  it("README: each type it names under an action has that action", function()
    local readme = slurp("README.md")
    local para = assert(readme:match("Every error also says what to do about it%.(.-)\n\n"), "README: no error actions")
    local named = 0
    -- "`skip` (this recipient ...: `errors/a`, `errors/b`, ...)": up to the next action word
    for action, text in para:gmatch("`(%l+)`%s*(%b())") do
      if RETRYABLE[action] ~= nil then
        for name in text:gmatch("`(errors/[%w_]+)`") do
          named = named + 1
          assert.are.equal(action, by_type[name] and by_type[name].action, name)
        end
      end
    end
    assert.is_true(named >= 8, "README: the types named under each action were not found")
  end)

  it("the reference lists every type under its action (tools/gen_docs.lua)", function()
    local dir = support.tmpname()
    os.remove(dir)   -- os.tmpname made a file: the name becomes a directory
    assert(os.execute("mkdir " .. dir))
    local saved_arg, saved_print, saved_path = _G.arg, _G.print, package.path
    _G.arg, _G.print = { dir }, function() end
    local ok, err = pcall(dofile, "tools/gen_docs.lua")
    _G.arg, _G.print, package.path = saved_arg, saved_print, saved_path
    assert(ok, err)
    local page = slurp(dir .. "/error_actions.lua")
    os.execute("rm -rf " .. dir)
    for _, r in ipairs(rows) do
      local section = assert(page:match("%*%*" .. r.action .. "%*%*(.-)\n"), r.action)
      assert.is_truthy(section:find("`" .. r.type .. "`", 1, true), r.type .. " not under " .. r.action)
    end
  end)
end)

describe("error actions over HTTP", function()
  local sb, client
  before_each(function()
    sb = support.reset()
    client = support.client { retries = 0 }
  end)

  local function answered(fault)
    fault.method, fault.path = "GET", "^/api/v1/accounts$"
    sb:fault(fault)
    local _, err = client.safe.accounts:list()
    return err
  end

  for _, row in ipairs(rows) do
    for _, status in ipairs(statuses(row)) do
      it(row.type .. " " .. status .. " is " .. row.action, function()
        local err = answered { status = status, type = row.type }
        assert.are.equal("http", err.kind)
        assert.are.equal(status, err.status)
        assert.are.equal(row.type, err.type)
        assert.are.equal(row.action, err.action)
        assert.are.equal(RETRYABLE[row.action], err.retryable)
      end)
    end
  end

  -- a type the table does not know takes the action of its status
  for _, case in ipairs {
    { 400, "fix" }, { 401, "stop" }, { 403, "stop" }, { 404, "skip" }, { 408, "retry" }, { 409, "skip" },
    { 413, "fix" }, { 418, "fix" }, { 422, "skip" }, { 425, "wait" }, { 429, "wait" }, { 500, "retry" },
    { 503, "retry" }, { 599, "retry" },
  } do
    it("an unknown type with status " .. case[1] .. " is " .. case[2], function()
      local err = answered { status = case[1], type = "errors/not_in_the_table" }
      assert.are.equal(case[1], err.status)
      assert.are.equal(case[2], err.action)
      assert.are.equal(RETRYABLE[case[2]], err.retryable)
    end)
  end

  -- the other kinds, by kind
  for _, case in ipairs {
    { "an HTML 502 page", "http", "retry", function() return answered { kind = "html" } end },
    { "a connection cut mid-answer", "network", "retry", function() return answered { kind = "close" } end },
    { "invalid JSON in a 200", "decode", "retry", function() return answered { kind = "malformed" } end },
    { "an answer over max_body_bytes", "limit", "fix", function()
      local _, err = client.safe.accounts:list(nil, { max_body_bytes = 8 })
      return err
    end },
    { "a slow answer past timeout_ms", "timeout", "retry", function()
      sb:fault { method = "GET", path = "^/api/v1/accounts$", latency_ms = 3000 }
      local _, err = client.safe.accounts:list(nil, { timeout_ms = 200 })
      return err
    end },
    { "a bad parameter", "usage", "fix", function()
      local _, err = client.safe.accounts:get { id = 42, nope = true }
      return err
    end },
  } do
    it(case[1] .. " is " .. case[3], function()
      local err = case[4]()
      assert.is_true(errors.is(err, case[2]), tostring(err))
      assert.are.equal(case[3], err.action)
      assert.are.equal(RETRYABLE[case[3]], err.retryable)
    end)
  end

  it("keeps an action and retryable given to errors.new", function()
    local err = errors.new { kind = "network", action = "stop", retryable = false }
    assert.are.equal("stop", err.action)
    assert.is_false(err.retryable)
  end)
end)
