/*
 * rusage.c - `require("bench_rusage")` returns one function giving the
 * process's CPU time from getrusage(RUSAGE_SELF): user + sys, user, sys
 * (seconds) and ru_maxrss (KiB).  The same call c_baseline.c makes, so both
 * sides of benchmark 1 are measured the same way.  Built by bench/run.sh;
 * only uses API common to Lua 5.1-5.4 and LuaJIT.
 */
#include <sys/resource.h>
#include <lua.h>

static int cpu(lua_State *L) {
  struct rusage ru;
  double user, sys;
  getrusage(RUSAGE_SELF, &ru);
  user = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
  sys = (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  lua_pushnumber(L, user + sys);
  lua_pushnumber(L, user);
  lua_pushnumber(L, sys);
  lua_pushnumber(L, (lua_Number)ru.ru_maxrss);
  return 4;
}

int luaopen_bench_rusage(lua_State *L) {
  lua_pushcfunction(L, cpu);
  return 1;
}
