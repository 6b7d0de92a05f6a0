-- LinkedIn outreach: search people, invite them with a daily cap and random
-- spacing, and skip anyone already invited.
--
--   lua examples/linkedin_outreach.lua ["keywords"] [daily_cap]
--   OUTREACH_SPACING_MS=30000-90000: the spacing, in ms (default: that
--   against the API, 200-800 against a local sandbox, where nobody is
--   watching the account and a run should take seconds, not 20 minutes)
local unipile = require "unipile"

local client = unipile.new()
local keywords = arg[1]   -- nil: everyone the search gives
local cap = tonumber(arg[2]) or 20

-- A local sandbox: started by bin/unipile-sandbox (its prefix in the
-- environment), or any DSN on this machine.
local dsn = os.getenv("UNIPILE_DSN") or ""
local local_sandbox = os.getenv("UNIPILE_SANDBOX_PREFIX") ~= nil
  or dsn:match("^https?://127%.0%.0%.1[:/]") ~= nil or dsn:match("^https?://localhost[:/]") ~= nil
local spacing = os.getenv("OUTREACH_SPACING_MS") or (local_sandbox and "200-800" or "30000-90000")
local lo, hi = spacing:match("^(%d+)-(%d+)$")
lo, hi = tonumber(lo), tonumber(hi)
if not lo or lo > hi then
  io.stderr:write("outreach: OUTREACH_SPACING_MS must be LOW-HIGH in ms (e.g. 30000-90000), not " .. spacing .. "\n")
  os.exit(2)
end
math.randomseed(os.time())

local function stop(message)
  io.stderr:write("outreach: " .. message .. "\n")
  os.exit(1)
end

-- The first LinkedIn account of this key that is connected (an account
-- still waiting on a checkpoint has its sources CONNECTING).
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
if not account then stop("no connected LinkedIn account on this key: connect one first (accounts:connect)") end
print(("outreach: account %s (%s), cap %d, %d-%d ms between invitations%s")
  :format(account.id, account.name or "?", cap, lo, hi, local_sandbox and " (local sandbox)" or ""))

-- Who has already been invited (pending invitations).
local invited = {}
for inv in client.users:each_invitations_sent { account_id = account.id } do
  local who = inv.invited_user_id or inv.provider_id or inv.invited_user_public_id
  if who then invited[who] = true end
end

local sent, skipped, seen, refused = 0, 0, 0, 0
for person in client.linkedin:each_search({ account_id = account.id, api = "classic", category = "people",
    keywords = keywords }, { max_items = 200 }) do
  seen = seen + 1
  local id = person.provider_id or person.id
  if invited[id] or person.network_distance == "DISTANCE_1" then
    skipped = skipped + 1                                       -- invited before, or already connected
  else
    if sent + refused >= cap then break end
    if sent + refused > 0 then                                -- random spacing between invitations
      local wait = math.random(lo, hi)
      if wait >= 1000 then print(("  waiting %.0f s"):format(wait / 1000)) end
      client:sleep(wait)
    end
    local ok, err = pcall(client.users.send_invitation, client.users, {
      account_id = account.id, provider_id = id,
      message = ("Hi %s, I'd be glad to connect."):format(person.first_name or person.name or ""),
    })
    if ok then
      invited[id] = true
      sent = sent + 1
      print(("  invited %s (%d/%d)"):format(person.name or id, sent, cap))
    elseif unipile.is_error(err, "http") and err.status == 422 then
      refused = refused + 1                                     -- e.g. invited recently: the API says no
      print("  not invited: " .. (err.detail or err.title or tostring(err.type)))
    else
      error(err, 0)                                             -- anything else stops the run
    end
  end
end
print(("outreach: %d people seen, %d invited (cap %d), %d skipped (already invited or connected), %d refused")
  :format(seen, sent, cap, skipped, refused))
if sent == 0 then
  print(seen == 0 and "outreach: nobody to invite: the search found no one" .. (keywords and " for " .. keywords or "")
    or "outreach: nobody to invite: everyone found was already invited, connected or refused")
end
