--- lua-unipile: the Lua SDK for the Unipile API.
--
--     local unipile = require "unipile"
--     local client = unipile.new { dsn = "https://api1.unipile.com:13111", api_key = key }
--     for chat in client.chats:each { account_id = id } do print(chat.id) end
--     local chat, err = client.safe.chats:get { chat_id = id }   -- nil, err instead of raising
--
-- @module unipile

local client = require "unipile.client"
local errors = require "unipile.errors"
local scheduler = require "unipile.scheduler"

local M = {
  VERSION = client.VERSION,
  new = client.new,
  null = client.null,          -- send a JSON null; nulls in answers compare equal to it
  json = client.json,
  errors = errors,
  is_error = errors.is,
  operations = require "unipile.operations",
  webhook = require "unipile.webhook",
  -- concurrency (see unipile.scheduler)
  run = scheduler.run,
  spawn = scheduler.spawn,
  map = scheduler.map,
  sleep = scheduler.sleep,
}

return M
