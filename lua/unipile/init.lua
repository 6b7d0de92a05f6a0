--- lua-unipile: the Lua SDK for the Unipile API.
--
--     local unipile = require "unipile"
--     local client = unipile.new { dsn = "https://api1.unipile.com:13111", api_key = key }
--     for chat in client.chats:each { account_id = id } do print(chat.id) end
--     local chat, err = client.safe.chats:get { chat_id = id }   -- nil, err instead of raising
--
-- Start with the guide (install, a first client, iteration, attachments,
-- errors and retries, concurrency, Neovim, OpenResty, the sandbox in your
-- tests); the `client.*` pages list every operation with its parameters.
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

-- The exports, for the reference (LDoc reads these comments).

--- The SDK's version, a string such as `"0.1.0"`.
-- @field VERSION

--- Make a client. `opts.dsn` (`https://apiN.unipile.com:PORT`, or the
-- sandbox's `UNIPILE_DSN`) and `opts.api_key` default to the environment's
-- `UNIPILE_DSN` and `UNIPILE_API_KEY`. Other options: `timeout_ms`,
-- `connect_timeout_ms`, `low_speed_time_ms`, `low_speed_limit`, `retries`,
-- `backoff_ms`, `backoff_max_ms`, `retry_after_max_ms`,
-- `max_body_bytes`, `verify`, `ca_file`, `proxy`, `user_agent`, `headers`,
-- `seed`; an unknown option raises a `usage` error. The client has a table
-- per resource (`client.chats`, `client.emails`, ...), `client.safe` (the same
-- methods returning `nil, err` instead of raising), `call`, `each`, `pages`,
-- `request` and `close`: see `unipile.client`.
-- @tparam[opt] table opts
-- @treturn unipile.client a client
-- @function new

--- Run `fn(...)` as a task, with every task it spawns, and return its
-- results (or raise its error). Inside it, requests wait without blocking
-- the other tasks. Called inside a task, it just calls `fn`.
-- @tparam function fn
-- @param ... arguments for `fn`
-- @return what `fn` returns
-- @function run

--- Start `fn(...)` as a concurrent task; only inside `run`. Returns a task:
-- `task:join()` waits and returns its results (or raises its error),
-- `task:result()` returns `nil, err` instead of raising.
-- @tparam function fn
-- @param ... arguments for `fn`
-- @return a task
-- @function spawn

--- Call `fn(item, i)` for every item of `list`, at most
-- `opts.concurrency` (default 8) at a time, and return `results, failures`:
-- `results[i]` is the first value for item i (nil when it failed);
-- `failures` lists `{ index =, item =, error = }` in index order (empty when
-- all succeeded), `failures.by_index[i]` finds one. Never raises for an
-- item's error.
-- @tparam table list
-- @tparam function fn
-- @tparam[opt] table opts `concurrency`
-- @treturn table results
-- @treturn table failures
-- @function map

--- Wait `ms` milliseconds: inside `run` the other tasks go on meanwhile;
-- outside, a plain sleep.
-- @tparam number ms
-- @function sleep

--- True when `v` is an error object of the SDK (and, given `kind`, of that
-- kind: `"usage"`, `"network"`, `"timeout"`, `"http"`, `"decode"`, `"limit"`).
-- @param v any value
-- @tparam[opt] string kind
-- @treturn boolean
-- @function is_error

--- The JSON null: put it in params to send `null`; nulls in answers are
-- this value (compare with `==`), not nil.
-- @field null

--- The JSON codec the SDK uses (a lua-cjson instance): `unipile.json.encode(t)`,
-- `unipile.json.decode(s)`.
-- @field json

--- The error objects' module: `unipile.errors.new`, `unipile.errors.is`
-- (see `unipile.errors` for the fields an error has).
-- @field errors

--- The operations table: `unipile.operations.by_id[id]` and
-- `unipile.operations.list` give each operation's id, group, method name,
-- HTTP method, path, parameters and pagination.
-- @field operations

--- Webhook receivers: `unipile.webhook.verify(headers, opts)` and
-- `unipile.webhook.parse(body, headers)` (see `unipile.webhook`).
-- @field webhook
