/*
 * json_decode.c - libFuzzer harness: each input goes to core.json_decode
 * (src/json.c) and to lua-cjson's decode, compared as spec/json_spec.lua
 * compares them (spec/json_rules.lua: the same values, accepted and
 * rejected alike, except lax numbers and raw NUL bytes); and to
 * core.json_lines (src/json_lines.c), whose lines must be the decoded
 * page's items.
 */
#include "harness.h"

int json_decode(lua_State *L);
int json_lines(lua_State *L);

/* The check gets { json_decode =, json_lines = }, as core has them. */
static int push_decode(lua_State *L) {
  lua_createtable(L, 0, 2);
  lua_pushcfunction(L, json_decode);
  lua_setfield(L, -2, "json_decode");
  lua_pushcfunction(L, json_lines);
  lua_setfield(L, -2, "json_lines");
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static lua_State *L;
  if (L == NULL) L = harness_state("json_decode.lua", push_decode);
  harness_check(L, data, size);
  return 0;
}
