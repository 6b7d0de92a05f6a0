-- A child of spec/pace_journal_spec.lua: messages each chat given, paced
-- and journaled, printing "sent <chat>" after each answer. The spec kills
-- it mid-run with kill -9 and runs it again.
-- usage: outreach_child.lua DSN KEY STORE CHAT...
local unipile = require "unipile"
local dsn, key, store = arg[1], arg[2], arg[3]
local client = unipile.new { dsn = dsn, api_key = key, journal = true,
  pacer = { store = store, limits = { messages = { spacing = { 0.3, 0.3 } } } } }
io.stdout:setvbuf("line")
for i = 4, #arg do
  local ok, err = pcall(client.call, client, "ChatsController_sendMessageInChat", { chat_id = arg[i], text = "Hello " .. arg[i] })
  if ok then print("sent " .. arg[i]) else print("skipped " .. arg[i] .. " " .. tostring(err.kind)) end
end
print("done")
