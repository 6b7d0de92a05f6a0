-- The sandbox's LinkedIn groups over curl, on the default data set:
-- posts, comments, reactions; search; job postings.
local cjson = require "cjson"
local support = require "support"
local sapi = require "support.sandbox_api"
local api, status, esc, write = sapi.api, sapi.status, sapi.esc, sapi.write
local first_of, ids_of = sapi.first_of, sapi.ids_of
local sandbox = require "unipile.sandbox"

describe("sandbox: posts, search, jobs", function()
  local self_pid, post_id, _, posts, comments, post, my_comments, reacts, seeded_post, got, cur, pages, page1,
    page2, locs, job, job_state, draft, cp_path, jobs, listed, apps, app, s_resume, resume, rh, seeded, s, d
  local TMP, st, LI, Q
  setup(function()
    local set = sapi.default_set(support.sandbox())
    TMP, st, LI, Q = sapi.TMP, set.st, set.LI, set.Q
  end)
  teardown(function() support.reset() end)

  job_state = function() local _, j = api("GET", job .. Q .. "&service=CLASSIC"); return j.state end

  describe("posts, comments, reactions", function()
    it("created post first in the user's posts, paging{page_count}", function()
      self_pid = select(2, api("GET", "/api/v1/users/me" .. Q)).provider_id
      write(TMP .. "/pic.png", "\137PNG\r\n\26\nfake")
      s, d = api("POST", "/api/v1/posts",
        { form = { "account_id=" .. LI.id, "text=Hello world", "attachments=@" .. TMP .. "/pic.png" } })
      post_id = d.post_id
      _, posts = api("GET", "/api/v1/users/" .. self_pid .. "/posts" .. Q .. "&limit=2")
      assert.truthy(s == 201 and posts.items[1].id == post_id
        and posts.items[1].attachments[1].mimetype == "image/png" and posts.paging.page_count == 2
        and type(posts.cursor) == "string" and posts.object == "PostList", cjson.encode(posts.paging))
    end)

    it("comment listed, total_items + paging{start,page_count,total_count}", function()
      s, d = api("POST", "/api/v1/posts/" .. post_id .. "/comments", { form = { "account_id=" .. LI.id, "text=First!" } })
      _, comments = api("GET", "/api/v1/posts/" .. post_id .. "/comments" .. Q)
      _, post = api("GET", "/api/v1/posts/" .. post_id .. Q)
      assert.truthy(s == 201 and comments.items[1].id == d.comment_id
        and comments.total_items == 1 and comments.paging.start == 0 and comments.paging.page_count == 1
        and comments.paging.total_count == 1 and post.comment_counter == 1, cjson.encode(comments))
    end)

    it("comment in the user's comments", function()
      _, my_comments = api("GET", "/api/v1/users/" .. self_pid .. "/comments" .. Q)
      assert.truthy(ids_of(my_comments.items)[d.comment_id] == true and my_comments.paging.page_count >= 1)
    end)

    it("reaction listed, cursor inside paging", function()
      s = status("POST", "/api/v1/posts/reaction", { json = { account_id = LI.id, post_id = post_id,
          reaction_type = "celebrate" } })
      _, reacts = api("GET", "/api/v1/posts/" .. post_id .. "/reactions")
      assert.truthy(s == 201 and reacts.items[1].value == "PRAISE" and reacts.cursor == nil
        and reacts.paging.cursor == cjson.null and reacts.paging.total_count == 1, cjson.encode(reacts))
    end)

    it("a second reaction replaces the first", function()
      api("POST", "/api/v1/posts/reaction", { json = { account_id = LI.id, post_id = post_id, reaction_type = "love" } })
      _, post = api("GET", "/api/v1/posts/" .. post_id .. Q)
      assert.truthy(post.reaction_counter == 1)
    end)

    it("post reactions paginate through paging.cursor", function()
      seeded_post = st.posts[1]
      got, cur, pages = {}, nil, 0
      repeat
        local _, p = api("GET", "/api/v1/posts/" .. seeded_post.id .. "/reactions?limit=1" .. (cur and "&cursor="
            .. esc(cur) or ""))
        for _, it in ipairs(p.items) do got[#got + 1] = it.id end
        cur, pages = p.paging.cursor ~= cjson.null and p.paging.cursor or nil, pages + 1
      until not cur or pages > 10
      _, seeded = api("GET", "/api/v1/posts/" .. seeded_post.id .. Q)
      assert.truthy(#got == seeded.reaction_counter and #got >= 2 and pages == #got and got[1] ~= got[2],
        #got .. " of " .. seeded.reaction_counter)
    end)
  end)

  describe("LinkedIn search: the cursor alone (in the body) continues the search", function()
    it("search: paging, config, metadata; body cursor", function()
      _, page1 = api("POST", "/api/v1/linkedin/search" .. Q .. "&limit=3", { json = { category = "people" } })
      _, page2 = api("POST", "/api/v1/linkedin/search" .. Q, { json = { cursor = page1.cursor } })
      assert.truthy(page1.paging.start == 0 and page1.paging.page_count == 3
        and page1.paging.total_count == 10 and page1.config.params.category == "people" and page1.metadata.search_history_id
        and page2.paging.start == 3 and page2.items[1].id ~= page1.items[1].id
            and page2.items[1].type == "PEOPLE", cjson.encode(page2.paging))
    end)

    it("search parameters", function()
      _, locs = api("GET", "/api/v1/linkedin/search/parameters" .. Q .. "&type=LOCATION&keywords=fra")
      assert.truthy(locs.items[1].title == "France" and locs.cursor == nil)
    end)

    it("search parameters: limit 101 → 400", function()
      assert.truthy(status("GET", "/api/v1/linkedin/search/parameters" .. Q .. "&type=LOCATION&limit=101") == 400)
    end)
  end)

  describe("job postings: draft → published → closed", function()
    it("create job → draft", function()
      s, d = api("POST", "/api/v1/linkedin/jobs", { json = { account_id = LI.id, job_title = { text = "Lua dev" },
        company = { text = "Acme" }, workplace = "REMOTE", location = "105015875", description = "<p>x</p>" } })
      job = "/api/v1/linkedin/jobs/" .. tostring(d.job_id)
      assert.truthy(s == 200 and d.object == "LinkedinJobPostingDraftCreated" and job_state() == "draft"
        and d.publish_options.free.eligible == true)
    end)

    it("publish → published", function()
      s = status("POST", "/api/v1/linkedin/jobs/" .. d.job_id .. "/publish", { json = { account_id = LI.id, mode = "FREE" } })
      assert.truthy(s == 200 and job_state() == "active")
    end)

    it("publish again → 422", function()
      assert.truthy(status("POST", job .. "/publish", { json = { account_id = LI.id, mode = "FREE" } }) == 422)
    end)

    it("close → closed", function()
      s = status("POST", job .. "/close" .. Q)
      assert.truthy(s == 200 and job_state() == "closed" and status("POST", job .. "/close" .. Q) == 422)
    end)

    it("promoted publish → checkpoint; wrong input → 401; right → published", function()
      draft = first_of(st.jobs, function(j) return j.account_id == LI.id and j.state == "draft" and not j.checkpoint end)
      s, d = api("POST", "/api/v1/linkedin/jobs/" .. draft.id .. "/publish",
        { json = { account_id = LI.id, mode = "PROMOTED", budget = { amount = 5, currency = "EUR" } } })
      cp_path = "/api/v1/linkedin/jobs/" .. draft.id .. "/checkpoint"
      assert.truthy(s == 200 and d.object == "LinkedinJobPostingPublishCheckpoint" and d.type == "OTP"
        and status("POST", cp_path, { json = { account_id = LI.id, input = "000000" } }) == 401
        and status("POST", cp_path, { json = { account_id = LI.id, input = "424242" } }) == 200)
    end)

    it("jobs list: paging{page_count,total_count}", function()
      _, jobs = api("GET", "/api/v1/linkedin/jobs" .. Q .. "&limit=2")
      assert.truthy(jobs.paging.page_count == 2 and jobs.paging.total_count == 5
        and jobs.paging.start == nil and type(jobs.cursor) == "string")
    end)

    it("applicants and resume bytes", function()
      listed = first_of(st.jobs, function(j) return j.state == "active" end)
      _, apps = api("GET", "/api/v1/linkedin/jobs/" .. listed.id .. "/applicants" .. Q)
      app = first_of(sapi.sb:state().applicants, function(a) return a.id == apps.items[1].id end) -- with its resume
      s_resume, resume, rh = api("GET", "/api/v1/linkedin/jobs/applicants/" .. app.id .. "/resume" .. Q)
      assert.truthy(apps.paging.total_count == 3 and s_resume == 200 and #resume == app.resume.file_size
        and rh:lower():find("content%-type: application/pdf") and resume:sub(1, 5) == "%PDF-"
        and resume == sandbox.resume_bytes(app) and rh:find('filename="' .. app.resume.file_name, 1, true))
    end)
  end)
end)
