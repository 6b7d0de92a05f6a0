-- The check of fuzz/json_decode.c: nil, or why core.json_decode and
-- cjson.decode disagree on the input, or why core.json_lines framed an
-- `items` list whose lines are not the decoder's items.
local core = ...
local rules = require "json_rules"

-- The lines json_lines gives must decode to the decoded page's items, one
-- by one. It may frame text the decoder refuses (it is no validator; the
-- CLI decodes each page first) or counts that differ (the CLI compares
-- the count with the items'): nothing to check then.
local function lines_check(text)
  local lines, n = core.json_lines(text, "items")
  if not lines then return nil end
  local ok, page = pcall(core.json_decode, text)
  if not ok or type(page) ~= "table" or type(page.items) ~= "table" or #page.items ~= n then return nil end
  local i = 0
  for line in lines:gmatch("([^\n]*)\n") do
    i = i + 1
    local decoded, v = pcall(core.json_decode, line)
    if not decoded or not rules.same(v, page.items[i]) then return "json_lines: line " .. i .. " is not items[" .. i .. "]" end
  end
  if i ~= n then return "json_lines: " .. i .. " lines for a count of " .. n end
end

return function(text) return rules.compare(core.json_decode, text) or lines_check(text) end
