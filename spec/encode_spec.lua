local encode = require "unipile.encode"
local core = require "unipile.core"

describe("encoding", function()
  it("percent-encodes everything but the unreserved set", function()
    assert.are.equal("a-b_c.d~e", core.escape("a-b_c.d~e"))
    assert.are.equal("%2F%3F%23%25%20%2B%26%3D%C3%A9", core.escape("/?#% +&=é"))
    assert.are.equal("%00x", core.escape("\0x"))
  end)

  it("formats scalars the same way everywhere", function()
    assert.are.equal("true", encode.scalar(true))
    assert.are.equal("false", encode.scalar(false))
    assert.are.equal("10", encode.scalar(10))
    assert.are.equal("10", encode.scalar(10.0))
    assert.are.equal("0.5", encode.scalar(0.5))
    assert.is_nil(encode.scalar(0 / 0))
    assert.is_nil(encode.scalar({}))
  end)

  it("builds sorted query strings with repeated keys and brackets", function()
    assert.are.equal("a=1&b=x&b=y&c%5Bd%5D=true", encode.query { b = { "x", "y" }, a = 1, c = { d = true } })
    assert.are.equal("", encode.query {})
    local q, err = encode.query { a = function() end }
    assert.is_nil(q)
    assert.matches("'a' must be", err)
  end)

  it("fills each path param as one segment", function()
    assert.are.equal("/api/v1/chats/a%2Fb/messages", encode.path("/api/v1/chats/{chat_id}/messages", { chat_id = "a/b" }))
  end)

  it("turns fields into multipart parts", function()
    local parts = assert(encode.multipart({
      text = "hi", attendees_ids = { "a", "b" }, linkedin = { inmail = true },
      attachments = { "/tmp/x.png", { filename = "n.txt", content = "mem", content_type = "text/plain" } },
      to = { { identifier = "x@y.z" } },
    }, { to = true }, require("cjson").encode))
    local names = {}
    for _, p in ipairs(parts) do names[#names + 1] = p.name end
    assert.are.same({ "attachments", "attachments", "attendees_ids", "attendees_ids", "linkedin[inmail]", "text", "to" }, names)
    assert.are.equal("/tmp/x.png", parts[1].file)
    assert.are.same({ name = "attachments", data = "mem", filename = "n.txt", type = "text/plain" }, parts[2])
    assert.are.equal("true", parts[5].data)
    assert.are.equal('[{"identifier":"x@y.z"}]', parts[7].data)
  end)

  it("takes file paths from the operation's file fields, else from any operation's", function()
    local operations = require "unipile.operations"
    local cjson = require "cjson"
    local fields = { picture = "/tmp/me.png", attachments = "/tmp/x.pdf" }
    local function kinds(parts)
      local out = {}
      for _, p in ipairs(parts) do out[p.name] = p.file and "file" or "text" end
      return out
    end
    local send = operations.by_id.ChatsController_sendMessageInChat
    assert.are.same({ picture = "text", attachments = "file" },
      kinds(assert(encode.multipart(fields, nil, cjson.encode, send.file_fields))))
    local profile = operations.by_id.UsersController_editAccountOwnerProfile
    assert.are.same({ picture = "file", attachments = "text" },
      kinds(assert(encode.multipart(fields, nil, cjson.encode, profile.file_fields))))
    assert.are.same({ picture = "file", attachments = "file" }, kinds(assert(encode.multipart(fields, nil, cjson.encode))))
    assert.are.same({ attachments = true, voice_message = true, video_message = true, picture = true,
      cover_picture = true }, operations.file_fields)
  end)
end)
