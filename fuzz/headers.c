/*
 * headers.c - libFuzzer harness for headers_add_line (src/headers.c), the
 * parser of curl's response header lines.  The first input byte picks the
 * cap (16 to 4096 bytes, so the over-cap path is reached); the rest is
 * split after each '\n' into lines, fed one by one.  After each line the
 * pairs must be what the line asks for, rebuilt here independently:
 * a status line empties them, junk leaves them alone, a header adds one
 * trimmed "name\0value\0" pair unless that would pass the cap, in which
 * case nothing changes.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "finding: %s\n", #cond); abort(); } } while (0)

/* The pair `line` should add, into want; its length, or 0 for none. */
static size_t expected_pair(const char *line, size_t len, char *want) {
  const char *colon = memchr(line, ':', len);
  size_t n, v, v_end;
  if (colon == NULL || memchr(line, '\0', len)) return 0;
  n = (size_t)(colon - line);
  while (n > 0 && blank(line[n - 1])) n--;
  if (n == 0) return 0;
  v = (size_t)(colon - line) + 1;
  v_end = len;
  while (v < v_end && blank(line[v])) v++;
  while (v_end > v && blank(line[v_end - 1])) v_end--;
  memcpy(want, line, n);
  want[n] = '\0';
  memcpy(want + n + 1, line + v, v_end - v);
  want[n + 1 + v_end - v] = '\0';
  return n + (v_end - v) + 2;
}

/* Every pair is two NUL-terminated strings, the last ending at len. */
static void check_pairs(const buffer *b) {
  size_t pos = 0;
  int strings = 0;
  while (pos < b->len) {
    const char *nul = memchr(b->data + pos, '\0', b->len - pos);
    CHECK(nul != NULL);
    pos = (size_t)(nul - b->data) + 1;
    strings++;
  }
  CHECK(strings % 2 == 0);
}

static void add_line(buffer *b, const char *line, size_t len, size_t cap) {
  size_t before = b->len, pair;
  char *snapshot = malloc(before + 1), *want = malloc(len + 2);
  int rc;
  CHECK(snapshot != NULL && want != NULL);
  if (before) memcpy(snapshot, b->data, before);
  pair = expected_pair(line, len, want);
  rc = headers_add_line(b, line, len, cap);
  CHECK(b->len <= cap);
  if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
    CHECK(rc == HEADERS_OK && b->len == 0);
  } else if (pair == 0 || before + pair > cap) {
    CHECK(rc == (pair == 0 ? HEADERS_OK : HEADERS_OVER_CAP));
    CHECK(b->len == before && (before == 0 || memcmp(b->data, snapshot, before) == 0));
  } else {
    CHECK(rc == HEADERS_OK && b->len == before + pair);
    CHECK(memcmp(b->data, snapshot, before) == 0 && memcmp(b->data + before, want, pair) == 0);
  }
  check_pairs(b);
  free(snapshot);
  free(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *p, *end, *nl;
  size_t cap;
  buffer b;
  if (size == 0) return 0;
  cap = ((size_t)data[0] + 1) * 16;
  p = (const char *)data + 1;
  end = (const char *)data + size;
  buffer_init(&b);
  for (; p < end; p = nl) {
    nl = memchr(p, '\n', (size_t)(end - p));
    nl = nl ? nl + 1 : end;
    add_line(&b, p, (size_t)(nl - p), cap);
  }
  buffer_free(&b);
  return 0;
}
