/*
 * json.c - core.json_decode(s): JSON text to Lua values in one pass, every
 * table created at (or guessed to) its final size.
 *
 * Why not lua-cjson's decoder: it creates each object and array empty and
 * grows it member by member, so a 20-key object is rehashed at 1, 2, 4, 8
 * and 16 keys; on the API's pages that is over a third of its time
 * (bench/README.md, benchmark 1).  Here an array's members are parsed onto
 * the Lua stack first; at the closing bracket their count is known and the
 * table is created at that size.  An array with many members, or one
 * opened when the stack is already high (deep nesting), gets its table
 * early and is filled in batches instead, so the stack stays bounded.
 * An object's table is created at its first key, at the size the last
 * object with the same first key had (objects of a list share a shape),
 * and each member goes straight into it; a wrong guess only costs a
 * rehash.  Keys, and short string values, which repeat from object to
 * object (types, account ids, "Chat"), go through small caches instead of
 * being hashed and looked up in Lua's string table each time, and each
 * member's key and string value are first compared with the same member of
 * the last object of that shape, which skips the scan and the hash
 * (bench/README.md, race).  On Lua 5.4.4+ the collector is held off during
 * a big decode (gc_hold, below).
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
/* Stack slots an array may fill with members before its table is created
 * early: 512 values. */
#define JSON_BATCH 512
/* Above this many slots every member goes into its table at once.  Lua 5.1
 * and LuaJIT give a C function 8000 slots (LUAI_MAXCSTACK); past this line
 * each nesting level holds at most a table and a key, and depth is capped,
 * so 2000 + 2 * 1000 + JSON_BATCH stays under that. */
#define JSON_STACK_BUDGET 2000
/* Stack slot of the scratch userdata that escaped strings and long numbers
 * are decoded into (nil until first needed). */
#define SCRATCH_SLOT 2
/* The caches' strings live in stack slots from CACHE_SLOT on: KEY_CACHE
 * keys, then VALUE_CACHE values (sizes: powers of 2, at most 256). */
#define CACHE_SLOT 3
#define KEY_CACHE 256
#define VALUE_CACHE 256
#define CACHE_SLOTS (KEY_CACHE + VALUE_CACHE)
/* Longer values are not cached: Lua does not intern them, and long texts
 * rarely repeat. */
#define VALUE_CACHE_MAX 40
/* Members of an object whose key and string value are guessed from the
 * object before it of the same shape. */
#define SHAPE_MEMBERS 32
#define PLAIN_AFTER 2
/* What parse_string does with a string: a key, a value through the value
 * cache, a value pushed as it is. */
enum { STRING_VALUE, STRING_KEY, STRING_PLAIN };

#if defined(__GNUC__)
#define JSON_NORETURN __attribute__((noreturn))
#else
#define JSON_NORETURN
#endif

/* A cached string: points into the Lua string held by its stack slot. */
typedef struct {
  const char *s;
  size_t len;
} cached;

typedef struct {
  lua_State *L;
  const char *start, *p, *end;
  char *scratch;
  size_t scratch_size;
  int depth;
  int caching;                  /* the cache slots are reserved */
  cached keys[KEY_CACHE];
  cached values[VALUE_CACHE];
  /* Members of the last object whose first key was keys[i]: the size the
   * next such object's table is created at. */
  unsigned hint[KEY_CACHE];
  /* Of that object, member m's key (keys[shape_key[i][m]]) and string
   * value (values[shape_value[i][m]]): objects of a list repeat their keys
   * in the same order and often their values (types, ids of a parent).  A
   * guess is checked byte for byte; a wrong one only costs that check. */
  unsigned char shape_key[KEY_CACHE][SHAPE_MEMBERS];
  unsigned char shape_value[KEY_CACHE][SHAPE_MEMBERS];
  /* Values of that member missing the caches in a row: from PLAIN_AFTER
   * on, its strings (ids, dates) skip them and go to Lua directly. */
  unsigned char shape_misses[KEY_CACHE][SHAPE_MEMBERS];
  int hit;                      /* the last string pushed was in a cache */
  int gc_hold, gc_kb0;          /* see gc_hold */
} parser;

/* ---- the collector around a big decode ---- */

