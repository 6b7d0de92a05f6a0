--- Dry runs (`dry_run = true`, per client or per call): the request as it
-- would be sent, built by the same code, and returned instead of sent.
-- Nothing reaches the network (the C core never sees the record).
-- @module unipile.client.dry
-- @local

local cjson = require "cjson"
local watch = require "unipile.client.watch"

local M = {}

--- What a dry run returns for `request` on `client`: `{ dry_run = true,
-- method, url, path, query, operation, headers (lines; the key as ***),
-- body (the bytes) and json (decoded) | parts ({name, filename, size,
-- value}) }`.
function M.record(client, request)
  local headers = {}
  for _, h in ipairs(client.shown_headers) do headers[#headers + 1] = h end
  for _, h in ipairs(request.headers or {}) do headers[#headers + 1] = h end
  local r = { dry_run = true, method = request.method, url = request.url, path = request.path,
    query = request.url:match("%?(.*)$"), operation = request.operation_id or request.operation, headers = headers,
    body = request.body }
  if request.parts then r.parts = watch.shown_parts(request.parts) end
  if type(request.body) == "string" then
    local ok, decoded = pcall(cjson.decode, request.body)
    if ok then r.json = decoded end
  end
  return r
end

-- A pending request that is already done: `wait` and `result` give the record.
local Dry = {}
Dry.__index = Dry

function Dry:wait() return self.record end
function Dry:result() return self.record end

function M.pending(client, request)
  return setmetatable({ record = M.record(client, request), request = request, dry_run = true }, Dry)
end

return M
