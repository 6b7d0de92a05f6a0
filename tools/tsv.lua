--- The one reader of the tab-separated tables in api/ (the generator and
-- spec/operations_spec.lua both use it): a header line, then one row per
-- line; every row becomes a table keyed by column name ("" for a missing
-- cell). Returns rows, header; or nil and a message when the file cannot
-- be opened.
local M = {}

function M.split(line)
  local cols = {}
  for c in (line .. "\t"):gmatch("([^\t]*)\t") do cols[#cols + 1] = c end
  return cols
end

function M.read(path)
  local f, err = io.open(path, "r")
  if not f then return nil, err end
  local rows, header = {}, nil
  for line in f:lines() do
    local cols = M.split(line)
    if not header then
      header = cols
    elseif line ~= "" then
      local r = {}
      for i, h in ipairs(header) do r[h] = cols[i] or "" end
      rows[#rows + 1] = r
    end
  end
  f:close()
  return rows, header
end

return M