#if LUA_VERSION_NUM == 504 && defined(LUA_VERSION_RELEASE_NUM) && LUA_VERSION_RELEASE_NUM >= 50404
/* A big document decoded while the collector runs gets a collection in its
 * middle: its first part, alive then, is marked, and under Lua 5.4's
 * generational mode a page of a walk (~290 KB of tables for 250 chats)
 * then often lives through a second one and dies old, left for a major
 * collection (bench/README.md, race).  So what a big decode allocates is
 * charged to the collector at the start of the next big decode instead:
 * by then the last page is usually garbage, and the collection that
 * charge brings frees it without ever having marked it.  The debt is
 * moved, never forgiven (at most one document's allocation is charged
 * late, in either mode); a stopped collector and small documents are left
 * alone.  5.4.4 on: lua_gc is a no-op inside a finalizer.  5.4 only: a
 * negative LUA_GCSTEP (a credit against the debt) is how lapi.c 5.4 adds
 * `data` to the debt, which 5.5 changes. */
#define GC_DEFER_MIN 16384          /* bytes of JSON text */
#define GC_HOLD_MAX (1 << 20)       /* KiB */
static const char gc_owed_key = 0;  /* registry: KiB the last big decode allocated, not charged yet */

static void gc_hold(parser *ps, size_t len) {
  lua_State *L = ps->L;
  lua_Integer owed;
  size_t hold;
  if (len < GC_DEFER_MIN || lua_gc(L, LUA_GCISRUNNING) != 1) return;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &gc_owed_key);
  owed = lua_tointeger(L, -1);
  lua_pop(L, 1);
  if (owed > 0) lua_gc(L, LUA_GCSTEP, (int)owed); /* the last big decode's, now */
  /* a decode allocates about 2.5 times its text: hold off for more */
  hold = len / 1024 * 8 + 64;
  ps->gc_hold = hold > GC_HOLD_MAX ? GC_HOLD_MAX : (int)hold;
  lua_gc(L, LUA_GCSTEP, -ps->gc_hold);
  ps->gc_kb0 = lua_gc(L, LUA_GCCOUNT);
}

/* The debt back where it was; this decode's allocation is owed.  Also on
 * the parser's errors (a memory error skips it: the collector then only
 * runs later by at most gc_hold KiB). */
static void gc_release(parser *ps) {
  lua_State *L = ps->L;
  int kb;
  if (!ps->gc_hold) return;
  kb = lua_gc(L, LUA_GCCOUNT) - ps->gc_kb0;
  if (kb < 0) kb = 0;
  if (kb > ps->gc_hold) kb = ps->gc_hold;
  if (kb < ps->gc_hold) lua_gc(L, LUA_GCSTEP, ps->gc_hold - kb);
  ps->gc_hold = 0;
  lua_pushinteger(L, kb);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &gc_owed_key);
}
#else
static void gc_hold(parser *ps, size_t len) { (void)ps, (void)len; }
static void gc_release(parser *ps) { (void)ps; }
#endif

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
  gc_release(ps);
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

/* Slot in a cache of 256 for s (len > 0): a multiply-shift hash of the
 * first and last 8 bytes (fewer for short strings) and the length. */
static unsigned cache_slot(const char *s, size_t len) {
  uint64_t a, b;
  if (len >= 8) {
    memcpy(&a, s, 8);
    memcpy(&b, s + len - 8, 8);
  } else if (len >= 4) {
    uint32_t x, y;
    memcpy(&x, s, 4);
    memcpy(&y, s + len - 4, 4);
    a = x, b = y;
  } else {
    a = (unsigned char)s[0] | (unsigned)(unsigned char)s[len / 2] << 8 | (unsigned)(unsigned char)s[len - 1] << 16;
    b = 0;
  }
  return (unsigned)(((a ^ (b * 0xC2B2AE3D27D4EB4Full + len)) * 0x9E3779B97F4A7C15ull) >> 56);
}

/* memcmp(a, b, len) == 0 for len > 0, inline: a word at a time, the last
 * word overlapping (cached strings are short; the call was 6% of a decode). */
static int same_bytes(const char *a, const char *b, size_t len) {
  if (len >= 8) {
    uint64_t x, y;
    size_t i;
    for (i = 0; i + 8 < len; i += 8) {
      memcpy(&x, a + i, 8);
      memcpy(&y, b + i, 8);
      if (x != y) return 0;
    }
    memcpy(&x, a + len - 8, 8);
    memcpy(&y, b + len - 8, 8);
    return x == y;
  }
  if (len >= 4) {
    uint32_t x0, y0, x1, y1;
    memcpy(&x0, a, 4);
    memcpy(&y0, b, 4);
    memcpy(&x1, a + len - 4, 4);
    memcpy(&y1, b + len - 4, 4);
    return x0 == y0 && x1 == y1;
  }
  return a[0] == b[0] && a[len / 2] == b[len / 2] && a[len - 1] == b[len - 1];
}

