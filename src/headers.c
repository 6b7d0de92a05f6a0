/*
 * headers.c - one response header line from curl into "name\0value\0"
 * pairs.  Plain C on a buffer, no curl and no Lua, so that fuzz/headers.c
 * can drive it with arbitrary lines.
 */
#include <string.h>

#include "internal.h"

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Keeps the pairs of the final response only: every status line (100
 * Continue, a proxy's CONNECT answer, ...) starts a new set.  Lines without
 * a name before a colon (the blank line, junk) and lines holding a NUL are
 * skipped.  pairs->len never exceeds cap, and a failed call leaves the
 * pairs as they were (never half a pair). */
int headers_add_line(buffer *pairs, const char *line, size_t len, size_t cap) {
  const char *colon, *value, *end = line + len, *name_end;
  size_t before = pairs->len, name_len, value_len;
  if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
    buffer_reset(pairs);
    return HEADERS_OK;
  }
  colon = memchr(line, ':', len);
  if (colon == NULL || colon == line || memchr(line, '\0', len)) return HEADERS_OK;
  for (name_end = colon; name_end > line && is_space(name_end[-1]); name_end--) {}
  for (value = colon + 1; value < end && is_space(*value); value++) {}
  while (end > value && is_space(end[-1])) end--;
  name_len = (size_t)(name_end - line);
  value_len = (size_t)(end - value);
  if (name_len == 0) return HEADERS_OK; /* only blanks before the colon */
  if (before > cap || name_len + value_len + 2 > cap - before) return HEADERS_OVER_CAP;
  if (buffer_append(pairs, line, name_len) || buffer_append(pairs, "", 1) ||
      buffer_append(pairs, value, value_len) || buffer_append(pairs, "", 1)) {
    pairs->len = before;
    return HEADERS_NO_MEMORY;
  }
  return HEADERS_OK;
}
