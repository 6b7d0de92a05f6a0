/*
 * json.c - core.json_decode(s): JSON text to Lua values in one pass, every
 * table created at its final size.
 *
 * Why not lua-cjson's decoder: it creates each object and array empty and
 * grows it member by member, so a 20-key object is rehashed at 1, 2, 4, 8
 * and 16 keys; on the API's pages that is over a third of its time
 * (bench/README.md, benchmark 1).  Here a container's members are parsed
 * onto the Lua stack first; at the closing bracket their count is known and
 * the table is created at that size.  A container with many members, or
 * one opened when the stack is already high (deep nesting), gets its table
 * early and is filled in batches instead, so the stack stays bounded.
 * Keys, which repeat from object to object, go through a small cache
 * instead of being hashed and interned by Lua each time.
 *
 * Semantics: those of lua-cjson 2.1.0 as lua/unipile/client/request.lua configures
 * it, except where noted (spec/json_spec.lua checks both):
 *  - null -> lightuserdata NULL, which is cjson.null; true/false -> booleans.
 *  - numbers: an integer that fits lua_Integer is an integer on Lua 5.3+
 *    (cjson: always a float); otherwise a float, converted as Lua's own
 *    tonumber does (strtod on 5.1/LuaJIT).  "-0" is -0.0, as in cjson.
 *    Out of range: 1e400 is inf and 1e-400 is 0, as in cjson.
 *  - the grammar is RFC 8259's: cjson by default also accepts hex, inf,
 *    nan, "+1", "01" and "1."; no JSON encoder produces them, we reject them.
 *  - strings: every escape, \uXXXX and surrogate pairs to UTF-8; a lone or
 *    reversed surrogate is an error (as cjson).  Other bytes pass through
 *    unchecked, control characters and UTF-8 included, as in cjson; a raw
 *    NUL byte too (cjson stops there with an error).
 *  - a duplicated key: the last one wins, as in cjson.
 *  - more than 1000 nested arrays/objects is an error, as in cjson; errors
 *    read "Expected <what> but found <token> at character <n>" like cjson's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define JSON_MAX_DEPTH 1000
/* Stack slots a container may fill with members before its table is
 * created early: 512 values or 256 key/value pairs. */
#define JSON_BATCH 512
/* Above this many slots every member goes into its table at once.  Lua 5.1
 * and LuaJIT give a C function 8000 slots (LUAI_MAXCSTACK); past this line
 * each nesting level holds at most a table and a key, and depth is capped,
 * so 2000 + 2 * 1000 + JSON_BATCH stays under that. */
#define JSON_STACK_BUDGET 2000
/* Stack slot of the scratch userdata that escaped strings and long numbers
 * are decoded into (nil until first needed). */
#define SCRATCH_SLOT 2
/* Stack slot of the key cache's table, and its size (a power of 2). */
#define KEYS_SLOT 3
#define KEY_CACHE 128

#if defined(__GNUC__)
#define JSON_NORETURN __attribute__((noreturn))
#else
#define JSON_NORETURN
#endif

typedef struct {
  lua_State *L;
  const char *start, *p, *end;
  char *scratch;
  size_t scratch_size;
  int depth;
  /* Keys repeat from object to object: a key found here is pushed from the
   * table at KEYS_SLOT instead of being hashed and interned again.  Each
   * entry points into the Lua string it caches (anchored by that table). */
  struct { const char *s; size_t len; } keys[KEY_CACHE];
  int keys_table; /* KEYS_SLOT holds the table (else nil) */
} parser;

/* ---- errors ---- */

static int is_literal(const char *p, const char *end, const char *word, size_t len) {
  return (size_t)(end - p) >= len && memcmp(p, word, len) == 0;
}

/* What stands at p, named as cjson names its tokens. */
static const char *token_name(const char *p, const char *end) {
  if (p >= end) return "T_END";
  switch (*p) {
  case '{': return "T_OBJ_BEGIN";
  case '}': return "T_OBJ_END";
  case '[': return "T_ARR_BEGIN";
  case ']': return "T_ARR_END";
  case '"': return "T_STRING";
  case ':': return "T_COLON";
  case ',': return "T_COMMA";
  case 't': return is_literal(p, end, "true", 4) ? "T_BOOLEAN" : "invalid token";
  case 'f': return is_literal(p, end, "false", 5) ? "T_BOOLEAN" : "invalid token";
  case 'n': return is_literal(p, end, "null", 4) ? "T_NULL" : "invalid token";
  default: return (*p == '-' || (*p >= '0' && *p <= '9')) ? "T_NUMBER" : "invalid token";
  }
}

