-- Export every message of every chat as JSON lines.
--
--   lua examples/export_messages.lua [out.jsonl]     (default: standard output)
--
-- Each line: {"chat_id":..., "account_id":..., "message": {...}}. Pages are
-- followed with the iterators, so memory stays flat however big the inbox.
local unipile = require "unipile"

local client = unipile.new()
local out = arg[1] and assert(io.open(arg[1], "w")) or io.stdout
local json = unipile.json

local chats, messages = 0, 0
for chat in client.chats:each { limit = 100 } do
  chats = chats + 1
  for message in client.chats:each_messages { chat_id = chat.id, limit = 100 } do
    out:write(json.encode { chat_id = chat.id, account_id = chat.account_id, message = message }, "\n")
    messages = messages + 1
  end
end
if out ~= io.stdout then out:close() end
io.stderr:write(("exported %d messages from %d chats\n"):format(messages, chats))
assert(messages > 0, "nothing exported")
