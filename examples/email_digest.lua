-- Email digest: unread emails per folder for every mail account, with their
-- attachments saved to a directory.
--
--   lua examples/email_digest.lua [attachments_dir]   (default: a new temp dir)
local unipile = require "unipile"

local client = unipile.new()
local dir = arg[1]
if not dir then
  dir = os.tmpname()
  os.remove(dir)
end
os.execute("mkdir -p '" .. dir:gsub("'", "'\\''") .. "'")

local MAIL_TYPES = { MAIL = true, GOOGLE_OAUTH = true, OUTLOOK = true, ICLOUD = true, EXCHANGE = true }
local function safe(name) return (tostring(name):gsub("[^%w%._-]", "_")) end

local total, saved = 0, 0
for account in client.accounts:each() do
  if MAIL_TYPES[account.type] then
    print(("== %s (%s)"):format(account.name or account.id, account.type))
    for _, folder in ipairs(client.folders:list { account_id = account.id }.items) do
      local unread = {}
      for email in client.emails:each { account_id = account.id, folder = folder.provider_id or folder.id } do
        if email.read_date == nil or email.read_date == unipile.null then unread[#unread + 1] = email end
      end
      if #unread > 0 then
        print(("  %-12s %d unread"):format(folder.name or folder.id, #unread))
        for _, email in ipairs(unread) do
          local from = email.from_attendee or {}
          print(("    - %s  <%s>"):format(email.subject or "(no subject)", from.identifier or "?"))
          for _, att in ipairs(email.attachments or {}) do
            local path = dir .. "/" .. safe(email.id) .. "-" .. safe(att.name or att.id)
            client.emails:get_attachment({ email_id = email.id, attachment_id = att.id, account_id = account.id },
              { output = path })
            local f = assert(io.open(path, "rb"))
            local size = f:seek("end")
            f:close()
            assert(size == att.size, "saved " .. size .. " bytes of " .. tostring(att.size))
            saved = saved + 1
          end
        end
        total = total + #unread
      end
    end
  end
end
print(("digest: %d unread emails, %d attachments saved in %s"):format(total, saved, dir))
