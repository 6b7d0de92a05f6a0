/*
 * buffer.h - a growable byte buffer for in-memory bodies and headers.
 * Plain C, no Lua: it is filled from curl callbacks, where raising a Lua
 * error is not allowed.  Appends report failure instead.
 */
#ifndef UNIPILE_BUFFER_H
#define UNIPILE_BUFFER_H

#include <stddef.h>

typedef struct buffer {
  char *data;
  size_t len;
  size_t cap;
} buffer;

void buffer_init(buffer *b);
/* Appends len bytes; returns 0 on success, -1 when out of memory. */
int buffer_append(buffer *b, const void *p, size_t len);
/* Room for `extra` more bytes in at most one allocation: 0, or -1 when out of memory. */
int buffer_reserve(buffer *b, size_t extra);
/* Forgets the content but keeps the memory for the next attempt. */
void buffer_reset(buffer *b);
void buffer_free(buffer *b);

#endif
