package = "unipile-sandbox"
version = "scm-1"
source = {
  url = "git+https://github.com/lua-unipile/lua-unipile.git",
}
description = {
  summary = "An offline fake of the Unipile HTTP API, for testing the unipile rock",
  detailed = [[
    The unipile.sandbox modules and the unipile-sandbox command: a fake of
    the Unipile API (seeded data, webhooks, faults, recorded requests) that
    runs in nginx with ngx_lua (Debian: nginx, libnginx-mod-http-lua; or
    OpenResty), started from tests with require("unipile.sandbox").start{}
    or from a shell with unipile-sandbox start|stop|run.
  ]],
  homepage = "https://github.com/lua-unipile/lua-unipile",
  license = "MIT",
}
dependencies = {
  "lua >= 5.1, < 5.5",
  "unipile", -- unipile.registry: the operations the fake serves
  "luasocket", -- the launcher and the control client
}
build = {
  -- CMakeLists.txt with UNIPILE_INSTALL=sandbox: installs every
  -- lua/unipile/sandbox/**/*.lua and bin/unipile-sandbox, builds nothing.
  type = "cmake",
  variables = {
    CMAKE_INSTALL_PREFIX = "$(PREFIX)",
    LUA_LMOD_DIR = "$(LUADIR)",
    UNIPILE_INSTALL = "sandbox",
  },
}
