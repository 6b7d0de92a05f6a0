-- Every operation of the registry called over curl with the parameters of
-- GET /_sandbox/examples, encoded as the table says: each answers 2xx.
local cjson = require "cjson"
local support = require "support"
local sapi = require "support.sandbox_api"
local api, esc, write, quote = sapi.api, sapi.esc, sapi.write, sapi.quote

describe("sandbox examples", function()
  local registry, is_file, str, is_list, form_args, call_op, run_examples, called, passed, missing
  local sb, TMP
  setup(function()
    sb = support.sandbox()
    TMP = sapi.use(sb).TMP
  end)
  teardown(function() support.reset() end)

  is_file = function(v) return type(v) == "table" and v.filename ~= nil and v.content ~= nil end

  -- cjson on Lua 5.4 decodes 10 as 10.0
  str = function(v)
    if type(v) == "number" and v == math.floor(v) then return string.format("%d", v) end
    return tostring(v)
  end

  is_list = function(v) return type(v) == "table" and (#v > 0 or next(v) == nil) end

  -- Multipart form arguments for curl: JSON-text fields, files, repeated
  -- keys for arrays, brackets for nested tables.
  form_args = function(name, v, op, out, files)
    if op.json_fields[name] then
      out[#out + 1] = "--form-string " .. quote(name .. "=" .. cjson.encode(v))
    elseif is_file(v) then
      files[#files + 1] = v
      local path = TMP .. "/upload" .. #files
      write(path, v.content)
      out[#out + 1] = "-F " .. quote(name .. "=@" .. path .. ";filename=" .. v.filename .. ";type="
        .. (v.content_type or "application/octet-stream"))
    elseif type(v) == "table" and is_list(v) then
      for i, x in ipairs(v) do
        if type(x) == "table" then form_args(name .. "[" .. (i - 1) .. "]", x, op, out, files)
        else form_args(name, x, op, out, files) end
      end
    elseif type(v) == "table" then
      for k, x in pairs(v) do form_args(name .. "[" .. k .. "]", x, op, out, files) end
    else
      out[#out + 1] = "--form-string " .. quote(name .. "=" .. str(v))
    end
  end

  -- status, body, headers of `op` called with flat `params`.
  call_op = function(op, params)
    local path = op.path:gsub("{([^}]+)}", function(n) return esc(str(params[n])) end)
    local query, body, form, files = {}, {}, {}, {}
    for name, v in pairs(params) do
      local where = op.where[name]
      if not where then error("example of " .. op.id .. " names an unknown parameter " .. name) end
      if where == "query" then
        for _, x in ipairs(type(v) == "table" and v or { v }) do query[#query + 1] = esc(name) .. "=" .. esc(str(x)) end
      elseif where == "body" then
        if op.body == "multipart" then form_args(name, v, op, form, files) else body[name] = v end
      end
    end
    table.sort(query)
    local opts = { raw = table.concat(form, " ") }
    if op.body == "json" and next(body) then opts.json = body end
    if op.body == "json" and not next(body) then opts.raw = "-H 'Content-Type: application/json' --data-binary '{}'" end
    return api(op.method, path .. (#query > 0 and "?" .. table.concat(query, "&") or ""), opts)
  end

  run_examples = function()
    local ex = sb:call("GET", "/_sandbox/examples")
    local absent, n, ok2xx = {}, 0, 0
    for _, op in ipairs(registry.list) do
      local params = ex[op.id]
      if not params then
        absent[#absent + 1] = op.id
      else
        n = n + 1
        local code, body = call_op(op, params)
        if code and code >= 200 and code < 300 then
          ok2xx = ok2xx + 1
        else
          print("  example " .. op.id .. " → " .. tostring(code) .. " "
            .. (type(body) == "table" and cjson.encode(body) or tostring(body):sub(1, 200)))
        end
      end
    end
    return n, ok2xx, absent
  end

  -- in table order, encoded as the table says (path, query, JSON or multipart body)
  describe("every operation with the parameters of GET /_sandbox/examples", function()
    it("examples: every operation has one", function()
      registry = require "unipile.operations"





      sb:reset({ seed = 5 })
      called, passed, missing = run_examples()
      assert.truthy(#missing == 0, table.concat(missing, " "))
    end)

    it("examples: every call 2xx", function()
      assert.truthy(called == #registry.list and passed == called, passed .. "/" .. called)
    end)
  end)
end)
