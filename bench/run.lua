--- bench/run.lua: the driver behind bench/run.sh (which builds, starts the
-- servers and sets BENCH_*). Runs each benchmark in processes of its own,
-- prints the table and rewrites the results section of bench/README.md.
-- Runs under lua5.4 (luasocket for the clock); the SDK side runs under
-- $BENCH_LUA.
local socket = require "socket"
local sys = require "unipile.sandbox.sys"

local E = os.getenv
local TMP, STATIC, LUA = assert(E("BENCH_TMP")), assert(E("BENCH_STATIC")), E("BENCH_LUA") or "lua5.4"
local SANDBOX, SANDBOX_KEY = E("BENCH_SANDBOX") or "", E("BENCH_SANDBOX_KEY") or ""
local SANDBOX_SOURCE = E("BENCH_SANDBOX_SOURCE") or "working tree"
local PAGES = tonumber(E("BENCH_PAGES") or "4000")
local README = E("BENCH_README") or ""
local PIN = E("BENCH_PIN") or ""  -- e.g. "taskset -c 1" for clients of the static nginx
local KEY = "bench-key"       -- the static nginx checks no key; it is sent all the same
-- The benchmarks named on run.sh's command line ("" = all).
local ONLY = {}
for name in (E("BENCH_ONLY") or ""):gmatch("%S+") do ONLY[name] = true end

-- Benchmark 1: requests per round and rounds (median of the rounds).
local N1, WARM1, ROUNDS1 = 5000, 300, 5
-- The race: pages of 250 chats and rounds (median of the rounds).
local RACE_PAGES, RACE_ROUNDS = tonumber(E("BENCH_RACE_PAGES") or "400"), 5
-- Benchmark 5: runs per side (the fastest counts: in this VM the kernel's
-- page-cache work for the same 1 GiB varies 3x from run to run).
local RUNS5 = 7

local q = sys.quote

