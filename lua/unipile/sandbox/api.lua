--- Generic pieces the API handlers are built from: the request context
-- (body fields and files, required parameters from the operations table),
-- cursor pagination with the list filters, fetch/get/delete helpers and
-- message posting. A handler is `function(ctx) → response` (see reply.lua).
-- @module unipile.sandbox.api

local state = require "unipile.sandbox.state"
local reply = require "unipile.sandbox.reply"
local json = require "unipile.sandbox.json"

local array, null = json.array, json.null

local M = {}

---------------------------------------------------------------------------
-- Input

-- Multipart parts that are files even when sent without a filename.
local FILE_FIELDS = { attachments = true, voice_message = true, video_message = true }

local function present(v) return v ~= nil and v ~= "" and v ~= null end
M.present = present

-- Set t[k] = v; a repeated key turns the value into an array.
local function put(t, k, v)
  local old = t[k]
  if old == nil then t[k] = v
  elseif type(old) == "table" and getmetatable(old) then old[#old + 1] = v
  else t[k] = array({ old, v }) end
end

--- Fields and files of multipart parts. `a[b]` names also fill `fields.a.b`
-- (`a[]` and `a[0]` append to the array `fields.a`); raw names stay too.
function M.form_fields(parts)
  local fields, files = {}, {}
  for _, p in ipairs(parts) do
    if p.filename or FILE_FIELDS[p.name] then
      files[#files + 1] = p
    elseif p.name then
      put(fields, p.name, p.data)
      local base, sub = p.name:match("^([^%[]+)%[([^%]]*)%]$")
      if base and (sub == "" or sub:match("^%d+$")) then
        put(fields, base, p.data)
        if type(fields[base]) ~= "table" then fields[base] = array({ fields[base] }) end
      elseif base then
        if type(fields[base]) ~= "table" then fields[base] = {} end
        put(fields[base], sub, p.data)
      end
    end
  end
  return fields, files
end

local function header(rec, name)
  local v = rec.headers[name]
  if type(v) == "table" then v = v[1] end
  return v
end

-- Body fields and files, whatever the encoding the client chose.
local function body_input(rec)
  local ctype = (header(rec, "content-type") or ""):lower()
  if rec.parts then return M.form_fields(rec.parts) end
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

--- The handler context, or nil, error response when a required parameter
-- (per the operations table) is missing or the body cannot be read.
function M.context(op, params, rec)
  local ctx = { op = op, params = params, args = rec.args, rec = rec, fields = {}, files = {} }
  for _, name in ipairs(op.query_params) do
    local places = op.places[name]
    if op.required[name] and not places.body and not places.path and not present(rec.args[name]) then
      return nil, reply.missing(name)
    end
  end
  if op.body then
    local fields, files, err = body_input(rec)
    if err then return nil, err end
    ctx.fields, ctx.files = fields, files
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

-- Cursors are opaque to clients: base64 of the operation and the sort key
-- of the last item sent (keyset pagination, so writes between pages neither
-- repeat nor skip items).
local function encode_cursor(op, key) return ngx.encode_base64(op.id .. "\n" .. key) end

local function decode_cursor(op, s)
  local raw = type(s) == "string" and s ~= "" and ngx.decode_base64(s)
  if not raw then return nil end
  local id, key = raw:match("^([^\n]+)\n(.*)$")
  if id ~= op.id then return nil end
  return key
end

--- Sort key: newest first on `field`, ties broken by id.
function M.time_key(field)
  return function(o) return (o[field] ~= null and o[field] or "") .. "\1" .. o.id end
end

--- Answer one page `{object, items, cursor}` of `objects`, applying `limit`,
-- `cursor` and every filter of PARSE that the operation lists in its query
-- params. opts: `time` (field for before/after and default order,
-- "timestamp"), `key` (sort key function), `asc` (ascending key order).
function M.page(ctx, object, objects, opts)
  opts = opts or {}
  local op, args = ctx.op, ctx.args
  local max = op.max_limit or 250
  local limit = math.min(100, max)
  if args.limit ~= nil then
    local n = type(args.limit) == "string" and args.limit:match("^%d+$") and tonumber(args.limit)
    if not n or n < 1 or n > max then
      return reply.invalid("limit", string.format("must be an integer between 1 and %d", max))
    end
    limit = n
  end
  local tests = {}
  for _, name in ipairs(op.query_params) do
    if args[name] ~= nil and PARSE[name] then
      local v, why = PARSE[name](args[name])
      if v == nil then return reply.invalid(name, why) end
      tests[#tests + 1] = { MATCH[name], v }
    end
  end
  local from
  if args.cursor ~= nil then
    from = decode_cursor(op, args.cursor)
    if not from then return reply.invalid("cursor", "not a cursor returned by this list") end
  end
  local tf, asc = opts.time or "timestamp", opts.asc
  local key = opts.key or M.time_key(tf)
  local items = {}
  for _, o in ipairs(objects) do
    local k = key(o)
    local keep = not from or (asc and k > from) or (not asc and k < from)
    for _, t in ipairs(tests) do keep = keep and t[1](t[2], o, tf) end
    if keep then items[#items + 1] = { k, o } end
  end
  table.sort(items, function(a, b)
    if asc then return a[1] < b[1] end
    return a[1] > b[1]
  end)
  local out = array()
  for i = 1, math.min(limit, #items) do out[i] = items[i][2] end
  local cursor = #items > limit and encode_cursor(op, items[limit][1]) or null
  return reply.ok({ object = object, items = out, cursor = cursor })
end

---------------------------------------------------------------------------
-- Objects by id

local WHAT = { accounts = "Account", chats = "Chat", messages = "Message", attendees = "Attendee" }

--- The object `id` of collection `kind`, or nil, 404 response.
function M.fetch(kind, id)
  local o = state.get()[kind][id]
  if o then return o end
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

---------------------------------------------------------------------------
-- Posting messages (send, start chat, forward)

local EXT = { pdf = "application/pdf", png = "image/png", jpg = "image/jpeg", jpeg = "image/jpeg",
  gif = "image/gif", webp = "image/webp", mp4 = "video/mp4", mov = "video/quicktime",
  webm = "video/webm", ogg = "audio/ogg", mp3 = "audio/mpeg", m4a = "audio/mp4", wav = "audio/wav",
  txt = "text/plain", csv = "text/csv", json = "application/json", zip = "application/zip" }

local function mimetype_of(part)
  local ct = part.content_type
  if ct and ct ~= "" and ct ~= "application/octet-stream" then return ct end
  local ext = (part.filename or ""):match("%.(%w+)$")
  return ext and EXT[ext:lower()] or "application/octet-stream"
end

-- Attachment entry (and stored bytes) for an uploaded part.
local function upload(rng, part, message_id)
  local mimetype = mimetype_of(part)
  local kind = part.name == "voice_message" and "audio" or part.name == "video_message" and "video"
    or state.kind_of(mimetype)
  local att = state.new_attachment(rng:id(), kind, mimetype, part.filename or part.name or "attachment",
    #part.data, part.name == "voice_message")
  state.add_blob(att, message_id, part.data)
  return att
end

--- Post a message from the account's own attendee into `chat`. opts: `text`,
-- `files` (multipart parts), `copy` (attachments of a forwarded message),
-- `quote` (a Message), `subject`, `message_type`. Returns the message.
function M.post(chat, opts)
  local S = state.get()
  local rng = S.rng
  local msg = state.new_message(rng, chat, state.self_attendee(chat.account_id), opts.text, state.now_ms())
  for _, part in ipairs(opts.files or {}) do msg.attachments[#msg.attachments + 1] = upload(rng, part, msg.id) end
  for _, a in ipairs(opts.copy or {}) do
    local c = {}
    for k, v in pairs(a) do c[k] = v end
    c.id = rng:id()
    state.add_blob(c, msg.id, state.blob_data(a.id))
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
  return msg
end

return M
