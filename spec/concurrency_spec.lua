local core = require "unipile.core"
local unipile = require "unipile"
local support = require "support"

local puc51 = _VERSION == "Lua 5.1" and not rawget(_G, "jit")

describe("concurrency", function()
  local sb, client, state
  before_each(function()
    sb, state, client = support.fresh()
  end)

  local function arrivals(pattern)
    local times = {}
    for _, r in ipairs(support.requests()) do
      if r.path:find(pattern) then times[#times + 1] = r.time end
    end
    table.sort(times)
    return times
  end

  it("runs sequential-looking tasks concurrently", function()
    sb:fault { path = "^/api/v1/accounts$", latency_ms = 300, count = 3 }
    local t0 = support.now()
    local a, b, c = unipile.run(function()
      local t1 = unipile.spawn(function() return client.accounts:list() end)
      local t2 = unipile.spawn(function() return client.accounts:list() end)
      local t3 = unipile.spawn(function() return client.accounts:list() end)
      return t1:join(), t2:join(), t3:join()
    end)
    local took = support.now() - t0
    assert.are.equal("AccountList", a.object)
    assert.are.equal("AccountList", b.object)
    assert.are.equal("AccountList", c.object)
    assert.is_true(took < 0.8, "took " .. took)
  end)

  it("maps in order, with the failures as a dense list in index order", function()
    local ids = { state.chats[1], "missing-1", state.chats[2], state.chats[3], "missing-2", state.chats[4] }
    -- the first items are the slowest, so completion order differs from list order
    -- (missing-2 fails before missing-1)
    sb:fault { path = "/chats/" .. state.chats[1] .. "$", latency_ms = 300 }
    sb:fault { path = "/chats/missing%-1$", latency_ms = 200 }
    local results, failures = unipile.map(ids, function(id)
      return client.chats:get { chat_id = id }
    end, { concurrency = 3 })
    assert.are.equal(2, #failures)
    for k, i in ipairs { 2, 5 } do
      local f = failures[k]
      assert.are.equal(i, f.index)
      assert.are.equal(ids[i], f.item)
      assert.are.equal(404, f.error.status)
      assert.are.equal(f, failures.by_index[i])
      assert.is_nil(results[i])
    end
    for i, id in ipairs(ids) do
      if not id:find("^missing") then
        assert.is_nil(failures.by_index[i])
        assert.are.equal(id, results[i].id)
      end
    end
  end)

  it("maps with no failure to an empty failure list, and a raising fn to a failure", function()
    local results, failures = unipile.map({ 1, 2, 3 }, function(x) return x * 10 end)
    assert.are.same({ 10, 20, 30 }, results)
    assert.are.equal(0, #failures)
    assert.is_nil(next(failures.by_index))
    results, failures = unipile.map({ 1, 2, 3 }, function(x)
      if x == 3 then error("three") end
      return x
    end)
    assert.are.same({ 1, 2 }, results)
    assert.are.equal(1, #failures)
    assert.are.equal(3, failures[1].index)
    assert.matches("three", failures[1].error)
  end)

  it("rejects bad map arguments as usage errors", function()
    for _, case in ipairs {
      { "list", function() return unipile.map("ids", print) end },
      { "concurrency", function() return unipile.map({}, print, { concurrency = 0 }) end },
    } do
      local err = support.catch(case[2])
      assert.are.equal("usage", err.kind)
      assert.are.equal(case[1], err.param)
    end
  end)

  it("keeps to the concurrency cap", function()
    local ids = {}
    for i = 1, 12 do ids[i] = state.chats[i] end
    sb:fault { path = "^/api/v1/chats/[^/]+$", latency_ms = 200, count = -1 }
    local t0 = support.now()
    local results, failures = unipile.map(ids, function(id) return client.chats:get { chat_id = id } end, { concurrency = 4 })
    local took = support.now() - t0
    sb:clear_faults()
    assert.are.equal(12, #results)
    assert.are.equal(0, #failures)
    local times = arrivals("^/api/v1/chats/[^/]+$")
    assert.are.equal(12, #times)
    -- request k+4 can only start once one of the 4 before it has finished
    for k = 5, 12 do
      assert.is_true(times[k] - times[k - 4] >= 0.18, "request " .. k .. " started too early")
    end
    assert.is_true(took >= 0.55 and took < 1.5, "took " .. took)
  end)

  it("prefetches the next page while the caller works, one page ahead", function()
    local pages = client.chats:pages { limit = 5 }
    local first = pages()
    assert.are.equal(5, #first.items)
    core.sleep(300) -- the caller at work: nothing drives curl meanwhile
    local reqs = support.requests()
    assert.are.equal(2, #reqs)
    assert.is_string(reqs[2].args.cursor)
    pages()
    core.sleep(100)
    assert.are.equal(3, #support.requests())
  end)

  it("does not prefetch when asked not to", function()
    local pages = client.chats:pages({ limit = 5 }, { prefetch = false })
    pages()
    core.sleep(200)
    assert.are.equal(1, #support.requests())
    local items = 0
    for _ in client.chats:each { limit = 5, prefetch = false, max_items = 7 } do items = items + 1 end
    assert.are.equal(7, items)
  end)

  it("pauses the whole client's queue on a 429 with Retry-After", function()
    sb:fault { method = "GET", path = "^/api/v1/accounts$", status = 429, retry_after = "1" }
    local t0 = support.now()
    unipile.run(function()
      local a = unipile.spawn(function() return client.accounts:list() end)
      local b = unipile.spawn(function()
        unipile.sleep(200)                 -- starts after the 429 came back
        return client.chats:list { limit = 1 }
      end)
      a:join()
      b:join()
    end)
    local chats = arrivals("^/api/v1/chats$")
    local accounts = arrivals("^/api/v1/accounts$")
    assert.are.equal(2, #accounts)
    assert.are.equal(1, #chats)
    assert.is_true(chats[1] - accounts[1] >= 0.9, "the other task's request was not held")
    assert.is_true(support.now() - t0 < 2.5)
  end)

  it("waits for a checkpoint in one task while others make requests", function()
    local account, chats = unipile.run(function()
      local waiter = unipile.spawn(function()
        local cp = client.accounts:connect { provider = "INSTAGRAM", username = "me", password = "pw" }
        return cp:wait { interval_ms = 20, timeout_ms = 5000 }
      end)
      local lister = unipile.spawn(function() return client.chats:list { limit = 2 } end)
      return waiter:join(), lister:join()
    end)
    assert.are.equal("Account", account.object)
    assert.are.equal(2, #chats.items)
  end)

  it("iterates pages inside tasks, several walks at once", function()
    local counts = unipile.run(function()
      local tasks = {}
      for i = 1, 3 do
        tasks[i] = unipile.spawn(function()
          local n, chats = 0, client.chats:each { account_id = state.accounts[i], limit = 3 }
          if puc51 then
            -- PUC Lua 5.1 cannot yield from a for-in iterator: call it by hand
            while chats() do n = n + 1 end
          else
            for _ in chats do n = n + 1 end
          end
          return n
        end)
      end
      local out = {}
      for i = 1, 3 do out[i] = tasks[i]:join() end
      return out
    end)
    local total = 0
    for _, n in ipairs(counts) do total = total + n end
    assert.are.equal(#state.chats, total)
  end)
end)