/* Raises; positions count from 1 like cjson's.  Everything built so far is
 * on the Lua stack (no malloc), so the longjmp leaks nothing. */
static JSON_NORETURN void fail(parser *ps, const char *expected, const char *found, const char *at) {
  luaL_error(ps->L, "Expected %s but found %s at character %d", expected,
             found ? found : token_name(at, ps->end), (int)(at - ps->start) + 1);
  abort(); /* not reached (luaL_error does not return); says so to the compiler */
}

/* ---- scalars ---- */

static const char *skip_space(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
  return p;
}

/* At least size bytes of scratch memory, kept alive by SCRATCH_SLOT. */
static char *scratch(parser *ps, size_t size) {
  if (size > ps->scratch_size) {
    size_t n = ps->scratch_size * 2;
    if (n < size) n = size;
    if (n < 256) n = 256;
    ps->scratch = (char *)compat_newuserdata(ps->L, n);
    ps->scratch_size = n;
    lua_replace(ps->L, SCRATCH_SLOT);
  }
  return ps->scratch;
}

static int hex4(const char *p) {
  int i, v = 0;
  for (i = 0; i < 4; i++) {
    int c = (unsigned char)p[i];
    if (c >= '0' && c <= '9') c -= '0';
    else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') c = (c | 0x20) - 'a' + 10;
    else return -1;
    v = v * 16 + c;
  }
  return v;
}

static char *put_utf8(char *o, unsigned long c) {
  if (c < 0x80) { *o++ = (char)c; return o; }
  if (c < 0x800) { *o++ = (char)(0xC0 | (c >> 6)); }
  else {
    if (c < 0x10000) { *o++ = (char)(0xE0 | (c >> 12)); }
    else { *o++ = (char)(0xF0 | (c >> 18)); *o++ = (char)(0x80 | ((c >> 12) & 0x3F)); }
    *o++ = (char)(0x80 | ((c >> 6) & 0x3F));
  }
  *o++ = (char)(0x80 | (c & 0x3F));
  return o;
}

/* Pushes an object key (len > 0) through the key cache. */
static void push_key(parser *ps, const char *s, size_t len) {
  lua_State *L = ps->L;
  unsigned h = ((unsigned)len * 7 + (unsigned char)s[0] * 31 + (unsigned char)s[len / 2] * 3
                + (unsigned char)s[len - 1]) & (KEY_CACHE - 1);
  if (ps->keys[h].len == len && memcmp(ps->keys[h].s, s, len) == 0) {
    lua_rawgeti(L, KEYS_SLOT, (int)h + 1);
    return;
  }
  if (!ps->keys_table) { /* created on the first key: scalars and arrays need none */
    lua_createtable(L, KEY_CACHE, 0);
    lua_replace(L, KEYS_SLOT);
    ps->keys_table = 1;
  }
  lua_pushlstring(L, s, len);
  lua_pushvalue(L, -1);
  lua_rawseti(L, KEYS_SLOT, (int)h + 1);
  ps->keys[h].s = lua_tostring(L, -1);
  ps->keys[h].len = len;
}

/* ps->p at the opening quote.  Most strings have no escape: two memchr and
 * the string is pushed straight from the input. */
static void parse_string(parser *ps, const char *expected, int is_key) {
  const char *s = ps->p + 1, *end = ps->end, *q, *p;
  char *out, *o;
  q = memchr(s, '"', (size_t)(end - s));
  p = q ? memchr(s, '\\', (size_t)(q - s)) : NULL;
  if (q && !p) {
    size_t len = (size_t)(q - s);
    ps->p = q + 1;
    if (is_key && len > 0) push_key(ps, s, len);
    else lua_pushlstring(ps->L, s, len);
    return;
  }
  /* Escapes: find the real closing quote; the text decoded never grows. */
  for (q = p ? p : s; q < end && *q != '"'; q++)
    if (*q == '\\' && ++q == end) break;
  if (q >= end) fail(ps, expected, "unexpected end of string", end);
  o = out = scratch(ps, (size_t)(q - s));
  memcpy(o, s, (size_t)(p - s));
  o += p - s;
  while (p < q) {
    const char *bs = memchr(p, '\\', (size_t)(q - p));
    long c, lo;
    if (bs == NULL) bs = q;
    memcpy(o, p, (size_t)(bs - p));
    o += bs - p;
    if ((p = bs) == q) break;
    switch (p[1]) { /* p + 1 < q: the scan above skipped escaped bytes */
    case '"': case '\\': case '/': *o++ = p[1]; p += 2; continue;
    case 'b': *o++ = '\b'; p += 2; continue;
    case 'f': *o++ = '\f'; p += 2; continue;
    case 'n': *o++ = '\n'; p += 2; continue;
    case 'r': *o++ = '\r'; p += 2; continue;
    case 't': *o++ = '\t'; p += 2; continue;
    case 'u': break;
    default: fail(ps, expected, "invalid escape code", p);
    }
    c = q - p >= 6 ? hex4(p + 2) : -1;
    if (c >= 0xDC00 && c <= 0xDFFF) c = -1; /* a low surrogate first */
    if (c >= 0xD800 && c <= 0xDBFF) {       /* a high one: its pair follows */
      lo = q - p >= 12 && p[6] == '\\' && p[7] == 'u' ? hex4(p + 8) : -1;
      c = lo >= 0xDC00 && lo <= 0xDFFF ? 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00) : -1;
      p += 6;
    }
    if (c < 0) fail(ps, expected, "invalid unicode escape code", bs);
    o = put_utf8(o, (unsigned long)c);
    p += 6;
  }
  lua_pushlstring(ps->L, out, (size_t)(o - out));
  ps->p = q + 1;
}

