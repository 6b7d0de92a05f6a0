-- Sleeps never spin: bad durations are usage errors in the Lua API, and
-- the C core caps huge ones instead of overflowing time_t (which made
-- nanosleep fail at once, in a busy loop).
local core = require "unipile.core"
local unipile = require "unipile"
local support = require "support"

local function offline_client()
  -- nothing listens there; these tests make no request
  return unipile.new { dsn = "http://127.0.0.1:" .. support.closed_port(), api_key = "k" }
end

local sleepers = {
  { "unipile.sleep", function(ms) return unipile.sleep(ms) end },
  { "client:sleep", function(ms) return offline_client():sleep(ms) end },
}

local bad = {
  { "infinity", math.huge },
  { "minus infinity", -math.huge },
  { "NaN", 0 / 0 },
  { "a string", "10" },
  { "nil", nil },
  { "a table", {} },
}

local function assert_usage(err, what)
  assert.is_true(unipile.is_error(err, "usage"), what .. ": not a usage error: " .. tostring(err))
  assert.are.equal("ms", err.param, what)
end

describe("sleep", function()
  for _, s in ipairs(sleepers) do
    local name, sleep = s[1], s[2]
    describe(name, function()
      for _, b in ipairs(bad) do
        it("rejects " .. b[1] .. " as a usage error naming ms", function()
          assert_usage(support.catch(sleep, b[2]), name .. "(" .. b[1] .. ")")
        end)
      end

      it("rejects them inside unipile.run too", function()
        unipile.run(function()
          for _, b in ipairs(bad) do
            assert_usage(support.catch(sleep, b[2]), name .. "(" .. b[1] .. ") in a task")
          end
        end)
      end)

      it("returns at once for 0 and negative durations", function()
        local t0 = support.now()
        sleep(0)
        sleep(-5)
        assert.is_true(support.now() - t0 < 1)
      end)

      it("sleeps a finite duration", function()
        local t0 = support.now()
        sleep(30)
        assert.is_true(support.now() - t0 >= 0.025)
      end)
    end)
  end

  it("a closed client still sleeps, without touching its closed handles", function()
    local c = support.client()
    c:close()
    local t0 = support.now()
    c:sleep(30)
    assert.is_true(support.now() - t0 >= 0.025)
  end)

  it("core.sleep returns at once for NaN and minus infinity", function()
    local t0 = support.now()
    core.sleep(0 / 0)
    core.sleep(-math.huge)
    assert.is_true(support.now() - t0 < 1)
  end)

  it("caps a huge sleep inside a task at MAX_SLEEP_MS", function()
    local scheduler = require "unipile.scheduler"
    local s = scheduler.new()
    local task = s:spawn(function() unipile.sleep(1e300) end)
    s:step()
    local left = s.waits[task].until_ms - core.now()
    assert.is_true(left <= scheduler.MAX_SLEEP_MS and left > scheduler.MAX_SLEEP_MS - 60000, "sleeps " .. left)
  end)

  describe("beyond the maximum", function()
    -- The running interpreter, so the child uses the same Lua and core.
    local function interpreter()
      local f = assert(io.open("/proc/self/stat"))
      local pid = f:read("*l"):match("^(%d+)")
      f:close()
      local p = assert(io.popen("readlink /proc/" .. pid .. "/exe"))
      local exe = p:read("*l")
      p:close()
      return exe
    end

    local function clock_ticks()
      local p = assert(io.popen("getconf CLK_TCK"))
      local hz = tonumber(p:read("*l"))
      p:close()
      return hz or 100
    end

    -- user + system CPU seconds and the state letter from a /proc/<pid>/stat line
    local function cpu(stat)
      local fields = {}
      for field in stat:match("%) (.*)$"):gmatch("%S+") do fields[#fields + 1] = field end
      return (tonumber(fields[12]) + tonumber(fields[13])) / clock_ticks(), fields[1]
    end

    -- Run `code` in a child; once it says it is about to sleep, watch it
    -- for 0.5 s, kill it, and return its two /proc stat lines.
    local function watch(code)
      local script = table.concat({
        "ready=$(mktemp -u)",
        "READY=$ready '" .. interpreter() .. "' -e '" .. code .. "' & pid=$!",
        "n=0; while [ ! -e \"$ready\" ] && [ $n -lt 500 ]; do sleep 0.02; n=$((n+1)); done",
        "a=$(cat /proc/$pid/stat); sleep 0.5; b=$(cat /proc/$pid/stat)",
        "kill -9 $pid; wait $pid 2>/dev/null; rm -f \"$ready\"",
        "printf '%s\\n%s\\n' \"$a\" \"$b\"",
      }, "\n")
      local p = assert(io.popen(script))
      local before, after = p:read("*l"), p:read("*l")
      p:close()
      return before, after
    end

    local ready = 'io.open(os.getenv("READY"), "w"):close() '
    local cases = {
      { "core.sleep(1e300)", 'local core = require "unipile.core" ' .. ready .. "core.sleep(1e300)" },
      { "core.sleep(math.huge)", 'local core = require "unipile.core" ' .. ready .. "core.sleep(math.huge)" },
      { "unipile.sleep(1e300)", 'local u = require "unipile" ' .. ready .. "u.sleep(1e300)" },
      { "client:sleep(1e300)", 'local u = require "unipile" '
        .. 'local c = u.new { dsn = "http://127.0.0.1:9", api_key = "k" } ' .. ready .. "c:sleep(1e300)" },
    }
    for _, case in ipairs(cases) do
      it(case[1] .. " sleeps (capped) without spinning", function()
        local before, after = watch(case[2])
        assert.is_string(before, case[1] .. ": the child did not start")
        assert.is_string(after, case[1] .. ": the child did not keep sleeping")
        local used0 = cpu(before)
        local used1, state = cpu(after)
        assert.are_not.equal("Z", state, case[1] .. " returned instead of sleeping")
        -- spinning would burn about 0.5 s of CPU in the window
        assert.is_true(used1 - used0 < 0.1, case[1] .. " used " .. (used1 - used0) .. " s of CPU in 0.5 s")
      end)
    end
  end)
end)
