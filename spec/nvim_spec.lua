-- unipile.nvim in a real headless Neovim: a request held 500 ms by the
-- sandbox while a 20 ms editor timer keeps firing (spec/nvim/transfer.lua);
-- on unipile.luv, 50 concurrent requests, cancel and a long download
-- (spec/nvim/events.lua).
-- Neovim's LuaJIT loads build/luajit/unipile/core.so, whatever runtime runs
-- busted.
local support = require "support"

local sys = require "unipile.sandbox.sys"

local q = sys.quote
local root = sys.cwd()
local nvim = sys.which("nvim") or ""

-- Run the script in headless Neovim; returns the RESULT fields and the output.
local function run_script(sb, mode, script, env)
  local core = root .. "/build/luajit/unipile/core.so"
  if not sys.readable(core) then sys.execute("tools/build.sh luajit >/dev/null") end
  local cmd = table.concat({
    sys.WITHOUT_SANITIZERS,
    "UNIPILE_REPO=" .. q(root), "UNIPILE_DSN=" .. q(sb.url), "UNIPILE_API_KEY=" .. q(sb.api_key),
    "UNIPILE_NVIM_MODE=" .. q(mode or "driver"), env or "",
    "timeout 20", q(nvim), "--headless -u NONE -i NONE -n",
    "-c", q("luafile " .. root .. "/spec/nvim/" .. (script or "transfer.lua")), "</dev/null 2>&1",
  }, " ")
  local out = sys.capture(cmd)
  local line = out:match("RESULT ([^\n]*)")
  assert(line, "no RESULT line from nvim:\n" .. out)
  local r = {}
  for k, v in line:gmatch("([%w_]+)=(%S*)") do r[k] = tonumber(v) or v end
  return r, out
end

describe("unipile.nvim in headless Neovim", function()
  if nvim == "" then
    pending("nvim is not installed")
    return
  end

  local sb
  before_each(function() sb = support.reset() end)
  after_each(function() sb:clear_faults() end)

  it("keeps the editor's timers running while a request is in flight", function()
    sb:fault { path = "^/api/v1/chats$", latency_ms = 500 }
    local r, out = run_script(sb)
    assert.are.equal("true", r.ok, out)
    assert.is_true(r.returned_ms < 50, "run() took " .. tostring(r.returned_ms) .. " ms to return")
    assert.is_true(r.elapsed_ms >= 480 and r.elapsed_ms < 5000, "elapsed " .. tostring(r.elapsed_ms))
    assert.is_true(r.ticks >= 15, "the 20 ms timer fired only " .. tostring(r.ticks) .. " times: " .. out)

    -- the sandbox saw the requests, the chats one held by the fault
    local chats_record, error_record
    local seen = {}
    for _, rec in ipairs(support.requests()) do
      seen[#seen + 1] = rec.method .. " " .. rec.path
      if rec.path == "/api/v1/chats" then chats_record = rec end
      if rec.path == "/api/v1/chats/no-such-chat" then error_record = rec end
    end
    assert.is_truthy(chats_record, "no GET /api/v1/chats in " .. table.concat(seen, ", "))
    assert.are.equal("GET", chats_record.method)
    assert.are.equal("5", chats_record.args.limit)
    assert.is_truthy(chats_record.fault, "the latency fault was not applied")
    assert.are.equal("matched", chats_record.api_key)
    assert.is_truthy(error_record, "the callback-style call did not reach the sandbox")

    -- the answer is the sandbox's: same chats, in the same order
    local client = support.client()
    local expected = {}
    for i, chat in ipairs(client.chats:list { limit = 5 }.items) do expected[i] = chat.id end
    assert.are.equal(5, r.items)
    assert.are.equal(table.concat(expected, ","), r.ids)
    -- the task used the vim API between its requests
    assert.are.equal("accounts:_" .. #client.accounts:list().items, r.buffer)
    -- callback style: the 404 arrives as the error argument
    assert.are.equal(404, r.call_err)
    assert.are.equal("none", r.call_result)
  end)

  -- spec/nvim/events.lua's cases: the faults, then what the RESULT must say.
  local EVENT_CASES = {
    { "many", "runs 50 concurrent requests held 200 ms while the editor's timer keeps firing",
      { path = "^/api/v1/chats$", latency_ms = 200, count = 50 },
      function(r)
        local expected = {}
        for i, chat in ipairs(support.client().chats:list { limit = 5 }.items) do expected[i] = chat.id end
        assert.are.equal(table.concat(expected, ","), r.first)
        assert.are.equal(50, r.same)
        assert.are.equal(0, r.failed)
        assert.are.equal("50_results", r.buffer)     -- the task used the vim API
        local faulted = 0
        for _, rec in ipairs(support.requests()) do
          if rec.path == "/api/v1/chats" and rec.fault then faulted = faulted + 1 end
        end
        assert.are.equal(50, faulted)
      end },
    { "cancel", "cancels a request in flight: on_done gets \"cancelled\", the transfer is gone",
      { path = "^/api/v1/chats$", latency_ms = 3000 },
      function(r)
        assert.are.equal("true", r.cancelled)
        assert.are.equal("cancelled", r.err)
        assert.are.equal(0, r.pending)
        assert.is_true(r.elapsed_ms < 2000, "elapsed " .. r.elapsed_ms)
      end },
    { "download", "streams a long download to a file without blocking the editor", nil,
      function(r)
        assert.are.equal(200, r.status)
        assert.are.equal(40 * 65536, r.bytes)
      end },
  }
  for _, case in ipairs(EVENT_CASES) do
    it(case[2], function()
      local server = case[1] == "download" and require("support.core_server").start()
      if case[3] then sb:fault(case[3]) end
      local r, out = run_script(sb, case[1], "events.lua",
        server and "UNIPILE_FILES_URL=" .. q(server.base) or nil)
      if server then require("support.core_server").stop(server) end
      assert.are.equal("true", r.ok, out)
      assert.are.equal(0, r.handles, "the driver left handles open: " .. out)
      assert.is_true(r.ticks >= 5, "the editor's 10 ms timer fired only " .. tostring(r.ticks) .. " times: " .. out)
      case[4](r)
    end)
  end

  it("control: the same request made the blocking way starves the timer", function()
    sb:fault { path = "^/api/v1/chats$", latency_ms = 500 }
    local r, out = run_script(sb, "blocking")
    assert.are.equal("true", r.ok, out)
    assert.are.equal(5, r.items)
    assert.is_true(r.elapsed_ms >= 480, "elapsed " .. tostring(r.elapsed_ms))
    assert.is_true(r.ticks <= 3, "ticks " .. tostring(r.ticks))
  end)
end)
