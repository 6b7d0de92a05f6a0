--- Benchmark 2: iterate 1,000,000 chats (4,000 pages of 250) with
-- client.chats:each; items per second and peak RSS. nginx answers every
-- page with the same 250 chats and a cursor naming the next page.
--   sdk_each.lua dsn=URL key=KEY pages=4000 [prefetch=0] [group=messages]
-- (group: the resource walked, chats by default; the cli benchmark's is messages)
local lib = require "bench.lib"
local unipile = require "unipile"

local a = lib.args(arg)
local client = unipile.new { dsn = a.dsn, api_key = a.key }
local per_page = 250
local expect = a.pages * per_page
local sample_every = math.floor(a.pages / 10) * per_page

local count, bytes_id = 0, 0
local rss = {}          -- VmRSS (KiB) every tenth of the way
local t0 = lib.now()
local cpu0 = lib.cpu()
for chat in client[a.group or "chats"]:each { limit = per_page, prefetch = a.prefetch ~= 0 } do
  count = count + 1
  bytes_id = bytes_id + #chat.id           -- touch every item
  if count % sample_every == 0 then rss[#rss + 1] = lib.status_kb("VmRSS") end
end
local t1 = lib.now()
local cpu1 = lib.cpu()
assert(count == expect, ("expected %d items, got %d"):format(expect, count))
assert(bytes_id == 22 * count)
local lo, hi = math.huge, 0
for i = 2, #rss do lo, hi = math.min(lo, rss[i]), math.max(hi, rss[i]) end
lib.report {
  items = count, pages = a.pages, wall_s = (t1 - t0) / 1000, items_per_s = count / ((t1 - t0) / 1000),
  cpu_s = cpu1 - cpu0, vmhwm_kb = lib.status_kb("VmHWM"),
  rss_first_kb = rss[1], rss_last_kb = rss[#rss], rss_min_kb = lo, rss_max_kb = hi,
}