static const char *digits(const char *p, const char *end) {
  while (p < end && *p >= '0' && *p <= '9') p++;
  return p;
}

static void parse_number(parser *ps) {
  const char *start = ps->p, *end = ps->end, *p = start, *int_end;
  int neg = 0, integral = 1;
  char local[64], *buf;
  size_t len;
  if (*p == '-') neg = 1, p++;
  if (p < end && *p == '0') int_end = p + 1;
  else if (p < end && *p >= '1' && *p <= '9') int_end = digits(p, end);
  else fail(ps, "value", "invalid number", start);
  if (int_end < end && *int_end == '.') {
    integral = 0;
    ps->p = digits(int_end + 1, end);
    if (ps->p == int_end + 1) fail(ps, "value", "invalid number", start);
  } else ps->p = int_end;
  if (ps->p < end && (*ps->p == 'e' || *ps->p == 'E')) {
    const char *e = ps->p + 1;
    integral = 0;
    if (e < end && (*e == '+' || *e == '-')) e++;
    ps->p = digits(e, end);
    if (ps->p == e) fail(ps, "value", "invalid number", start);
  }
  /* Up to 18 digits: exact in 64 bits, no library call. */
  if (integral && int_end - p <= 18) {
    int64_t v = 0;
    for (; p < int_end; p++) v = v * 10 + (*p - '0');
    if (neg && v == 0) lua_pushnumber(ps->L, -0.0);
#if COMPAT_HAS_INTEGERS
    else if (v <= LUA_MAXINTEGER) lua_pushinteger(ps->L, (lua_Integer)(neg ? -v : v));
#endif
    else lua_pushnumber(ps->L, (lua_Number)(neg ? -v : v));
    return;
  }
  /* The rest is converted from a NUL-terminated copy: the input goes on
   * with bytes strtod would take further ("0x1"), or ends unterminated. */
  len = (size_t)(ps->p - start);
  buf = len < sizeof local ? local : scratch(ps, len + 1);
  memcpy(buf, start, len);
  buf[len] = '\0';
#if COMPAT_HAS_INTEGERS
  /* Lua's own conversion: the locale's decimal point, and an integer when
   * the value fits (19 digits), a float when it does not. */
  if (lua_stringtonumber(ps->L, buf) == 0) fail(ps, "value", "invalid number", start);
#else
  lua_pushnumber(ps->L, (lua_Number)strtod(buf, NULL));
#endif
}

/* ---- containers ---- */

static void parse_value(parser *ps);

static void descend(parser *ps) {
  if (++ps->depth > JSON_MAX_DEPTH)
    luaL_error(ps->L, "Found too many nested data structures (%d) at character %d",
               ps->depth, (int)(ps->p - ps->start) + 1);
  /* Room for a batch of members, the table and the flush's 3 slots. */
  luaL_checkstack(ps->L, JSON_BATCH + 8, "JSON document too large");
}

/* Moves the n values on top of the stack into the array at base + 1
 * (created now with room for them when has_table is 0); `stored` are
 * already in it.  Highest index first: lua_rawseti pops the top. */
static void array_flush(lua_State *L, int base, int has_table, int stored, int n) {
  if (!has_table) {
    lua_createtable(L, n, 0);
    lua_insert(L, base + 1);
  }
  for (; n > 0; n--) lua_rawseti(L, base + 1, stored + n);
}

/* The same for n key/value pairs, in document order so that the last of
 * two equal keys wins. */
