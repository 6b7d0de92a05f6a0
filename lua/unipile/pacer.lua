--- The pacer: keeps each account under its provider's limits, per action
-- class (invitations, messages and new chats, profile views, emails,
-- comments and reactions, posts). A class has limits per day and per week
-- (rolling windows) and a random spacing between two actions; the counts
-- live in a store (`unipile.store`), so a cron job run every hour, or two
-- processes at once, keep one limit.
--
-- Presets are named by account kind, from Unipile's published guidance
-- (../shared/api/NOTES.md, "Provider limits"); every number can be
-- overridden: `limits = { invitations = { day = 20 } }` for every account,
-- `accounts = { [id] = "free" | { kind = "free", invitations = {...} } }`.
-- @module unipile.pacer

local errors = require "unipile.errors"
local store_mod = require "unipile.store"

local M = {}

local DAY, WEEK = 86400, 7 * 86400

--- Which class each sending operation counts in (operations not listed
-- are not paced).
M.CLASSES = {
  UsersController_addUserByIdentifier = "invitations",
  ChatsController_startNewChat = "messages",
  ChatsController_sendMessageInChat = "messages",
  MessagesController_forwardMessage = "messages",
  UsersController_getProfileByIdentifier = "profile_views",
  MailsController_sendMail = "emails",
  PostsController_sendComment = "comments",
  PostsController_addPostReaction = "comments",
  MessagesController_addReaction = "comments",
  PostsController_createPost = "posts",
  LinkedinController_endorseProfile = "comments",
}

-- Spacing in seconds, { min, max }.
local TWO_TO_FIVE_MIN = { 120, 300 }
local ABOUT_A_MINUTE = { 45, 90 }   -- v2 guide: "intervals of ~1 minute"

--- The presets, by account kind. LinkedIn: v1 invite guide (100 a day,
-- 200 a week, 2–5 min apart), free accounts ~150 invitations a week,
-- profile visits 80–100 a day. Email: Gmail 50–100 a day advised,
-- Workspace 100–150, new accounts 20–50. Classes with no published
-- number get the spacing only.
M.PRESETS = {
  free = {
    invitations = { day = 100, week = 150, spacing = TWO_TO_FIVE_MIN },
    profile_views = { day = 80, spacing = ABOUT_A_MINUTE },
    messages = { spacing = ABOUT_A_MINUTE }, comments = { spacing = ABOUT_A_MINUTE },
    posts = { spacing = ABOUT_A_MINUTE }, emails = { day = 50, spacing = ABOUT_A_MINUTE },
  },
  premium = {
    invitations = { day = 100, week = 200, spacing = TWO_TO_FIVE_MIN },
    profile_views = { day = 100, spacing = ABOUT_A_MINUTE },
    messages = { spacing = ABOUT_A_MINUTE }, comments = { spacing = ABOUT_A_MINUTE },
    posts = { spacing = ABOUT_A_MINUTE }, emails = { day = 100, spacing = ABOUT_A_MINUTE },
  },
  gmail = { emails = { day = 100, spacing = ABOUT_A_MINUTE } },
  workspace = { emails = { day = 150, spacing = ABOUT_A_MINUTE } },
  new_email = { emails = { day = 50, spacing = ABOUT_A_MINUTE } },
}
M.PRESETS.sales_navigator = M.PRESETS.premium
M.PRESETS.recruiter = M.PRESETS.premium

local RULE_KEYS = { day = true, week = true, spacing = true }

local function check_rule(where, name, rule)
  if type(rule) ~= "table" then errors.usage(where, "'" .. name .. "' must be a table", name) end
  for k, v in pairs(rule) do
    if not RULE_KEYS[k] then errors.usage(where, "unknown limit '" .. tostring(k) .. "' in '" .. name .. "'", name) end
    if v == false then    -- luacheck: ignore 542 (false: no limit of this kind)
    elseif k == "spacing" then
      if type(v) ~= "table" or type(v[1]) ~= "number" or type(v[2]) ~= "number" or not (v[1] >= 0 and v[2] >= v[1]) then
        errors.usage(where, "'" .. name .. ".spacing' must be { min, max } seconds, 0 <= min <= max", name)
      end
    elseif (type(v) ~= "number" or v < 0 or v ~= math.floor(v)) then
      errors.usage(where, "'" .. name .. "." .. k .. "' must be a count or false", name)
    end
  end
