-- One standard per place the code runs (the top-level one is the SDK's).
codes = true
max_line_length = 130
exclude_files = { "build/**" }

-- The SDK, and what runs on the host Lua with it (bin, the plain examples,
-- tools, bench, fuzz): the subset common to Lua 5.1-5.4 and LuaJIT, plus
-- LuaJIT's `jit` module, which the code looks at to know where it runs.
std = "min"
read_globals = { "jit" }

-- Specs run under every runtime, inside busted.
files["spec/**/*.lua"] = { std = "min+busted" }

-- The sandbox runs inside nginx: ngx_lua, on LuaJIT.
files["lua/unipile/sandbox/**/*.lua"] = { std = "ngx_lua" }
-- ngx.run_worker_thread (ngx_lua 0.10.21) is newer than luacheck's ngx_lua.
files["examples/openresty/**/*.lua"] = { std = "ngx_lua", read_globals = { ngx = { fields = { "run_worker_thread" } } } }

-- The Neovim driver and its spec script run inside Neovim: LuaJIT + `vim`.
files["lua/unipile/nvim.lua"] = { std = "luajit", read_globals = { "vim" } }
files["spec/nvim/**/*.lua"] = { std = "luajit", read_globals = { "vim" } }
files["bench/nvim/**/*.lua"] = { std = "luajit", read_globals = { "vim" } }

-- The fuzz harnesses embed Lua 5.4 (tools/fuzz.sh links -llua5.4).
files["fuzz/**/*.lua"] = { std = "lua54" }

files["lua/unipile/operation_rows.lua"] = { max_line_length = false }
files["lua/unipile/cli/facts.lua"] = { max_line_length = false }   -- generated (tools/gen_cli_facts.lua)
