--- Hosted authentication links: `client.hosted:link{...}`.
-- @module unipile.helpers.hosted

local errors = require "unipile.errors"
local resources = require "unipile.resources"

local M = {}

-- ISO 8601 in UTC with milliseconds, the form the API documents.
local function iso8601(t)
  return os.date("!%Y-%m-%dT%H:%M:%S.000Z", t)
end
M.iso8601 = iso8601

--- Ask for a hosted auth URL. Defaults: `type = "create"`, `providers = "*"`
-- (for create), `api_url` = the client's base URL origin, `expiresOn` = one
-- hour from now (or `expires_in` seconds). `reconnect_account` for
-- reconnect links. Returns the URL, then the whole answer. Written
-- non-raising (`nil, err`); `client.hosted:link` raises the error.
function M.link(resource, params, opts)
  params = params or {}
  if type(params) ~= "table" then return nil, resources.usage_error("hosted:link", "params must be a table") end
  local p = {}
  for k, v in pairs(params) do if k ~= "expires_in" then p[k] = v end end
  p.type = p.type or "create"
  if p.type ~= "create" and p.type ~= "reconnect" then
    return nil, resources.usage_error("hosted:link", "type must be 'create' or 'reconnect'", "type")
  end
  if p.type == "create" and p.providers == nil then p.providers = "*" end
  if p.type == "reconnect" and not p.reconnect_account then
    return nil, resources.usage_error("hosted:link", "a reconnect link needs reconnect_account", "reconnect_account")
  end
  p.api_url = p.api_url or resource.client.base.origin
  p.expiresOn = p.expiresOn or iso8601(os.time() + (params.expires_in or 3600))
  local answer, err = resource:non_raising():request_link(p, opts)
  if err then return nil, err end
  if type(answer) ~= "table" or answer.object ~= "HostedAuthUrl" or type(answer.url) ~= "string" then
    return nil, errors.new { kind = "decode", operation = "hosted:link",
      message = "no HostedAuthUrl with a url in the answer" }
  end
  return answer.url, answer
end

return M
