local cjson = require "cjson"
local support = require "support"

describe("pagination", function()
  local sb, client, state
  before_each(function()
    sb, state, client = support.fresh()
  end)

  local function all_chat_ids()
    local ids = {}
    for _, id in ipairs(state.chats) do ids[id] = true end
    return ids
  end

  it("walks every item across pages, threading the cursor", function()
    local seen, n = {}, 0
    for chat in client.chats:each { limit = 5 } do
      assert.is_nil(seen[chat.id])
      seen[chat.id] = true
      n = n + 1
    end
    assert.are.same(all_chat_ids(), seen)
    local reqs = support.requests()
    assert.are.equal(math.ceil(n / 5), #reqs)
    assert.is_nil(reqs[1].args.cursor)
    for i = 2, #reqs do assert.is_string(reqs[i].args.cursor) end
  end)

  it("caps the total with max_items while limit stays the page size", function()
    local items = {}
    for chat in client.chats:each { limit = 2, max_items = 5 } do items[#items + 1] = chat end
    assert.are.equal(5, #items)
    local reqs = support.requests()
    assert.are.equal(3, #reqs)
    for _, r in ipairs(reqs) do assert.are.equal("2", r.args.limit) end
  end)

  it("uses max_items as the page size when no limit is given", function()
    local n = 0
    for _ in client.chats:each { max_items = 3 } do n = n + 1 end
    assert.are.equal(3, n)
    assert.are.equal("3", support.requests()[1].args.limit)
  end)

  it("exposes each page's cursor and resumes from it", function()
    local first = {}
    local page, saved = client.chats:pages { limit = 4 } ()
    for _, c in ipairs(page.items) do first[#first + 1] = c.id end
    assert.is_string(saved)
    local rest = {}
    for chat in client.chats:each { limit = 4, cursor = saved } do rest[#rest + 1] = chat.id end
    local union = {}
    for _, id in ipairs(first) do union[id] = true end
    for _, id in ipairs(rest) do
      assert.is_nil(union[id])
      union[id] = true
    end
    assert.are.same(all_chat_ids(), union)
    assert.are.equal(saved, support.requests()[2].args.cursor)
  end)

  it("pages yields the page, the next cursor and the cursor that fetched it", function()
    local prev
    for page, next_cursor, cursor in client.chats:pages { limit = 10 } do
      assert.are.equal("ChatList", page.object)
      assert.are.equal(prev, cursor)
      prev = next_cursor
    end
    assert.is_nil(prev)
  end)

  local function fake_pages(pages)
    for _, body in ipairs(pages) do
      sb:fault { method = "GET", path = "^/api/v1/chats$", status = 200, body = cjson.encode(body) }
    end
  end

  it("raises when the server repeats a cursor", function()
    fake_pages {
      { object = "ChatList", items = { { id = "a" } }, cursor = "c1" },
      { object = "ChatList", items = { { id = "b" } }, cursor = "c1" },
    }
    local got = {}
    local err = support.catch(function()
      for chat in client.chats:each() do got[#got + 1] = chat.id end
    end)
    assert.are.same({ "a", "b" }, got)
    assert.are.equal("decode", err.kind)
    assert.are.equal("unipile/repeated_cursor", err.type)
    assert.matches("chats:list", tostring(err), 1, true)
  end)

  local shapes = {
    ["cursor + paging"] = {
      { object = "PostList", items = { { id = "a" } }, cursor = "c1", paging = { page_count = 1 } },
      { object = "PostList", items = { { id = "b" } }, cursor = cjson.null, paging = { page_count = 1 } },
    },
    ["cursor inside paging"] = {
      { object = "ReactionList", items = { { id = "a" } }, paging = { cursor = "c1", start = 0, page_count = 1 } },
      { object = "ReactionList", items = { { id = "b" } }, paging = { cursor = cjson.null, start = 1, page_count = 1 } },
    },
    ["data + next_cursor"] = {
      { data = { { id = "a" } }, next_cursor = "c1" },
      { data = { { id = "b" } }, next_cursor = cjson.null },
    },
    ["empty cursor string"] = {
      { items = { { id = "a" } }, cursor = "c1" },
      { items = { { id = "b" } }, cursor = "" },
    },
    ["absent cursor"] = {
      { items = { { id = "a" } }, cursor = "c1" },
      { items = { { id = "b" } } },
    },
  }
  for name, pages in pairs(shapes) do
    it("reads the " .. name .. " shape", function()
      fake_pages(pages)
      local got = {}
      for item in client.chats:each() do got[#got + 1] = item.id end
      assert.are.same({ "a", "b" }, got)
      local reqs = support.requests()
      assert.are.equal(2, #reqs)
      assert.are.equal("c1", reqs[2].args.cursor)
    end)
  end

  it("propagates an error from the middle of a walk", function()
    sb:fault { method = "GET", path = "^/api/v1/chats$", status = 200,
      body = cjson.encode { items = { { id = "a" } }, cursor = "c1" } }
    sb:fault { method = "GET", path = "^/api/v1/chats$", status = 400 }
    local got = {}
    local err = support.catch(function()
      for chat in client.chats:each() do got[#got + 1] = chat.id end
    end)
    assert.are.same({ "a" }, got)
    assert.are.equal(400, err.status)
  end)

  it("validates limit against the operation's maximum in the sandbox too", function()
    local err = support.catch(function()
      return client:request { path = "/api/v1/chats", query = { limit = 1000 } }
    end)
    assert.are.equal(400, err.status)
    assert.are.equal("errors/invalid_parameters", err.type)
  end)
end)
