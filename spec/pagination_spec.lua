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

  -- Each shape on an operation whose row has it: `on` = { resource, item
  -- iterator, path pattern, params }, then the two pages the server sends.
  local CHATS = { "chats", "each", "^/api/v1/chats$", {} }
  local shapes = {
    ["cursor + paging"] = { on = { "users", "each_posts", "^/api/v1/users/u1/posts$", { identifier = "u1", account_id = "a1" } },
      { object = "PostList", items = { { id = "a" } }, cursor = "c1", paging = { page_count = 1 } },
      { object = "PostList", items = { { id = "b" } }, cursor = cjson.null, paging = { page_count = 1 } },
    },
    ["cursor inside paging"] = { on = { "posts", "each_reactions", "^/api/v1/posts/p1/reactions$", { post_id = "p1" } },
      { object = "PostReactionList", items = { { id = "a" } }, paging = { cursor = "c1", start = 0, page_count = 1 } },
      { object = "PostReactionList", items = { { id = "b" } }, paging = { cursor = cjson.null, start = 1, page_count = 1 } },
    },
    ["data + next_cursor"] = { on = { "calendars", "each", "^/api/v1/calendars$", { account_id = "a1" } },
      { data = { { id = "a" } }, next_cursor = "c1" },
      { data = { { id = "b" } }, next_cursor = cjson.null },
    },
    ["empty cursor string"] = { on = CHATS,
      { items = { { id = "a" } }, cursor = "c1" },
      { items = { { id = "b" } }, cursor = "" },
    },
    ["absent cursor"] = { on = CHATS,
      { items = { { id = "a" } }, cursor = "c1" },
      { items = { { id = "b" } } },
    },
  }
  for name, case in pairs(shapes) do
    it("reads the " .. name .. " shape", function()
      local resource, iterator, path, params = case.on[1], case.on[2], case.on[3], case.on[4]
      for _, body in ipairs(case) do sb:fault { method = "GET", path = path, status = 200, body = cjson.encode(body) } end
      local got = {}
      for item in client[resource][iterator](client[resource], params) do got[#got + 1] = item.id end
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

  -- At most one page is held: when the next page is asked for, nothing of
  -- the SDK keeps the finished one (a full collection frees it).
  for _, prefetch in ipairs { false, true } do
    it("lets a finished page go before it asks for the next (prefetch " .. tostring(prefetch) .. ")", function()
      local weak, sends, kept = setmetatable({}, { __mode = "v" }), 0, {}
      client:on("request", function()
        sends = sends + 1
        collectgarbage()
        collectgarbage()
        kept[sends] = weak.first ~= nil
      end)
      local n = 0
      for chat in client.chats:each { limit = 2, prefetch = prefetch } do
        n = n + 1
        if n == 1 then weak.first = chat end
      end
      assert.is_true(n > 4)
      -- without prefetch page 2 is asked for once page 1 is done; with it,
      -- page 3 is (page 2's request goes out while page 1 is handed over)
      assert.are.equal(false, kept[prefetch and 3 or 2])
    end)
  end

  it("stays ended once a walk has failed: the next call returns nil and sends nothing", function()
    sb:fault { method = "GET", path = "^/api/v1/chats$", status = 400 }
    local next_chat = client.chats:each()
    local err = support.catch(next_chat)
    assert.are.equal(400, err.status)
    local sent = #support.requests()
    assert.is_nil(next_chat())
    assert.are.equal(sent, #support.requests())
  end)

  it("validates limit against the operation's maximum in the sandbox too", function()
    local err = support.catch(function()
      return client:request { path = "/api/v1/chats", query = { limit = 1000 } }
    end)
    assert.are.equal(400, err.status)
    assert.are.equal("errors/invalid_parameters", err.type)
  end)
end)

-- The pager itself, given the operation record (`info.op`, `pager.read`'s
-- third argument): the list and the cursor of the row's page shape only.
describe("pager, by the operation's page shape", function()
  local pager = require "unipile.pager"
  local WHERE = "fake:list (FakeController_list)"
  local function op(shape) return { id = "FakeController_list", page_shape = shape } end

  -- A page of each shape holding items {a} and cursor "c1".
  local function page_of(shape)
    local where = pager.SHAPES[shape]
    local page = { [where.list] = { { id = "a" } } }
    local node = page
    for i = 1, #where.cursor - 1 do node[where.cursor[i]] = {}; node = node[where.cursor[i]] end
    node[where.cursor[#where.cursor]] = "c1"
    return page
  end

  local names = {}
  for name in pairs(pager.SHAPES) do names[#names + 1] = name end
  table.sort(names)
  for _, shape in ipairs(names) do
    it("reads the list and the cursor of " .. shape .. ", and no other shape", function()
      local items, cursor = pager.read(page_of(shape), WHERE, op(shape))
      assert.are.same({ { id = "a" } }, items)
      assert.are.equal("c1", cursor)
      for _, other in ipairs(names) do
        local a, b = pager.SHAPES[shape], pager.SHAPES[other]
        local got, second = pager.read(page_of(other), WHERE, op(shape))
        if a.list ~= b.list then
          assert.is_nil(got, shape .. " reading " .. other)
          assert.are.equal("decode", second.kind)
          assert.matches(WHERE, tostring(second), 1, true)
        elseif table.concat(a.cursor, ".") ~= table.concat(b.cursor, ".") then
          assert.are.same({ { id = "a" } }, got)
          assert.is_nil(second, shape .. " follows the cursor of " .. other)
        end
      end
    end)
  end

  it("walks the pages by info.op and trims the shape's list for max_items", function()
    local bodies = {
      { data = { { id = "a" } }, next_cursor = "c1", cursor = "wrong" },
      { data = { { id = "b" }, { id = "c" } }, next_cursor = "c2" },
    }
    local sent = {}
    local function start(params)
      sent[#sent + 1] = params.cursor or "-"
      local body = bodies[#sent]
      return { wait = function() return body end }
    end
    local got, last = {}, nil
    for page in pager.pages(start, {}, { where = WHERE, op = op("data_next_cursor"), max_items = 2 }) do
      for _, item in ipairs(page.data) do got[#got + 1] = item.id end
      last = page
    end
    assert.are.same({ "a", "b" }, got)
    assert.are.same({ "-", "c1" }, sent)
    assert.is_nil(last.items)
  end)

  it("refuses a page of another shape as a decode error naming the operation", function()
    local function start() return { wait = function() return { data = { { id = "a" } }, next_cursor = cjson.null } end } end
    local err = support.catch(function()
      for _ in pager.each(start, {}, { where = WHERE, op = op("items_cursor") }) do end
    end)
    assert.are.equal("decode", err.kind)
    assert.matches("no items", tostring(err), 1, true)
    assert.matches(WHERE, tostring(err), 1, true)
  end)

  it("is a decode error for an operation of no known page shape", function()
    local items, err = pager.read({ items = {} }, WHERE, op("pages_of_unknown_kind"))
    assert.is_nil(items)
    assert.are.equal("decode", err.kind)
    assert.matches("pages_of_unknown_kind", tostring(err), 1, true)
  end)

  it("reads any documented shape when no operation is given", function()
    for _, shape in ipairs(names) do
      local items, cursor = pager.read(page_of(shape), WHERE)
      assert.are.same({ { id = "a" } }, items, shape)
      assert.are.equal("c1", cursor, shape)
    end
  end)
end)
