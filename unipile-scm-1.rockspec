package = "unipile"
version = "scm-1"
source = {
  url = "git+https://github.com/lua-unipile/lua-unipile.git",
}
description = {
  summary = "Lua SDK for the Unipile HTTP API",
  detailed = [[
    A client for the Unipile API (LinkedIn, WhatsApp, e-mail, calendars...)
    on top of libcurl's multi interface: retries with backoff and
    Retry-After, connection reuse, streaming downloads and multipart
    uploads, and `unipile`, every operation from the shell. Lua 5.1 to 5.4 and LuaJIT. The offline fake of the API used
    by its tests is a rock of its own, unipile-sandbox.
  ]],
  homepage = "https://github.com/lua-unipile/lua-unipile",
  license = "MIT",
}
dependencies = {
  "lua >= 5.1, < 5.5",
  "lua-cjson",
  "argparse",   -- the `unipile` command line
}
build = {
  type = "cmake",
  variables = {
    CMAKE_INSTALL_PREFIX = "$(PREFIX)",
    CMAKE_BUILD_TYPE = "Release",
    LUA_INCDIR = "$(LUA_INCDIR)",
    LUA_CMOD_DIR = "$(LIBDIR)",
    LUA_LMOD_DIR = "$(LUADIR)",
    -- the SDK alone: the sandbox is unipile-sandbox-scm-1.rockspec (spelled
    -- out, as both rocks configure the same build.luarocks directory)
    UNIPILE_INSTALL = "sdk",
  },
}
