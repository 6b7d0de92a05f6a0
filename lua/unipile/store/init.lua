--- The state store of the pacer and the journal: one interface, one small
-- module per backend, chosen by a spec string: a file path (SQLite, the
-- default, under `$XDG_STATE_HOME/unipile/`) or `redis://host:port/db`.
-- Backends are required on first use, so the SDK depends on neither.
--
-- A store has four operations, each atomic across processes:
--
--   take(key, now, windows, spacing) -> true | false, allowed_at
--       one action of `key` at `now` (seconds), if every window
--       `{ seconds =, max = }` has room and the spacing set by the last
--       action has passed; records it and sets the next spacing (seconds).
--   begin(key, meta) -> nil | record   (journal: claims `key` as "pending"
--       unless a record exists, which it returns: { state, answer, ... })
--   finish(key, state, answer_json)    (journal: "done" or "uncertain")
--   get(key) -> nil | record
--   list(state) -> { record, ... }     forget(key)
-- @module unipile.store
-- @local

local errors = require "unipile.errors"

local M = {}

--- The default SQLite file: `$XDG_STATE_HOME/unipile/state.sqlite3`, or
-- `~/.local/state/unipile/state.sqlite3`.
function M.default_path()
  local base = os.getenv("XDG_STATE_HOME")
  if not base or base == "" then
    local home = os.getenv("HOME")
    if not home or home == "" then errors.usage("unipile.store", "no XDG_STATE_HOME nor HOME: give a store path", "store") end
    base = home .. "/.local/state"
  end
  return base .. "/unipile/state.sqlite3"
end

local opened = setmetatable({}, { __mode = "v" })   -- one handle per spec and process

--- Open the store named by `spec` (a store object is returned as is).
function M.open(spec, where)
  where = where or "unipile.store"
  if type(spec) == "table" then return spec end
  if spec == nil or spec == true then spec = M.default_path() end
  if type(spec) ~= "string" or spec == "" then errors.usage(where, "'store' must be a path or a redis:// URL", "store") end
  if opened[spec] then return opened[spec] end
  local backend = spec:find("^redis://") and "redis" or "sqlite"
  local store = require("unipile.store." .. backend).open(spec, where)
  opened[spec] = store
  return store
end

return M
