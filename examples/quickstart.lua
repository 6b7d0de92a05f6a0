-- Quickstart: list accounts, walk every chat, send a message with an
-- attachment, read it back and download the attachment.
--
--   bin/unipile-sandbox run -- lua5.4 examples/quickstart.lua   (against the local sandbox, from a checkout:
--                                          run sets LUA_PATH/LUA_CPATH for lua/ and build/lua5.4/)
--   UNIPILE_DSN=https://api1.unipile.com:13111 UNIPILE_API_KEY=... \
--   LUA_PATH="$PWD/lua/?.lua;$PWD/lua/?/init.lua;;" LUA_CPATH="$PWD/build/lua5.4/?.so;;" lua5.4 examples/quickstart.lua
local unipile = require "unipile"

local client = unipile.new()   -- reads UNIPILE_DSN and UNIPILE_API_KEY
print("talking to " .. tostring(client))

-- 1. Accounts connected to this API key.
local accounts = client.accounts:list()
print(("%d accounts"):format(#accounts.items))
for _, account in ipairs(accounts.items) do
  local source = account.sources and account.sources[1]
  print(("  %-12s %s  %-14s %s"):format(account.type, account.id, account.name, source and source.status or ""))
end

-- 2. Every chat of every account, page after page (the iterator follows
--    the cursor and raises on error).
local chats, first_chat = 0, nil
for chat in client.chats:each { limit = 50 } do
  chats = chats + 1
  first_chat = first_chat or chat
end
print(("%d chats"):format(chats))
assert(first_chat, "no chat to write to")

-- 3. Send a message with an attachment made in memory.
local report = "quickstart report\n" .. os.date("!%Y-%m-%dT%H:%M:%SZ") .. "\n"
local sent = client.chats:send_message {
  chat_id = first_chat.id,
  text = "Hello from lua-unipile",
  attachments = { { filename = "report.txt", content = report, content_type = "text/plain" } },
}
print("sent message " .. sent.message_id)

-- 4. Read it back.
local message = client.messages:get { message_id = sent.message_id }
local attachment = assert(message.attachments[1], "the message has no attachment")
print(("read back: %q with %s (%d bytes)"):format(message.text, attachment.file_name or attachment.id,
  attachment.file_size or 0))

-- 5. Download the attachment to a file, in constant memory.
local path = os.tmpname()
client.messages:get_attachment({ message_id = message.id, attachment_id = attachment.id }, { output = path })
local f = assert(io.open(path, "rb"))
local bytes = f:read("*a")
f:close()
os.remove(path)
assert(bytes == report, "downloaded bytes differ from the sent ones")

print(("summary: %d accounts, %d chats, message %s sent and read back, attachment %d bytes downloaded intact")
  :format(#accounts.items, chats, sent.message_id, #bytes))
client:close()

-- Where this ran, and what to try next.
local prefix = os.getenv("UNIPILE_SANDBOX_PREFIX")
if prefix and prefix ~= "" then
  print("\nThis ran against the local sandbox (an offline fake of the API, " .. os.getenv("UNIPILE_DSN")
    .. "): nothing left this machine.")
  print([[Next: write a script of your own and run it the same way:
  bin/unipile-sandbox run -- lua5.4 my_script.lua
To keep a sandbox running between runs, or to run on your Unipile account,
see the README's "Your own script".]])
end
