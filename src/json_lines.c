/*
 * json_lines.c - core.json_lines(s, key): the members of the array at the
 * top-level `key` of the JSON object text `s`, each minified and ended by
 * a newline, as one string (and their count).
 *
 * Why: `unipile ... --all --format ndjson` writes every item of every page.
 * Encoding each decoded item again in Lua costs more than the walk itself
 * (bench/README.md, "cli"); the items' own bytes, already in the page's
 * body, only need their insignificant whitespace dropped.
 *
 * The body has been decoded by core.json_decode before (the pager reads
 * the page), so this is a framer, not a validator: it skips strings and
 * counts brackets. It still reads nothing past `s + len` and returns nil
 * (the caller then encodes the decoded items) for anything it does not
 * handle byte for byte: no such key, a key written with escapes, a value
 * that is not an array, a raw control byte inside a string (it would break
 * the line), text it cannot frame.
 */
#include <string.h>

#include "internal.h"

typedef struct {
  const char *p, *end;
} cursor;

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Ends a number or literal (a NUL byte too, which no JSON token holds). */
static int ends_token(char c) {
  return is_space(c) || c == '"' || c == '{' || c == '}' || c == '[' || c == ']' || c == ',' || c == ':' || c == '\0';
}

static void skip_space(cursor *c) {
  while (c->p < c->end && is_space(*c->p)) c->p++;
}

/* At `ch` (after whitespace): step over it. */
static int expect(cursor *c, char ch) {
  skip_space(c);
  if (c->p >= c->end || *c->p != ch) return 0;
  c->p++;
  return 1;
}

/* Past the string starting at c->p ('"'); 0 if it does not end, or holds a
 * raw control byte. */
static int skip_string(cursor *c) {
  const char *p = c->p + 1;
  while (p < c->end) {
    unsigned char b = (unsigned char)*p;
    if (b == '"') { c->p = p + 1; return 1; }
    if (b < 0x20) return 0;
    p += b == '\\' ? 2 : 1;
  }
  return 0;
}

/* Past one value; when `out` is given, its bytes without whitespace go
 * there, in runs between the whitespace (one copy for a compact value).
 * 0 if it cannot be framed. Each turn consumes at least one byte. */
static int copy_value(cursor *c, luaL_Buffer *out) {
  int depth = 0;
  const char *run;
  skip_space(c);
  run = c->p;
  for (;;) {
    const char *from = c->p;
    if (c->p >= c->end) return 0;
    switch (*c->p) {
    case ' ': case '\t': case '\n': case '\r': /* inside a container only */
      if (out) luaL_addlstring(out, run, (size_t)(c->p - run));
      skip_space(c);
      run = c->p;
      continue;
    case '"':
      if (!skip_string(c)) return 0;
      break;
    case '{': case '[':
      depth++, c->p++;
      break;
    case '}': case ']':
      if (--depth < 0) return 0;
      c->p++;
      break;
    case ',': case ':':
      if (depth == 0) return 0;
      c->p++;
      break;
    default: /* a number or a literal */
      while (c->p < c->end && !ends_token(*c->p)) c->p++;
      if (c->p == from) return 0;
    }
    if (depth == 0) break;
  }
  if (out) luaL_addlstring(out, run, (size_t)(c->p - run));
  return 1;
}

/* The array's members into `out`, a line each; their count, or -1. */
static lua_Integer copy_lines(cursor *c, luaL_Buffer *out) {
  lua_Integer n = 0;
  if (!expect(c, '[')) return -1;
  skip_space(c);
  if (c->p < c->end && *c->p == ']') { c->p++; return 0; }
  do {
    if (!copy_value(c, out)) return -1;
    luaL_addchar(out, '\n');
    n++;
    skip_space(c);
    if (c->p < c->end && *c->p == ']') { c->p++; return n; }
  } while (expect(c, ','));
  return -1;
}

/* core.json_lines(s, key) -> lines, count; or nothing (see above). The
 * whole object is walked: a second `key` (the decoder keeps the last one)
 * is refused too. */
int json_lines(lua_State *L) {
  size_t len, key_len;
  const char *s = luaL_checklstring(L, 1, &len);
  const char *key = luaL_checklstring(L, 2, &key_len);
  cursor c = { s, s + len };
  luaL_Buffer out;
  lua_Integer n = -1;
  luaL_buffinit(L, &out);
  if (!expect(&c, '{')) return 0;
  skip_space(&c);
  if (c.p < c.end && *c.p == '}') return 0;
  do {
    const char *name, *name_end;
    skip_space(&c);
    if (c.p >= c.end || *c.p != '"') return 0;
    name = c.p + 1;
    if (!skip_string(&c)) return 0;
    name_end = c.p - 1; /* its closing quote */
    if (!expect(&c, ':')) return 0;
    if ((size_t)(name_end - name) == key_len && memcmp(name, key, key_len) == 0) {
      if (n >= 0) return 0;
      if ((n = copy_lines(&c, &out)) < 0) return 0;
    } else if (!copy_value(&c, NULL)) {
      return 0;
    }
    skip_space(&c);
    if (c.p < c.end && *c.p == '}') break;
  } while (expect(&c, ','));
  if (c.p >= c.end || *c.p != '}' || n < 0) return 0;
  luaL_pushresult(&out);
  lua_pushinteger(L, n);
  return 2;
}
