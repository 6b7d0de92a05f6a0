-- The webhook events: { event, source, default = true when a webhook that
-- lists no events gets it }. Generated from api/webhook_events.tsv by
-- tools/gen_operations.lua: edit the TSV, not this file.
return {
  { "message_received", "messaging", default = true },
  { "message_read", "messaging" },
  { "message_reaction", "messaging" },
  { "message_edited", "messaging" },
  { "message_deleted", "messaging" },
  { "message_delivered", "messaging" },
  { "new_relation", "users", default = true },
  { "creation_success", "account_status", default = true },
  { "creation_fail", "account_status", default = true },
  { "deleted", "account_status", default = true },
  { "reconnected", "account_status", default = true },
  { "sync_success", "account_status", default = true },
  { "stopped", "account_status", default = true },
  { "ok", "account_status", default = true },
  { "connecting", "account_status", default = true },
  { "error", "account_status", default = true },
  { "credentials", "account_status", default = true },
  { "permissions", "account_status", default = true },
  { "mail_sent", "email" },
  { "mail_received", "email", default = true },
  { "mail_moved", "email" },
  { "mail_opened", "email_tracking", default = true },
  { "mail_link_clicked", "email_tracking" },
}
