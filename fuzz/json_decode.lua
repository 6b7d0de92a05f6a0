-- The check of fuzz/json_decode.c: nil, or why core.json_decode and
-- cjson.decode disagree on the input.
local decode = ...
local rules = require "json_rules"
return function(text) return rules.compare(decode, text) end