static void object_flush(lua_State *L, int base, int has_table, int n) {
  int first = base + 1 + has_table, i;
  if (!has_table) {
    lua_createtable(L, 0, n);
    if (n == 0) return; /* already in place: base + 1 is the top */
  } else lua_pushvalue(L, base + 1);
  for (i = 0; i < n; i++) {
    lua_pushvalue(L, first + 2 * i);
    lua_pushvalue(L, first + 2 * i + 1);
    lua_rawset(L, -3);
  }
  lua_replace(L, base + 1);
  lua_settop(L, base + 1);
}

static void parse_array(parser *ps) {
  lua_State *L = ps->L;
  int base = lua_gettop(L), has_table = 0, stored = 0, n = 0;
  descend(ps);
  ps->p = skip_space(ps->p + 1, ps->end);
  if (ps->p < ps->end && *ps->p == ']') {
    ps->p++;
  } else {
    for (;;) {
      if (n >= JSON_BATCH || base + n >= JSON_STACK_BUDGET) {
        array_flush(L, base, has_table, stored, n);
        has_table = 1, stored += n, n = 0;
      }
      parse_value(ps);
      n++;
      ps->p = skip_space(ps->p, ps->end);
      if (ps->p < ps->end && *ps->p == ',') ps->p = skip_space(ps->p + 1, ps->end);
      else if (ps->p < ps->end && *ps->p == ']') { ps->p++; break; }
      else fail(ps, "comma or array end", NULL, ps->p);
    }
  }
  array_flush(L, base, has_table, stored, n);
  ps->depth--;
}

static void parse_object(parser *ps) {
  lua_State *L = ps->L;
  int base = lua_gettop(L), has_table = 0, n = 0;
  descend(ps);
  ps->p = skip_space(ps->p + 1, ps->end);
  if (ps->p < ps->end && *ps->p == '}') {
    ps->p++;
  } else {
    for (;;) {
      if (ps->p >= ps->end || *ps->p != '"') fail(ps, "object key string", NULL, ps->p);
      if (2 * n >= JSON_BATCH || base + 2 * n >= JSON_STACK_BUDGET) {
        object_flush(L, base, has_table, n);
        has_table = 1, n = 0;
      }
      parse_string(ps, "object key string", 1);
      ps->p = skip_space(ps->p, ps->end);
      if (ps->p >= ps->end || *ps->p != ':') fail(ps, "colon", NULL, ps->p);
      ps->p = skip_space(ps->p + 1, ps->end);
      parse_value(ps);
      n++;
      ps->p = skip_space(ps->p, ps->end);
      if (ps->p < ps->end && *ps->p == ',') ps->p = skip_space(ps->p + 1, ps->end);
      else if (ps->p < ps->end && *ps->p == '}') { ps->p++; break; }
      else fail(ps, "comma or object end", NULL, ps->p);
    }
  }
  object_flush(L, base, has_table, n);
  ps->depth--;
}

/* ps->p at the value's first byte (spaces skipped); pushes one value. */
static void parse_value(parser *ps) {
  const char *p = ps->p, *end = ps->end;
  if (p >= end) fail(ps, "value", NULL, p);
  switch (*p) {
  case '{': parse_object(ps); return;
  case '[': parse_array(ps); return;
  case '"': parse_string(ps, "value", 0); return;
  case 't':
    if (!is_literal(p, end, "true", 4)) break;
    lua_pushboolean(ps->L, 1), ps->p += 4;
    return;
  case 'f':
    if (!is_literal(p, end, "false", 5)) break;
    lua_pushboolean(ps->L, 0), ps->p += 5;
    return;
  case 'n':
    if (!is_literal(p, end, "null", 4)) break;
    lua_pushlightuserdata(ps->L, NULL), ps->p += 4;
    return;
  default:
    if (*p == '-' || (*p >= '0' && *p <= '9')) { parse_number(ps); return; }
  }
  fail(ps, "value", NULL, p);
}

/* core.json_decode(s) -> value; raises on malformed input. */
int json_decode(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  parser ps;
  memset(&ps, 0, sizeof ps);
  ps.L = L;
  ps.start = s;
  ps.end = s + len;
  lua_settop(L, 1);
  lua_pushnil(L); /* SCRATCH_SLOT */
  lua_pushnil(L); /* KEYS_SLOT */
  ps.p = skip_space(s, ps.end);
  parse_value(&ps);
  ps.p = skip_space(ps.p, ps.end);
  if (ps.p != ps.end) fail(&ps, "the end", NULL, ps.p);
  return 1; /* the value, on top */
}
