/*
 * core.c - the unipile.core module table: version(), escape(), parse_url(),
 * file_readable(), isatty(), now(), sleep(), the multi constructor, json_decode
 * (json.c), and the values _VERSION, defaults (transfer.c) and codes.
 * The transfer machinery lives in multi.c and transfer.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* From CMakeLists.txt's project(VERSION): the one place it is written. */
#ifndef UNIPILE_VERSION
#error "UNIPILE_VERSION is not defined (CMakeLists.txt passes it from project())"
#endif

int64_t monotonic_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* core.now() -> monotonic milliseconds, for schedulers on Lua 5.1. */
static int core_now(lua_State *L) {
  lua_pushnumber(L, (lua_Number)monotonic_ms());
  return 1;
}

/* core.sleep(ms): block the thread; what a scheduler does when nothing is
 * in flight and the next timer is ms away.  NaN and ms <= 0 return at once;
 * ms beyond SLEEP_MAX_MS (2^31-1 ms, about 24.8 days) sleeps that long: an
 * unchecked 1e300 or inf overflowed time_t, nanosleep failed with EINVAL at
 * once, and the retry loop spun.  Only EINTR is retried. */
#define SLEEP_MAX_MS 2147483647.0
static int core_sleep(lua_State *L) {
  lua_Number ms = luaL_checknumber(L, 1);
  struct timespec ts;
  long whole;
  if (!(ms > 0)) return 0;
  if (ms > SLEEP_MAX_MS) ms = SLEEP_MAX_MS;
  whole = (long)ms;
  ts.tv_sec = (time_t)(whole / 1000);
  ts.tv_nsec = (whole % 1000) * 1000000L + (long)((ms - (lua_Number)whole) * 1e6);
  if (ts.tv_nsec > 999999999L) ts.tv_nsec = 999999999L;
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
  return 0;
}

static void set_string(lua_State *L, const char *key, const char *value) {
  if (value == NULL) return;
  lua_pushstring(L, value);
  lua_setfield(L, -2, key);
}

/* core.version() -> { curl=, ssl=, libz=, features={name=true...} } */
static int core_version(lua_State *L) {
  static const struct { int bit; const char *name; } features[] = {
    { CURL_VERSION_SSL, "ssl" }, { CURL_VERSION_LIBZ, "libz" }, { CURL_VERSION_HTTP2, "http2" },
    { CURL_VERSION_IPV6, "ipv6" }, { CURL_VERSION_ASYNCHDNS, "asynchdns" },
    { CURL_VERSION_BROTLI, "brotli" }, { CURL_VERSION_ZSTD, "zstd" }, { 0, NULL } };
  const curl_version_info_data *info = curl_version_info(CURLVERSION_NOW);
  int i;
  lua_newtable(L);
  set_string(L, "curl", info->version);
  set_string(L, "ssl", info->ssl_version);
  set_string(L, "libz", info->libz_version);
  lua_newtable(L);
  for (i = 0; features[i].name; i++) {
    if (!(info->features & features[i].bit)) continue;
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, features[i].name);
  }
  lua_setfield(L, -2, "features");
  return 1;
}

/* RFC 3986 unreserved characters, the only ones escape() keeps. */
static int is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

/* core.escape(s): one pass to see if anything needs escaping (the common
 * case for ids is "no": return s itself), one pass to build the result. */
static int core_escape(lua_State *L) {
  static const char hex[] = "0123456789ABCDEF";
  size_t len, i;
  const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 1, &len);
  luaL_Buffer b;
  for (i = 0; i < len && is_unreserved(s[i]); i++) {}
  if (i == len) {
    lua_settop(L, 1);
    return 1;
  }
  luaL_buffinit(L, &b);
  luaL_addlstring(&b, (const char *)s, i);
  for (; i < len; i++) {
    if (is_unreserved(s[i])) {
      luaL_addchar(&b, (char)s[i]);
    } else {
      luaL_addchar(&b, '%');
      luaL_addchar(&b, hex[s[i] >> 4]);
      luaL_addchar(&b, hex[s[i] & 15]);
    }
  }
  luaL_pushresult(&b);
  return 1;
}

/* Pushes one URL part as a string (or nothing when absent); returns 1 if pushed. */
static int push_url_part(lua_State *L, CURLU *u, CURLUPart what) {
  char *part = NULL;
  if (curl_url_get(u, what, &part, 0) != CURLUE_OK || part == NULL) return 0;
  lua_pushstring(L, part);
  curl_free(part);
  return 1;
}

