--- Run the sandbox (a fake Unipile API in nginx + ngx_lua) from tests.
-- Runs in the caller's Lua (5.1 to 5.4, LuaJIT) with luasocket:
--
--     local sb = require("unipile.sandbox").start{ seed = 1 }
--     -- sb.url = "http://127.0.0.1:PORT", sb.api_key, sb.prefix
--     ... sb:requests(), sb:fault{ status = 503, count = 2 } ...
--     sb:stop()
--
-- The handle joins `unipile.sandbox.launcher` (nginx: start, stop) and
-- `unipile.sandbox.control_client` (the HTTP helpers over /_sandbox/, see
-- docs/internals.md, "Sandbox control API").
-- @module unipile.sandbox

local launcher = require "unipile.sandbox.launcher"
local control_client = require "unipile.sandbox.control_client"
local sys = require "unipile.sandbox.sys"
local prng = require "unipile.sandbox.prng"

local M = {}

-- The handle: the control client's methods plus the sandbox's lifetime.
local Sandbox = setmetatable({}, { __index = control_client.Client })
local handle_mt = { __index = Sandbox }

--- Stop nginx (fast shutdown) and remove the prefix. Safe to call twice.
function Sandbox:stop()
  if self.stopped then return end
  self.stopped = true
  launcher.stop_prefix(self.prefix)
end

handle_mt.__gc = function(self) if self.owned then self:stop() end end
handle_mt.__close = handle_mt.__gc

local function random_key()
  local raw = io.open("/dev/urandom", "rb")
  local bytes = raw and raw:read(16)
  if raw then raw:close() end
  if not bytes then bytes = prng.new(tostring(os.time()) .. os.clock() .. tostring({})):bytes(16) end
  return "sbx_" .. bytes:gsub(".", function(c) return string.format("%02x", c:byte()) end)
end

--- Start a sandbox. opts (all optional): `port` (default: a free one),
-- `api_key` (default: random), `seed` (1), `size` (see state.lua),
-- `latency_ms` (added to every API request), `webhook_retry_ms` (base
-- delay of webhook retries, 1000), `webhook_timeout_ms` (30000), `auto_scan_ms`
-- (QR codes scanned that long after they are shown; never by default), `timeout`
-- (s to wait for nginx, 5), `keep` (true: never stopped by garbage collection).
function M.start(opts)
  opts = opts or {}
  local run = launcher.launch(opts.port, 2)
  local sb = control_client.new({ url = "http://127.0.0.1:" .. run.port, port = run.port, prefix = run.prefix,
    owned = not opts.keep }, handle_mt)
  local function fail(what)
    sb.owned = false
    launcher.abort(run, what, 4)
  end
  if not control_client.wait_ready(sb, opts.timeout or 5) then fail("the sandbox did not answer /_sandbox/health in time") end
  local rok, rerr = pcall(sb.reset, sb, { seed = opts.seed or 1, size = opts.size,
    api_key = opts.api_key or random_key(), latency_ms = opts.latency_ms,
    webhook_retry_ms = opts.webhook_retry_ms, webhook_timeout_ms = opts.webhook_timeout_ms,
    auto_scan_ms = opts.auto_scan_ms })
  if not rok then fail("reset failed: " .. tostring(rerr)) end
  if sb.owned and newproxy then -- Lua 5.1/LuaJIT: tables have no __gc, a proxy does
    sb._gc = newproxy(true)
    getmetatable(sb._gc).__gc = function() if sb.owned then sb:stop() end end
  end
  return sb
end

--- A handle on a sandbox started elsewhere (`bin/unipile-sandbox start`):
-- `url` defaults to $UNIPILE_SANDBOX_URL or $UNIPILE_DSN. Its `stop()`
-- stops it when it runs on this machine.
function M.attach(url, opts)
  url = url or os.getenv("UNIPILE_SANDBOX_URL") or os.getenv("UNIPILE_DSN")
  if not url or url == "" then error("unipile.sandbox.attach: no url (set UNIPILE_SANDBOX_URL)", 2) end
  url = url:gsub("/+$", ""):gsub("/api/v1$", ""):gsub("/v1$", "")
  local sb = control_client.new({ url = url, port = tonumber(url:match(":(%d+)$")), owned = false,
    timeout = opts and opts.timeout }, handle_mt)
  local health = sb:call("GET", "/_sandbox/health")
  sb.prefix = health.prefix and health.prefix:gsub("/$", "")
  sb.api_key = sb:state().api_key
  return sb
end

--- Stop the sandbox living in `prefix` (a directory made by start) and
-- remove it. Refuses directories that do not hold a sandbox nginx.conf.
M.stop_prefix = launcher.stop_prefix

-- Kept for the callers of the single-module sandbox.
M.execute = sys.execute
M.free_port = sys.free_port
M.find_nginx = launcher.find_nginx
M.load_module_lines = launcher.load_module_lines
M.nginx_conf = launcher.nginx_conf

--- Bytes of a seeded attachment, to compare with a download: an entry of
-- `state().attachments` or a message attachment (`id, file_size,
-- mimetype`), or an email attachment (`id, size, mime`).
function M.seeded_bytes(att)
  return prng.seeded_bytes(att.id, att.file_size or att.size, att.mimetype or att.mime)
end

--- Bytes of GET /linkedin/jobs/applicants/{id}/resume for an applicant of
-- `state().applicants` (its `id` and `resume`).
function M.resume_bytes(applicant)
  return prng.seeded_bytes("resume:" .. applicant.id, applicant.resume.file_size, applicant.resume.mimetype)
end

--- Bytes of GET /chat_attendees/{id}/picture.
M.picture_bytes = prng.picture_bytes

return M
