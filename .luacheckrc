std = "max"
codes = true
max_line_length = 130
files["spec/**/*.lua"] = { std = "+busted" }
globals = { "jit", "ngx", "vim" }
exclude_files = { "build/**" }
files["lua/unipile/operations.lua"] = { max_line_length = false }
