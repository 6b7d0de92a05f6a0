-- The answer variants that the sandbox's examples (one call per operation,
-- spec/fidelity_spec.lua) do not reach: each is called here through the SDK,
-- must be the variant it names and must validate against the schema of its
-- operation and status (tools/schemas.py, api/response-schemas.json).
local cjson = require "cjson"
local operations = require "unipile.operations"
local support = require "support"

local PYTHON = support.PYTHON

-- name, operation, params (from the examples `ex` and the state `st`), test of the decoded answer
local VARIANTS = {
  { "search: companies", "LinkedinController_search", function(ex)
      return { account_id = ex.LinkedinController_search.account_id, category = "companies", limit = 3 }
    end, function(b) return b.items[1].type == "COMPANY" end },
  { "search: posts", "LinkedinController_search", function(ex)
      return { account_id = ex.LinkedinController_search.account_id, category = "posts", limit = 3 }
    end, function(b) return b.items[1].type == "POST" end },
  { "search: jobs", "LinkedinController_search", function(ex)
      return { account_id = ex.LinkedinController_search.account_id, category = "jobs", limit = 3 }
    end, function(b) return b.items[1].type == "JOB" and type(b.items[1].company) == "table" end },
  { "search: people, first degree", "LinkedinController_search", function(ex)
      return { account_id = ex.LinkedinController_search.account_id, category = "people", limit = 50 }
    end, function(b)
      for _, p in ipairs(b.items) do
        if p.network_distance == "DISTANCE_1" then return true end
      end
    end },
  { "publish, promoted: checkpoint", "LinkedinController_publishJobPosting", function(ex)
      local p = ex.LinkedinController_publishJobPosting
      return { draft_id = p.draft_id, account_id = p.account_id, mode = "PROMOTED",
        budget = { amount = 5, currency = "EUR" } }
    end, function(b, status) return status == 200 and b.object == "LinkedinJobPostingPublishCheckpoint" end },
  { "closed jobs", "LinkedinController_getJobPostings", function(ex)
      return { account_id = ex.LinkedinController_getJobPostings.account_id, category = "CLOSED" }
    end, function(b) return b.items[1].state == "closed" and type(b.items[1].closed_at) == "number" end },
  { "email, full without headers", "MailsController_getMail", function(ex)
      return { email_id = ex.MailsController_getMail.email_id }
    end, function(b) return b.kind == "2_full" and b.headers == nil end },
  { "emails, full", "MailsController_listMails", function(ex)
      return { account_id = ex.MailsController_listMails.account_id, limit = 50 }
    end, function(b)
      local kinds = {}
      for _, e in ipairs(b.items) do kinds[e.kind or "none"] = true end
      return kinds["0_ref"] and kinds["2_full"] and not kinds["1_meta"]
    end },
}

describe("fidelity of the answer variants", function()
  local answers, report = {}, {}

  setup(function()
    support.reset()
    local examples = support.examples()
    local client = support.client { retries = 0 }
    local lines = {}
    for i, v in ipairs(VARIANTS) do
      local op = operations.by_id[v[2]]
      local pending = client:start_call(op.id, v[3](examples), { raw = true })
      local body = pending:result()
      answers[i] = { status = pending.response and pending.response.status, body = body and cjson.decode(body) }
      lines[#lines + 1] = string.format('{"operation":%s,"method":%s,"path":%s,"status":%d,"body":%s}',
        cjson.encode(op.id), cjson.encode(op.method), cjson.encode(op.path), answers[i].status or 0, body or "null")
    end
    local file = support.kept_file("fidelity-variants", table.concat(lines, "\n") .. "\n")
    local p = assert(io.popen(PYTHON .. " tools/schemas.py check api/response-schemas.json " .. file .. " 2>&1"))
    for l in p:lines() do report[#report + 1] = l end
    p:close()
  end)

  for i, v in ipairs(VARIANTS) do
    it(v[1] .. " (" .. v[2] .. ") is that variant", function()
      local a = answers[i]
      assert.is_table(a.body, "no JSON answer")
      assert.is_true(v[4](a.body, a.status) == true, cjson.encode(a.body))
    end)
  end

  it("every variant answers in its schema", function()
    assert.are.equal(1, #report, table.concat(report, "\n"))
    assert.matches("^schemas: (%d+) of %1 JSON answers valid", report[1])
  end)
end)
