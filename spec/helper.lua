-- busted helper: one sandbox for the whole run, stopped when busted exits.
local busted = require "busted"
local support = require "support"

-- The summary line must reach the log even if the process dies after it
-- (under the sanitizer run, LeakSanitizer's exit-time check runs before
-- stdio's buffers are flushed, and once in a while its tracer crashes).
io.stdout:setvbuf("line")

busted.subscribe({ "exit" }, function()
  support.stop()
  return nil, true
end)
