/* buffer.c - see buffer.h. */
#include <stdlib.h>
#include <string.h>

#include "buffer.h"

#define BUFFER_MIN_CAP 1024

void buffer_init(buffer *b) {
  b->data = NULL;
  b->len = b->cap = 0;
}

/* Doubling keeps appends amortised O(1) for bodies arriving in 16 KiB chunks. */
int buffer_reserve(buffer *b, size_t extra) {
  size_t need = b->len + extra, cap = b->cap ? b->cap : BUFFER_MIN_CAP;
  char *p;
  if (need < b->len) return -1; /* overflow */
  if (need <= b->cap) return 0;
  while (cap < need) {
    if (cap > (size_t)-1 / 2) { cap = need; break; }
    cap *= 2;
  }
  p = realloc(b->data, cap);
  if (p == NULL) return -1;
  b->data = p;
  b->cap = cap;
  return 0;
}

int buffer_append(buffer *b, const void *p, size_t len) {
  if (len == 0) return 0;
  if (buffer_reserve(b, len) != 0) return -1;
  memcpy(b->data + b->len, p, len);
  b->len += len;
  return 0;
}

void buffer_reset(buffer *b) {
  b->len = 0;
}

void buffer_free(buffer *b) {
  free(b->data);
  buffer_init(b);
}
