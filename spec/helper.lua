-- busted helper: one sandbox for the whole run, stopped when busted exits.
local busted = require "busted"
local support = require "support"

busted.subscribe({ "exit" }, function()
  support.stop()
  return nil, true
end)
