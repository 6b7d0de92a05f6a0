-- LinkedIn outreach: search people, invite them with a daily cap and random
-- spacing, and skip anyone already invited.
--
--   lua examples/linkedin_outreach.lua ["keywords"] [daily_cap]
--   OUTREACH_SPACING_MS=30000-90000 (default; the sandbox run uses less)
local unipile = require "unipile"

local client = unipile.new()
local keywords = arg[1]   -- nil: everyone the search gives
local cap = tonumber(arg[2]) or 20
local lo, hi = (os.getenv("OUTREACH_SPACING_MS") or "30000-90000"):match("^(%d+)-(%d+)$")
lo, hi = tonumber(lo), tonumber(hi)
math.randomseed(os.time())

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
assert(account, "no connected LinkedIn account")

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
    if sent + refused > 0 then client:sleep(math.random(lo, hi)) end   -- random spacing between invitations
    local ok, err = pcall(client.users.send_invitation, client.users, {
      account_id = account.id, provider_id = id,
      message = ("Hi %s, I'd be glad to connect."):format(person.first_name or person.name or ""),
    })
    if ok then
      invited[id] = true
      sent = sent + 1
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
assert(sent > 0, "nobody invited")
