--- Handlers of the `calendars` group: calendars of a calendar account and
-- their events (`{data, next_cursor}` lists, events by start time).
-- Data: seed/calendar.lua.
-- @module unipile.sandbox.handlers.calendars

local api = require "unipile.sandbox.api"
local state = require "unipile.sandbox.state"
local reply = require "unipile.sandbox.reply"
local json = require "unipile.sandbox.json"
local calendar = require "unipile.sandbox.seed.calendar"

local array, null, present = json.array, json.null, api.present

local H = {}

-- Internal fields; the API has no nullable field on calendars and events:
-- a value it does not have is a key left out.
local HIDE = { rank = true, account_id = true, color = true }

local function view(o) return api.without_nulls(api.without(o, HIDE)) end

-- A `{data, next_cursor}` page whose `next_cursor` is left out on the last
-- page (the OpenAPI types it as a string, never null).
local function page(ctx, objects, opts)
  opts.view = view
  local r = api.page(ctx, nil, objects, opts)
  if r.json and r.json.next_cursor == null then r.json.next_cursor = nil end
  return r
end

-- `account_id` names a calendar account; then `f(ctx, account, calendar)`
-- with the calendar of the path (when the route has one).
local function route(f)
  return function(ctx)
    local account, err = api.account(ctx, "calendar")
    if err then return err end
    local cal
    if ctx.params.calendar_id then
      cal, err = api.fetch("calendars", ctx.params.calendar_id, account)
      if err then return err end
    end
    return f(ctx, account, cal)
  end
end

H.CalendarsController_listCalendars = route(function(ctx, account)
  return page(ctx, state.of_account("calendars", account.id),
    { key = function(c) return string.format("%04d", c.rank) .. c.id end, asc = true })
end)

H.CalendarsController_getCalendar = route(function(_, _, cal) return reply.ok(view(cal)) end)

local function start_key(e) return calendar.instant(e.start) .. "\1" .. e.id end

local function contains(s, want) return type(s) == "string" and s:lower():find(want:lower(), 1, true) ~= nil end

-- Filters of the events list: query name → test(value, event); start/end
-- keep the events that overlap [start, end).
local FILTERS = {
  start = function(v, e) return calendar.instant(e["end"]) > v end,
  ["end"] = function(v, e) return calendar.instant(e.start) < v end,
  updated_after = function(v, e) return e.updated_at > v end,
  updated_before = function(v, e) return e.updated_at < v end,
  title = function(v, e) return contains(e.title, v) end,
  description = function(v, e) return contains(e.body, v) end,
  location = function(v, e) return contains(e.location, v) end,
  ical_uid = function(v, e) return e.ical_uid == v end,
  event_type = function(v, e) return e.event_type == v end,
  is_cancelled = function(v, e) return e.is_cancelled == v end,
  busy = function(v, e) return (e.transparency == "opaque") == v end,
  attendees = function(v, e)
    for _, a in ipairs(e.attendees) do
      if contains(a.email, v) then return true end
    end
    return false
  end,
}
local TIMES = { start = true, ["end"] = true, updated_after = true, updated_before = true }
local BOOLS = { is_cancelled = true, busy = true, expand_recurring = true }

