--- lua-unipile behind nginx + ngx_lua, without blocking the event loop
-- (configuration: examples/openresty/nginx.conf).
--
--   GET /ping                       answers at once, whatever the API is doing
--   GET /chats?account_id=&limit=&cursor=
--                                   one page of chats: {items = [...], cursor}
--   GET /chats/<chat_id>/messages?limit=&cursor=
--                                   one page of a chat's messages
--
-- The SDK's requests are blocking libcurl calls, so they must not run on
-- the nginx event loop. This module has two sides:
--
-- * the handlers (`handle`, `ping`) run in the nginx worker's Lua VM: they
--   read the request and hand the API work to a worker thread with
--   `ngx.run_worker_thread`; the request's coroutine waits for the thread
--   while the event loop serves other requests;
-- * `run_job` runs in a worker thread, in a Lua VM of its own (this same
--   file, loaded again there): ordinary blocking SDK code. That VM is kept
--   in a pool between calls, and so is the client made at module level: its
--   connections, DNS and TLS sessions are reused by the next calls on it.
--
-- Only plain values cross between the two VMs (nil, booleans, numbers,
-- strings, tables of them), so the thread encodes its answer as JSON text.

local M = {}

M.POOL = "unipile"          -- the thread_pool in nginx.conf
M.MODULE = "app"            -- this module's name on lua_package_path

---------------------------------------------------------------------------
-- Worker-thread side: plain blocking SDK code. No cosockets, no ngx.say
-- here: a worker thread only has a few pure ngx functions.

local client                -- one per worker-thread VM, made on first use

local function get_client()
  if not client then
    client = require("unipile").new {   -- dsn and key from UNIPILE_DSN / UNIPILE_API_KEY
      timeout_ms = 15000, connect_timeout_ms = 5000, retries = 2,
    }
  end
  return client
end

local jobs = {}

local function trim_chat(c)
  return { id = c.id, account_id = c.account_id, account_type = c.account_type, name = c.name,
    type = c.type, timestamp = c.timestamp, unread_count = c.unread_count }
end

local function trim_message(m)
  return { id = m.id, chat_id = m.chat_id, sender_id = m.sender_id, text = m.text,
    timestamp = m.timestamp, is_sender = m.is_sender }
end

local function page_of(page, trim)
  local items = {}
  for i, item in ipairs(page.items or {}) do items[i] = trim(item) end
  return { items = items, cursor = page.cursor }
end

function jobs.chats(args)
  local c = get_client()
  return page_of(c.chats:list { account_id = args.account_id, limit = args.limit, cursor = args.cursor }, trim_chat)
end

function jobs.messages(args)
  local c = get_client()
  return page_of(c.chats:list_messages { chat_id = args.chat_id, limit = args.limit, cursor = args.cursor },
    trim_message)
end

-- The error's fields as a plain table (SDK errors are objects with a
-- metatable; anything else becomes an "internal" error).
local function plain_error(err)
  local e = type(err) == "table" and err or {}
  return {
    kind = e.kind or "internal", status = e.status, type = e.type, title = e.title,
    detail = e.detail, param = e.param, message = tostring(err),
  }
end

-- A page as JSON text. An empty list must read `[]`, but cjson writes an
-- empty table as `{}`, and Debian's cjson 2.1.0 has neither
-- `cjson.empty_array` nor `array_mt`: a marker takes the list's place.
local function encode_page(page)
  local json = require("unipile").json
  if next(page.items) ~= nil then return json.encode(page) end
  page.items = false
  return (json.encode(page):gsub('"items":false', '"items":[]', 1))
end

--- Run job `name` with `args`. Called through ngx.run_worker_thread; returns
-- `true, json_text` or `false, error_fields`.
function M.run_job(name, args)
  local job = jobs[name]
  if not job then return false, plain_error("unknown job " .. tostring(name)) end
  local ok, result = pcall(job, args or {})
  if not ok then return false, plain_error(result) end
  return true, encode_page(result)
end

---------------------------------------------------------------------------
-- Event-loop side.

local function send(status, body)
  ngx.status = status
  ngx.header["Content-Type"] = "application/json"
  ngx.say(body)
  return ngx.exit(status)
end

local function send_error(status, fields)
  return send(status, require("cjson").encode { error = fields })
end

-- An HTTP status for an SDK error.
local function status_for(e)
  if e.kind == "usage" then return 400 end
  if e.kind == "timeout" then return 504 end
  if e.kind == "http" and (e.status == 400 or e.status == 404) then return e.status end
  if e.kind == "http" or e.kind == "network" or e.kind == "decode" then return 502 end
  return 500
end

--- Run a job in a worker thread; the calling request yields meanwhile.
-- Returns the JSON text, or nil and the error fields.
function M.job(name, args)
  local ok, done, result = ngx.run_worker_thread(M.POOL, M.MODULE, "run_job", name, args)
  if not ok then return nil, { kind = "thread", message = tostring(done) } end
  if not done then return nil, result end
  return result
end

local function query_args()
  local args = ngx.req.get_uri_args(20)
  local out = {}
  for _, k in ipairs { "account_id", "cursor", "limit" } do
    local v = args[k]
    if type(v) == "table" then v = v[#v] end
    if v ~= nil and v ~= true and v ~= "" then out[k] = v end
  end
  if out.limit then
    out.limit = tonumber(out.limit)
    if not out.limit then return nil, { kind = "usage", param = "limit", message = "limit must be a number" } end
  end
  return out
end

local routes = {
  { "^/chats$", function(args) return M.job("chats", args) end },
  { "^/chats/([^/]+)/messages$", function(args, chat_id)
    args.account_id = nil
    args.chat_id = ngx.unescape_uri(chat_id)
    return M.job("messages", args)
  end },
}

--- content_by_lua handler for the API routes.
function M.handle()
  if ngx.req.get_method() ~= "GET" then
    return send_error(405, { kind = "usage", message = "only GET here" })
  end
  local uri = ngx.var.uri
  for _, route in ipairs(routes) do
    local capture = uri:match(route[1])
    if capture then
      local args, bad = query_args()
      if not args then return send_error(400, bad) end
      local json, err = route[2](args, capture)
      if not json then
        if err.kind == "thread" then ngx.log(ngx.ERR, "unipile worker thread: ", err.message) end
        return send_error(status_for(err), err)
      end
      return send(200, json)
    end
  end
  return send_error(404, { kind = "usage", message = "no route for " .. uri })
end

--- content_by_lua handler for /ping: never waits for the API.
function M.ping()
  return send(200, require("cjson").encode { pong = true, pid = ngx.worker.pid(), time = ngx.now() })
end

--- init_by_lua: fail at start when the configuration is missing, and load
-- unipile.core in the master so curl_global_init runs once, before threads.
function M.init()
  for _, name in ipairs { "UNIPILE_DSN", "UNIPILE_API_KEY" } do
    local v = os.getenv(name)
    if not v or v == "" then error(name .. " is not set (see the env lines of nginx.conf)") end
  end
  require "unipile.core"
  require "cjson"
end

return M