/* Pushes s through the cache entry c held by stack slot `slot`; returns 1
 * when it was there already. */
static int push_cached(lua_State *L, cached *c, int slot, const char *s, size_t len) {
  if (c->len == len && same_bytes(c->s, s, len)) {
    lua_pushvalue(L, slot);
    return 1;
  }
  lua_pushlstring(L, s, len);
  lua_pushvalue(L, -1);
  lua_replace(L, slot);
  c->s = lua_tostring(L, -1);
  c->len = len;
  return 0;
}

/* Pushes an object key; returns its key cache entry, or -1 if it has none. */
static int push_key(parser *ps, const char *s, size_t len) {
  unsigned h;
  if (len == 0 || !ps->caching) {
    lua_pushlstring(ps->L, s, len);
    return -1;
  }
  h = cache_slot(s, len) & (KEY_CACHE - 1);
  if (!push_cached(ps->L, &ps->keys[h], CACHE_SLOT + (int)h, s, len)) ps->hint[h] = 0;
  return (int)h;
}

/* Pushes a string value; returns its value cache entry, or -1. */
static int push_value_string(parser *ps, const char *s, size_t len) {
  unsigned h;
  ps->hit = 0;
  if (len == 0 || len > VALUE_CACHE_MAX || !ps->caching) {
    lua_pushlstring(ps->L, s, len);
    return -1;
  }
  h = cache_slot(s, len) & (VALUE_CACHE - 1);
  ps->hit = push_cached(ps->L, &ps->values[h], CACHE_SLOT + KEY_CACHE + (int)h, s, len);
  return (int)h;
}

/* Pushes the string at ps->p (its opening quote) if it is the one cached
 * at c (held by stack slot `slot`), and returns 1; else pushes nothing.
 * Cached strings have no quote or backslash, so equal bytes followed by a
 * quote are the whole string. */
static int push_guessed(parser *ps, const cached *c, int slot) {
  const char *s = ps->p + 1;
  if (c->len == 0 || (size_t)(ps->end - s) <= c->len || s[c->len] != '"' || !same_bytes(c->s, s, c->len))
    return 0;
  lua_pushvalue(ps->L, slot);
  ps->p = s + c->len + 1;
  return 1;
}

/* The first '"' or '\\' in [p, end), or end: eight bytes at a time (the
 * lowest byte that is either one, found without a branch per byte). */
static const char *string_end(const char *p, const char *end) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  while (end - p >= 8) {
    uint64_t w, q, b, hit;
    memcpy(&w, p, 8);
    q = w ^ (ones * '"');
    b = w ^ (ones * '\\');
    hit = (((q - ones) & ~q) | ((b - ones) & ~b)) & highs;
    if (hit) return p + (__builtin_ctzll(hit) >> 3);
    p += 8;
  }
#endif
  while (p < end && *p != '"' && *p != '\\') p++;
  return p;
}

/* ps->p at the opening quote.  Most strings have no escape: one scan and
 * the string is pushed straight from the input (or from a cache).  Returns
 * its cache entry (see push_key, push_value_string), else -1. */