end

-- `base` with the fields of each class in `over` replaced.
local function merged(base, over, where)
  local out = {}
  for class, rule in pairs(base) do
    out[class] = {}
    for k, v in pairs(rule) do out[class][k] = v end
  end
  for class, rule in pairs(over or {}) do
    if class ~= "kind" then
      check_rule(where, class, rule)
      out[class] = out[class] or {}
      for k, v in pairs(rule) do out[class][k] = v end
    end
  end
  return out
end

local function preset(where, kind)
  local p = M.PRESETS[kind]
  if not p then errors.usage(where, "unknown account kind '" .. tostring(kind) .. "'", "kind") end
  return p
end

local function wall_clock()
  local ok, socket = pcall(require, "socket")
  if ok and socket.gettime then return socket.gettime end
  return os.time
end

local OPTS = { store = true, kind = true, limits = true, accounts = true, on_limit = true, clock = true, random = true }

local Pacer = {}
Pacer.__index = Pacer

--- Make a pacer. Options: `store` (a path, `redis://...`, or a store;
-- default the SQLite file under `$XDG_STATE_HOME/unipile/`), `kind` (the
-- preset of accounts not named, default "free"), `limits` (overrides for
-- every account), `accounts` (per account: a kind, or a table with `kind`
-- and class overrides), `on_limit` ("wait", the default, or "error"),
-- `clock` (seconds, wall time) and `random` (0..1) for tests.
function M.new(opts, where)
  where = where or "pacer"
  opts = opts or {}
  if type(opts) ~= "table" then errors.usage(where, "'pacer' must be a table", "pacer") end
  for k in pairs(opts) do
    if not OPTS[k] then errors.usage(where, "unknown pacer option '" .. tostring(k) .. "'", "pacer") end
  end
  local on_limit = opts.on_limit or "wait"
  if on_limit ~= "wait" and on_limit ~= "error" then
    errors.usage(where, "'on_limit' must be \"wait\" or \"error\"", "on_limit")
  end
  local self = setmetatable({ where = where, on_limit = on_limit, rules = {},
    clock = opts.clock or wall_clock(), random = opts.random or math.random }, Pacer)
  local kind = opts.kind or "free"
  self.default = merged(preset(where, kind), opts.limits, where)
  for account, spec in pairs(opts.accounts or {}) do
    if type(spec) == "string" then spec = { kind = spec } end
    if type(spec) ~= "table" then errors.usage(where, "'accounts' values must be a kind or a table", "accounts") end
    self.rules[account] = merged(merged(preset(where, spec.kind or kind), opts.limits, where), spec, where)
  end
  self.store = store_mod.open(opts.store, where)
  return self
end

--- The rule of `class` for `account` (nil: not paced).
function Pacer:rule(account, class)
  return (self.rules[account] or self.default)[class]
end

local function windows_of(rule)
  local w = {}
  if rule.day then w[#w + 1] = { seconds = DAY, max = rule.day } end
  if rule.week then w[#w + 1] = { seconds = WEEK, max = rule.week } end
  return w
end

local function spacing_of(rule, random)
  local s = rule.spacing
  if not s then return 0 end
  return s[1] + (s[2] - s[1]) * random()
end

--- Take one action of `class` for `account` now. Returns true, or raises
-- a `pace` error (`allowed_at`: wall seconds) with on_limit "error"; with
-- "wait", sleeps with `sleep(ms)` (client:sleep: other tasks go on inside
-- unipile.run) and tries again.
function Pacer:take(account, class, sleep, operation)
  local rule = self:rule(account or "", class)
  if not rule then return true end
  local key = tostring(account or "") .. "|" .. class
  while true do
    local now = self.clock()
    local ok, allowed_at = self.store:take(key, now, windows_of(rule), spacing_of(rule, self.random))
    if ok then return true end
    if self.on_limit == "error" or allowed_at == math.huge then
      errors.raise(errors.new { kind = "pace", operation = operation, account = account, class = class,
        allowed_at = allowed_at, message = string.format("%s of %s: allowed again at %s", class, tostring(account),
          allowed_at == math.huge and "never (limit 0)" or os.date("!%Y-%m-%dT%H:%M:%SZ", math.floor(allowed_at))) })
    end
    sleep(math.max(1, math.ceil((allowed_at - now) * 1000)))
  end
end

return M
