-- An outreach job for cron: each run invites the next people of a search
-- and sends a welcome to the account's chats, under the account's limits
-- and never twice to the same person, however often it runs or crashes.
--
--   crontab:  0 9-18 * * 1-5  lua /path/to/examples/cron_outreach.lua "keywords"
--
-- The pacer keeps the daily and weekly limits in a store that outlives the
-- run (UNIPILE_STORE: a path or redis://host:port/db; default
-- $XDG_STATE_HOME/unipile/state.sqlite3), so hourly runs share one limit.
-- The journal in the same store remembers every invitation and message
-- sent: a re-run replays them instead of sending, and one whose answer was
-- lost (killed, timeout) is listed and left alone until someone decides.
--   UNIPILE_ACCOUNT_KIND=free|premium|...: the preset (default free)
--   OUTREACH_SPACING_MS=LOW-HIGH: the spacing between two actions (default
--   the preset's; 200-800 against a local sandbox, for a run of seconds)
local unipile = require "unipile"

local keywords = arg[1]
local dsn = os.getenv("UNIPILE_DSN") or ""
local local_sandbox = os.getenv("UNIPILE_SANDBOX_PREFIX") ~= nil or dsn:match("^https?://127%.0%.0%.1[:/]") ~= nil
-- A rehearsal against a local sandbox keeps its state in a file of its own.
local rehearsal
if local_sandbox and not os.getenv("UNIPILE_STORE") then
  rehearsal = os.tmpname()
  os.remove(rehearsal)
  rehearsal = rehearsal .. ".sqlite3"
end
local store = os.getenv("UNIPILE_STORE") or rehearsal

local spacing = os.getenv("OUTREACH_SPACING_MS") or (local_sandbox and "200-800" or nil)
local overrides = {}
if spacing then
  local lo, hi = spacing:match("^(%d+)-(%d+)$")
  if not lo or tonumber(lo) > tonumber(hi) then
    io.stderr:write("cron_outreach: OUTREACH_SPACING_MS must be LOW-HIGH in ms, not " .. spacing .. "\n")
    os.exit(2)
  end
  for _, class in ipairs { "invitations", "messages" } do
    overrides[class] = { spacing = { tonumber(lo) / 1000, tonumber(hi) / 1000 } }
  end
end

local client = unipile.new {
  pacer = { store = store, kind = os.getenv("UNIPILE_ACCOUNT_KIND") or "free", limits = overrides, on_limit = "error" },
  journal = true,                                  -- the pacer's store
}

-- Uncertain sends of earlier runs: shown, never resent by this job.
for _, r in ipairs(client:journal_uncertain()) do
  print(("cron_outreach: uncertain since an earlier run: %s to %s (check by hand, then client:journal_forget)")
    :format(r.operation, r.target))
end

-- The first connected LinkedIn account (every source OK).
local function connected(a)
  for _, source in ipairs(a.sources or {}) do
    if source.status ~= "OK" then return false end
  end
  return true
end
local account
for a in client.accounts:each() do
  if a.type == "LINKEDIN" and connected(a) then account = a break end
end
if not account then print("cron_outreach: no connected LinkedIn account on this key") return end

local counts = { sent = 0, replayed = 0, skipped = 0 }
local SOON_S = 600     -- a pace wait shorter than this is waited; longer ends the run

-- One paced, journaled action: true to go on, false when the account's
-- limit for today is reached (the next run goes on from there).
local function act(what, fn, params)
  while true do
    local ok, res = pcall(fn, params)
    if ok then
      local key = res.replayed and "replayed" or "sent"
      counts[key] = counts[key] + 1
      print(("  %s %s"):format(res.replayed and "already done:" or "done:", what))
      return true
    end
    local err = res
    if unipile.is_error(err, "pace") then
      local left = err.allowed_at - os.time()
      if left > SOON_S then
        print(("cron_outreach: %s limit reached until %s: the next run goes on")
          :format(err.class, os.date("%Y-%m-%d %H:%M", math.floor(err.allowed_at))))
        return false
      end
      client:sleep(math.max(1, left) * 1000)
    elseif unipile.is_error(err, "journal") or (unipile.is_error(err, "http") and err.status == 422) then
      counts.skipped = counts.skipped + 1            -- uncertain, or the API says no for this person
      print(("  skipped %s: %s"):format(what, err.detail or err.message or tostring(err.type)))
      return true
    else
      error(err, 0)
    end
  end
end

-- One run of the job.
local function run()
  counts.sent, counts.replayed, counts.skipped = 0, 0, 0
  for person in client.linkedin:each_search({ account_id = account.id, api = "classic", category = "people",
      keywords = keywords }, { max_items = 5 }) do
    local id = person.provider_id or person.id
    if person.network_distance ~= "DISTANCE_1" and not act("invite " .. (person.name or id), function(p)
        return client.users:send_invitation(p)
      end, { account_id = account.id, provider_id = id, message = "Hi, I'd be glad to connect." }) then break end
  end

  for chat in client.chats:each({ account_id = account.id }, { max_items = 3 }) do
    if not act("welcome in chat " .. chat.id, function(p) return client.chats:send_message(p) end,
        { chat_id = chat.id, text = "Thanks for connecting! Here is our newsletter." }) then break end
  end

  print(("cron_outreach: %d sent, %d already done by an earlier run, %d skipped")
    :format(counts.sent, counts.replayed, counts.skipped))
end

run()
-- A rehearsal runs twice, as cron would: the second run sends nothing again.
if rehearsal then
  print("cron_outreach: the next run")
  run()
  if counts.sent > 0 then error("cron_outreach: the second run sent again") end
end
if rehearsal then
  client:close()
  for _, suffix in ipairs { "", "-wal", "-shm" } do os.remove(rehearsal .. suffix) end
end
