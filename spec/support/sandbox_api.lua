-- The sandbox specs' client: curl over real HTTP (an independent client,
-- not the SDK under test), plus the list helpers those specs share.
--   local sapi = require "support.sandbox_api"
--   sapi.use(sb)                       -- the sandbox to call, a scratch dir
--   local code, data, headers = sapi.api("GET", "/api/v1/chats")
local cjson = require "cjson"
local shell = require "support.shell"
local sys = require "unipile.sandbox.sys"

local M = {}
local quote = sys.quote
M.quote, M.esc, M.write = quote, shell.escape, sys.write_file

--- A small data set: three accounts (LinkedIn, WhatsApp, mail), six chats
-- each, and none of the other accounts (connecting, one per other provider).
M.SMALL = { accounts = 3, chats = 6, messages = 4, attendees = 3, connecting = 0, variants = 0,
  types = { "LINKEDIN", "WHATSAPP", "MAIL" } }

--- Calls go to `sb` from now on; M.TMP is a scratch directory holding
-- a.txt ("attached text\n"), the attachment the specs send.
function M.use(sb)
  M.sb = sb
  if not M.TMP then M.TMP = shell.tmpdir() end
  sys.write_file(M.TMP .. "/a.txt", "attached text\n")
  return M
end

function M.cleanup()
  if M.TMP then shell.remove(M.TMP) end
  M.TMP = nil
end

--- curl: returns status, decoded JSON (or raw body), raw headers.
-- opts: key (false: none), form = {"-F values"}, json = table, raw = extra args
function M.api(method, path, opts)
  opts = opts or {}
  local TMP = M.TMP
  local args = { shell.clean("curl -s -X " .. method), "-o " .. TMP .. "/out", "-D " .. TMP .. "/hdr",
    "-w '%{http_code}'" }
  if opts.key ~= false then args[#args + 1] = "-H " .. quote("X-API-KEY: " .. (opts.key or M.sb.api_key)) end
  for _, f in ipairs(opts.form or {}) do args[#args + 1] = "-F " .. quote(f) end
  if opts.json then
    args[#args + 1] = "-H 'Content-Type: application/json' --data-binary " .. quote(cjson.encode(opts.json))
  end
  if opts.raw then args[#args + 1] = opts.raw end
  args[#args + 1] = quote(M.sb.url .. path)
  local status = tonumber((sys.capture(table.concat(args, " "))))
  local body = sys.read_file(TMP .. "/out") or ""
  local ok, data = pcall(cjson.decode, body)
  return status, ok and data or body, sys.read_file(TMP .. "/hdr") or ""
end

--- Only the status of M.api.
function M.status(method, path, opts) return (M.api(method, path, opts)) end

--- All items of a paginated list, following cursors; and the page count.
function M.all_pages(path, limit)
  local items, cursor, pages = {}, nil, 0
  repeat
    local sep = path:find("?", 1, true) and "&" or "?"
    local _, p = M.api("GET", path .. sep .. "limit=" .. limit .. (cursor and "&cursor=" .. M.esc(cursor) or ""))
    for _, it in ipairs(p.items) do items[#items + 1] = it end
    cursor = p.cursor ~= cjson.null and p.cursor or nil
    pages = pages + 1
  until not cursor or pages > 100
  return items, pages
end

function M.first_of(items, pred)
  for _, x in ipairs(items) do
    if pred(x) then return x end
  end
end

--- The set of the items' `field` (default "id"). `field` must be a
-- string: all_pages' page count, passed along by accident, is ignored.
function M.ids_of(items, field)
  local set = {}
  for _, it in ipairs(items) do set[it[type(field) == "string" and field or "id"]] = true end
  return set
end

--- The default data set of the later groups (seed 5, webhook retries from
-- 40 ms) and its accounts: LI, GM, WA, and the `?account_id=` queries Q, GQ.
function M.default_set(sb)
  M.use(sb)
  local st = sb:reset({ seed = 5, webhook_retry_ms = 40 })
  local function connected(t) return function(a) return a.type == t and not a.checkpoint end end
  local LI, WA = M.first_of(st.accounts, connected("LINKEDIN")), M.first_of(st.accounts, connected("WHATSAPP"))
  local GM = M.first_of(st.accounts, function(a) return a.type == "GOOGLE_OAUTH" end)
  return { st = st, LI = LI, GM = GM, WA = WA, Q = "?account_id=" .. LI.id, GQ = "?account_id=" .. GM.id }
end

--- POST /emails from account `gm_id` to Bob with a.txt attached, with an
-- Idempotency-Key `key` (or none) and `extra` multipart fields.
function M.send_email(gm_id, key, extra)
  local to = cjson.encode({ { display_name = "Bob", identifier = "bob@example.org" } })
  local form = { "account_id=" .. gm_id, "subject=Hi", "attachments=@" .. M.TMP .. "/a.txt" }
  local f = { "--form-string " .. quote("to=" .. to), "--form-string 'body=<p>Hello</p>'" }
  for _, x in ipairs(extra or {}) do f[#f + 1] = "--form-string " .. quote(x) end
  if key then f[#f + 1] = "-H 'Idempotency-Key: " .. key .. "'" end
  return M.api("POST", "/api/v1/emails", { form = form, raw = table.concat(f, " ") })
end

return M