-- Ctrl-C reaches the children too: stop the whole run, do not go on with
-- the next benchmark (run.sh's trap then stops the servers).
local function interrupted()
  io.stderr:write("bench: interrupted\n")
  os.exit(130)
end

local function capture(cmd)
  local out, ok, code, signal = sys.capture(cmd)
  if signal or code == 130 or code == 143 then interrupted() end
  return out, ok
end

-- Run a command whose last stdout line is key=value pairs.
local function run_kv(cmd)
  io.stderr:write("   $ ", cmd:gsub(TMP, "$TMP"), "\n")
  local out, ok = capture(cmd)
  local last = out:match("([^\n]*)$")
  local t = {}
  for k, v in last:gmatch("([%w_]+)=(%S+)") do t[k] = tonumber(v) or v end
  if not ok or next(t) == nil then error("benchmark command failed: " .. cmd .. "\n" .. out, 0) end
  return t
end

local function lua_cmd(script, args, pin)
  local words = {}
  if pin and PIN ~= "" then words[1] = PIN end
  words[#words + 1] = LUA
  words[#words + 1] = script
  for _, k in ipairs(args) do words[#words + 1] = q(k) end
  return table.concat(words, " ")
end

local function first_line_of(cmd) return (capture(cmd .. " 2>&1")):match("[^\n]*") end

local function median(xs)
  local s = {}
  for i, x in ipairs(xs) do s[i] = x end
  table.sort(s)
  local n = #s
  if n % 2 == 1 then return s[(n + 1) / 2] end
  return (s[n / 2] + s[n / 2 + 1]) / 2
end

local function fmt(x, digits) return string.format("%." .. (digits or 2) .. "f", x) end

local rows, notes = {}, {}
local function row(r) rows[#rows + 1] = r end
local function note(s) notes[#notes + 1] = s end

local function guarded(name, fn)
  if next(ONLY) and not ONLY[name] then return end
  local ok, err = pcall(fn)
  if not ok and tostring(err):find("interrupted!", 1, true) then interrupted() end
  if not ok then
    io.stderr:write("bench: ", name, " failed: ", tostring(err), "\n")
    row { id = name, what = "failed: " .. tostring(err):gsub("\n.*", ""), sdk = "—", base = "—", ratio = "—",
      goal = "—", result = "ERROR", server = "—" }
  end
end

---------------------------------------------------------------------------
-- 1. CPU per request

local UA = capture(LUA .. [[ -e 'io.write(require("unipile.client").user_agent())']])

local function bench1(prefix, label, id, parse)
  local url = STATIC .. prefix .. "/chats?limit=100"
  local c_us, s_us, c_last, s_last = {}, {}, nil, nil
  for _ = 1, ROUNDS1 do
    c_last = run_kv(table.concat({ PIN, q(TMP .. "/c_baseline"), q(url), N1, WARM1, q(KEY), q(UA),
      parse and "parse" or "none" }, " "))
    s_last = run_kv(lua_cmd("bench/sdk_cpu.lua", { "dsn=" .. STATIC .. prefix, "key=" .. KEY,
      "n=" .. N1, "warmup=" .. WARM1, "mode=list" }, true))
    c_us[#c_us + 1], s_us[#s_us + 1] = c_last.cpu_us_per_req, s_last.cpu_us_per_req
  end
  assert(c_last.new_connections == 0, "the C baseline opened new connections while timed")
  local c, s = median(c_us), median(s_us)
  local ratio = s / c
  row { id = id, what = ("CPU per request, 100-chat page (%d B), %s, %d sequential requests, keep-alive; "
      .. "SDK decodes the JSON into Lua tables%s"):format(c_last.body_bytes, label, N1,
        parse and ", C parses it into a cJSON tree" or ", C does not parse it"),
    sdk = fmt(s, 1) .. " µs", base = (parse and "C libcurl + cJSON: " or "C libcurl, no parse: ") .. fmt(c, 1) .. " µs",
    ratio = fmt(ratio) .. "×",
    goal = parse and "≤ 1.10×" or "—", result = parse and (ratio <= 1.10 and "pass" or "FAIL") or "info",
    server = "nginx static" .. (prefix == "/b1gz" and " (gzip_static)" or "") }
  local function list(xs)
    local t = {}
    for i, v in ipairs(xs) do t[i] = fmt(v, 1) end
    return table.concat(t, "/")
  end
  note(("1 %s: medians of %d rounds; C rounds %s µs, SDK rounds %s µs; wire bytes per response %s, "
    .. "SDK saw Content-Encoding %s."):format(label, ROUNDS1, list(c_us), list(s_us),
      tostring(c_last.wire_bytes), tostring(s_last.encoding)))
  return c, s
end

local c_identity, s_identity
guarded("1", function() bench1("/b1", "identity", "1", true) end)
guarded("1-gzip", function() bench1("/b1gz", "gzip (both sides inflate it)", "1 gzip", true) end)
guarded("1-noparse", function() c_identity, s_identity = bench1("/b1", "identity", "1 no parse", false) end)
-- What hooks cost: the list call with a no-op hook on every event, against
-- the same call unwatched, rounds alternating.
guarded("1-hooks", function()
  local us = { list = {}, hooks = {} }
  for _ = 1, ROUNDS1 do
    for _, mode in ipairs { "list", "hooks" } do
      local r = run_kv(lua_cmd("bench/sdk_cpu.lua", { "dsn=" .. STATIC .. "/b1", "key=" .. KEY,
        "n=" .. N1, "warmup=" .. WARM1, "mode=" .. mode }, true))
      us[mode][#us[mode] + 1] = r.cpu_us_per_req
    end
  end
  local plain, hooked = median(us.list), median(us.hooks)
  row { id = "1 hooks", what = "benchmark 1's call with a no-op hook on each event (`request`, `attempt`, "
      .. "`retry`, `error`: 2 calls per request), against the same call with no hooks",
    sdk = fmt(hooked, 1) .. " µs", base = "no hooks: " .. fmt(plain, 1) .. " µs",
    ratio = fmt(hooked / plain) .. "×", goal = "—", result = "info", server = "nginx static" }
end)
guarded("1-parts", function()
  local med = {}
  for _, mode in ipairs({ "core", "raw", "decode", "json_decode" }) do
    local xs = {}
    for _ = 1, (mode == "decode" or mode == "json_decode") and 1 or ROUNDS1 do
      xs[#xs + 1] = run_kv(lua_cmd("bench/sdk_cpu.lua", { "dsn=" .. STATIC .. "/b1", "key=" .. KEY,
        "n=" .. N1, "warmup=" .. WARM1, "mode=" .. mode }, true)).cpu_us_per_req
    end
    med[mode] = median(xs)
  end
  row { id = "1 parts", what = "the identity row taken apart: C core alone (`multi:add` + `perform` + `result`, "
      .. "no Lua layer) / `client:request{ raw = true }` (no decode) / `cjson.decode` of the page alone (no HTTP)",
    sdk = ("%s / %s / %s µs"):format(fmt(med.core, 1), fmt(med.raw, 1), fmt(med.decode, 1)),
    base = c_identity and ("C libcurl: " .. fmt(c_identity, 1) .. " µs") or "—",
    ratio = c_identity and (fmt(med.core / c_identity) .. "× / " .. fmt(med.raw / c_identity) .. "× / "
      .. fmt(med.decode / c_identity) .. "×") or "—", goal = "—", result = "info", server = "nginx static" }
  row { id = "1 decoder", what = "the page decoded alone (no HTTP) by the SDK's decoder, `core.json_decode` "
      .. "(tables created at their final size), against `cjson.decode`",
    sdk = fmt(med.json_decode, 1) .. " µs", base = "cjson.decode: " .. fmt(med.decode, 1) .. " µs",
    ratio = fmt(med.json_decode / med.decode) .. "×", goal = "—", result = "info", server = "—" }
  if c_identity and s_identity then
    local floor = c_identity + med.decode
    row { id = "1 floor", what = "the identity row against its floor: the C request plus `cjson.decode` of the same page "
        .. "(what any Lua SDK on lua-cjson pays)",
      sdk = fmt(s_identity, 1) .. " µs", base = ("%s + %s = %s µs"):format(fmt(c_identity, 1), fmt(med.decode, 1), fmt(floor, 1)),
      ratio = fmt(s_identity / floor) .. "×", goal = "—", result = "info", server = "nginx static" }
  end
end)

---------------------------------------------------------------------------
-- 2. 1,000,000 items

guarded("2", function()
  local s = run_kv(lua_cmd("bench/sdk_each.lua", { "dsn=" .. STATIC .. "/b2", "key=" .. KEY, "pages=" .. PAGES }, true))
  local d = run_kv(lua_cmd("bench/decode_only.lua", { "file=" .. TMP .. "/www/page250.json", "pages=1000" }, true))
  row { id = "2", what = ("`each` over %s items (%d pages of 250, cursor changes every page)")
      :format(tostring(s.items):reverse():gsub("(%d%d%d)", "%1,"):reverse():gsub("^,", ""), PAGES),
    sdk = fmt(s.items_per_s / 1000, 0) .. "k items/s (" .. fmt(s.wall_s, 1) .. " s)",
    base = "cjson.decode alone: " .. fmt(d.items_per_s / 1000, 0) .. "k items/s",
    ratio = fmt(s.items_per_s / d.items_per_s) .. "×", goal = "—", result = "info",
    server = "nginx static + sub_filter" }
  local mb = s.vmhwm_kb / 1024
  row { id = "2 RSS", what = "peak RSS (VmHWM) of that process; VmRSS sampled every 10% of the way",
    sdk = fmt(mb, 1) .. " MB",
    base = ("VmRSS at 10%%: %s MB, at 100%%: %s MB, from 20%% on within %s–%s MB"):format(
      fmt(s.rss_first_kb / 1024, 1), fmt(s.rss_last_kb / 1024, 1), fmt(s.rss_min_kb / 1024, 1), fmt(s.rss_max_kb / 1024, 1)),
    ratio = "—", goal = "< 40 MB, flat", result = (mb < 40 and s.rss_max_kb - s.rss_min_kb < 4096) and "pass" or "FAIL",
    server = "nginx static + sub_filter" }
  note(("2: the client used %s s of CPU in %s s of wall time (%d%%): the client, not nginx, is the bottleneck. "
    .. "Reference: the same page decoded 1000 times in memory by `cjson.decode`.")
    :format(fmt(s.cpu_s, 1), fmt(s.wall_s, 1), math.floor(100 * s.cpu_s / s.wall_s + 0.5)))
end)

---------------------------------------------------------------------------
-- cli: `unipile messages list --all --format ndjson > /dev/null` over the
-- pages of 2 (messages), against the SDK's own `each` walk of the same
-- pages, in one run; the command's peak RSS at 1,000,000 and 100,000 items.

guarded("cli", function()
  local s = run_kv(lua_cmd("bench/sdk_each.lua", { "dsn=" .. STATIC .. "/b2", "key=" .. KEY, "pages=" .. PAGES,
    "group=messages" }, true))
  local function cli(max_items)
    local cmd = ("UNIPILE_DSN=%s UNIPILE_API_KEY=%s %s /usr/bin/time -f 'rss_kb=%%M wall_s=%%e' %s bin/unipile messages list"
      .. " --all --limit 250 --format ndjson%s 2>&1 >/dev/null"):format(q(STATIC .. "/b2"), KEY, PIN, LUA,
      max_items and (" --max-items " .. max_items) or "")
    local r = run_kv(cmd)
    return r, (max_items or PAGES * 250) / r.wall_s
  end
  local full, rate = cli(nil)
  local tenth = cli(PAGES * 25)
  local ratio = rate / s.items_per_s
  row { id = "cli", what = ("`unipile messages list --all --format ndjson > /dev/null`, %d pages of 250 messages")
      :format(PAGES),
    sdk = fmt(rate / 1000, 0) .. "k items/s (" .. fmt(full.wall_s, 1) .. " s)",
    base = "the SDK's `each` over the same pages: " .. fmt(s.items_per_s / 1000, 0) .. "k items/s",
    ratio = fmt(ratio) .. "×", goal = "≥ 0.7×", result = ratio >= 0.7 and "pass" or "FAIL",
    server = "nginx static + sub_filter" }
  local mb, mb10 = full.rss_kb / 1024, tenth.rss_kb / 1024
  row { id = "cli RSS", what = "peak RSS (GNU time %M) of that command, at all the items and at a tenth (`--max-items`)",
    sdk = fmt(mb, 1) .. " MB", base = ("at %d items: %s MB"):format(PAGES * 25, fmt(mb10, 1)),
    ratio = "—", goal = "< 30 MB, flat", result = (mb < 30 and mb - mb10 < 4) and "pass" or "FAIL",
    server = "nginx static + sub_filter" }
end)

---------------------------------------------------------------------------
-- 3. concurrency

guarded("3", function()
  assert(SANDBOX ~= "", "no sandbox")
  local n, conc, lat = 200, 16, 100
  local s = run_kv(lua_cmd("bench/sdk_map.lua", { "dsn=" .. SANDBOX, "key=" .. SANDBOX_KEY, "sandbox=" .. SANDBOX,
    "n=" .. n, "concurrency=" .. conc, "latency_ms=" .. lat }))
  local ideal = n / conc * lat / 1000
  local ratio = s.wall_s / ideal
  row { id = "3", what = "200 requests, 100 ms injected latency each, `unipile.map` concurrency 16",
    sdk = fmt(s.wall_s, 3) .. " s", base = "ideal 200/16 × 100 ms = " .. fmt(ideal, 3) .. " s",
    ratio = fmt(ratio) .. "×", goal = "≤ 1.3×", result = ratio <= 1.3 and "pass" or "FAIL",
    server = "sandbox (" .. SANDBOX_SOURCE .. ")" }
  note(("3: against the wave count instead (ceil(200/16) = 13 waves × 100 ms = 1.300 s) the ratio is %s×.")
    :format(fmt(s.wall_s / 1.3)))
end)

-- What the journal costs a sending call (sendMessage on the sandbox): a
-- SQLite journal against none, rounds alternating.
guarded("journal", function()
  assert(SANDBOX ~= "", "no sandbox")
  local n, cpu, wall = 300, { plain = {}, journal = {} }, { plain = {}, journal = {} }
  for _ = 1, 3 do
    for _, mode in ipairs { "plain", "journal" } do
      local r = run_kv(lua_cmd("bench/sdk_journal.lua", { "dsn=" .. SANDBOX, "key=" .. SANDBOX_KEY,
        "sandbox=" .. SANDBOX, "n=" .. n, "mode=" .. mode }))
      cpu[mode][#cpu[mode] + 1], wall[mode][#wall[mode] + 1] = r.cpu_us_per_call, r.wall_ms_per_call
    end
  end
  local c0, c1, w0, w1 = median(cpu.plain), median(cpu.journal), median(wall.plain), median(wall.journal)
  row { id = "journal", what = "a sending call (`chats:send_message`, 300 a round, each a new key) with a SQLite "
      .. "journal (WAL) against none: CPU of the process and wall time per call",
    sdk = fmt(c1, 1) .. " µs CPU, " .. fmt(w1, 2) .. " ms", base = "no journal: " .. fmt(c0, 1) .. " µs CPU, "
      .. fmt(w0, 2) .. " ms", ratio = "+" .. fmt(c1 - c0, 1) .. " µs CPU, +" .. fmt(w1 - w0, 2) .. " ms a call",
    goal = "—", result = "info", server = "sandbox (" .. SANDBOX_SOURCE .. ")" }
end)

---------------------------------------------------------------------------
-- 4. prefetch

guarded("4", function()
  assert(SANDBOX ~= "", "no sandbox")
  local pages, lat, work = 50, 50, 50
  local ideal = pages * work / 1000
  for _, pf in ipairs({ 1, 0 }) do
    local s = run_kv(lua_cmd("bench/sdk_prefetch.lua", { "dsn=" .. SANDBOX, "key=" .. SANDBOX_KEY,
      "sandbox=" .. SANDBOX, "pages=" .. pages, "latency_ms=" .. lat, "work_ms=" .. work, "prefetch=" .. pf }))
    local ratio = s.wall_s / ideal
    row { id = pf == 1 and "4" or "4 no prefetch",
      what = pf == 1 and "50 pages, 50 ms latency per page, consumer busy 50 ms per page (`core.sleep`), prefetch on (default)"
        or "the same with `prefetch = false` (contrast)",
      sdk = fmt(s.wall_s, 3) .. " s", base = "ideal 50 × 50 ms = " .. fmt(ideal, 3) .. " s",
      ratio = fmt(ratio) .. "×", goal = pf == 1 and "≤ 1.2×" or "—",
      result = pf == 1 and (ratio <= 1.2 and "pass" or "FAIL") or "info",
      server = "sandbox (" .. SANDBOX_SOURCE .. ")" }
  end
end)

---------------------------------------------------------------------------
-- Event-driven integration: curl's sockets in the host's loop (events,
-- luv, run2).

-- A request the sandbox holds 3 s: what it costs the host process
-- (bench/nvim/wakeups.lua), the blocking call (the transfer itself) and
-- the drivers, one after the other in this run; the host is headless
-- Neovim (the old polling driver too), then plain Lua on lua-luv.
local function wakeups_cmd(host, mode)
  local env = { sys.WITHOUT_SANITIZERS, "UNIPILE_REPO=" .. q(sys.cwd()), "UNIPILE_DSN=" .. q(SANDBOX),
    "UNIPILE_API_KEY=" .. q(SANDBOX_KEY), "BENCH_MODE=" .. mode }
  if host == "nvim" then
    env[#env + 1] = "timeout 30 nvim --headless -u NONE -i NONE -n -c " .. q("luafile bench/nvim/wakeups.lua")
      .. " </dev/null 2>&1"
  else
    env[#env + 1] = "timeout 30 " .. LUA .. " bench/nvim/wakeups.lua"
  end
  return table.concat(env, " ")
end

local WAKEUP_ROWS = {
  { id = "events", host = "nvim", mode = "events", goal = true,
    what = "a request the sandbox holds 3 s, made in headless Neovim through `unipile.nvim` (`unipile.luv`: curl's "
      .. "sockets and timer in the editor's loop): voluntary context switches (wakeups) and CPU of the editor process, "
      .. "beyond the transfer itself (the same request through blocking `client:call`)" },
  { id = "events polling", host = "nvim", mode = "polling",
    what = "the same through the old polling driver (`bench/nvim/polling.lua`, 1–10 ms timer), in the same run" },
  { id = "events luv", host = "lua", mode = "events", goal = true,
    what = "the same in a plain Lua process on lua-luv, through `unipile.luv`, beyond the blocking call in that process" },
}

guarded("events", function()
  assert(SANDBOX ~= "", "no sandbox")
  local sb = require("unipile.sandbox").attach(SANDBOX)
  local function measure(host, mode)
    sb:clear_faults()
    sb:fault { path = "^/api/v1/accounts$", latency_ms = 3000 }
    local r = run_kv(wakeups_cmd(host, mode))
    assert(r.nvcsw, host .. " " .. mode .. ": " .. tostring(r.error))
    return r
  end
  local base, walls = {}, {}
  for _, v in ipairs(WAKEUP_ROWS) do
    base[v.host] = base[v.host] or measure(v.host, "blocking")
    local r, b = measure(v.host, v.mode), base[v.host]
    local wakeups, cpu = r.nvcsw - b.nvcsw, r.cpu_ms - b.cpu_ms
    local function cost(x) return ("%d wakeups, %s ms CPU"):format(x.nvcsw, fmt(x.cpu_ms)) end
    row { id = v.id, what = v.what, sdk = cost(r), base = "blocking call: " .. cost(b),
      ratio = ("%+d wakeups, %s%s ms CPU"):format(wakeups, cpu < 0 and "" or "+", fmt(cpu)),
      goal = v.goal and "≤ +5 wakeups, ≤ +2 ms" or "—",
      result = v.goal and ((wakeups <= 5 and cpu <= 2) and "pass" or "FAIL") or "info",
      server = "sandbox (" .. SANDBOX_SOURCE .. ")" }
    walls[#walls + 1] = ("%s %s %s"):format(v.id, fmt(r.wall_s, 3), "s")
  end
  sb:clear_faults()
  note("events: wall time of the request: " .. table.concat(walls, ", ") .. "; blocking: Neovim "
    .. fmt(base.nvim.wall_s, 3) .. " s, plain Lua " .. fmt(base.lua.wall_s, 3) .. " s.")
end)

-- Benchmark 3 again, under unipile.luv (a lua-luv loop), and with two
-- clients under unipile.run (one core.wait over both multis).
local MAP_VARIANTS = {
  { id = "luv", args = { "driver=luv" }, what = "benchmark 3 under `unipile.luv` in a lua-luv loop "
    .. "(200 requests, 100 ms latency, concurrency 16)" },
  { id = "run2", args = { "clients=2" }, what = "benchmark 3 with the items alternating between two clients "
    .. "under `unipile.run` (one wait over both multis' sockets)" },
}
for _, v in ipairs(MAP_VARIANTS) do
  guarded(v.id, function()
    assert(SANDBOX ~= "", "no sandbox")
    local n, conc, lat = 200, 16, 100
    local args = { "dsn=" .. SANDBOX, "key=" .. SANDBOX_KEY, "sandbox=" .. SANDBOX, "n=" .. n,
      "concurrency=" .. conc, "latency_ms=" .. lat }
    for _, a in ipairs(v.args) do args[#args + 1] = a end
    local s = run_kv(lua_cmd("bench/sdk_map.lua", args))
    local ideal = n / conc * lat / 1000
    local ratio = s.wall_s / ideal
    row { id = v.id, what = v.what, sdk = fmt(s.wall_s, 3) .. " s",
      base = "ideal 200/16 × 100 ms = " .. fmt(ideal, 3) .. " s", ratio = fmt(ratio) .. "×", goal = "≤ 1.3×",
      result = ratio <= 1.3 and "pass" or "FAIL", server = "sandbox (" .. SANDBOX_SOURCE .. ")" }
  end)
end

---------------------------------------------------------------------------
-- 5. 1 GiB download

local function bench5(out_dir, id, label)
  local url = STATIC .. "/b5/big.bin"
  local out = out_dir .. "/" .. TMP:match("[^/]+$") .. ".bin"   -- run.sh removes it on exit too
  local size = 1024 * 1024 * 1024
  sys.execute("curl -s -o /dev/null " .. q(url))   -- the file into the page cache, for both
  local cs, ss = {}, {}
  local TIME = "/usr/bin/time -f 'rss_kb=%M user_s=%U sys_s=%S' "
  local function curl_once()
    sys.execute("sync")                            -- no writeback of an earlier run left to compete with
    local t0 = socket.gettime()
    local c = run_kv(TIME .. PIN .. " curl -s -o " .. q(out)
      .. " -w 'time_total=%{time_total} size=%{size_download}\\n' " .. q(url) .. " 2>&1 | tr '\\n' ' '")
    c.wall_s = socket.gettime() - t0
    assert(c.size == size, "curl got " .. tostring(c.size) .. " bytes")
    os.remove(out)
    cs[#cs + 1] = c
  end
  local function sdk_once()
    sys.execute("sync")
    local t0 = socket.gettime()
    local s = run_kv(TIME .. lua_cmd("bench/sdk_download.lua", { "dsn=" .. STATIC .. "/b5",
      "key=" .. KEY, "path=/big.bin", "out=" .. out, "size=" .. size }, true) .. " 2>&1 | tr '\\n' ' '")
    s.proc_wall_s = socket.gettime() - t0
    os.remove(out)
    ss[#ss + 1] = s
  end
  -- alternating, each side first in turn
  for i = 1, RUNS5 do
    if i % 2 == 1 then curl_once() sdk_once() else sdk_once() curl_once() end
  end
  local function cpu(list)
    local t = {}
    for i, x in ipairs(list) do t[i] = x.user_s + x.sys_s end
    return median(t)
  end
  local function pick(list, key)                  -- the fastest run
    table.sort(list, function(x, y) return x[key] < y[key] end)
    return list[1]
  end
  local cpu_c, cpu_s = cpu(cs), cpu(ss)
  local mid_c, mid_s = pick(cs, "time_total"), pick(ss, "wall_s")
  local times = function(list, key)
    local t = {}
    for i, x in ipairs(list) do t[i] = fmt(x[key], 3) end
    return table.concat(t, "/")
  end
  local mbs = function(t) return size / t / 1048576 end
  local ratio = mid_c.time_total / mid_s.wall_s
  row { id = id,
    what = "1 GiB file streamed to " .. label .. " (`client:request{ output = path }`), best of " .. RUNS5 .. " each",
    sdk = fmt(mbs(mid_s.wall_s), 0) .. " MiB/s", base = "`curl -s -o`: " .. fmt(mbs(mid_c.time_total), 0) .. " MiB/s",
    ratio = fmt(ratio) .. "×", goal = id == "5" and "≥ 0.8×" or "—",
    result = id == "5" and (ratio >= 0.8 and "pass" or "FAIL") or "info", server = "nginx static (sendfile)" }
  note(("%s: runs (s, sorted): SDK %s, curl %s; process CPU (user+sys, median) SDK %s s, curl %s s; "
    .. "whole processes start to exit (fastest run): SDK %s s, curl %s s.")
    :format(id, times(ss, "wall_s"), times(cs, "time_total"), fmt(cpu_s, 2), fmt(cpu_c, 2),
      fmt(mid_s.proc_wall_s, 3), fmt(mid_c.wall_s, 3)))
  return ss, cs
end

guarded("5", function()
  local ss, cs = bench5(TMP .. "/out", "5", "disk (" .. TMP:match("^/[^/]*") .. ")")
  local hwm, crss = 0, 0
  for _, x in ipairs(ss) do hwm = math.max(hwm, x.vmhwm_kb) end
  for _, x in ipairs(cs) do crss = math.max(crss, x.rss_kb) end
  local mb = hwm / 1024
  row { id = "5 RSS", what = "peak RSS (VmHWM) of the SDK process during those downloads, highest of the " .. RUNS5,
    sdk = fmt(mb, 1) .. " MB", base = "curl (max RSS): " .. fmt(crss / 1024, 1) .. " MB", ratio = "—",
    goal = "< 20 MB", result = mb < 20 and "pass" or "FAIL", server = "nginx static (sendfile)" }
  note("5: SDK time = wall time around `client:request` inside the SDK process; curl time = its own `%{time_total}`.")
end)

-- The same into memory (tmpfs), where the disk's writeback cannot blur the
-- comparison of the two clients.
guarded("5-tmpfs", function()
  local free = tonumber((capture("df -Pk /dev/shm 2>/dev/null | awk 'NR==2 {print $4}'")))
  if not free or free < 3 * 1024 * 1024 then return end
  bench5("/dev/shm", "5 tmpfs", "tmpfs (/dev/shm)")
end)

---------------------------------------------------------------------------
-- The race: the same walk by the SDK and by the official Node SDK

-- Two measures of each process: the CPU (user + sys) of the walk only,
-- taken inside it, and of the whole process, start to exit, from wait4()
-- (bench/proc_cpu.c, to the microsecond; GNU time rounds to 10 ms).
local RACE_TIME = q(TMP .. "/proc_cpu") .. " "
local function race_lua(lua, cpath)
  local env = cpath and ("LUA_CPATH=" .. q(cpath .. "/?.so;;") .. " ") or ""
  local words = { env .. PIN, RACE_TIME .. lua, "bench/sdk_race.lua",
    q("dsn=" .. STATIC), q("key=" .. KEY), q("pages=" .. RACE_PAGES), "2>&1 | tr '\\n' ' '" }
  return run_kv(table.concat(words, " "))
end
local function race_node()
  return run_kv(("NODE_PATH=build/node/node_modules %s %snode bench/node_race.js %s %s %d 2>&1 | tr '\\n' ' '")
    :format(PIN, RACE_TIME, q(STATIC), q(KEY), RACE_PAGES))
end

guarded("race", function()
  local jit = E("BENCH_RACE_JIT") or ""
  local walk = { node = {}, lua = {}, jit = {} }
  local wall = { node = {}, lua = {}, jit = {} }
  local whole = { node = {}, lua = {}, jit = {} }
  for r = 1, RACE_ROUNDS do
    -- rounds alternate which side goes first
    local order = r % 2 == 1 and { "node", "lua", "jit" } or { "jit", "lua", "node" }
    for _, side in ipairs(order) do
      local res
      if side == "node" then res = race_node()
      elseif side == "lua" then res = race_lua(LUA)
      elseif jit ~= "" then res = race_lua("luajit", jit) end
      if res then
        assert(res.items == RACE_PAGES * 250, side .. " walked " .. tostring(res.items) .. " items")
        walk[side][#walk[side] + 1], wall[side][#wall[side] + 1] = res.cpu_s, res.wall_s
        whole[side][#whole[side] + 1] = res.proc_cpu_s
      end
    end
  end
  local items = (RACE_PAGES * 250 .. ""):reverse():gsub("(%d%d%d)", "%1,"):reverse():gsub("^,", "")
  local walked = ("%s items (%d pages of 250, all different, cursor threading the pages); SDK `for chat in "
    .. "client.chats:each{ limit = 250 }`, Node `unipile-node-sdk` %s `messaging.getAllChats{ limit, cursor }` loop")
    :format(items, RACE_PAGES, E("BENCH_NODE_SDK") or "")
  local server, node_v = "nginx static", first_line_of("node --version")
  -- The goal row: whole processes, the measure of the issue's own
  -- baseline (0.317 s against 1.383 s, 4.4x: Node's figure includes its
  -- start-up, which its walk alone does not reach).
  local node, lua = median(whole.node), median(whole.lua)
  row { id = "race", what = walked .. "; CPU of the whole process, start to exit (user + sys, every thread, "
      .. "from wait4: start-up and loading included, the measure of the issue's 4.4× baseline)",
    server = server, sdk = ("%s: %s s CPU"):format(LUA, fmt(lua, 3)),
    base = "Node " .. node_v .. ": " .. fmt(node, 3) .. " s CPU",
    ratio = fmt(node / lua, 1) .. "× less CPU", goal = "≥ 6× less", result = node / lua >= 6 and "pass" or "FAIL" }
  local wnode, wlua = median(walk.node), median(walk.lua)
  row { id = "race walk", what = "the same race, CPU of the walk only (user + sys, measured inside each process "
      .. "around the loop: start-up and module loading not counted)", server = server,
    sdk = ("%s: %s s CPU"):format(LUA, fmt(wlua, 3)), base = "Node: " .. fmt(wnode, 3) .. " s CPU",
    ratio = fmt(wnode / wlua, 1) .. "× less CPU", goal = "—", result = "info" }
  if #whole.jit > 0 then
    local j, wj = median(whole.jit), median(walk.jit)
    row { id = "race LuaJIT", what = "the same race, the SDK under LuaJIT: whole process (walk only)", server = server,
      sdk = ("luajit: %s s CPU (%s s)"):format(fmt(j, 3), fmt(wj, 3)),
      base = ("Node: %s s CPU (%s s)"):format(fmt(node, 3), fmt(wnode, 3)),
      ratio = ("%s× (%s×) less CPU"):format(fmt(node / j, 1), fmt(wnode / wj, 1)), goal = "—", result = "info" }
  end
  local function list(xs)
    local t = {}
    for i, v in ipairs(xs) do t[i] = fmt(v, 3) end
    return table.concat(t, "/")
  end
  local function rounds(what, by)
    return ("race: %s, medians of %d rounds, CPU s: %s %s, Node %s%s."):format(what, RACE_ROUNDS, LUA,
      list(by.lua), list(by.node), #by.jit > 0 and (", LuaJIT " .. list(by.jit)) or "")
  end
  note(rounds("whole processes (wait4)", whole))
  note(rounds("walk only (inside each process)", walk))
  note(("race: wall s of the walk (median): %s %s, Node %s%s; start-up and exit (whole − walk, medians): "
    .. "%s %s s, Node %s s.")
    :format(LUA, fmt(median(wall.lua), 3), fmt(median(wall.node), 3),
      #wall.jit > 0 and (", LuaJIT " .. fmt(median(wall.jit), 3)) or "",
      LUA, fmt(lua - wlua, 3), fmt(node - wnode, 3)))
end)

-- Only when named (bench/run.sh race-profile): the walk taken apart by
-- layer, printed as it is (bench/README.md, analysis).
if ONLY["race-profile"] then
  local cmd = lua_cmd("bench/race_profile.lua", { "dsn=" .. STATIC, "key=" .. KEY, "pages=" .. RACE_PAGES }, true)
  io.stderr:write("   $ ", cmd, "\n")
  local out, ok = capture(cmd .. " 2>&1")
  print(out)
  if not ok then os.exit(1) end
  if not next(ONLY, next(ONLY)) then os.exit(0) end   -- nothing else asked: no table
end

---------------------------------------------------------------------------
-- The report

local first_line = first_line_of
local machine = {
  ("%s CPU(s), %s"):format(first_line("nproc"), (first_line("grep -m1 'model name' /proc/cpuinfo"):gsub("^.-:%s*", ""))),
  "kernel " .. first_line("uname -sr") .. ", " .. first_line(". /etc/os-release && echo $PRETTY_NAME"),
  "libcurl " .. first_line(LUA .. [[ -e 'local v = require("unipile.core").version()
    io.write(v.curl, " ", v.ssl or "", " zlib ", v.libz or "")']]),
  first_line(LUA .. " -v"):match("^(%S+ %S+)") .. ", lua-cjson "
    .. first_line(LUA .. [[ -e 'io.write(require("cjson")._VERSION)']]),
  (first_line("nginx -v"):gsub("^nginx version: ", "")),
}
if ONLY.race or not next(ONLY) then
  machine[#machine + 1] = "Node " .. first_line("node --version") .. ", unipile-node-sdk " .. (E("BENCH_NODE_SDK") or "?")
  if (E("BENCH_RACE_JIT") or "") ~= "" then machine[#machine + 1] = first_line("luajit -v"):match("^(%S+ %S+)") end
end

local lines = {}
local function add(s) lines[#lines + 1] = s end
local core_dir = (E("LUA_CPATH") or ""):match("^([^;]*)/%?%.so")
add(("Run %s on `%s`, commit %s%s%s."):format(os.date("!%Y-%m-%d %H:%M UTC"), "bench/run.sh",
  first_line("git rev-parse --short HEAD"),
  core_dir and not core_dir:match("^build/") and (", core.so from " .. core_dir) or "",
  first_line("git status --porcelain -- src lua/unipile ':!lua/unipile/sandbox' | head -c1") ~= ""
    and " (uncommitted changes in src/ or the SDK's lua/ files)" or ""))
add("")
add("Machine: " .. table.concat(machine, "; ") .. ".")
add("")
add("| # | benchmark | server | SDK | baseline | ratio | goal | result |")
add("| --- | --- | --- | --- | --- | --- | --- | --- |")
for _, r in ipairs(rows) do
  add(("| %s | %s | %s | %s | %s | %s | %s | %s |"):format(r.id, r.what, r.server, r.sdk, r.base, r.ratio, r.goal, r.result))
end
add("")
for _, n in ipairs(notes) do add("- " .. n) end
local block = table.concat(lines, "\n")
print(block)

if README ~= "" then
  local BEGIN, END = "<!-- results:begin (bench/run.sh rewrites this section) -->", "<!-- results:end -->"
  local text = sys.read_file(README) or ""
  local a = text:find(BEGIN, 1, true)
  local b = text:find(END, 1, true)
  local new = BEGIN .. "\n\n" .. block .. "\n\n" .. END
  if a and b and b > a then
    text = text:sub(1, a - 1) .. new .. text:sub(b + #END)
  else
    text = text .. (text == "" and "" or "\n") .. "## Results\n\n" .. new .. "\n"
  end
  sys.write_file(README, text)
  io.stderr:write("bench: wrote ", README, "\n")
end
local failed = 0
for _, r in ipairs(rows) do if r.result == "ERROR" then failed = failed + 1 end end
os.exit(failed == 0 and 0 or 1)
