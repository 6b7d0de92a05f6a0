--- What the journal costs a call: n messages sent to one chat of the
-- sandbox, each with another text (so each is a new journal key), with no
-- journal and with a SQLite journal in a fresh temp file; CPU (user+sys of
-- this process) and wall time per call.
--   sdk_journal.lua dsn=URL key=KEY sandbox=URL n=300 mode=plain|journal
local lib = require "bench.lib"
local unipile = require "unipile"
local sandbox = require "unipile.sandbox"

local a = lib.args(arg)
local sb = sandbox.attach(a.sandbox)
local store = a.mode == "journal" and os.tmpname() or nil
if store then os.remove(store) end
local client = unipile.new { dsn = a.dsn, api_key = a.key, journal = store }
local chat = sb:state().chats[1]
local chat_id = type(chat) == "table" and chat.id or chat

local function send(i) return client.chats:send_message { chat_id = chat_id, text = a.mode .. " message " .. i } end
send(0)                                          -- one warm connection (and an open store)
local cpu0, t0 = lib.cpu(), lib.now()
for i = 1, a.n do send(i) end
local cpu1, t1 = lib.cpu(), lib.now()
if store then os.remove(store) os.remove(store .. "-wal") os.remove(store .. "-shm") end
lib.report { calls = a.n, mode = a.mode, cpu_us_per_call = (cpu1 - cpu0) * 1e6 / a.n,
  wall_ms_per_call = (t1 - t0) / a.n }