static int parse_string(parser *ps, const char *expected, int kind) {
  const char *s = ps->p + 1, *end = ps->end, *q, *p;
  char *out, *o;
  p = string_end(s, end);
  if (p < end && *p == '"') {
    size_t len = (size_t)(p - s);
    ps->p = p + 1;
    if (kind == STRING_KEY) return push_key(ps, s, len);
    if (kind == STRING_VALUE) return push_value_string(ps, s, len);
    lua_pushlstring(ps->L, s, len);
    return -1;
  }
  /* Escapes (p at the first): find the real closing quote; the text
   * decoded never grows. */
  for (q = p; q < end && *q != '"'; q++)
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
  return -1;
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

/* One level deeper, with room for `slots` more values on the stack. */
static void descend(parser *ps, int slots) {
  if (++ps->depth > JSON_MAX_DEPTH) {
    gc_release(ps);
    luaL_error(ps->L, "Found too many nested data structures (%d) at character %d",
               ps->depth, (int)(ps->p - ps->start) + 1);
  }
  if (!lua_checkstack(ps->L, slots)) {
    gc_release(ps);
    luaL_error(ps->L, "stack overflow (JSON document too large)"); /* luaL_checkstack's words */
  }
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

static void parse_array(parser *ps) {
  lua_State *L = ps->L;
  int base = lua_gettop(L), has_table = 0, stored = 0, n = 0;
  descend(ps, JSON_BATCH + 8); /* a batch of members, the table, a flush */
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

static int parse_key(parser *ps) {
  if (ps->p >= ps->end || *ps->p != '"') fail(ps, "object key string", NULL, ps->p);
  return parse_string(ps, "object key string", STRING_KEY);
}

/* After a key: the colon, then ps->p at the value (spaces skipped). */
static void parse_colon(parser *ps) {
  ps->p = skip_space(ps->p, ps->end);
  if (ps->p >= ps->end || *ps->p != ':') fail(ps, "colon", NULL, ps->p);
  ps->p = skip_space(ps->p + 1, ps->end);
}

/* Member m (> 0) of an object whose first key has cache entry `first`:
 * its key, and its value when a string, each tried against the shape's
 * guess first, else parsed (and the shape updated); pushes both. */
static void parse_member(parser *ps, int first, int m) {
  unsigned char *key = &ps->shape_key[first][m], *value = &ps->shape_value[first][m];
  unsigned char *misses = &ps->shape_misses[first][m];
  if (ps->p >= ps->end || *ps->p != '"') fail(ps, "object key string", NULL, ps->p);
  if (!push_guessed(ps, &ps->keys[*key], CACHE_SLOT + *key)) {
    int k = parse_string(ps, "object key string", STRING_KEY);
    if (k >= 0) *key = (unsigned char)k;
  }
  parse_colon(ps);
  if (ps->p < ps->end && *ps->p == '"') {
    if (push_guessed(ps, &ps->values[*value], CACHE_SLOT + KEY_CACHE + *value)) {
      *misses = 0;
    } else if (*misses >= PLAIN_AFTER) {
      parse_string(ps, "value", STRING_PLAIN);
    } else {
      int v = parse_string(ps, "value", STRING_VALUE);
      if (v >= 0) *value = (unsigned char)v;
      *misses = ps->hit ? 0 : (unsigned char)(*misses + 1);
    }
  } else parse_value(ps);
}

/* Members go into the table one by one, in document order (the last of
 * two equal keys wins); the table is made at the first key, sized by the
 * hint of that key's cache entry, which the object's count then updates. */
static void parse_object(parser *ps) {
  lua_State *L = ps->L;
  int first, n = 1;
  descend(ps, 8); /* the table, a key and its value (and their scratch) */
  ps->p = skip_space(ps->p + 1, ps->end);
  if (ps->p < ps->end && *ps->p == '}') {
    ps->p++;
    lua_createtable(L, 0, 0);
    ps->depth--;
    return;
  }
  first = parse_key(ps);
  lua_createtable(L, 0, first >= 0 ? (int)ps->hint[first] : 0);
  lua_insert(L, -2);
  parse_colon(ps);
  parse_value(ps);
  for (;;) {
    lua_rawset(L, -3);
    ps->p = skip_space(ps->p, ps->end);
    if (ps->p < ps->end && *ps->p == ',') ps->p = skip_space(ps->p + 1, ps->end);
    else if (ps->p < ps->end && *ps->p == '}') { ps->p++; break; }
    else fail(ps, "comma or object end", NULL, ps->p);
    if (first >= 0 && n < SHAPE_MEMBERS) parse_member(ps, first, n);
    else {
      parse_key(ps);
      parse_colon(ps);
      parse_value(ps);
    }
    n++;
  }
  /* the key's entry may have been replaced meanwhile (a nested object):
   * then the hint is that key's, which only costs a rehash once */
  if (first >= 0) ps->hint[first] = (unsigned)n;
  ps->depth--;
}

/* ps->p at the value's first byte (spaces skipped); pushes one value. */
static void parse_value(parser *ps) {
  const char *p = ps->p, *end = ps->end;
  if (p >= end) fail(ps, "value", NULL, p);
  switch (*p) {
  case '{': parse_object(ps); return;
  case '[': parse_array(ps); return;
  case '"': parse_string(ps, "value", STRING_VALUE); return;
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
  ps.p = skip_space(s, ps.end);
  if (ps.p < ps.end && (*ps.p == '{' || *ps.p == '[')) { /* a scalar needs no cache */
    luaL_checkstack(L, CACHE_SLOTS + 8, "JSON document too large");
    lua_settop(L, CACHE_SLOT + CACHE_SLOTS - 1); /* the cache slots, nil */
    ps.caching = 1;
  }
  gc_hold(&ps, len);
  parse_value(&ps);
  ps.p = skip_space(ps.p, ps.end);
  if (ps.p != ps.end) fail(&ps, "the end", NULL, ps.p);
  gc_release(&ps);
  return 1; /* the value, on top */
}
