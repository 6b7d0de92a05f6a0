--- Where the command line's client comes from: `--profile NAME` (or
-- `UNIPILE_PROFILE`) picks a section of `$XDG_CONFIG_HOME/unipile/config`
-- (default `~/.config/unipile/config`), a small INI file:
--
--     [default]
--     dsn = https://api1.unipile.com:13111
--     key_command = pass show unipile   # or: key = ...
--     account_id = Hm3eZ...
--
-- Without `--profile`, `UNIPILE_DSN` / `UNIPILE_API_KEY` win over the
-- `default` section (the environment is what a CI job sets); with it, the
-- profile wins. A file that holds a `key` must not be readable by group or
-- others (as ssh does with its keys): it is refused. The key is never put
-- in an error, a message or any output.
-- @module unipile.cli.config
-- @local

local errors = require "unipile.errors"

local M = {}

M.FIELDS = { dsn = true, key = true, key_command = true, account_id = true, pace = true, journal = true }

local function usage(message, param) errors.usage("unipile", message, param) end

function M.path(getenv)
  local base = getenv("XDG_CONFIG_HOME")
  if not base or base == "" then
    local home = getenv("HOME")
    if not home or home == "" then return nil end
    base = home .. "/.config"
  end
  return base .. "/unipile/config"
end

--- Parse the INI text: section → field → value. Errors name the line.
function M.parse(text, path)
  local sections, current = {}, nil
  local n = 0
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    line = line:gsub("^%s+", ""):gsub("%s+$", "")
    local section = line:match("^%[([%w_.-]+)%]$")
    if section then
      sections[section] = sections[section] or {}
      current = sections[section]
    elseif line ~= "" and not line:match("^[#;]") then
      local k, v = line:match("^([%w_]+)%s*=%s*(.-)$")
      if not k or not current then usage(path .. ":" .. n .. ": expected [profile] or name = value") end
      if not M.FIELDS[k] then usage(path .. ":" .. n .. ": unknown field '" .. k .. "'") end
      current[k] = v
    end
  end
  return sections
end

-- The mode's group and other digits ("600" → "00"), by stat(1): only
-- run when the file holds a key.
local function shared_bits(path)
  local p = io.popen("stat -c %a " .. ("'" .. path:gsub("'", "'\\''") .. "'") .. " 2>/dev/null")
  local mode = p and p:read("*l") or ""
  if p then p:close() end
  return mode:sub(-2)
end

--- The bytes of the file at `path`, or nil when it cannot be read.
function M.read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("*a")
  f:close()
  return text
end

local function run_key_command(command)
  local p = io.popen(command, "r")
  local key = p and p:read("*l")
  local ok = p and p:close()
  if not ok or not key or key == "" then usage("key_command failed or printed nothing", "key_command") end
  return key
end

--- The profile `name` (nil: `default` if the file has one) → its fields,
-- or {} when there is no file and no name was asked for.
function M.profile(name, getenv)
  local path = M.path(getenv)
  local text = path and M.read_file(path)
  if not text then
    if name then usage("no config file (" .. tostring(path) .. ") for profile '" .. name .. "'", "profile") end
    return {}
  end
  local sections = M.parse(text, path)
  local wanted = name or "default"
  local p = sections[wanted]
  if not p then
    if name then usage("no profile '" .. name .. "' in " .. path, "profile") end
    return {}
  end
  if p.key and shared_bits(path) ~= "00" then
    usage(path .. " holds a key and is readable by others: chmod 600 it (or use key_command)", "key")
  end
  return p
end

--- The client's `dsn` and `api_key`, and the profile's other fields;
-- `getenv` reads the environment (default os.getenv).
function M.resolve(name, getenv)
  getenv = getenv or os.getenv
  local env_profile = getenv("UNIPILE_PROFILE")
  if not name and env_profile and env_profile ~= "" then name = env_profile end
  local profile = M.profile(name, getenv)
  local env_dsn, env_key = getenv("UNIPILE_DSN"), getenv("UNIPILE_API_KEY")
  local function pick(from_profile, from_env)
    if name then return from_profile or from_env end
    return from_env or from_profile
  end
  local dsn = pick(profile.dsn, env_dsn ~= "" and env_dsn or nil)
  local key = pick(profile.key, env_key ~= "" and env_key or nil)
  if (name or not key) and profile.key_command and not profile.key then key = run_key_command(profile.key_command) end
  return { dsn = dsn, api_key = key, account_id = profile.account_id, pace = profile.pace, journal = profile.journal }
end

return M
