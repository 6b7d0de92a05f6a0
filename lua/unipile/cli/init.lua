--- `unipile`, the command line: every operation of the table as
-- `unipile GROUP COMMAND [--param value ...]`, the raw `unipile api METHOD
-- PATH`, help and shell completions, all on the SDK (retries, pagination,
-- pacing, journal, dry run, debug). `bin/unipile` calls `main(arg)`.
-- @module unipile.cli
-- @local

local cjson = require "cjson"
local core = require "unipile.core"
local unipile = require "unipile"
local errors = require "unipile.errors"
local pager = require "unipile.pager"
local registry = require "unipile.operations"
local args = require "unipile.cli.args"
local config = require "unipile.cli.config"
local output = require "unipile.cli.output"
local progress = require "unipile.cli.progress"

local M = {}

--- Exit statuses: one table the help, the README and the specs read.
-- An error's kind picks its status, and for an `http` error its action
-- too (`row[4]`): what a script can try again later (a 429, a 5xx) is
-- told from what it must not.
M.EXIT = {
  { 0, "success" },
  { 1, "the API refused the call: fix it, skip it or stop (http)", { "http" } },
  { 2, "bad command line, params or configuration (usage)", { "usage" } },
  { 3, "no usable answer: network failure or timeout", { "network", "timeout" } },
  { 4, "an answer that could not be read (decode)", { "decode" } },
  { 5, "held back by the pacer or the journal, or their store failed", { "pace", "journal", "store" } },
  { 6, "an answer over a size cap (limit)", { "limit" } },
  { 7, "the API asked to try again later: 429, 5xx (http, action retry or wait)", { "http" }, { "retry", "wait" } },
  { 10, "a bug of the command line itself (please report it)" },
}
M.INTERNAL = 10
local BY_KIND, BY_ACTION = {}, {}
for _, row in ipairs(M.EXIT) do
  for _, kind in ipairs(row[3] or {}) do
    if row[4] then
      for _, action in ipairs(row[4]) do BY_ACTION[kind .. ":" .. action] = row[1] end
    else
      BY_KIND[kind] = row[1]
    end
  end
end

function M.exit_code(err)
  if not errors.is(err) then return M.INTERNAL end
  return BY_ACTION[err.kind .. ":" .. tostring(err.action)] or BY_KIND[err.kind] or M.INTERNAL
end

