--- The command line's commands, from the operations table: a group per
-- resource (`chats`), a command per method (`send-message`), an option per
-- parameter (`--chat-id`), each converted by its type (lua/unipile/cli/facts.lua,
-- generated from the OpenAPI facts). Arrays repeat the option, objects take
-- JSON (or `--name.field value`, converted by the field's type), files
-- `@path`. The parser is lua-argparse; only the command being run gets its
-- options built (90 operations of up to 40 parameters each would cost a
-- start-up), except for the completion scripts, which need them all.
-- @module unipile.cli.args
-- @local

local argparse = require "argparse"
local cjson = require "cjson"
local errors = require "unipile.errors"
local registry = require "unipile.operations"
local facts = require "unipile.cli.facts"
local config = require "unipile.cli.config"

local unpack = table.unpack or unpack -- luacheck: ignore 113 143 (5.2+ has one, 5.1 and LuaJIT the other)

local M = {}

function M.dashed(name) return (name:gsub("_", "-")) end

--- The operation of `unipile GROUP COMMAND`, or nil.
function M.find(group, command)
  local methods = registry.groups[group]
  return methods and methods[command and command:gsub("-", "_")]
end

--- Every param of `op` once, in table order (path, query, body), with its
-- place and fact.
function M.params_of(op)
  local list, seen = {}, {}
  for _, key in ipairs { "path_params", "query_params", "body_fields" } do
    for _, name in ipairs(op[key]) do
      if not seen[name] then
        seen[name] = true
        list[#list + 1] = { name = name, place = op.where[name], fact = facts[op.id][name] or { t = "any" },
          required = op.required[name] == true, file = op.file_fields[name] or op.json_fields[name] and "json" }
      end
    end
  end
  return list
end

-- A type in words, for the help.
local function type_words(fact, file)
  if file == true or fact.file then return fact.t == "array" and "files (@path, repeat)" or "file (@path)" end
  if fact.t == "array" and fact.items and fact.items.t == "object" then
    return "JSON object, repeat (or one JSON list)"
  end
  if fact.t == "array" then return (fact.items and type_words(fact.items) or "value") .. ", repeat" end
  if fact.t == "object" then return "object (JSON, or --NAME.FIELD value)" end
  return fact.t
end
M.type_words = type_words

local function describe(p)
  local words = { (type_words(p.fact, p.file):gsub("NAME", M.dashed(p.name))), p.place }
  if p.required then words[#words + 1] = "required" end
  local enum = p.fact.enum or (p.fact.items and p.fact.items.enum)
  if enum then words[#words + 1] = "one of " .. table.concat(enum, ", ") end
  if p.fact.t == "object" and p.fact.props then
    local names = {}
    for name in pairs(p.fact.props) do names[#names + 1] = name end
    table.sort(names)
    words[#words + 1] = "fields " .. table.concat(names, ", ")
  end
  return table.concat(words, "; ")
end

-- The command's own names for the common options a param of its own
-- shadows (sendMail's `body` is the mail's text, createWebhook's `format`
-- the webhook's): the common option is then `--body-json` / `--output-format`.
M.SHADOWED = { body = "body-json", format = "output-format" }

--- The options every operation command has (see the README's table);
-- `fits(op)` says which commands have it (nil: all; no op: `unipile api`).
local function paginated(op) return op and op.paginated end
M.COMMON = {
  { "format", "Output format: json, ndjson, csv or table.", { choices = { "json", "ndjson", "csv", "table" } } },
  { "fields", "Columns to print: id,name,attendees.0.name." },
  { "all", "Follow every page; items stream as they come.", { flag = true, fits = paginated } },
  { "max-items", "Stop after this many items (implies --all).", { number = true, fits = paginated } },
  { "output", "Write the answer's bytes to this file (default: stdout when not a terminal).",
    { fits = function(op) return not op or op.response == "binary" end } },
  { "body", "The whole body as JSON, or @file.json; params given as options override its fields.",
    { fits = function(op) return not op or op.body ~= nil end } },
  { "idempotency-key", "Idempotency-Key header: a retry cannot send twice.",
    { fits = function(op) return op and op.idempotency end } },
  { "profile", "The profile of the config file to use." },
  { "dry-run", "Print the request that would be sent; send nothing.", { flag = true } },
  { "debug", "Debug lines on stderr (UNIPILE_DEBUG=1), the key never shown.", { flag = true } },
  { "pace", "Pace sending actions with this store (a file path or redis://...); one over the limits exits 5." },
  { "journal", "Journal sending calls in this store (a file path or redis://...): none goes out twice." },
  { "timeout", "Whole-request timeout in milliseconds.", { number = true } },
  { "retries", "Retries of a retryable failure.", { number = true } },
  { "max-body-bytes", "The largest answer kept in memory, in bytes (more: exit 6).", { number = true } },
  { "quiet", "No progress on stderr.", { flag = true } },
}

--- Add the common options that fit `op` to `cmd`, in a group of their
-- own; `taken` holds the command's param options (dashed names).
function M.add_common(cmd, op, taken)
  local added = {}
  for _, c in ipairs(M.COMMON) do
    local name, help, how = c[1], c[2], c[3] or {}
    local shown = taken[name] and M.SHADOWED[name] or name
    if not taken[shown] and (not how.fits or how.fits(op)) then
      local target = "opt_" .. name:gsub("-", "_")
      local o
      if how.flag then
        o = cmd:flag("--" .. shown, help):target(target)
      else
        o = cmd:option("--" .. shown, help):target(target):argname("<" .. name:match("[^-]+") .. ">")
        if how.choices then o:choices(how.choices) end
        if how.number then o:convert(tonumber) end
      end
      added[#added + 1] = o
    end
  end
  cmd:group("Options", unpack(added))
end

local function argname(p)
  if p.file == true or p.fact.file or (p.fact.items and p.fact.items.file) then return "<@path>" end
  local t = p.fact.t == "array" and (p.fact.items and p.fact.items.t or "string") or p.fact.t
  return "<" .. (t == "object" and "json" or t) .. ">"
end

--- Add `op`'s command to `group_cmd` (an argparse command), with its
-- options when `full`. Returns the command.
function M.command(group_cmd, op, full)
  local cmd = group_cmd:command(M.dashed(op.name)):summary(op.title)
  if not full then return cmd end
  cmd:description(op.title .. ".\n" .. op.method .. " " .. op.path
    .. (op.paginated and "\nPaginated: --all follows every page, --max-items N stops after N items." or ""))
  local taken, own = {}, {}
  for _, p in ipairs(M.params_of(op)) do
    local dashed = M.dashed(p.name)
    taken[dashed] = true
    local o = cmd:option("--" .. dashed, describe(p)):target("p_" .. p.name):argname(argname(p))
    if p.fact.t == "array" then o:count("*") end
    local enum = p.fact.enum or (p.fact.t == "array" and p.fact.items and p.fact.items.enum)
    if enum then o:choices(enum) end
    own[#own + 1] = o
  end
  if #own > 0 then cmd:group("Parameters", unpack(own)) end
  M.add_common(cmd, op, taken)
  return cmd
end

--- The root parser, with every group as a command; `group` (and
-- `op` in it) built in full, or everything when `all` (completions).
-- Also returns the commands built: `{ groups = name → command, ops =
-- operation id → command }`.
function M.parser(group, op, all)
  local parser = argparse("unipile", "Every Unipile API operation from the shell.")
    :command_target("command"):require_command(false)
  parser:flag("--version", "Print the version and exit.")
  local built = { groups = {}, ops = {} }
  for _, name in ipairs(registry.group_order) do
    local n = M.count(name)
    local g = parser:command(name):summary(("%d operation%s"):format(n, n == 1 and "" or "s")):command_target("method")
    built.groups[name] = g
    if all or name == group then
      for _, o in ipairs(registry.list) do
        if o.group == name then built.ops[o.id] = M.command(g, o, all or o == op) end
      end
    end
  end
  return parser, built
end

function M.count(group)
  local n = 0
  for _ in pairs(registry.groups[group]) do n = n + 1 end
  return n
end

-- Values: text → the param's type.

local TRUE = { ["true"] = true, yes = true, ["1"] = true, on = true }
local FALSE = { ["false"] = true, no = true, ["0"] = true, off = true }

local function read_at(where, name, text)
  local path = text:sub(2)
  local data = config.read_file(path)
  if not data then errors.usage(where, "cannot read '" .. path .. "' for --" .. M.dashed(name), name) end
  return data
end

local function json_value(where, name, text)
  if text:sub(1, 1) == "@" then text = read_at(where, name, text) end
  local ok, v = pcall(cjson.decode, text)
  if not ok then errors.usage(where, "--" .. M.dashed(name) .. " takes JSON (or @file.json)", name) end
  return v
end
M.json_value = json_value

local CONVERT = {}
function CONVERT.boolean(where, name, text)
  local t = text:lower()
  if TRUE[t] then return true elseif FALSE[t] then return false end
  errors.usage(where, "--" .. M.dashed(name) .. " takes true or false", name)
end
function CONVERT.number(where, name, text)
  local n = tonumber(text)
  if not n then errors.usage(where, "--" .. M.dashed(name) .. " takes a number", name) end
  return n
end
function CONVERT.integer(where, name, text)
  local n = tonumber(text)
  if not n or n ~= math.floor(n) then errors.usage(where, "--" .. M.dashed(name) .. " takes an integer", name) end
  local to_integer = math.tointeger -- luacheck: ignore 143 (5.3+: 10, not 10.0, in the JSON)
  return to_integer and to_integer(n) or n
end
CONVERT.object = json_value
function CONVERT.string(_, _, text) return text end
CONVERT.any = CONVERT.string

--- One value of a param (an item, for an array) from its text.
local function convert(where, name, fact, file, text)
  if file == true or fact.file then return (text:gsub("^@", "")) end   -- a path: the SDK uploads it
  if file == "json" then return json_value(where, name, text) end
  if fact.t == "object" or (fact.t == "any" and text:match("^[%[{]")) then return json_value(where, name, text) end
  local to = CONVERT[fact.t] or CONVERT.string
  return to(where, name, text)   -- (may be false: no `and`/`or` here)
end

local function convert_param(where, p, given)
  if p.fact.t ~= "array" then return convert(where, p.name, p.fact, p.file, given) end
  local item = p.fact.items or { t = "string" }
  local list = {}
  for _, text in ipairs(given) do
    local v = convert(where, p.name, item, p.file, text)
    -- `--to '[{...},{...}]'`: a JSON list of objects at once
    if type(v) == "table" and v[1] ~= nil and item.t == "object" then
      for _, x in ipairs(v) do list[#list + 1] = x end
    else
      list[#list + 1] = v
    end
  end
  return list
end

--- `--name.field.sub value` words (a field of an object param) taken out
-- of `argv`: returns the rest and the assignments `{ param, path, text }`.
function M.take_dotted(argv, op)
  local rest, dotted = {}, {}
  local i = 1
  while i <= #argv do
    local word = argv[i]
    local head, tail = word:match("^%-%-([%w-]+)%.([%w_.-]+)$")
    local name = head and head:gsub("-", "_")
    if name and op.where[name] then
      local path = {}
      for k in tail:gmatch("[^.]+") do path[#path + 1] = k end
      dotted[#dotted + 1] = { param = name, path = path, text = argv[i + 1] }
      i = i + 2
    else
      rest[#rest + 1] = word
      i = i + 1
    end
  end
  return rest, dotted
end

local function field_fact(fact, path)
  for _, k in ipairs(path) do
    fact = fact and fact.props and fact.props[k]
  end
  return fact or { t = "any" }
end

local function set_dotted(where, op, params, d)
  local fact = facts[op.id][d.param] or { t = "any" }
  if d.text == nil then
    errors.usage(where, "--" .. M.dashed(d.param) .. "." .. table.concat(d.path, ".") .. " needs a value", d.param)
  end
  local t = params[d.param]
  if t == nil then t = {} params[d.param] = t end
  if type(t) ~= "table" then errors.usage(where, "--" .. M.dashed(d.param) .. " is given both whole and by fields", d.param) end
  for i = 1, #d.path - 1 do
    local k = d.path[i]
    t[k] = t[k] or {}
    t = t[k]
  end
  local f = field_fact(fact, d.path)
  local text = d.text
  if f.t == "any" then   -- a field the schema does not know: JSON literals as such
    local ok, v = pcall(cjson.decode, text)
    if ok and type(v) ~= "table" and v ~= cjson.null then t[d.path[#d.path]] = v return end
  end
  t[d.path[#d.path]] = convert(where, d.param, f, f.file, text)
end

--- The params of `op` from the parsed options (and `--body`'s JSON,
-- whose fields the options override).
function M.params(op, parsed, dotted, where)
  local params = {}
  local body = parsed.opt_body
  if body then
    local v = json_value(where, "body", body)
    if type(v) ~= "table" then errors.usage(where, "--body takes a JSON object", "body") end
    for k, x in pairs(v) do params[k] = x end
  end
  for _, p in ipairs(M.params_of(op)) do
    local given = parsed["p_" .. p.name]
    if given ~= nil and not (type(given) == "table" and #given == 0) then
      params[p.name] = convert_param(where, p, given)
    end
  end
  for _, d in ipairs(dotted) do set_dotted(where, op, params, d) end
  return params
end

return M
