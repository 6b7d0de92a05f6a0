/*
 * compat.h - every difference between Lua 5.1, LuaJIT 2.1, 5.2, 5.3 and 5.4
 * that unipile.core cares about, in one place.  The rest of src/ is written
 * against the 5.4 API and this header fills the gaps.
 *
 * LuaJIT 2.1 reports LUA_VERSION_NUM 501 but already exports a few 5.2
 * functions (luaL_setfuncs, luaL_testudata, ...).  To avoid clashing with
 * those declarations, the replacements below are static functions with our
 * own names and the standard names are macros pointing at them.
 */
#ifndef UNIPILE_COMPAT_H
#define UNIPILE_COMPAT_H

#include <lua.h>
#include <lauxlib.h>

/* Only luaopen_unipile_core is exported; everything else is hidden. */
#if defined(__GNUC__)
#define UNIPILE_EXPORT __attribute__((visibility("default")))
#else
#define UNIPILE_EXPORT
#endif

#if LUA_VERSION_NUM < 502 /* Lua 5.1 and LuaJIT */

#ifndef LUA_OK
#define LUA_OK 0
#endif

#define lua_rawlen(L, i) lua_objlen((L), (i))

#define lua_absindex(L, i) compat_absindex((L), (i))
static inline int compat_absindex(lua_State *L, int i) {
  return (i > 0 || i <= LUA_REGISTRYINDEX) ? i : lua_gettop(L) + i + 1;
}

#undef luaL_setfuncs
#define luaL_setfuncs(L, l, nup) compat_setfuncs((L), (l), (nup))
static inline void compat_setfuncs(lua_State *L, const luaL_Reg *l, int nup) {
  int i;
  luaL_checkstack(L, nup + 1, "too many upvalues");
  for (; l->name; l++) {
    for (i = 0; i < nup; i++) lua_pushvalue(L, -nup);
    lua_pushcclosure(L, l->func, nup);
    lua_setfield(L, -(nup + 2), l->name);
  }
  lua_pop(L, nup);
}

#undef luaL_newlib
#define luaL_newlib(L, l) (lua_newtable(L), luaL_setfuncs((L), (l), 0))

#undef luaL_setmetatable
#define luaL_setmetatable(L, name) compat_setmetatable((L), (name))
static inline void compat_setmetatable(lua_State *L, const char *name) {
  luaL_getmetatable(L, name);
  lua_setmetatable(L, -2);
}

#undef luaL_testudata
#define luaL_testudata(L, i, name) compat_testudata((L), (i), (name))
static inline void *compat_testudata(lua_State *L, int i, const char *name) {
  void *p = lua_touserdata(L, i);
  int same;
  if (p == NULL || !lua_getmetatable(L, i)) return NULL;
  luaL_getmetatable(L, name);
  same = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return same ? p : NULL;
}

#endif /* LUA_VERSION_NUM < 502 */

/* 5.4 userdata carry user values we never use: ask for none. */
#if LUA_VERSION_NUM >= 504
#define compat_newuserdata(L, size) lua_newuserdatauv((L), (size), 0)
#else
#define compat_newuserdata(L, size) lua_newuserdata((L), (size))
#endif

/* Integers as a subtype of numbers, lua_stringtonumber: 5.3 and later.
 * Before, every number is a lua_Number (a double). */
#define COMPAT_HAS_INTEGERS (LUA_VERSION_NUM >= 503)

/* To-be-closed variables (`local m <close> = ...`) only exist in 5.4. */
#define COMPAT_HAS_CLOSE (LUA_VERSION_NUM >= 504)

#endif
