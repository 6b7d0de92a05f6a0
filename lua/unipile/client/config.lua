--- Client configuration: the options of `unipile.new` checked and resolved
-- into the settings a client keeps (base URL, limits, TLS) and the options
-- of its curl multi handle (user agent, default headers with the key).
-- @module unipile.client.config
-- @local

local core = require "unipile.core"
local errors = require "unipile.errors"
local check = require "unipile.client.check"
local watch = require "unipile.client.watch"

local M = {}

M.VERSION = core._VERSION       -- one version string: CMakeLists.txt's project()
M.API_PREFIX = "/api/v1"

--- The limits every request of a client gets unless the call says
-- otherwise: the C core's own (`core.defaults`, one table in transfer.c):
-- `timeout_ms` (the whole call, retries and waits included),
-- `connect_timeout_ms`, `low_speed_limit` bytes/s for `low_speed_time_ms`
-- (below it a transfer is a timeout: long downloads), `retries`,
-- `backoff_ms`, `backoff_max_ms`, `retry_after_max_ms`, `max_body_bytes`
-- (any answer held in memory, after decompression).
M.DEFAULTS = {}
for k, v in pairs(core.defaults) do M.DEFAULTS[k] = v end

-- The options of `unipile.new` besides the DEFAULTS keys, with their checks.
local NEW_OPTS = {
  dsn = check.text, base_url = check.text, api_key = check.text,
  verify = check.boolean, ca_file = check.text, proxy = check.text,
  user_agent = check.text, headers = check.table, seed = check.number,
  dry_run = check.boolean, hooks = watch.NEW_OPTS.hooks, debug = watch.NEW_OPTS.debug,
  pacer = check.table, journal = check.any,      -- unipile.pacer, unipile.journal
}
for name in pairs(M.DEFAULTS) do NEW_OPTS[name] = check.NUMBER_OPTS[name] end

--- Resolve the base URL: `host:port` or a URL; no path → `/api/v1`
-- appended; a path (`/api/v1`, `/v1`, ...) is used as given.
function M.parse_base(dsn)
  if type(dsn) ~= "string" or dsn == "" then
    return nil, "missing dsn (pass dsn = 'https://api1.unipile.com:13111' or set UNIPILE_DSN)"
  end
  local url = dsn
  if not url:find("^%a[%w+.-]*://") then url = "https://" .. url end
  local parts, err = core.parse_url(url)
  if not parts then return nil, "malformed dsn '" .. dsn .. "': " .. tostring(err) end
  if parts.query and parts.query ~= "" then return nil, "malformed dsn '" .. dsn .. "': no query allowed" end
  local origin = parts.scheme .. "://" .. parts.host .. (parts.port and (":" .. parts.port) or "")
  local prefix = parts.path ~= "" and parts.path or M.API_PREFIX
  return { origin = origin, prefix = prefix, url = origin .. prefix }
end

function M.user_agent(extra)
  local lua = jit and jit.version or _VERSION
  local ua = string.format("lua-unipile/%s libcurl/%s %s", M.VERSION, core.version().curl, lua)
  if extra then ua = ua .. " " .. extra end
  return ua
end

--- Check `opts` (every option known and of the right type) and resolve
-- them: returns the client's settings and the options of its multi handle.
-- The key goes into the multi's default headers and nowhere else.
function M.resolve(opts)
  opts = opts or {}
  if type(opts) ~= "table" then errors.usage("unipile.new", "options must be a table", "opts") end
  check.options("unipile.new", opts, NEW_OPTS, "option")
  local base, err = M.parse_base(opts.dsn or opts.base_url or os.getenv("UNIPILE_DSN"))
  if not base then errors.usage("unipile.new", err, "dsn") end
  local key = opts.api_key or os.getenv("UNIPILE_API_KEY")
  if type(key) ~= "string" or key == "" then
    errors.usage("unipile.new", "missing api_key (pass api_key or set UNIPILE_API_KEY)", "api_key")
  end
  check.text("unipile.new", "api_key", key)
  local settings = { base = base, verify = opts.verify ~= false, ca_file = opts.ca_file, proxy = opts.proxy }
  for k, v in pairs(M.DEFAULTS) do
    if opts[k] ~= nil then settings[k] = opts[k] else settings[k] = v end
  end
  settings.dry_run = opts.dry_run
  -- required only when asked for: their stores need LuaSQL or a Redis
  if opts.pacer then settings.pacer = require("unipile.pacer").new(opts.pacer, "unipile.new") end
  if opts.journal ~= nil and opts.journal ~= false then
    local spec = opts.journal
    if spec == true and settings.pacer then spec = settings.pacer.store end
    settings.journal = require("unipile.journal").new(spec, "unipile.new")
  end
  local headers = { "X-API-KEY: " .. key, "Accept: application/json" }
  for _, h in ipairs(check.header_lines(opts.headers, "unipile.new")) do headers[#headers + 1] = h end
  local ua = M.user_agent(opts.user_agent)
  -- What a dry run shows of the default headers: the key as ***.
  local shown = { "X-API-KEY: ***" }
  for i = 2, #headers do shown[i] = headers[i] end
  shown[#shown + 1] = "User-Agent: " .. ua
  settings.shown_headers = shown
  return settings, { user_agent = ua, headers = headers, seed = opts.seed }
end

return M