local function exit_lines()
  local lines = { "Exit status:" }
  for _, row in ipairs(M.EXIT) do lines[#lines + 1] = string.format("  %-3d %s", row[1], row[2]) end
  return table.concat(lines, "\n")
end

M.EPILOG = [[
Params: --name value (a list: repeat it; an object: JSON or --name.field value;
a file: @path; the whole body: --body JSON|@file.json). Output: JSON (indented
on a terminal), --format ndjson|csv|table, --fields id,attendees.0.name.
Configuration: UNIPILE_DSN and UNIPILE_API_KEY, or --profile NAME from
$XDG_CONFIG_HOME/unipile/config (dsn, key or key_command, account_id).

]]

-- The error as the caller sees it: one line, or its fields as JSON.
local function error_fields(err)
  local t = {}
  for k, v in pairs(err) do
    if type(v) ~= "function" and type(v) ~= "userdata" then t[k] = v end
  end
  return t
end

--- One line for an error: the SDK's words, without the caller's place
-- (a line of this module) or the "unipile" operation of our own errors.
function M.error_line(err)
  if not errors.is(err) then return ("internal error: " .. tostring(err)):gsub("[\r\n]+", " ") end
  local shown = error_fields(err)
  shown.at = nil
  if shown.operation == "unipile" then shown.operation = nil end
  local line = tostring(setmetatable(shown, getmetatable(err))):gsub("^unipile ", ""):gsub("[\r\n]+", " ")
  return line
end

local function report(io_, err, as_json, hint)
  if as_json and errors.is(err) then
    local fields = error_fields(err)
    fields.at = nil
    io_.err:write(output.json(fields), "\n")
  else
    io_.err:write("unipile: ", M.error_line(err), "\n")
  end
  if hint then io_.err:write(hint, "\n") end
  return M.exit_code(err)
end

local function usage_error(message, param)
  return errors.new { kind = "usage", operation = "unipile", message = message, param = param }
end

-- The client for a command's options.
local function client_for(o, conf)
  local opts = { dsn = conf.dsn, api_key = conf.api_key, dry_run = o.opt_dry_run or nil,
    debug = o.opt_debug and 1 or nil, timeout_ms = o.opt_timeout, retries = o.opt_retries,
    max_body_bytes = o.opt_max_body_bytes }
  local pace, journal = o.opt_pace or conf.pace, o.opt_journal or conf.journal
  if pace then opts.pacer = { store = pace, on_limit = "error" } end
  if journal then opts.journal = journal end
  if opts.dry_run and not opts.api_key then opts.api_key = "unset" end   -- shown as *** anyway
  return unipile.new(opts)
end

-- How results are written for a command: format, fields, pretty.
local function writer_for(o, io_, list)
  local fmt = o.opt_format or "json"
  return output.writer(fmt, io_.out, { fields = o.opt_fields, pretty = io_.out_tty, list = list }), fmt
end

-- The items of a one-page answer, for the line formats.
local function items_of(result, op)
  if op and op.paginated and type(result) == "table" then
    local items = pager.read(result, op.group .. ":" .. op.name, op)
    if items then return items end
  end
  if type(result) == "table" and result[1] ~= nil then return result end
  return { result }
end

local function write_result(o, io_, result, op)
  local w, fmt = writer_for(o, io_, false)
  if fmt == "json" then
    w.item(result)
  else
    for _, item in ipairs(items_of(result, op)) do w.item(item) end
  end
  w.finish()
end

-- Every page: items written as they come, progress counted. `text()`,
-- when given, is the bytes of the page just read, whose `list_key` holds
-- its items (for writers that copy them).
local function stream(o, io_, pages, meter, text, list_key)
  local w = writer_for(o, io_, true)
  local page = w.page
  for _, _, _, items in pages do
    if page then page(items, text and text(), list_key) else for i = 1, #items do w.item(items[i]) end end
    meter:add(1, #items)
  end
  w.finish()
end

-- The pages of an operation, and a function giving the bytes of the page
-- the iterator returned last (each page's request keeps them: keep_text).
local function pages_with_text(client, op, params, opts)
  opts.keep_text = true
  local start, first, info = client:paginate(op.id, params, opts)
  local last = {}
  local function start_keeping(p)
    local pending = start(p)
    return { wait = function()
      local page = pending:wait()
      last.text = pending.response.text
      return page
    end }
  end
  return pager.pages(start_keeping, first, info), function() return last.text end
end

-- Bytes as each request ends; a download to stdout counts its chunks as
-- they come instead (`meter.live`).
local function bytes_hook(client, meter)
  if not meter.on then return end   -- no hook: an unwatched client pays nothing
  client:on("attempt", function(e)
    if not meter.live then meter.bytes = meter.bytes + (e.bytes or 0) end
  end)
end

-- Where a binary answer goes: --output FILE, else stdout unless a terminal.
local function binary_output(o, io_, meter)
  if o.opt_output then return o.opt_output end
  if io_.out_tty then
    errors.usage("unipile", "a binary answer: give --output FILE or redirect stdout", "output")
  end
  meter.live = true
  return function(chunk)
    io_.out:write(chunk)
    meter:add(0, 0, #chunk)
  end
end

local function call_opts(o, op, meter, io_)
  local opts = { idempotency_key = o.opt_idempotency_key }
  if op.response == "binary" then opts.output = binary_output(o, io_, meter) end
  return opts
end

local function run_operation(op, o, dotted, io_)
  local where = "unipile " .. op.group .. " " .. args.dashed(op.name)
  local conf = config.resolve(o.opt_profile, io_.getenv)
  local params = args.params(op, o, dotted, where)
  if op.where.account_id and params.account_id == nil and conf.account_id then params.account_id = conf.account_id end
  local client = client_for(o, conf)
  local all = o.opt_all or o.opt_max_items
  -- long work only: every page, or a download
  local meter = progress.new(not o.opt_quiet and io_.err_tty and (all or op.response == "binary"), io_.err)
  bytes_hook(client, meter)
  if all and not op.paginated then errors.usage(where, "--all and --max-items go with paginated commands", "all") end
  if all and not o.opt_dry_run then
    local pages, text = pages_with_text(client, op, params, { max_items = o.opt_max_items })
    stream(o, io_, pages, meter, text, pager.SHAPES[op.page_shape].list)
  else
    local result = client:call(op.id, params, call_opts(o, op, meter, io_))
    if op.response ~= "binary" or o.opt_dry_run then write_result(o, io_, result, op) end
  end
  meter:done()
  client:close()
  return 0
end

-- `unipile api METHOD PATH`: the raw request, `--paginate` following the
-- cursors of any documented page shape.
local function api_command(parser)
  local cmd = parser:command("api"):summary("A raw request: unipile api GET /api/v1/chats --query limit=5.")
  cmd:argument("http_method", "GET, POST, PATCH, PUT or DELETE."):convert(string.upper)
  cmd:argument("path", "The API path, /api/v1/... or /...")
  cmd:option("--query", "A query parameter, name=value (repeat it)."):count("*"):target("query")
  cmd:option("--header", "A request header, 'Name: value' (repeat it)."):count("*"):target("header")
  cmd:flag("--paginate", "Follow the cursors; items stream as they come."):target("paginate")
  args.add_common(cmd, nil, {})
  return cmd
end

local function raw_spec(o)
  local spec = { method = o.http_method, path = o.path, query = {}, headers = {} }
  for _, kv in ipairs(o.query) do
    local k, v = kv:match("^([^=]+)=(.*)$")
    if not k then errors.usage("unipile api", "--query takes name=value", "query") end
    local prev = spec.query[k]
    if prev == nil then spec.query[k] = v
    elseif type(prev) == "table" then prev[#prev + 1] = v
    else spec.query[k] = { prev, v } end
  end
  for _, h in ipairs(o.header) do
    local name, value = h:match("^([^:]+):%s*(.*)$")
    if not name then errors.usage("unipile api", "--header takes 'Name: value'", "header") end
    spec.headers[#spec.headers + 1] = { name, value }
  end
  if o.opt_body then spec.json = args.json_value("unipile api", "body", o.opt_body) end
  if o.opt_output then spec.output = o.opt_output end
  return spec
end

local function run_api(o, io_)
  local client = client_for(o, config.resolve(o.opt_profile, io_.getenv))
  local meter = progress.new(not o.opt_quiet and io_.err_tty and (o.paginate or o.opt_output), io_.err)
  bytes_hook(client, meter)
  local spec = raw_spec(o)
  if o.paginate and not o.opt_dry_run then
    local function start(p)
      local s = {}
      for k, v in pairs(spec) do s[k] = v end
      s.query = {}
      for k, v in pairs(spec.query) do s.query[k] = v end
      s.query.cursor = p.cursor
      local pending = client:start_request(s)
      return { wait = function() return pending:wait().body end }
    end
    stream(o, io_, pager.pages(start, {}, { where = "unipile api" }), meter)
  else
    local r = client:request(spec)
    local body = o.opt_dry_run and r or r.body
    if type(body) == "string" then io_.out:write(body) elseif body ~= nil then write_result(o, io_, body) end
  end
  meter:done()
  client:close()
  return 0
end

local function completion(shell, io_)
  local parser = args.parser(nil, nil, true)
  local make = { bash = parser.get_bash_complete, zsh = parser.get_zsh_complete, fish = parser.get_fish_complete }
  if not make[shell] then return report(io_, usage_error("completion takes bash, zsh or fish", "shell")) end
  io_.out:write(make[shell](parser))
  return 0
end

-- `unipile sandbox start|stop|run ...`: unipile-sandbox's, from beside
-- this command or the PATH.
local function sandbox(argv, io_)
  local words = {}
  for i = 2, #argv do words[#words + 1] = "'" .. argv[i]:gsub("'", "'\\''") .. "'" end
  local here = io_.script and io_.script:match("^(.*)/[^/]*$")
  local exe = here and io.open(here .. "/unipile-sandbox") and (here .. "/unipile-sandbox") or "unipile-sandbox"
  local lua = jit and "luajit" or ("lua" .. _VERSION:match("%d+%.%d+"))
  local ok, how, code = os.execute(lua .. " " .. exe .. " " .. table.concat(words, " "))
  if type(ok) == "number" then return ok / 256 end   -- Lua 5.1
  return how == "exit" and code or 1
end

local function top_help(parser, out, status)
  parser:epilog(M.EPILOG .. exit_lines())
  out:write(parser:get_help(), "\n")
  return status
end

local function parse(parser, argv)
  local ok, o = parser:pparse(argv)
  if not ok then errors.raise(usage_error(o)) end
  return o
end

--- Run the command line `argv` (a list of words) with `io_` = { out, err
-- (files), out_tty, err_tty (whether they are terminals), getenv (the
-- environment: os.getenv or a stand-in), script (bin/unipile's path) };
-- returns the exit status.
function M.run(argv, io_)
  local first = argv[1]
  local group = registry.groups[first] and first
  local op = group and args.find(group, argv[2])
  local parser, built = args.parser(group, op)
  local api = api_command(parser)
  parser:command("completion"):summary("A completion script: unipile completion bash|zsh|fish.")
  parser:command("sandbox"):summary("The offline sandbox: unipile sandbox start|stop|run (unipile-sandbox).")
  if first == "--help" or first == "-h" or first == "help" then return top_help(parser, io_.out, 0) end
  if first == nil then return top_help(parser, io_.err, 2) end
  if first == "--version" then io_.out:write("unipile ", unipile.VERSION, "\n") return 0 end
  if first == "completion" then return completion(argv[2], io_) end
  if first == "sandbox" then return sandbox(argv, io_) end
  if group and argv[2] == nil then   -- `unipile chats`: its commands, as a mistake
    io_.err:write(built.groups[group]:get_help(), "\n")
    return report(io_, usage_error("give a command: unipile " .. group .. " COMMAND"))
  end
  local hint
  local ok, err = pcall(function()
    if first == "api" then
      hint = api:get_usage()
      return run_api(parse(parser, argv), io_)
    end
    if not group then errors.raise(usage_error("unknown command '" .. tostring(first) .. "'; see unipile --help")) end
    if not op then
      if argv[2]:sub(1, 1) ~= "-" then
        errors.raise(usage_error("unknown command '" .. group .. " " .. argv[2] .. "'; see unipile " .. group .. " --help"))
      end
      parse(parser, argv)   -- --help prints the group's commands
      errors.raise(usage_error("give a command; see unipile " .. group .. " --help"))
    end
    local rest, dotted = args.take_dotted(argv, op)
    hint = built.ops[op.id]:get_usage():gsub("^Usage: ", "usage: ")
    return run_operation(op, parse(parser, rest), dotted, io_)
  end)
  if ok then return err end
  return report(io_, err, M.wants_json(argv), errors.is(err) and err.kind == "usage" and hint or nil)
end

--- Whether the words ask for JSON output (`--format json`, or
-- `--output-format json` where a param shadows `--format`): errors
-- are then written as JSON too, even when the options did not parse.
function M.wants_json(argv)
  for i, w in ipairs(argv) do
    local opt, value = w:match("^(%-%-[%w-]+)=(.*)$")
    if not opt then opt, value = w, argv[i + 1] end
    if (opt == "--format" or opt == "--output-format") and value == "json" then return true end
  end
  return false
end

--- Entry point of bin/unipile: runs `argv` and exits with its status.
function M.main(argv)
  local list = {}
  for i = 1, #argv do list[i] = argv[i] end
  io.stdout:setvbuf("full")
  local code = M.run(list, { out = io.stdout, err = io.stderr, out_tty = core.isatty(1), err_tty = core.isatty(2),
    getenv = os.getenv, script = argv[0] })
  io.stdout:flush()
  os.exit(code)
end

M.json = cjson   -- for the specs' decoding
return M
