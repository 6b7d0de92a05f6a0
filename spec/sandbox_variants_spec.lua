-- The seeded data set shows every variant the OpenAPI defines for the
-- accounts, chats, messages, attendees and webhooks (each account type,
-- attachment type, message type...), and all of it in its schema: every
-- page of every list and every single chat is validated by tools/schemas.py,
-- and the variants are read from api/response-schemas.json itself. The
-- checkpoint types (not in the OpenAPI: node-sdk) are seeded, shown by
-- /_sandbox/state and solved each in its own way.
local cjson = require "cjson"
local registry = require "unipile.operations"
local support = require "support"

local PYTHON = support.PYTHON
local SCHEMAS = "api/response-schemas.json"

local function read_json(path)
  local f = assert(io.open(path))
  local doc = cjson.decode(f:read("*a"))
  f:close()
  return doc
end

-- The schema of `op_id`'s success answer.
local function schema_of(doc, op_id, status)
  local op = registry.by_id[op_id]
  return doc.operations[op.method .. " " .. op.path][status or "200"]
end

-- The values of `field` that the variants of an anyOf (or an enum) allow.
local function variant_values(node, field)
  local out = {}
  local function enum_of(s)
    for _, v in ipairs(s.enum or {}) do out[#out + 1] = v end
    for _, sub in ipairs(s.anyOf or {}) do enum_of(sub) end
  end
  if field then
    for _, v in ipairs(node.anyOf or { node }) do enum_of(v.properties[field]) end
  else
    enum_of(node)
  end
  return out
end

describe("sandbox data set variants", function()
  local sb, client, doc
  local lists = {} -- op id -> every item of every page
  local answers = {} -- JSON lines for tools/schemas.py

  local function record(op, body)
    answers[#answers + 1] = string.format('{"operation":%s,"method":%s,"path":%s,"status":200,"body":%s}',
      cjson.encode(op.id), cjson.encode(op.method), cjson.encode(op.path), body)
  end

  -- Every page of a list operation, each page recorded as the API sent it.
  local function all_pages(op_id, params)
    local op, items, cursor = registry.by_id[op_id], {}, nil
    repeat
      local p = { limit = op.max_limit or 100, cursor = cursor }
      for k, v in pairs(params or {}) do p[k] = v end
      local body = assert(client:call(op_id, p, { raw = true }))
      record(op, body)
      local page = cjson.decode(body)
      for _, x in ipairs(page.items) do items[#items + 1] = x end
      cursor = page.cursor ~= cjson.null and page.cursor or nil
    until not cursor
    return items
  end

  setup(function()
    sb = support.reset()
    client = support.client { retries = 0 }
    doc = read_json(SCHEMAS)
    for _, id in ipairs { "AccountsController_listAccounts", "ChatsController_listAllChats",
      "MessagesController_listAllMessages", "ChatAttendeesController_listAllAttendees",
      "WebhooksController_listWebhooks" } do
      lists[id] = all_pages(id)
    end
    local get_chat = registry.by_id["ChatsController_getChat"]
    lists.chats = {}
    for _, chat in ipairs(lists.ChatsController_listAllChats) do
      local body = assert(client:call(get_chat.id, { chat_id = chat.id }, { raw = true }))
      record(get_chat, body)
      lists.chats[#lists.chats + 1] = cjson.decode(body)
    end
  end)

  it("every page and every chat is in its schema", function()
    local path = support.kept_file("variants-answers", table.concat(answers, "\n") .. "\n")
    local p = assert(io.popen(PYTHON .. " tools/schemas.py check " .. SCHEMAS .. " " .. path .. " 2>&1"))
    local out = p:read("*a")
    p:close()
    local problems = out:gsub("schemas:[^\n]*\n?", "")
    assert.are.equal("", problems)
    assert.matches("schemas: (%d+) of %1 JSON answers valid", out)
  end)

  -- Values seen in the data, by what the schema calls the variants.
  local function seen(items, get)
    local set = {}
    for _, x in ipairs(items) do
      for _, v in ipairs(get(x)) do set[v] = true end
    end
    return set
  end
  local function one(field) return function(x) return { x[field] } end end
  local function each(field, sub)
    return function(x)
      local out = {}
      for _, v in ipairs(x[field] or {}) do out[#out + 1] = sub and v[sub] or v end
      return out
    end
  end
  local function message_item() return schema_of(doc, "MessagesController_getMessage") end
  local function chat_item() return schema_of(doc, "ChatsController_getChat") end

  local CASES = {
    { "account types", "AccountsController_listAccounts", one("type"),
      function() return variant_values(schema_of(doc, "AccountsController_listAccounts").properties.items.items, "type") end },
    { "account source statuses", "AccountsController_listAccounts", each("sources", "status"),
      function()
        return variant_values(schema_of(doc, "AccountsController_getAccountById").anyOf[1].properties.sources.items, "status")
      end },
    { "LinkedIn premium features", "AccountsController_listAccounts",
      function(a) return a.type == "LINKEDIN" and a.connection_params.im.premiumFeatures or {} end,
      function()
        for _, v in ipairs(schema_of(doc, "AccountsController_getAccountById").anyOf) do
          if v.properties.type.enum[1] == "LINKEDIN" then
            return variant_values(v.properties.connection_params.properties.im.properties.premiumFeatures.items)
          end
        end
      end },
    { "attachment types", "MessagesController_listAllMessages", each("attachments", "type"),
      function() return variant_values(message_item().properties.attachments.items, "type") end },
    { "message types", "MessagesController_listAllMessages", one("message_type"),
      function() return variant_values(message_item().properties.message_type) end },
    { "attendee types of messages", "MessagesController_listAllMessages", one("attendee_type"),
      function() return variant_values(message_item().properties.attendee_type) end },
    { "chat content types", "ChatsController_listAllChats", one("content_type"),
      function() return variant_values(chat_item().properties.content_type) end },
    { "chat folders", "ChatsController_listAllChats", each("folder"),
      function() return variant_values(chat_item().properties.folder.items) end },
    { "chat disabled features", "ChatsController_listAllChats", each("disabledFeatures"),
      function() return variant_values(chat_item().properties.disabledFeatures.items) end },
    { "attendee specifics", "ChatAttendeesController_listAllAttendees",
      function(a) return { a.specifics and a.specifics.provider } end,
      function()
        return variant_values(schema_of(doc, "ChatAttendeesController_getAttendeeById").properties.specifics, "provider")
      end },
    { "LinkedIn network distances", "ChatAttendeesController_listAllAttendees",
      function(a) return { a.specifics and a.specifics.network_distance } end,
      function()
        return variant_values(schema_of(doc, "ChatAttendeesController_getAttendeeById").properties.specifics.anyOf[1]
          .properties.network_distance)
      end },
    { "webhook types", "WebhooksController_listWebhooks", one("type"),
      function() return variant_values(schema_of(doc, "WebhooksController_listWebhooks").properties.items.items, "type") end },
  }
  for _, case in ipairs(CASES) do
    it("shows every variant of the " .. case[1], function()
      local have = seen(lists[case[2]], case[3])
      local wanted, missing = case[4](), {}
      assert.is_true(#wanted > 0, "no variants read from the schema")
      for _, v in ipairs(wanted) do
        if not have[v] then missing[#missing + 1] = tostring(v) end
      end
      assert.are.same({}, missing)
    end)
  end

  it("a single chat carries its newest message, a null one when empty", function()
    for _, chat in ipairs(lists.chats) do
      assert.is_table(chat.lastMessage)
      assert.are.equal(chat.id, chat.lastMessage.chat_id)
    end
    local account = sb:state().accounts[1].id
    local started = client.chats:start { account_id = account, attendees_ids = { "ACoAAnobody" }, text = "hi" }
    client.messages:delete { message_id = started.message_id }
    assert.are.equal(cjson.null, client.chats:get { chat_id = started.chat_id }.lastMessage)
  end)

  describe("checkpoints", function()
    local TYPES = { "2FA", "OTP", "QRCODE", "PHONE_REGISTER", "IN_APP_VALIDATION", "CAPTCHA", "CONTRACT_CHOOSER" }
    local pending

    before_each(function()
      support.reset()
      pending = {}
      for _, a in ipairs(sb:state().accounts) do
        if a.checkpoint then pending[a.checkpoint] = a end
      end
    end)

    it("one seeded account waits on each checkpoint type", function()
      for _, t in ipairs(TYPES) do
        assert.is_table(pending[t], t)
        assert.are.equal("CONNECTING", pending[t].status)
        assert.are.equal(t, pending[t].checkpoint_view.type)
      end
      assert.is_string(pending.CAPTCHA.checkpoint_view.public_key)
      assert.is_string(pending.CAPTCHA.checkpoint_view.data)
      assert.is_string(pending.QRCODE.checkpoint_view.qrcode)
      assert.are.equal("APP", pending["2FA"].checkpoint_view.source)
    end)

    -- The answer (decoded) or the error, and the status.
    local function solve(a, code)
      local p = client:start_call("AccountsController_solveCheckpoint", { account_id = a.id, provider = a.type, code = code })
      local body, err = p:result()
      return body, err, p.response and p.response.status
    end

    it("a phone number answers PHONE_REGISTER, then the texted code (201 both)", function()
      local a = pending.PHONE_REGISTER
      local _, err = solve(a, "0612345678")
      assert.are.equal(400, err.status)
      local cp, _, status = solve(a, "(+33)0612345678")
      assert.are.equal("Checkpoint", cp.object)
      assert.are.equal("OTP", cp.checkpoint.type)
      assert.are.equal(201, status)
      local done, _, done_status = solve(a, "123456")
      assert.are.same({ object = "AccountCreated", account_id = a.id }, done)
      assert.are.equal(201, done_status)
    end)

    it("a contract id answers CONTRACT_CHOOSER and becomes the account's contract", function()
      local a = pending.CONTRACT_CHOOSER
      local options = a.checkpoint_view.contract_options
      assert.are.equal(2, #options)
      local _, err = solve(a, "not-a-contract")
      assert.are.equal(400, err.status)
      assert(solve(a, options[2].id))
      local account = client.accounts:get { id = a.id }
      assert.are.equal(options[2].id, account.connection_params.im.premiumContractId)
      assert.are.equal("OK", account.sources[1].status)
    end)

    it("a CAPTCHA takes its answer; a wrong one is a 401", function()
      local a = pending.CAPTCHA
      local _, err = solve(a, "000000")
      assert.are.equal(401, err.status)
      assert.are.equal("errors/invalid_checkpoint_solution", err.type)
      assert.are.equal("AccountCreated", assert(solve(a, "w7kp2")).object)
    end)

    it("resend answers CheckpointResend with the account and success, where there is a notification", function()
      local res = assert(client.safe.accounts:resend_checkpoint { account_id = pending["2FA"].id, provider = "LINKEDIN" })
      assert.are.same({ object = "CheckpointResend", account_id = pending["2FA"].id, success = true }, res)
      local _, err = client.safe.accounts:resend_checkpoint { account_id = pending.CAPTCHA.id, provider = "LINKEDIN" }
      assert.are.equal(400, err.status)
    end)
  end)
end)
