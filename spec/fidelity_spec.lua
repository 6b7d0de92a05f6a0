-- The sandbox answers in the API's own shapes. Every operation is called
-- through the SDK with the sandbox's example params, then again with the
-- documented error cases (no key, wrong key, unknown id, bad limit); each
-- JSON answer is validated by tools/schemas.py (python3-jsonschema) against
-- the schema Unipile's OpenAPI gives for its method, path and status
-- (api/response-schemas.json, derived from the yaml). One test per
-- operation lists its mismatches: JSON path and reason.
local cjson = require "cjson"
local http = require "socket.http"
local ltn12 = require "ltn12"
local operations = require "unipile.operations"
local unipile = require "unipile"
local support = require "support"

local PYTHON = support.PYTHON
local SCHEMAS = "api/response-schemas.json"

local function has_validator()
  return os.execute(PYTHON .. " -c 'import jsonschema' 2>/dev/null") == true
    or os.execute(PYTHON .. " -c 'import jsonschema' 2>/dev/null") == 0
end

describe("fidelity to the OpenAPI", function()
  local problems, summary = {}, nil

  local function line(op, status, body_json)
    return string.format('{"operation":%s,"method":%s,"path":%s,"status":%d,"body":%s}',
      cjson.encode(op.id), cjson.encode(op.method), cjson.encode(op.path), status, body_json)
  end

  -- The same request as the sandbox recorded, sent without a key.
  local function without_key(sb, rec)
    local chunks = {}
    local _, status = http.request {
      url = sb.url .. rec.path .. (rec.query ~= "" and ("?" .. rec.query) or ""), method = rec.method,
      sink = ltn12.sink.table(chunks), headers = { accept = "application/json" },
    }
    return status, table.concat(chunks)
  end

  local function error_line(op, err)
    if type(err) == "table" and err.kind == "http" and type(err.body) == "table" then
      return line(op, err.status, cjson.encode(err.body))
    end
  end

  -- A copy of `params` with its first path param replaced by an unknown id.
  local function unknown_id(op, params)
    local name = op.path_params[1]
    if not name then return nil end
    local p = {}
    for k, v in pairs(params) do p[k] = v end
    p[name] = "unknown_id_000"
    return p
  end

  setup(function()
    local sb = support.reset()
    local examples = support.examples()
    local client = support.client { retries = 0 }
    local stranger = unipile.new { dsn = sb.url, api_key = "sk_not_the_key", retries = 0 }
    local out = {}
    for _, op in ipairs(operations.list) do
      local params = examples[op.id]
      if params and op.response ~= "binary" then
        sb:clear_requests()
        local pending = client:start_call(op.id, params, { raw = true })
        local body, err = pending:result()
        if body ~= nil then
          out[#out + 1] = line(op, pending.response.status, body ~= "" and body or "null")
        else
          out[#out + 1] = error_line(op, err)
          problems[op.id] = { "the example call failed: " .. tostring(err) }
        end
        local rec = support.last()
        if rec then
          local status, raw = without_key(sb, rec)
          if status and raw ~= "" then out[#out + 1] = line(op, status, raw) end
        end
        out[#out + 1] = error_line(op, select(2, stranger.safe:call(op.id, params)))
        local p = unknown_id(op, params)
        if p then out[#out + 1] = error_line(op, select(2, client.safe:call(op.id, p))) end
        if op.max_limit then
          local _, e = client.safe:request { method = op.method, path = op.path:gsub("{[^}]+}", "x"),
            query = { limit = op.max_limit + 1 } }
          -- the path may be another operation's once "x" fills it: only a 400 here is this one's
          if e and e.status == 400 then out[#out + 1] = error_line(op, e) end
        end
      end
    end
    -- kept for reading after a failure (tools/schemas.py check can run on it alone)
    local answers = support.kept_file("fidelity-answers", table.concat(out, "\n") .. "\n")
    local p = assert(io.popen(PYTHON .. " tools/schemas.py check " .. SCHEMAS .. " " .. answers .. " 2>&1"))
    for l in p:lines() do
      local id = l:match("^([%w_]+) %d+ %(")
      if id then
        problems[id] = problems[id] or {}
        table.insert(problems[id], l)
      elseif l:find("^schemas:") then
        summary = l
      else
        problems.checker = problems.checker or {}
        table.insert(problems.checker, l)
      end
    end
    p:close()
    print(summary)
  end)

  -- Where Unipile's document is beside the repo, the derived file must be
  -- exactly what tools/schemas.py makes of it (a plain clone validates with
  -- the committed file alone).
  local yaml = os.getenv("UNIPILE_SHARED_OPENAPI") or "../shared/api/openapi-v1.yaml"
  if yaml ~= "" and io.open(yaml) then
    it("api/response-schemas.json is what tools/schemas.py derives from " .. yaml, function()
      local out = os.tmpname()
      assert(os.execute(PYTHON .. " tools/schemas.py derive " .. yaml .. " > " .. out))
      local derived, committed = support.read_file(out), support.read_file(SCHEMAS)
      os.remove(out)
      assert(derived == committed, SCHEMAS .. " is stale: run tools/schemas.py derive " .. yaml .. " > " .. SCHEMAS)
    end)
  end

  it("the checker ran", function()
    assert.is_true(has_validator(), PYTHON .. " has no jsonschema (Debian: python3-jsonschema)")
    assert.is_nil(problems.checker, table.concat(problems.checker or {}, "\n"))
    assert.is_string(summary)
  end)

  for _, op in ipairs(operations.list) do
    it(op.group .. ":" .. op.name .. " answers in its schema (" .. op.id .. ")", function()
      local mine = problems[op.id]
      assert(mine == nil, "\n" .. table.concat(mine or {}, "\n"))
    end)
  end
end)
