--- Cursor pagination for every documented page shape.
-- The row of a paginated operation names its page shape (`page_shape`,
-- api/operations.tsv); `M.SHAPES` says where each keeps its list and its
-- cursor: `items` + `cursor` (also with `paging{...}` beside it), the
-- cursor inside `paging` (post reactions), `data` + `next_cursor`
-- (calendars). The cursor is threaded from page to page until it is null,
-- absent or empty; a cursor the server already gave raises instead of
-- looping forever. Iterators are plain closures and raise on error, so a
-- `for` loop never stops silently.
-- @module unipile.pager

local cjson = require "cjson"
local errors = require "unipile.errors"

local M = {}
local null = cjson.null

local function usable(cursor)
  if cursor == nil or cursor == null or cursor == "" then return nil end
  return cursor
end

-- A server that keeps sending cursors with empty pages is stopped after
-- this many empty pages in a row.
M.MAX_EMPTY_PAGES = 10

-- A JSON array as the decoder makes it: keys 1..#t and nothing after
-- them. Constant time (a page's list is checked on every page): tables
-- walk their array part before their hash part, so whatever key follows
-- the border #t is a key no array has.
local function is_list(t)
  if type(t) ~= "table" then return false end
  local n = #t
  if n == 0 then return next(t) == nil end
  return next(t, n) == nil
end

local function decode_error(where, message, fields)
  fields = fields or {}
  fields.kind, fields.operation, fields.message = "decode", where, message
  return errors.new(fields)
end

-- Page shape name (the row's `page_shape`) → the field holding the list
-- and the path to the cursor.
local TOP_CURSOR = { list = "items", cursor = { "cursor" } }
M.SHAPES = {
  items_cursor = TOP_CURSOR,       -- {object, items, cursor}
  paging_count = TOP_CURSOR,       -- + paging{page_count}
  paging_total = TOP_CURSOR,       -- + paging{page_count, total_count}
  paging_comments = TOP_CURSOR,    -- + total_items, paging{start, page_count, total_count}
  paging_search = TOP_CURSOR,      -- + paging{start, page_count, total_count}, config, metadata
  cursor_in_paging = { list = "items", cursor = { "paging", "cursor" } },
  data_next_cursor = { list = "data", cursor = { "next_cursor" } },
}

local function dig(t, path)
  for _, k in ipairs(path) do
    if type(t) ~= "table" then return nil end
    t = t[k]
  end
  return t
end

-- The field holding the list: the shape's; without one (a caller that
-- names no operation), `items`, else `data`.
local function list_field(page, shape)
  if shape then return shape.list end
  if page.items == nil or page.items == null then return "data" end
  return "items"
end

-- The next cursor: the shape's; without one, the first usable of `cursor`,
-- `next_cursor`, `paging.cursor`.
local function cursor_of(page, shape)
  if shape then return usable(dig(page, shape.cursor)) end
  local cursor = usable(page.cursor) or usable(page.next_cursor)
  if not cursor and type(page.paging) == "table" then cursor = usable(page.paging.cursor) end
  return cursor
end

--- The items and the next cursor of one page; nil and a decode error when
-- the answer is not a page (not an object, or its list missing or not a
-- list). `op` (optional) is the operation record: its `page_shape` says
-- where the list and the cursor are, and a page of another shape is a
-- decode error; without it, any documented shape is read.
function M.read(page, where, op)
  if type(page) ~= "table" or (next(page) ~= nil and is_list(page)) then
    return nil, decode_error(where, "the answer is not a page object (got " .. type(page) .. ")")
  end
  local shape = op and M.SHAPES[op.page_shape]
  if op and not shape then
    return nil, decode_error(where, "the operation has no known page shape (" .. tostring(op.page_shape) .. ")")
  end
  local field = list_field(page, shape)
  local items = page[field]
  if not is_list(items) then
    if not shape then field = "items" end
    local got = items == nil and "no " .. field or (items == null and "null " .. field) or type(items) .. " " .. field
    return nil, decode_error(where, "the page has no list of items (" .. got .. ")")
  end
  return items, cursor_of(page, shape)
end

-- One comparable key per cursor value, whatever its JSON type: a cursor
-- that is an object or array is compared by content, keys sorted.
local function cursor_key(v)
  local t = type(v)
  if t ~= "table" then return t .. ":" .. tostring(v) end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  local parts = {}
  for i, k in ipairs(keys) do parts[i] = cursor_key(k) .. "=" .. cursor_key(v[k]) end
  return "{" .. table.concat(parts, ",") .. "}"
end

local function copy(t)
  local c = {}
  for k, v in pairs(t or {}) do c[k] = v end
  return c
end

local function take(page, items, n, op)
  local kept = {}
  for i = 1, n do kept[i] = items[i] end
  local trimmed = copy(page)
  trimmed[list_field(page, op and M.SHAPES[op.page_shape])] = kept
  return trimmed, kept
end

local function with_cursor(params, cursor)
  local p = copy(params)
  p.cursor = cursor
  return p
end

-- Why a walk stops after handing over a page: its next cursor was already
-- seen, or too many empty pages came in a row.
local function stop_walk(where, why, cursor, empty)
  if why == "repeated" then
    error(decode_error(where,
      "the server sent a cursor it had already sent; stopping to avoid an endless loop",
      { type = "unipile/repeated_cursor", cursor = cursor }), 0)
  end
  error(decode_error(where, string.format(
    "%d empty pages in a row, each with a new cursor; stopping to avoid an endless loop", empty),
    { type = "unipile/empty_pages", cursor = cursor }), 0)
end

--- Page iterator: `for page, next_cursor, cursor in M.pages(start, params, info) do`.
-- `start(params)` sends the request for one page and returns a pending
-- request whose `:wait()` gives the decoded page; `params.cursor` starts
-- from a saved cursor; `info.max_items` caps the total number of items;
-- `info.prefetch` asks for page N+1 as soon as page N has arrived (one page
-- ahead, never more); `info.where` names the operation in errors;
-- `info.op` is its record, whose `page_shape` the pages are read by (see
-- `M.read`: without it, any documented shape). Each
-- step returns the page, the cursor of the next page (nil on the last), the
-- cursor that fetched this page, and the page's list of items.
-- A plain closure, not a coroutine: `pending:wait()` runs in the caller's
-- own coroutine, so inside `unipile.run` it yields to the scheduler as any
-- call does, and the previous page is not held by a suspended stack while
-- the next one is decoded (the garbage collector frees it young).
function M.pages(start, params, info)
  params = copy(params)
  local max_items, where = info.max_items, info.where
  local cursor = usable(params.cursor)  -- the cursor of the page asked for next
  local seen, count, empty = {}, 0, 0
  if cursor then seen[cursor_key(cursor)] = true end
  -- that page's request once sent, in a field (see M.each: not an upvalue)
  local ahead = { pending = nil }
  local state = "more"                   -- more | repeated | endless (stop before the next page) | done
  return function()
    local why = state
    state = "done"                       -- whatever raises below ends the walk
    if why == "done" then return nil end
    if why ~= "more" then stop_walk(where, why, cursor, empty) end
    local this = cursor
    local pending = ahead.pending or start(with_cursor(params, cursor))
    ahead.pending = nil
    local page = pending:wait()
    local items, next_cursor = M.read(page, where, info.op)
    if not items then errors.raise(next_cursor) end
    if max_items and count + #items >= max_items then
      page, items = take(page, items, max_items - count, info.op)
      next_cursor = nil
    end
    count = count + #items
    empty = #items == 0 and empty + 1 or 0
    local key = next_cursor and cursor_key(next_cursor)
    cursor = next_cursor
    if not next_cursor then
      state = "done"
    elseif seen[key] then
      state = "repeated"
    elseif empty >= M.MAX_EMPTY_PAGES then
      state = "endless"
    else
      seen[key] = true
      state = "more"
      if info.prefetch then ahead.pending = start(with_cursor(params, next_cursor)) end
    end
    return page, next_cursor, this, items
  end
end

--- Item iterator over `M.pages`: `for item in M.each(start, params, info) do`.
function M.each(start, params, info)
  local pages = M.pages(start, params, info)
  local at, i, done = { items = {} }, 0, false
  -- A plain closure over the page iterator, indexing the current page.
  -- The page is kept in a table field, not an upvalue: Lua 5.4's
  -- generational collector ages what an upvalue of this long-lived
  -- closure is given at once (a forward barrier), so every page would
  -- die old and wait for a major collection; a field only marks the page
  -- young, and it is freed by the minor collection after it is done.
  return function()
    while not done do
      i = i + 1
      local item = at.items[i]
      if item ~= nil then return item end
      -- the page is done: not kept while the next is fetched (and a raise
      -- below ends the walk)
      at.items, done = nil, true
      local page, _, _, list = pages()
      if page ~= nil then at.items, i, done = list, 0, false end
    end
  end
end

return M
