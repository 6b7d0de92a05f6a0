-- Requests inside a libuv event loop (lua-luv), next to the program's own
-- timers: unipile.luv wakes the loop only when curl's sockets or timer
-- need it (the same driver unipile.nvim uses inside Neovim).
--
--   bin/unipile-sandbox run -- lua5.4 examples/luv_loop.lua   (apt-get install lua-luv)
local uv = require "luv"
local unipile = require "unipile"

local client = unipile.new()   -- reads UNIPILE_DSN and UNIPILE_API_KEY
local driver = require("unipile.luv").new(uv)

-- The program's own work: a timer that keeps firing while requests are in flight.
local ticks = 0
local ticker = uv.new_timer()
ticker:start(5, 5, function() ticks = ticks + 1 end)

-- Task style: reads like blocking code; spawn/map/sleep work as in unipile.run.
driver:run(function()
  local accounts = client.accounts:list()
  local pages = unipile.map(accounts.items, function(account)
    return client.chats:list { account_id = account.id, limit = 5 }
  end, { concurrency = 4 })
  return accounts, pages
end, function(ok, accounts, pages)
  if not ok then error(tostring(accounts)) end
  for i, account in ipairs(accounts.items) do
    print(("%-12s %s: %d chats on the first page"):format(account.type, account.id, #pages[i].items))
  end
end)

-- Callback style: the error arrives as the first argument.
driver:call(client, "ChatsController_getChat", { chat_id = "no-such-chat" }, function(err)
  print("no-such-chat: " .. tostring(err))
  ticker:close()                 -- the last handle of ours: uv.run returns
end)

uv.run()
print(("the loop's timer fired %d times meanwhile; open handles: %d"):format(ticks, #driver:handles()))
client:close()