/* Fills the result table at the top of the stack; returns an error or NULL. */
static const char *fill_url(lua_State *L, CURLU *u) {
  size_t len;
  const char *path;
  if (!push_url_part(L, u, CURLUPART_SCHEME)) return "URL has no scheme";
  if (strcmp(lua_tostring(L, -1), "http") != 0 && strcmp(lua_tostring(L, -1), "https") != 0)
    return "only http and https URLs are supported";
  lua_setfield(L, -2, "scheme");
  if (!push_url_part(L, u, CURLUPART_HOST)) return "URL has no host";
  lua_setfield(L, -2, "host");
  if (push_url_part(L, u, CURLUPART_PORT)) { /* only when explicit */
    lua_pushinteger(L, (lua_Integer)strtol(lua_tostring(L, -1), NULL, 10));
    lua_setfield(L, -3, "port");
    lua_pop(L, 1);
  }
  if (!push_url_part(L, u, CURLUPART_PATH)) lua_pushliteral(L, "");
  path = lua_tolstring(L, -1, &len);
  while (len > 0 && path[len - 1] == '/') len--; /* "/" -> "", "/v1/" -> "/v1" */
  lua_pushlstring(L, path, len);
  lua_setfield(L, -3, "path");
  lua_pop(L, 1);
  if (push_url_part(L, u, CURLUPART_QUERY)) lua_setfield(L, -2, "query");
  return NULL;
}

static void url_free(CURLU **box) {
  if (*box) curl_url_cleanup(*box);
  *box = NULL;
}

static int url_gc(lua_State *L) {
  url_free((CURLU **)lua_touserdata(L, 1));
  return 0;
}

/* core.parse_url(s) -> { scheme, host, port, path, query } | nil, message */
static int core_parse_url(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  const char *err;
  CURLUcode rc;
  /* The handle sits in a userdata with __gc, so a memory error raised
   * while the result table is built cannot leak it. */
  CURLU **box = (CURLU **)compat_newuserdata(L, sizeof(CURLU *));
  *box = NULL;
  lua_newtable(L);
  lua_pushcfunction(L, url_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  if (strlen(s) != len) err = "URL contains a NUL byte";
  else if ((*box = curl_url()) == NULL) return luaL_error(L, "out of memory");
  else if ((rc = curl_url_set(*box, CURLUPART_URL, s, 0)) != CURLUE_OK) err = curl_url_strerror(rc);
  else {
    lua_newtable(L);
    err = fill_url(L, *box);
    lua_settop(L, 3);
  }
  url_free(box);
  if (err) return lua_pushnil(L), lua_pushstring(L, err), 2;
  return 1;
}

/* core.file_readable(path) -> true | nil, why: the upload check of
 * mime.c (file_unreadable), for the Lua layer's usage errors. */
static int core_file_readable(lua_State *L) {
  size_t len;
  const char *path = luaL_checklstring(L, 1, &len);
  const char *why = strlen(path) != len ? "path contains a NUL byte" : file_unreadable(path);
  if (why) return lua_pushnil(L), lua_pushstring(L, why), 2;
  lua_pushboolean(L, 1);
  return 1;
}

/* core.isatty(fd) -> bool: whether the descriptor is a terminal (the
 * CLI's pretty output and progress lines; fd 0, 1, 2). */
static int core_isatty(lua_State *L) {
  lua_pushboolean(L, isatty((int)luaL_checkinteger(L, 1)) == 1);
  return 1;
}

/* core.codes: the CURLE_ values that results' curl_code is compared with
 * in Lua, by their names without the prefix, so no bare number stands
 * for a curl code on the Lua side. */
static void push_codes(lua_State *L) {
  static const struct { const char *name; CURLcode code; } codes[] = {
    { "OK", CURLE_OK },
    { "OPERATION_TIMEDOUT", CURLE_OPERATION_TIMEDOUT },     /* any of curl's time limits */
    { "ABORTED_BY_CALLBACK", CURLE_ABORTED_BY_CALLBACK },   /* cancelled */
    { "WRITE_ERROR", CURLE_WRITE_ERROR },                   /* a cap, the output file or sink */
    { "COULDNT_CONNECT", CURLE_COULDNT_CONNECT },
    { "URL_MALFORMAT", CURLE_URL_MALFORMAT },
    { "PARTIAL_FILE", CURLE_PARTIAL_FILE },
    { "PEER_FAILED_VERIFICATION", CURLE_PEER_FAILED_VERIFICATION },
    { NULL, CURLE_OK } };
  int i;
  lua_newtable(L);
  for (i = 0; codes[i].name; i++) {
    lua_pushinteger(L, (lua_Integer)codes[i].code);
    lua_setfield(L, -2, codes[i].name);
  }
}

static const luaL_Reg core_functions[] = {
  { "file_readable", core_file_readable },
  { "isatty", core_isatty },
  { "version", core_version },
  { "escape", core_escape },
  { "parse_url", core_parse_url },
  { "now", core_now },
  { "sleep", core_sleep },
  { "multi", multi_new },
  { "wait", events_wait },
  { "json_decode", json_decode },
  { "json_lines", json_lines },
  { NULL, NULL } };

UNIPILE_EXPORT int luaopen_unipile_core(lua_State *L) {
  /* Once per process: curl_global_init is not safe to call concurrently
   * with other curl calls, and module loading happens before any use. */
  static int curl_ready = 0;
  if (!curl_ready) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      return luaL_error(L, "curl_global_init failed");
    curl_ready = 1;
  }
  multi_register(L);
  transfer_register(L);
  luaL_newlib(L, core_functions);
  lua_pushliteral(L, UNIPILE_VERSION);
  lua_setfield(L, -2, "_VERSION");
  transfer_push_defaults(L);
  lua_setfield(L, -2, "defaults");
  push_codes(L);
  lua_setfield(L, -2, "codes");
  return 1;
}
