-- A child of spec/pace_journal_spec.lua: tries to message CHAT N times
-- under a daily limit of LIMIT kept in STORE, and prints how many went.
-- usage: pace_child.lua DSN KEY STORE CHAT N LIMIT
local unipile = require "unipile"
local dsn, key, store, chat, n, limit = arg[1], arg[2], arg[3], arg[4], tonumber(arg[5]), tonumber(arg[6])
local client = unipile.new { dsn = dsn, api_key = key,
  pacer = { store = store, on_limit = "error", limits = { messages = { day = limit, spacing = false } } } }
local sent = 0
for i = 1, n do
  local ok, err = pcall(client.call, client, "ChatsController_sendMessageInChat", { chat_id = chat, text = "m" .. i })
  if ok then sent = sent + 1 elseif err.kind ~= "pace" then error(err, 0) end
end
print("sent " .. sent)
