--- What the command line prints: values as JSON (keys sorted; indented on
-- a terminal, one line in a pipe), NDJSON, CSV or an aligned table, with
-- `--fields` picking columns by path (`id,name,attendees.0.name`: a number
-- is a 0-based index into a list). A writer takes items one at a time, so
-- `--all` streams in constant memory. NDJSON of whole pages (no
-- `--fields`) copies each item from the page's bytes instead (the API's
-- key order, minified), which is what lets `--all` keep up with `each`.
-- @module unipile.cli.output
-- @local

local cjson = require "cjson"
local core = require "unipile.core"

local M = {}

M.FORMATS = { "json", "ndjson", "csv", "table" }

local null = cjson.null
local cjson_encode = cjson.encode
local find = string.find

-- lua-cjson 2.1.0 writes "/" as "\/" (valid JSON, but not what jq or a
-- reader expects to see in URLs and paths): the escape pairs are read
-- left to right, so an escaped backslash before a slash stays as it is.
local function unslash(c) if c == "/" then return "/" end end
local function encode_scalar(v)
  local s = cjson_encode(v)
  if find(s, "\\/", 1, true) then s = s:gsub("\\(.)", unslash) end
  return s
end
local concat, sort, format, floor = table.concat, table.sort, string.format, math.floor

local function is_array(t)
  local n = #t
  if n == 0 then return false end
  return next(t, n) == nil
end

local function number_text(v)
  if v == floor(v) and v > -2 ^ 53 and v < 2 ^ 53 then return format("%d", v) end
  return encode_scalar(v)
end

