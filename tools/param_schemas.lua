--- The parameters' schemas, for the generators (tools/gen_docs.lua, the
-- reference; tools/gen_cli_facts.lua, the command line's types): the
-- OpenAPI document's (api/param-schemas.json, tools/schemas.py
-- derive-params) and, where it lacks one, SUPPLEMENT's.
-- Run from the checkout's root.
local cjson = require "cjson"

local M = {}

local function read_json(path)
  local f = assert(io.open(path, "rb"))
  local doc = cjson.decode(f:read("*a"))
  f:close()
  return doc.operations
end
local PARAMS = read_json("api/param-schemas.json")
local ANSWERS = read_json("api/response-schemas.json")
local NULL = cjson.null

-- Schemas of the parameters the OpenAPI document does not give (or gives
-- without a type), by operation id and "place:name" (or "*" for any
-- operation), from the newer reference pages and what the sandbox accepts.
local str, int, bool = { type = "string" }, { type = "integer" }, { type = "boolean" }
local url = { type = "string", format = "uri" }
local years = { type = "integer", minimum = 0, maximum = 100 }
local SUPPLEMENT = {
  ["*"] = { ["query:cursor"] = str, ["query:account_id"] = str, ["body:ip"] = { type = "string", format = "ipv4" } },
  AccountsController_patchAccount = {
    ["path:id"] = str, ["body:proxy"] = { type = "object" }, ["body:country"] = { type = "string", minLength = 2, maxLength = 2 },
  },
  ChatsController_deleteChat = { ["path:chat_id"] = str },
  MessagesController_deleteMessage = { ["path:message_id"] = str },
  MessagesController_addReaction = { ["path:message_id"] = str, ["body:reaction"] = str },
  MailsController_listContacts = { ["query:limit"] = int },
  HostedController_requestLink = {
    ["body:success_redirect_url"] = url, ["body:failure_redirect_url"] = url,
    ["body:notify_url"] = url, ["body:api_url"] = url,
  },
  ChatsController_sendMessageInChat = { ["body:typing_duration"] = { type = "integer", minimum = 0 } },
  PostsController_listAllComments = { ["query:sort_by"] = { type = "string", enum = { "MOST_RECENT", "MOST_RELEVANT" } } },
  PostsController_sendComment = { ["body:attachments"] = { type = "array", items = { type = "string", format = "binary" } } },
  LinkedinController_getHiringProjects = {
    ["query:sort_by"] = { type = "string", enum = { "created_at", "name" } },
    ["query:sort_order"] = { type = "string", enum = { "asc", "desc" } },
  },
  LinkedinController_getRawData = { ["body:force_api"] = bool, ["body:bypass_redirect"] = bool },
  LinkedinController_getSearchParametersList = { ["query:service"] = { type = "string", enum = { "CLASSIC", "RECRUITER" } } },
  LinkedinController_createJobPosting = { ["body:apply_method"] = { type = "object" } },
  LinkedinController_editJobPosting = { ["body:apply_method"] = { type = "object" } },
  LinkedinController_getJobApplicants = {
    ["query:max_years_in_company"] = years, ["query:min_years_in_company"] = years,
    ["query:max_years_in_position"] = years, ["query:min_years_in_position"] = years,
    ["query:max_years_of_experience"] = years, ["query:min_years_of_experience"] = years,
    ["query:exclude_degree"] = { type = "array", items = str }, ["query:include_degree"] = { type = "array", items = str },
    ["query:sort_by"] = str,
  },
  MailsController_listMails = { ["query:search"] = str, ["query:exclude_folders"] = { type = "array", items = str } },
  MailsController_updateMail = { ["body:categories"] = { type = "array", items = str } },
  CalendarsController_createCalendarEvent = { ["body:color"] = str, ["body:notify"] = bool, ["body:guests_can_modify"] = bool },
}

local function type_list(schema)
  local t = schema.type
  if type(t) == "table" then return t end
  return t and { t } or {}
end

local function object_name(schema)
  local obj = schema.properties and schema.properties.object
  return obj and obj.enum and obj.enum[1]
end

-- A schema as an LDoc type word (no spaces): string, integer, {string,...}, table, ...
local function type_word(schema)
  if schema.anyOf or schema.oneOf then
    local words, seen = {}, {}
    for _, sub in ipairs(schema.anyOf or schema.oneOf) do
      local w = type_word(sub) or "any"
      for part in w:gmatch("[^|]+") do
        if not seen[part] then seen[part] = true; words[#words + 1] = part end
      end
    end
    return #words > 0 and table.concat(words, "|") or nil
  end
  local words = {}
  for _, t in ipairs(type_list(schema)) do
    if t == "array" then
      local item = type(schema.items) == "table" and (object_name(schema.items) or type_word(schema.items)) or nil
      words[#words + 1] = item and not item:find("|") and ("{" .. item .. ",...}") or "array"
    elseif t == "object" then
      words[#words + 1] = "table"
    elseif t == "null" then
      words[#words + 1] = "null"
    else
      words[#words + 1] = t
    end
  end
  if #words == 0 and schema.enum then
    local kinds = {}
    for _, v in ipairs(schema.enum) do kinds[type(v) == "number" and "number" or "string"] = true end
    for k in pairs(kinds) do words[#words + 1] = k end
    table.sort(words)
  end
  if #words == 0 and (schema.format or schema.pattern) then words[1] = "string" end
  return #words > 0 and table.concat(words, "|") or nil
end

local function op_key(op) return op.method .. " " .. op.path end

-- The schema of one parameter: the OpenAPI's, or the supplement's when
-- the document lacks it or gives it no type.
local function param_schema(op, place, name)
  local facts = PARAMS[op_key(op)]
  local found
  for _, p in ipairs(facts and facts.params or {}) do
    if p["in"] == place and p.name == name then found = p.schema break end
  end
  if found and type_word(found) then return found end
  local key = place .. ":" .. name
  local extra = (SUPPLEMENT[op.id] or {})[key] or SUPPLEMENT["*"][key]
  if not extra and name == "limit" then extra = int end
  return extra or found or {}
end

M.PARAMS, M.ANSWERS, M.NULL, M.SUPPLEMENT = PARAMS, ANSWERS, NULL, SUPPLEMENT
M.type_list, M.object_name, M.type_word = type_list, object_name, type_word
M.op_key, M.param_schema = op_key, param_schema
return M
