--- The race (bench/README.md): walk every chat of PAGES pages with
-- client.chats:each (prefetch on, the default), touching every item; CPU
-- time of this process around the walk only (start-up and `require` are
-- not counted). os.clock() is clock(), i.e. CLOCK_PROCESS_CPUTIME_ID: user
-- + sys of every thread of the process, the same quantity as Node's
-- process.cpuUsage() on the other side, and available to every runtime
-- (bench_rusage.so, which bench.lib loads only when asked, is built for
-- one of them only).
--   sdk_race.lua dsn=URL key=KEY pages=400
local unipile = require "unipile"
local core = require "unipile.core"

local args = require("bench.lib").args(arg)
local per_page = 250
local client = unipile.new { dsn = args.dsn, api_key = args.key }

local count, id_bytes = 0, 0
local t0, cpu0 = core.now(), os.clock()
for chat in client.chats:each { limit = per_page } do
  count = count + 1
  id_bytes = id_bytes + #chat.id                -- touch every item
end
local cpu1, t1 = os.clock(), core.now()
assert(count == args.pages * per_page, ("expected %d items, got %d"):format(args.pages * per_page, count))
assert(id_bytes == 22 * count)
print(("items=%d cpu_s=%.6f wall_s=%.6f"):format(count, cpu1 - cpu0, (t1 - t0) / 1000))