-- Appends the JSON text of `v` to `buf`; `indent` nil = one line.
local function put(buf, v, indent, depth)
  local t = type(v)
  if t == "string" then buf[#buf + 1] = encode_scalar(v)
  elseif t == "number" then buf[#buf + 1] = number_text(v)
  elseif t == "boolean" then buf[#buf + 1] = v and "true" or "false"
  elseif t ~= "table" or v == null then buf[#buf + 1] = "null"
  elseif next(v) == nil then buf[#buf + 1] = "[]"   -- an empty list or object: the decoder keeps no difference
  else
    local nl = indent and ("\n" .. indent:rep(depth + 1)) or nil
    local sep = nl and ("," .. nl) or ","
    if is_array(v) then
      buf[#buf + 1] = nl and ("[" .. nl) or "["
      for i = 1, #v do
        if i > 1 then buf[#buf + 1] = sep end
        put(buf, v[i], indent, depth + 1)
      end
      buf[#buf + 1] = nl and ("\n" .. indent:rep(depth) .. "]") or "]"
    else
      local keys = {}
      for k in pairs(v) do keys[#keys + 1] = tostring(k) end
      sort(keys)
      buf[#buf + 1] = nl and ("{" .. nl) or "{"
      local colon = nl and ": " or ":"
      for i, k in ipairs(keys) do
        if i > 1 then buf[#buf + 1] = sep end
        buf[#buf + 1] = encode_scalar(k) .. colon
        local x = v[k]
        if x == nil then x = v[tonumber(k)] end
        put(buf, x, indent, depth + 1)
      end
      buf[#buf + 1] = nl and ("\n" .. indent:rep(depth) .. "}") or "}"
    end
  end
  return buf
end

-- One-line JSON, the hot path of `--all` (every item of every page): the
-- same text as `put` without indent, with fewer allocations: a buffer kept
-- from call to call, keys' `"name":` texts remembered (the API's key set
-- is small; capped, so hostile keys cannot grow it), the order of a key
-- set sorted once (`sorted_keys`).
local SMALL = {}   -- the flags and counts of the API's objects: 0, 1, ...
for i = -1, 255 do SMALL[i] = tostring(i) end
local KEY_TEXT, key_texts = {}, 0
local function key_text(k)
  local s = KEY_TEXT[k]
  if s then return s end
  s = encode_scalar(k) .. ":"
  if key_texts < 4096 then KEY_TEXT[k], key_texts = s, key_texts + 1 end
  return s
end

-- The sorted keys of an object. Items of a page share their key sets:
-- the last sorted list seen for (first key, key count) is used again when
-- it holds exactly the object's keys (same count, each one present), else
-- the keys are sorted afresh.
local SHAPES, shapes = {}, 0
local function sorted_keys(v)
  local m = 0
  for _ in pairs(v) do m = m + 1 end
  local first = next(v)
  local by_count = SHAPES[first]
  local keys = by_count and by_count[m]
  if keys then
    local fits = true
    for i = 1, m do
      if v[keys[i]] == nil then fits = false break end
    end
    if fits then return keys, m, false end
  end
  local odd = false
  keys = {}
  m = 0
  for k in pairs(v) do
    m = m + 1
    keys[m] = k
    if type(k) ~= "string" then odd = true end
  end
  if odd then
    for i = 1, m do keys[i] = tostring(keys[i]) end
  end
  sort(keys)
  if not odd and shapes < 1024 then
    if not by_count then by_count = {} SHAPES[first] = by_count end
    if not by_count[m] then shapes = shapes + 1 end
    by_count[m] = keys
  end
  return keys, m, odd
end

local function put_line(buf, n, v)
  local t = type(v)
  if t == "string" then
    n = n + 1
    buf[n] = encode_scalar(v)
  elseif t == "number" then
    n = n + 1
    buf[n] = SMALL[v] or number_text(v)
  elseif t == "boolean" then
    n = n + 1
    buf[n] = v and "true" or "false"
  elseif t ~= "table" or v == null or next(v) == nil then
    n = n + 1
    buf[n] = t == "table" and v ~= null and "[]" or "null"
  elseif is_array(v) then
    n = n + 1
    buf[n] = "["
    for i = 1, #v do
      if i > 1 then n = n + 1 buf[n] = "," end
      n = put_line(buf, n, v[i])
    end
    n = n + 1
    buf[n] = "]"
  else
    local keys, m, odd = sorted_keys(v)
    for i = 1, m do
      local k = keys[i]
      buf[n + 1], buf[n + 2] = i == 1 and "{" or ",", key_text(k)
      n = n + 2
      local x = v[k]
      if x == nil and odd then x = v[tonumber(k)] end
      n = put_line(buf, n, x)
    end
    n = n + 1
    buf[n] = "}"
  end
  return n
end

local LINE = {}

--- One page of items as NDJSON lines, in one string (one write a page).
local PAGE = {}
function M.lines(items)
  local n = 0
  for i = 1, #items do
    n = put_line(PAGE, n, items[i]) + 1
    PAGE[n] = "\n"
  end
  local s = concat(PAGE, "", 1, n)
  if n > 262144 then PAGE = {} end
  return s
end

--- The JSON text of `v`, keys sorted; `pretty`: indented by two spaces.
function M.json(v, pretty)
  if pretty then return concat(put({}, v, "  ", 0)) end
  local n = put_line(LINE, 0, v)
  local s = concat(LINE, "", 1, n)
  if n > 1024 then LINE = {} end   -- a huge value's buffer is not kept
  return s
end

--- The value at `path` (a list of keys) in `v`.
local function dig(v, path)
  for _, k in ipairs(path) do
    if type(v) ~= "table" then return nil end
    local i = tonumber(k)
    if i and is_array(v) then v = v[i + 1] else v = v[k] end
  end
  return v
end

--- `"id,name,attendees.0.name"` → columns `{ name =, path = }`.
function M.parse_fields(spec)
  local cols = {}
  for name in spec:gmatch("[^,]+") do
    local path = {}
    for k in name:gmatch("[^.]+") do path[#path + 1] = k end
    cols[#cols + 1] = { name = name, path = path }
  end
  return cols
end

-- The columns when none were asked for: the first item's top-level keys.
local function columns_of(item)
  local names = {}
  if type(item) == "table" then for k in pairs(item) do names[#names + 1] = tostring(k) end end
  sort(names)
  return M.parse_fields(concat(names, ","))
end

-- A cell's text: strings as they are, the rest as one-line JSON.
local function cell(v)
  if v == nil or v == null then return "" end
  if type(v) == "string" then return v end
  return M.json(v)
end

local function csv_cell(s)
  if s:find('[,"\r\n]') then return '"' .. s:gsub('"', '""') .. '"' end
  return s
end

local function row_of(cols, item, quote)
  local cells = {}
  for i, c in ipairs(cols) do
    local s = cell(dig(item, c.path))
    cells[i] = quote and quote(s) or s
  end
  return cells
end

-- Pick `cols` out of an item as an object (json and ndjson with --fields).
local function picked(cols, item)
  local out = {}
  for _, c in ipairs(cols) do
    local v = dig(item, c.path)
    if v ~= nil then out[c.name] = v end
  end
  return out
end

local TABLE_SAMPLE = 100      -- rows read before the table's widths are fixed
local TABLE_MAX_WIDTH = 40

local function fit(s, width)
  s = s:gsub("[%c]", " ")
  if #s > width then return s:sub(1, width - 1) .. "~" end
  return s .. (" "):rep(width - #s)
end

-- The writers: `item(v)` for each item (or `page(items)` when they have
-- one: a page at once), `finish()` at the end.
local WRITERS = {}

function WRITERS.json(out, cols, pretty, list)
  local n = 0
  return {
    item = function(v)
      if cols then v = picked(cols, v) end
      if not list then out:write(M.json(v, pretty), "\n") return end
      out:write(n == 0 and "[" or ",", pretty and "\n  " or "", M.json(v, false))
      n = n + 1
    end,
    finish = function()
      if list then out:write(n == 0 and "[" or (pretty and "\n" or ""), "]\n") end
    end,
  }
end

-- A page's items as lines: copied from the page's own bytes when its text
-- came along and frames them all (core.json_lines: the API's key order and
-- escapes, minified), else encoded from the decoded items.
local function page_lines(items, text, list_key)
  if text and list_key then
    local lines, n = core.json_lines(text, list_key)
    if n == #items then return lines end
  end
  return M.lines(items)
end

function WRITERS.ndjson(out, cols)
  return {
    item = function(v) out:write(M.json(cols and picked(cols, v) or v), "\n") end,
    page = not cols and function(items, text, list_key) out:write(page_lines(items, text, list_key)) end or nil,
    finish = function() end,
  }
end

function WRITERS.csv(out, cols)
  local started = false
  return {
    item = function(v)
      if not started then
        started = true
        cols = cols or columns_of(v)
        local names = {}
        for i, c in ipairs(cols) do names[i] = csv_cell(c.name) end
        out:write(concat(names, ","), "\r\n")
      end
      out:write(concat(row_of(cols, v, csv_cell), ","), "\r\n")
    end,
    finish = function() end,
  }
end

function WRITERS.table(out, cols)
  local sample, widths = {}, nil
  local function line(cells)
    local parts = {}
    for i, s in ipairs(cells) do parts[i] = fit(s, widths[i]) end
    out:write((concat(parts, "  "):gsub("%s+$", "")), "\n")
  end
  local function fix()
    widths = {}
    local names = {}
    for i, c in ipairs(cols or {}) do names[i] = c.name widths[i] = #c.name end
    for _, cells in ipairs(sample) do
      for i, s in ipairs(cells) do widths[i] = math.min(TABLE_MAX_WIDTH, math.max(widths[i], #s)) end
    end
    line(names)
    for _, cells in ipairs(sample) do line(cells) end
    sample = nil
  end
  return {
    item = function(v)
      cols = cols or columns_of(v)
      local cells = row_of(cols, v)
      if widths then return line(cells) end
      sample[#sample + 1] = cells
      if #sample >= TABLE_SAMPLE then fix() end
    end,
    finish = function() if not widths and cols then fix() end end,
  }
end

--- A writer of `format` onto `out`: `opts.fields` (a spec string),
-- `opts.pretty`, `opts.list` (json: the items form one array).
function M.writer(format_name, out, opts)
  local cols = opts.fields and M.parse_fields(opts.fields) or nil
  return WRITERS[format_name](out, cols, opts.pretty, opts.list)
end

return M
