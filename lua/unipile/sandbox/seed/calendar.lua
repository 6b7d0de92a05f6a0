--- Seed data and object builders of the calendars group: `size.calendars`
-- calendars per calendar account (state.FAMILIES.calendar; the first is the
-- default one, the third and later are read-only subscriptions), and
-- `size.events` events per calendar on seeded accounts.
-- @module unipile.sandbox.seed.calendar

local state = require "unipile.sandbox.state"
local json = require "unipile.sandbox.json"
local social = require "unipile.sandbox.seed.social"
local mail = require "unipile.sandbox.seed.mail"

local array, null = json.array, json.null

local M = {}

local NAMES = { "Team", "Holidays", "Birthdays", "Projects" }
local COLORS = { "#039be5", "#33b679", "#e67c73", "#f6bf26", "#8e24aa" }
local TITLES = { "Weekly sync", "Lunch", "Design review", "1:1", "Interview", "Planning", "Demo day", "Offsite" }
-- Conference providers of the seeded events with a conference, in turn.
local CONFERENCES = { { "google_meet", "https://meet.example.com/" }, { "zoom", "https://zoom.example.com/j/" },
  { "teams", "https://teams.example.com/l/meetup-join/" }, { "unknown" } }
M.TZ = "Europe/Paris"

--- Start (or end) instant of an event as a sortable string.
function M.instant(t)
  if type(t) ~= "table" then return "" end
  return t.date_time or ((t.date or "") .. "T00:00:00.000Z")
end

function M.new_calendar(rng, account, i)
  local address = mail.address(account)
  local name = i == 1 and address or NAMES[(i - 2) % #NAMES + 1]
  return { object = "Calendar", id = rng:id(26):lower() .. "@group.calendar.example.com",
    account_id = account.id, name = name, description = i == 1 and null or state.sentence(rng, 3, 8),
    is_read_only = i > 2, is_owned_by_user = i <= 2, is_default = i == 1,
    background_color = COLORS[(i - 1) % #COLORS + 1], text_color = "#000000", timezone = M.TZ, rank = i }
end

--- CalendarEvent (OpenAPI of CalendarsController_getCalendarEvent). `f`:
-- title, body, location, start, end ({date_time, time_zone} | {date}),
-- attendees, transparency, visibility, conference, recurrence, ...
function M.new_event(rng, account, calendar, f, now_ms)
  local id = rng:id(26):lower()
  local organizer = { email = mail.address(account), display_name = account.name }
  return { object = "CalendarEvent", id = id, calendar_id = calendar.id, account_id = account.id,
    master_event_id = null, created_at = state.iso(now_ms), updated_at = state.iso(now_ms),
    title = f.title, body = f.body or "", location = f.location or "", is_cancelled = false,
    is_all_day = f.start.date ~= nil, is_attendees_list_hidden = f.is_attendees_list_hidden or false,
    attendees = f.attendees or array(), start = f.start, ["end"] = f["end"], recurrence = f.recurrence or array(),
    organizer = organizer, conference = f.conference or null, visibility = f.visibility or "public",
    transparency = f.transparency or "opaque", event_type = "default", ical_uid = id .. "@sandbox.unipile",
    color = f.color or null }
end

function M.seed_account(account, content)
  if not state.FAMILIES.calendar[account.type] then return end
  local rng = state.rng_for("calendar", account.id)
  local size = state.get().size
  for i = 1, size.calendars do
    local cal = state.add("calendars", M.new_calendar(rng, account, i))
    local master
    for e = 1, content and size.events or 0 do
      local day = state.EPOCH + (e * 3 - 8 - i) * 86400
      local f = { title = rng:pick(TITLES), body = state.sentence(rng, 4, 12),
        location = rng:chance(0.5) and "Room " .. rng:int(1, 9) or "", transparency = e % 4 == 0 and "transparent" or nil }
      if e % 5 == 0 then -- all-day
        f.start, f["end"] = { date = state.iso(day * 1000):sub(1, 10) }, { date = state.iso((day + 86400) * 1000):sub(1, 10) }
      else
        local at = (day + rng:int(8, 17) * 3600) * 1000
        f.start = { date_time = state.iso(at), time_zone = M.TZ }
        f["end"] = { date_time = state.iso(at + rng:int(1, 4) * 1800000), time_zone = M.TZ }
      end
      f.attendees = array()
      for a = 1, rng:int(1, 3) do
        local name, login = state.person(rng)
        local answer = rng:pick({ "yes", "no", "maybe", "noreply" })
        f.attendees[a] = { email = login .. "@example.org", display_name = name, is_organizer = false,
          is_optional = a == 3, is_resource = false, type = a == 3 and "optional" or "required",
          response_status = answer, comment = answer == "no" and "Sorry, I cannot make it." or nil }
      end
      if e % 2 == 1 then -- a meeting room: the resource attendee variant
        f.attendees[#f.attendees + 1] = { email = "room-" .. e .. "@resource.example.com", display_name = "Room " .. e,
          is_organizer = false, is_optional = false, is_resource = true, type = "resource", response_status = "yes" }
      end
      if e % 3 == 0 then
        local c = CONFERENCES[(e / 3 + i - 2) % #CONFERENCES + 1]
        local code = rng:id(10):lower()
        f.conference = { provider = c[1], url = c[2] and c[2] .. code or nil }
      end
      if e == 2 then f.visibility = "private" end
      if e == 1 then f.recurrence = array({ "RRULE:FREQ=WEEKLY;COUNT=4" }) end
      local ev = state.add("events", M.new_event(rng, account, cal, f, (day - 7 * 86400) * 1000))
      ev.is_cancelled = e % 7 == 0
      -- the last event is a moved occurrence of the first (recurring) one
      if e == 1 then master = ev elseif e == size.events then ev.master_event_id, ev.title = master.id, master.title end
    end
  end
end

M.summary = {
  calendars = { order = "rank", asc = true, row = social.row({ "id", "account_id", "name", "is_read_only", "is_default" }) },
  events = { key = function(e) return M.instant(e.start) end, asc = true, row = function(e)
    return { id = e.id, account_id = e.account_id, calendar_id = e.calendar_id, title = e.title, start = M.instant(e.start) }
  end },
}

return M
