-- The sandbox's calendars group over curl, on the default data set.
local cjson = require "cjson"
local support = require "support"
local sapi = require "support.sandbox_api"
local api, status, esc = sapi.api, sapi.status, sapi.esc
local ids_of = sapi.ids_of

describe("sandbox: calendars", function()
  local _, cals, cal, EP, evs, c_ev, n_pages, off, ev, all_ev, evd, ro, s, d
  local GQ
  setup(function()
    local set = sapi.default_set(support.sandbox())
    GQ = set.GQ
  end)
  teardown(function() support.reset() end)

  describe("calendars: {data, next_cursor}; event create, read, edit, delete", function()
    it("calendars: data + next_cursor", function()
      _, cals = api("GET", "/api/v1/calendars" .. GQ)
      cal = cals.data[1]
      EP = "/api/v1/calendars/" .. esc(cal.id) .. "/events"
      assert.truthy(#cals.data == 2 and cal.is_default and cals.next_cursor == nil and cals.items == nil)
    end)

    it("events: pages by next_cursor, by start", function()
      evs, c_ev, n_pages = {}, nil, 0
      repeat
        local _, p = api("GET", EP .. GQ .. "&limit=4" .. (c_ev and "&cursor=" .. esc(c_ev) or ""))
        for _, e in ipairs(p.data) do evs[#evs + 1] = e end
        c_ev, n_pages = p.next_cursor ~= cjson.null and p.next_cursor or nil, n_pages + 1
      until not c_ev or n_pages > 10
      assert.truthy(#evs == 6 and n_pages == 2 and evs[1].start and
        (evs[1].start.date_time or evs[1].start.date) <= (evs[2].start.date_time or evs[2].start.date))
    end)

    it("events: offset", function()
      _, off = api("GET", EP .. GQ .. "&offset=2&limit=1")
      assert.truthy(off.data[1].id == evs[3].id)
    end)

    it("created event listed and readable", function()
      s, d = api("POST", EP
          .. GQ, { json = { title = "Standup", start = { date_time = "2030-01-02T09:00:00.000Z", time_zone = "UTC" },
        ["end"] = { date_time = "2030-01-02T09:15:00.000Z", time_zone = "UTC" }, attendees = { { email = "a@example.org" } } } })
      ev = EP .. "/" .. tostring(d.event_id) .. GQ
      _, all_ev = api("GET", EP .. GQ .. "&limit=50")
      assert.truthy(s == 201 and ids_of(all_ev.data)[d.event_id] and status("GET", ev) == 200)
    end)

    it("edited event", function()
      s = status("PATCH", ev, { json = { title = "Standup (moved)", location = "Room 2" } })
      _, evd = api("GET", ev)
      assert.truthy(s == 200 and evd.title == "Standup (moved)" and evd.location == "Room 2" and evd.updated_at > evd.created_at)
    end)

    it("end before start → 400", function()
      assert.truthy(status("PATCH", ev, { json = { ["end"] = "2029-01-01T00:00:00.000Z" } }) == 400)
    end)

    it("deleted event → 404", function()
      assert.truthy(status("DELETE", ev) == 200 and status("GET", ev) == 404)
    end)

    it("read-only calendar → 403", function()
      ro = cals.data[2]
      assert.truthy(not ro.is_read_only or status("POST", "/api/v1/calendars/" .. esc(ro.id) .. "/events" .. GQ,
        { json = { title = "x", start = "2030-01-01T00:00:00.000Z", ["end"] = "2030-01-01T01:00:00.000Z",
            attendees = {} } }) == 403)
    end)
  end)
end)
