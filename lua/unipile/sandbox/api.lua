--- Generic pieces the API handlers are built from: the request context
-- (body fields and files, required parameters from the operations table),
-- cursor pagination with the list filters, fetch/get/delete helpers and
-- message posting. A handler is `function(ctx) → response` (see reply.lua).
-- @module unipile.sandbox.api

local state = require "unipile.sandbox.state"
local reply = require "unipile.sandbox.reply"
local json = require "unipile.sandbox.json"
local delivery = require "unipile.sandbox.delivery"
local header_map = require "unipile.headers"

local array, null = json.array, json.null

local M = {}

---------------------------------------------------------------------------
-- Input

local function present(v) return v ~= nil and v ~= "" and v ~= null end
M.present = present

-- Set t[k] = v; a repeated key turns the value into an array.
local function put(t, k, v)
  local old = t[k]
  if old == nil then t[k] = v
  elseif type(old) == "table" and getmetatable(old) then old[#old + 1] = v
  else t[k] = array({ old, v }) end
end

-- Store `v` under `base[k1][k2]...` (`keys` from the bracket parts of a
-- name): "" appends, digits index an array (0-based), other keys name fields.
local function put_path(t, base, keys, v)
  local node, key = t, base
  for _, k in ipairs(keys) do
    local child = node[key]
    if type(child) ~= "table" then
      child = (k == "" or k:match("^%d+$")) and array() or {}
      node[key] = child
    end
    node = child
    if k == "" then key = #node + 1
    elseif k:match("^%d+$") then key = tonumber(k) + 1
    else key = k end
  end
  if type(key) == "number" then node[key] = v else put(node, key, v) end
end

--- Fields and files of multipart parts: a file is a part with a filename or
-- named in `file_fields` (the operation's set). Bracket names fill nested tables:
-- `a[b]` → `fields.a.b`, `a[b][c]` → `fields.a.b.c`, `a[]` appends to the
-- array `fields.a`, `a[0][x]` → `fields.a[1].x`; raw names stay too.
function M.form_fields(parts, file_fields)
  local fields, files = {}, {}
  for _, p in ipairs(parts) do
    if p.filename or file_fields[p.name] then
      files[#files + 1] = p
    elseif p.name then
      put(fields, p.name, p.data)
      local base, rest = p.name:match("^([^%[]+)(%[.*%])$")
      if base then
        local keys = {}
        for k in rest:gmatch("%[([^%]]*)%]") do keys[#keys + 1] = k end
        if type(fields[base]) ~= "table" then fields[base] = nil end
        put_path(fields, base, keys, p.data)
      end
    end
  end
  return fields, files
end

--- Header `name` of a record (the first value of a repeated one), ignoring case.
local function header(rec, name) return header_map.get(rec.headers, name) end
M.header = header

-- Body fields and files of a request to `op`, whatever the encoding the client chose.
local function body_input(rec, op)
  local ctype = (header(rec, "content-type") or ""):lower()
  if rec.parts then return M.form_fields(rec.parts, op.file_fields) end
  if rec.parts_error then return nil, nil, reply.error(400, "malformed_request", rec.parts_error) end
  if rec.body == "" then return {}, {} end
  if ctype:find("json", 1, true) then
    if type(rec.json) ~= "table" or json.is_array(rec.json) then
      return nil, nil, reply.error(400, "malformed_request",
        "The body must be a JSON object" .. (rec.json_error and (": " .. rec.json_error) or "."))
    end
    return rec.json, {}
  end
  if ctype:find("^application/x%-www%-form%-urlencoded") then return ngx.decode_args(rec.body, 0), {} end
  return nil, nil, reply.error(415, "unsupported_media_type", "Unsupported content type: " .. ctype)
end

-- Query parameters the handlers read as lists (repeated keys, the way the
-- SDK sends arrays); any other repeated parameter is refused.
local LIST_ARGS = { account_id = true, exclude_folders = true, ratings = true, linkedin_sections = true }

-- The query arguments as handlers expect them: strings, or arrays of
-- strings for LIST_ARGS; a bare `?name` (ngx gives `true`) is "". Nil,
-- 400 for a parameter of `op` given more than once; a repeated unknown
-- parameter keeps its first value.
local function query_args(op, raw)
  local args = {}
  for name, v in pairs(raw) do
    if type(v) == "table" and not LIST_ARGS[name] then
      if op.places[name] and op.places[name].query then
        return nil, reply.invalid(name, "must be given once (it is not a list)")
      end
      v = v[1]
    end
    if type(v) == "table" then
      local list = array()
      for i, x in ipairs(v) do list[i] = x == true and "" or x end
      v = list
    elseif v == true then
      v = ""
    end
    args[name] = v
  end
  return args
end

--- The handler context, or nil, error response when a required parameter
-- (per the operations table) is missing, a query parameter is repeated or
-- the body cannot be read.
function M.context(op, params, rec)
  local args, aerr = query_args(op, rec.args)
  if not args then return nil, aerr end
  local ctx = { op = op, params = params, args = args, rec = rec, fields = {}, files = {} }
  for _, name in ipairs(op.query_params) do
    local places = op.places[name]
    if op.required[name] and not places.body and not places.path and not present(args[name]) then
      return nil, reply.missing(name)
    end
  end
  if op.body then
    local fields, files, err = body_input(rec, op)
    if err then return nil, err end
    ctx.fields, ctx.files = fields, files
    for name in pairs(op.json_fields) do -- multipart fields sent as JSON text
      if type(fields[name]) == "string" and rec.parts then
        local v = json.decode(fields[name])
        if v == nil then return nil, reply.invalid(name, "must be JSON text (multipart field)") end
        fields[name] = v
      end
    end
    for _, name in ipairs(op.body_fields) do
      -- (a name that is also a path param is required there, not here)
      if op.required[name] and not op.places[name].path and not present(fields[name]) then
        local has_file = false
        for _, f in ipairs(files) do has_file = has_file or f.name == name end
        if not has_file then return nil, reply.missing(name) end
      end
    end
  end
  return ctx
end

--- A single string field, or nil, error response (repeated, not a string).
function M.string_field(ctx, name)
  local v = ctx.fields[name]
  if v == nil or v == null then return nil end
  if type(v) == "number" then v = tostring(v) end
  if type(v) ~= "string" then return nil, reply.invalid(name, "must be a single string") end
  return v
end

--- true/false from JSON booleans or form strings; nil if neither.
function M.boolean(v)
  if v == true or v == "true" or v == "1" or v == 1 then return true end
  if v == false or v == "false" or v == "0" or v == 0 then return false end
end

--- A field as an array of strings (one value, repeated values or a JSON array).
function M.strings(v)
  if v == nil or v == null or v == "" then return {} end
  if type(v) ~= "table" then return { tostring(v) } end
  local out = {}
  for _, x in ipairs(v) do out[#out + 1] = tostring(x) end
  return out
end

---------------------------------------------------------------------------
-- Lists: cursor pagination and the filters the list routes document

local TIME = "^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.%d%d%dZ$"

local function time_arg(v)
  if type(v) == "string" and v:find(TIME) then return v end
  return nil, "must be an ISO 8601 UTC datetime (YYYY-MM-DDTHH:MM:SS.sssZ)"
end

-- Query filter name → parse(raw arg) → value | nil, why.
local PARSE = {
  before = time_arg,
  after = time_arg,
  account_id = function(v)
    local set, n = {}, 0
    for _, s in ipairs(type(v) == "table" and v or { v }) do
      for id in tostring(s):gmatch("[^,%s]+") do set[id], n = true, n + 1 end
    end
    if n == 0 then return nil, "must be one or more comma-separated account ids" end
    return set
  end,
  account_type = function(v)
    if type(v) == "string" and state.MESSAGING[v] then return v end
    return nil, "must be one of WHATSAPP, LINKEDIN, SLACK, TWITTER, MESSENGER, INSTAGRAM, TELEGRAM"
  end,
  sender_id = function(v)
    if type(v) == "string" and v ~= "" then return v end
    return nil, "must be an attendee id"
  end,
  unread = function(v)
    local b = M.boolean(v)
    if b == nil then return nil, "must be true or false" end
    return b
  end,
}

-- Filter name → match(value, object, time field) → bool.
local MATCH = {
  before = function(v, o, tf) return o[tf] < v end,
  after = function(v, o, tf) return o[tf] > v end,
  account_id = function(set, o) return set[o.account_id] == true end,
  account_type = function(v, o) return o.account_type == v end,
  sender_id = function(v, o) return o.sender_id == v or o.sender_attendee_id == v end,
  unread = function(v, o) return (o.unread_count > 0) == v end,
}

-- Cursors are opaque to clients: base64 of the operation, the sort key of
-- the last item sent (keyset pagination, so writes between pages neither
-- repeat nor skip items) and, for searches, the search they continue.
local function encode_cursor(op, key, extra)
  return ngx.encode_base64(op.id .. "\n" .. key .. (extra and "\n" .. extra or ""))
end

local function decode_cursor(op, s)
  local raw = type(s) == "string" and s ~= "" and ngx.decode_base64(s)
  if not raw then return nil end
  local id, key, extra = raw:match("^([^\n]+)\n([^\n]*)\n?(.*)$")
  if id ~= op.id then return nil end
  return key, extra ~= "" and extra or nil
end

--- The `extra` text a cursor of this operation carries, or nil (no cursor),
-- or false (not a cursor of this list).
function M.cursor_extra(op, s)
  if s == nil then return nil end
  local key, extra = decode_cursor(op, s)
  if not key then return false end
  return extra or nil
end

--- Sort key: newest first on `field`, ties broken by id.
function M.time_key(field)
  return function(o) return (o[field] ~= null and o[field] or "") .. "\1" .. o.id end
end

--- An integer query argument in [lo, hi], or nil (absent), or false, error.
function M.int_arg(ctx, name, lo, hi)
  local v = ctx.args[name]
  if v == nil then return nil end
  local n = type(v) == "string" and v:match("^%d+$") and tonumber(v)
  if not n or n < lo or (hi and n > hi) then
    return false, reply.invalid(name, hi and string.format("must be an integer between %d and %d", lo, hi)
      or string.format("must be an integer >= %d", lo))
  end
  return n
end

-- The page of each `page_shape` (the row's; shared/api/NOTES.md,
-- "Pagination"), from the items sent, the cursor of the next page, the
-- index of the first item (0-based) and the number of items in the list.
local PAGES = {
  items_cursor = function(body, cursor) body.cursor = cursor end,
  paging_count = function(body, cursor, _, out) body.cursor, body.paging = cursor, { page_count = #out } end,
  paging_total = function(body, cursor, _, out, total)
    body.cursor, body.paging = cursor, { page_count = #out, total_count = total }
  end,
  paging_comments = function(body, cursor, start, out, total)
    body.cursor, body.total_items = cursor, total
    body.paging = { start = start, page_count = #out, total_count = total }
  end,
  paging_search = function(body, cursor, start, out, total)
    body.cursor, body.paging = cursor, { start = start, page_count = #out, total_count = total }
  end,
  cursor_in_paging = function(body, cursor, start, out, total)
    body.paging = { cursor = cursor, start = start, page_count = #out, total_count = total }
  end,
}

--- Answer one page of `objects`, applying `limit`, `cursor` (or `offset`)
-- and every filter of PARSE that the operation lists in its query params,
-- in the operation's `page_shape`: `{object, items, cursor}`, the
-- cursor+paging variants, `{data, next_cursor}`, or `{object, items}` for
-- lists without pagination. opts: `time` (field for
-- before/after and default order, "timestamp"), `key` (sort key function),
-- `asc` (ascending key order), `cursor` (a cursor from elsewhere than the
-- query, e.g. the body), `cursor_extra` (text carried by the next cursor),
-- `view` (function applied to the items sent), `extra` (fields added to the
-- answer).
function M.page(ctx, object, objects, opts)
  opts = opts or {}
  local op, args = ctx.op, ctx.args
  local max = op.max_limit or 250
  local limit, lerr = M.int_arg(ctx, "limit", 1, max)
  if limit == false then return lerr end
  limit = limit or math.min(100, max)
  local tests = {}
  for _, name in ipairs(op.query_params) do
    if args[name] ~= nil and PARSE[name] then
      local v, why = PARSE[name](args[name])
      if v == nil then return reply.invalid(name, why) end
      tests[#tests + 1] = { MATCH[name], v }
    end
  end
  local raw = opts.cursor
  if raw == nil and op.places.cursor then raw = args.cursor end
  local from
  if raw ~= nil then
    from = decode_cursor(op, raw)
    if not from then return reply.invalid("cursor", "not a cursor returned by this list") end
  end
  local offset
  if op.places.offset and not from then
    local oerr
    offset, oerr = M.int_arg(ctx, "offset", 0)
    if offset == false then return oerr end
  end
  local tf, asc = opts.time or "timestamp", opts.asc
  local key = opts.key or M.time_key(tf)
  local items = {}
  for _, o in ipairs(objects) do
    local keep = true
    for _, t in ipairs(tests) do keep = keep and t[1](t[2], o, tf) end
    if keep then items[#items + 1] = { key(o), o } end
  end
  table.sort(items, function(a, b)
    if asc then return a[1] < b[1] end
    return a[1] > b[1]
  end)
  local first = (offset or 0) + 1
  if from then
    first = #items + 1
    for i, it in ipairs(items) do
      if (asc and it[1] > from) or (not asc and it[1] < from) then first = i; break end
    end
  end
  local out = array()
  local last = math.min(#items, first + limit - 1)
  for i = first, last do out[#out + 1] = opts.view and opts.view(items[i][2]) or items[i][2] end
  local cursor = last < #items and last >= first and encode_cursor(op, items[last][1], opts.cursor_extra) or null
  local body
  if op.page_shape == "data_next_cursor" then
    body = { data = out, next_cursor = cursor }
  else
    body = { object = object, items = out }
    if op.page_shape then PAGES[op.page_shape](body, cursor, first - 1, out, #items) end
  end
  for k, v in pairs(opts.extra or {}) do body[k] = v end
  return reply.ok(body)
end

---------------------------------------------------------------------------
-- Objects by id

local WHAT = { accounts = "Account", chats = "Chat", messages = "Message", attendees = "Attendee",
  people = "User", invitations_sent = "Invitation", invitations_received = "Invitation", companies = "Company",
  posts = "Post", comments = "Comment", reactions = "Reaction", projects = "Hiring project", jobs = "Job posting",
  applicants = "Applicant", folders = "Folder", emails = "Email", calendars = "Calendar", events = "Event",
  webhooks = "Webhook" }

--- The object `id` of collection `kind`, or nil, 404 response. With
-- `account` (an Account), the object must belong to it.
function M.fetch(kind, id, account)
  local o = state.get()[kind][id]
  if o and (not account or o.account_id == account.id) then return o end
  return nil, reply.not_found(WHAT[kind] or kind, id)
end

--- Handler: answer the object named by path param `param`.
function M.getter(kind, param)
  return function(ctx)
    local o, err = M.fetch(kind, ctx.params[param])
    return err or reply.ok(o)
  end
end

--- Handler: delete the object named by path param `param` with `remove(id)`,
-- answer `{object = object}`.
function M.deleter(kind, param, object, remove)
  return function(ctx)
    local o, err = M.fetch(kind, ctx.params[param])
    if err then return err end
    remove(o.id)
    return reply.ok({ object = object })
  end
end

local FAMILY_NAMES = { messaging = "messaging", social = "users and posts", linkedin = "LinkedIn features",
  mail = "emails", calendar = "calendars" }

--- The account named by `account_id` (query, then body), checked against a
-- feature family of state.FAMILIES: nil, 400 when required and missing (or
-- nil, nil when `optional`), 404 when unknown, 422 errors/invalid_account
-- when the account has no such feature.
function M.account(ctx, family, optional)
  local id = ctx.args.account_id
  if not present(id) then id = ctx.fields.account_id end
  if not present(id) then
    if optional then return nil end
    return nil, reply.missing("account_id")
  end
  if type(id) ~= "string" then return nil, reply.invalid("account_id", "must be a single account id") end
  local a = state.get().accounts[id]
  if not a then return nil, reply.not_found("Account", id) end
  if family and not state.FAMILIES[family][a.type] then
    return nil, reply.error(422, "invalid_account",
      string.format("Account %s (%s) is not designed for %s.", a.id, a.type, FAMILY_NAMES[family] or family))
  end
  return a
end

--- A shallow copy of `o` without the keys of `hide` (a set).
function M.without(o, hide)
  local c = {}
  for k, v in pairs(o) do
    if not hide[k] then c[k] = v end
  end
  return c
end

--- A deep copy of `v` without its null values: where the API leaves a
-- key out rather than sending null (arrays stay arrays).
function M.without_nulls(v)
  if type(v) ~= "table" then return v end
  local c = json.is_array(v) and array() or {}
  for k, x in pairs(v) do
    if x ~= null then c[k] = M.without_nulls(x) end
  end
  return c
end

--- Field `name` as one of `values` (array), or `default` when absent;
-- nil, 400 otherwise.
function M.enum(value, name, values, default)
  if value == nil or value == null or value == "" then
    if default ~= nil then return default end
    return nil, reply.missing(name)
  end
  for _, v in ipairs(values) do
    if value == v then return v end
  end
  return nil, reply.invalid(name, "must be one of " .. table.concat(values, ", "))
end

M.time_arg = time_arg

---------------------------------------------------------------------------
-- Posting messages (send, start chat, forward)

local EXT = { pdf = "application/pdf", png = "image/png", jpg = "image/jpeg", jpeg = "image/jpeg",
  gif = "image/gif", webp = "image/webp", mp4 = "video/mp4", mov = "video/quicktime",
  webm = "video/webm", ogg = "audio/ogg", mp3 = "audio/mpeg", m4a = "audio/mp4", wav = "audio/wav",
  txt = "text/plain", csv = "text/csv", json = "application/json", zip = "application/zip" }

function M.mimetype_of(part)
  local ct = part.content_type
  if ct and ct ~= "" and ct ~= "application/octet-stream" then return ct end
  local ext = (part.filename or ""):match("%.(%w+)$")
  return ext and EXT[ext:lower()] or "application/octet-stream"
end

-- Attachment entry (and stored bytes) for an uploaded part.
local function upload(rng, part, message_id)
  local mimetype = M.mimetype_of(part)
  local kind = part.name == "voice_message" and "audio" or part.name == "video_message" and "video"
    or state.kind_of(mimetype)
  local att = state.new_attachment(rng:id(), kind, mimetype, part.filename or part.name or "attachment",
    #part.data, part.name == "voice_message")
  state.add_blob(att, message_id, part.data)
  return att
end

--- Post a message into `chat` and raise `message_received`. opts: `text`,
-- `files` (multipart parts), `copy` (attachments of a forwarded message),
-- `quote` (a Message), `subject`, `message_type`, `sender` (an attendee;
-- default the account's own, else the message is inbound: unseen, and the
-- chat's unread count goes up). Returns the message.
function M.post(chat, opts)
  local S = state.get()
  local rng = S.rng
  local sender = opts.sender or state.self_attendee(chat.account_id)
  local msg = state.new_message(rng, chat, sender, opts.text, state.now_ms())
  if sender.is_self ~= 1 then
    msg.seen = 0
    chat.unread_count = chat.unread_count + 1
  end
  for _, part in ipairs(opts.files or {}) do msg.attachments[#msg.attachments + 1] = upload(rng, part, msg.id) end
  for _, a in ipairs(opts.copy or {}) do
    local c = {}
    for k, v in pairs(a) do c[k] = v end
    c.id = rng:id()
    if S.blobs[a.id] then state.add_blob(c, msg.id, state.blob_data(a.id)) end -- links (posts, meetings) have none
    msg.attachments[#msg.attachments + 1] = c
  end
  local q = opts.quote
  if q then
    msg.quoted = { provider_id = q.provider_id, sender_id = q.sender_id, text = q.text, attachments = q.attachments }
    msg.reply_to = { id = q.id, provider_id = q.provider_id, timestamp = q.timestamp,
      sender_attendee_id = q.sender_attendee_id, sender_id = q.sender_id, text = q.text }
  end
  msg.subject = opts.subject or null
  msg.message_type = opts.message_type or "MESSAGE"
  state.add("messages", msg)
  chat.timestamp = msg.timestamp
  delivery.message("message_received", msg)
  return msg
end

return M
