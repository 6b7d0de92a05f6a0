/*
 * harness.h - what the Lua-driven harnesses share: one Lua 5.4 state per
 * process whose check function (the chunk fuzz/<name>.lua returns) gets
 * each input, and a crash with its reason when the check fails.
 * FUZZ_ROOT (defined by tools/fuzz.sh) is the checkout, for package.path.
 */
#ifndef FUZZ_HARNESS_H
#define FUZZ_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

/* The state with the check function at stack index 1: the function that
 * fuzz/<chunk> returns, given what `push_arg` pushes (e.g. the function
 * under test). */
static lua_State *harness_state(const char *chunk, lua_CFunction push_arg) {
  char path[4096];
  lua_State *L = luaL_newstate();
  if (L == NULL) abort();
  luaL_openlibs(L);
  lua_getglobal(L, "package");
  lua_pushstring(L, FUZZ_ROOT "/lua/?.lua;" FUZZ_ROOT "/spec/?.lua");
  lua_setfield(L, -2, "path");
  lua_pushstring(L, "/usr/lib/x86_64-linux-gnu/lua/5.4/?.so"); /* Debian's lua-cjson */
  lua_setfield(L, -2, "cpath");
  lua_pop(L, 1);
  snprintf(path, sizeof path, "%s/fuzz/%s", FUZZ_ROOT, chunk);
  if (luaL_loadfile(L, path) != LUA_OK || push_arg(L) != 1 || lua_pcall(L, 1, 1, 0) != LUA_OK ||
      !lua_isfunction(L, -1)) {
    fprintf(stderr, "harness: %s\n", lua_tostring(L, -1));
    abort();
  }
  return L;
}

/* Runs the check on one input: it returns nil, or why the input fails. */
static void harness_check(lua_State *L, const uint8_t *data, size_t size) {
  lua_pushvalue(L, 1);
  lua_pushlstring(L, (const char *)data, size);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK || !lua_isnil(L, -1)) {
    fprintf(stderr, "finding: %s\n", lua_tostring(L, -1));
    abort();
  }
  lua_pop(L, 1);
}

#endif