H.CalendarsController_listCalendarEventsByCalendar = route(function(ctx, _, cal)
  local tests = {}
  for name, test in pairs(FILTERS) do
    local v = ctx.args[name]
    if v ~= nil then
      if TIMES[name] and not api.time_arg(v) then return reply.invalid(name, "must be an ISO 8601 UTC datetime") end
      if BOOLS[name] then
        v = api.boolean(v)
        if v == nil then return reply.invalid(name, "must be a boolean") end
      end
      tests[#tests + 1] = { test, v }
    end
  end
  if ctx.args.expand_recurring ~= nil and api.boolean(ctx.args.expand_recurring) == nil then
    return reply.invalid("expand_recurring", "must be a boolean")
  end
  local events = state.select("events", function(e)
    if e.calendar_id ~= cal.id then return false end
    for _, t in ipairs(tests) do
      if not t[1](t[2], e) then return false end
    end
    return true
  end)
  return page(ctx, events, { key = start_key, asc = true })
end)

-- start/end: {date_time, time_zone}, {date} or an ISO datetime string.
local function when(v, name)
  if type(v) == "string" and api.time_arg(v) then return { date_time = v, time_zone = "UTC" } end
  if type(v) == "table" and api.time_arg(v.date_time) then
    return { date_time = v.date_time, time_zone = type(v.time_zone) == "string" and v.time_zone or "UTC" }
  end
  if type(v) == "table" and type(v.date) == "string" and v.date:match("^%d%d%d%d%-%d%d%-%d%d$") then
    return { date = v.date }
  end
  return nil, reply.invalid(name, "must be {date_time, time_zone} (ISO 8601 UTC), {date} (YYYY-MM-DD) or an ISO datetime")
end

local function attendees(v)
  if type(v) ~= "table" then return nil, reply.invalid("attendees", "must be an array of {email, display_name}") end
  local out = array()
  for _, a in ipairs(v) do
    local email = type(a) == "table" and a.email or a
    if type(email) ~= "string" or not email:find("@", 1, true) then
      return nil, reply.invalid("attendees", "every attendee needs an email")
    end
    local optional = type(a) == "table" and api.boolean(a.optional) or false
    out[#out + 1] = { email = email, display_name = type(a) == "table" and a.display_name or null,
      is_organizer = false, is_optional = optional, is_resource = false, type = optional and "optional" or "required",
      response_status = "noreply", comment = null }
  end
  return out
end

local ENUMS = { transparency = { "opaque", "transparent" }, visibility = { "public", "private" } }
local PLAIN = { "title", "body", "location", "color" }

-- Validate and apply the event fields of a create/edit body to `e`.
local function apply(ctx, e)
  local f = ctx.fields
  for _, k in ipairs(PLAIN) do
    if f[k] ~= nil then
      if type(f[k]) ~= "string" then return reply.invalid(k, "must be a string") end
      e[k] = f[k]
    end
  end
  for k, values in pairs(ENUMS) do
    if f[k] ~= nil then
      local v, err = api.enum(f[k], k, values)
      if err then return err end
      e[k] = v
    end
  end
  for _, k in ipairs({ "start", "end" }) do
    if f[k] ~= nil then
      local v, err = when(f[k], k)
      if err then return err end
      e[k] = v
    end
  end
  if f.attendees ~= nil then
    local list, err = attendees(f.attendees)
    if err then return err end
    e.attendees = list
  end
  if f.conference ~= nil then
    if type(f.conference) ~= "table" then return reply.invalid("conference", "must be {provider, url}") end
    local provider, perr = api.enum(f.conference.provider, "conference.provider",
      { "google_meet", "zoom", "teams", "unknown" }, "google_meet")
    if perr then return perr end
    e.conference = { provider = provider,
      url = f.conference.url or ("https://meet.example.com/" .. state.get().rng:id(10):lower()) }
  end
  if f.recurrence ~= nil then e.recurrence = array(api.strings(f.recurrence)) end
  if f.is_attendees_list_hidden ~= nil then e.is_attendees_list_hidden = api.boolean(f.is_attendees_list_hidden) == true end
  if e.start and e["end"] and calendar.instant(e["end"]) < calendar.instant(e.start) then
    return reply.invalid("end", "is before start")
  end
  e.is_all_day = e.start ~= nil and e.start.date ~= nil
end

local function writable(cal)
  if cal.is_read_only then
    return reply.error(403, "insufficient_permissions", "Calendar " .. cal.id .. " is read-only.")
  end
end

H.CalendarsController_createCalendarEvent = route(function(ctx, account, cal)
  local denied = writable(cal)
  if denied then return denied end
  local draft = {}
  local err = apply(ctx, draft)
  if err then return err end
  local now = state.now_ms()
  local e = calendar.new_event(state.get().rng, account, cal, draft, now)
  for k, v in pairs(draft) do e[k] = v end
  state.add("events", e)
  return reply.ok({ object = "CalendarEventCreated", event_id = e.id }, 201)
end)

local function event_of(ctx, cal)
  local e = state.get().events[ctx.params.event_id]
  if not e or e.calendar_id ~= cal.id then return nil, reply.not_found("Event", ctx.params.event_id) end
  return e
end

H.CalendarsController_getCalendarEvent = route(function(ctx, _, cal)
  local e, err = event_of(ctx, cal)
  return err or reply.ok(view(e))
end)

H.CalendarsController_editCalendarEvent = route(function(ctx, _, cal)
  local e, err = event_of(ctx, cal)
  if err then return err end
  local denied = writable(cal)
  if denied then return denied end
  local copy = {}
  for k, v in pairs(e) do copy[k] = v end
  local aerr = apply(ctx, copy) -- all or nothing
  if aerr then return aerr end
  for k, v in pairs(copy) do e[k] = v end
  e.updated_at = state.iso(state.now_ms())
  return reply.ok({ object = "CalendarEventUpdated" })
end)

H.CalendarsController_deleteCalendarEvent = route(function(ctx, _, cal)
  local e, err = event_of(ctx, cal)
  if err then return err end
  local denied = writable(cal)
  if denied then return denied end
  state.get().events[e.id] = nil
  return reply.ok({ object = "CalendarEventDeleted" })
end)

local _ = present

return H
