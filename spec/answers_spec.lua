-- Answers that are not what they seem: a redirect, a page without its
-- list, cursors that loop in disguise. Each is a typed error, never a
-- silent empty result.
local cjson = require "cjson"
local unipile = require "unipile"
local support = require "support"

describe("answers that are not what they seem", function()
  local sb, client
  before_each(function() sb, client = support.reset(), support.client() end)

  local function fault_pages(bodies, path)
    for _, body in ipairs(bodies) do
      sb:fault { method = "GET", path = path or "^/api/v1/chats$", status = 200,
        body = type(body) == "string" and body or cjson.encode(body) }
    end
  end

  for _, status in ipairs { 301, 302, 303, 307, 308 } do
    it("a " .. status .. " is an http error with its Location, never followed", function()
      sb:fault { method = "GET", path = "^/api/v1/accounts$", status = status,
        body = "<html><title>Moved</title></html>", headers = { Location = "http://other.invalid/steal" } }
      local err = support.catch(function() return client.accounts:list() end)
      assert.are.equal("http", err.kind)
      assert.are.equal(status, err.status)
      assert.are.equal("http://other.invalid/steal", err.location)
      assert.are.equal(1, #support.requests())
    end)
  end

  it("each on a redirect raises instead of yielding nothing", function()
    sb:fault { method = "GET", path = "^/api/v1/chats$", status = 302, headers = { Location = "/login" } }
    local err = support.catch(function() for _ in client.chats:each() do end end)
    assert.are.equal(302, err.status)
  end)

  -- Each on an operation whose rows keep their list there: chats:list
  -- (`items`), or calendars:list (`data`).
  local CALENDARS = { "calendars", "^/api/v1/calendars$", { account_id = "a1" } }
  local not_pages = {
    ["no list"] = { object = "ChatList", cursor = cjson.null },
    ["null items"] = { object = "ChatList", items = cjson.null, cursor = cjson.null },
    ["string items"] = { object = "ChatList", items = "chats", cursor = cjson.null },
    ["object items"] = { object = "ChatList", items = { a = { id = "x" } }, cursor = cjson.null },
    ["number data"] = { on = CALENDARS, data = 5, next_cursor = cjson.null },
    ["an array"] = "[{\"id\":\"a\"}]",
    ["a string"] = "\"ChatList\"",
    ["a number"] = "42",
  }
  for name, body in pairs(not_pages) do
    it("a page with " .. name .. " is a decode error naming the operation", function()
      local on = type(body) == "table" and body.on or { "chats", "^/api/v1/chats$", {} }
      local resource, path, params = client[on[1]], on[2], on[3]
      local page = body
      if type(body) == "table" then
        page = {}
        for k, v in pairs(body) do if k ~= "on" then page[k] = v end end
      end
      fault_pages({ page, page }, path)
      local err = support.catch(function() for _ in resource:each(params) do end end)
      assert.are.equal("decode", err.kind, tostring(err))
      assert.matches(on[1] .. ":list", tostring(err), 1, true)
      local perr = support.catch(function() for _ in resource:pages(params) do end end)
      assert.are.equal("decode", perr.kind, tostring(perr))
    end)
  end

  local cursors = {
    object = { pos = 1, tag = "x" },
    array = { 1, 2, 3 },
    number = 7,
    ["object, keys in another order"] = { { a = 1, b = { 2, 3 } }, { b = { 2, 3 }, a = 1 } },
  }
  for name, cursor in pairs(cursors) do
    it("a repeated " .. name .. " cursor is detected by value", function()
      local first, second = cursor, cursor
      if name:find("another order") then first, second = cursor[1], cursor[2] end
      fault_pages {
        { object = "ChatList", items = { { id = "a" } }, cursor = first },
        { object = "ChatList", items = { { id = "b" } }, cursor = second },
        { object = "ChatList", items = { { id = "c" } }, cursor = second },
      }
      local err = support.catch(function() for _ in client.chats:each() do end end)
      assert.are.equal("unipile/repeated_cursor", err.type, tostring(err))
      assert.are.equal(2, #support.requests())
    end)
  end

  it("a server that keeps inventing cursors with empty pages is stopped", function()
    local bodies = {}
    for i = 1, 30 do bodies[i] = { object = "ChatList", items = {}, cursor = "c" .. i } end
    fault_pages(bodies)
    local err = support.catch(function() for _ in client.chats:each() do end end)
    assert.are.equal("unipile/empty_pages", err.type, tostring(err))
    local n = #support.requests()
    assert.is_true(n >= 10 and n <= 12, n .. " requests")
  end)

  it("a few empty pages followed by items are fine", function()
    fault_pages {
      { object = "ChatList", items = {}, cursor = "c1" },
      { object = "ChatList", items = {}, cursor = "c2" },
      { object = "ChatList", items = { { id = "a" } }, cursor = cjson.null },
    }
    local got = {}
    for chat in client.chats:each() do got[#got + 1] = chat.id end
    assert.are.same({ "a" }, got)
  end)
end)

describe("the C core keeps request strings alive", function()
  -- A request table whose __index makes a fresh (long, so not interned)
  -- string on every read and collects garbage first: any pointer kept to
  -- an earlier value after popping it would dangle (ASan sees it).
  it("reads every option while its value is anchored", function()
    local sb = support.reset()
    local core = require "unipile.core"
    local multi = core.multi { headers = { "X-API-KEY: " .. sb.api_key } }
    local pad = string.rep("p", 64)
    local fields = {
      url = function() return sb.url .. "/api/v1/accounts?pad=" .. pad end,
      method = function() return "POST" end,
      body = function() return '{"provider":"LINKEDIN","pad":"' .. pad .. '"}' end,
      headers = function() return { "Content-Type: application/json", "X-Pad: " .. pad } end,
      -- read by the option table's loop, as url and method are
      ca_file = function() return "/etc/ssl/certs/" .. ("./"):rep(32) .. "ca-certificates.crt" end,
    }
    local req = setmetatable({}, { __index = function(_, k)
      collectgarbage()
      local make = fields[k]
      return make and make()
    end })
    local t = multi:add(req)
    while not t:done() do multi:perform(100) end
    local rec = support.last()
    assert.are.equal("POST", rec.method)
    assert.are.equal("/api/v1/accounts", rec.path)
    assert.are.equal(pad, rec.args.pad)
    assert.are.equal(pad, rec.json.pad)
    assert.are.equal(pad, rec.headers["x-pad"])
    multi:close()
  end)

  it("reads multipart fields while their values are anchored", function()
    local sb = support.reset()
    local core = require "unipile.core"
    local multi = core.multi { headers = { "X-API-KEY: " .. sb.api_key } }
    local pad = string.rep("q", 64)
    local part = setmetatable({}, { __index = function(_, k)
      collectgarbage()
      if k == "name" then return "text" end
      if k == "data" then return "hello " .. pad end
      if k == "filename" then return "note-" .. pad .. ".txt" end
    end })
    local t = multi:add { url = sb.url .. "/api/v1/chats/x/messages", method = "POST", parts = { part } }
    while not t:done() do multi:perform(100) end
    local rec = support.last()
    assert.are.equal("hello " .. pad, rec.parts[1].data)
    assert.are.equal("note-" .. pad .. ".txt", rec.parts[1].filename)
    multi:close()
  end)
end)

describe("unipile.new keeps working after the hardening", function()
  it("a client still lists accounts", function()
    local _, _, c = support.fresh()
    assert.are.equal("AccountList", c.accounts:list().object)
    assert.is_true(unipile.is_error(support.catch(function() return c:request { path = "/nope" } end)))
  end)
end)
