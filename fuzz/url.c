/*
 * url.c - libFuzzer harness for core.escape and core.parse_url
 * (src/core.c), called through the module as Lua calls them.  The checks
 * are fuzz/url.lua's: escape keeps only unreserved characters and %XX and
 * unescapes back to the input; parse_url gives a well-formed table or nil
 * and a message, never an error.
 */
#include "harness.h"

int luaopen_unipile_core(lua_State *L);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static lua_State *L;
  if (L == NULL) L = harness_state("url.lua", luaopen_unipile_core);
  harness_check(L, data, size);
  return 0;
}
