/*
 * internal.h - the structs shared by multi.c, transfer.c and mime.c.
 *
 * Ownership in one paragraph: a transfer is *active* from multi:add until it
 * is done (finished, failed for good, cancelled, or its multi closed).  While
 * active it sits in its multi's list, owns an easy handle and keeps a
 * registry reference to its own userdata, so Lua cannot collect it
 * mid-flight.  When it stops being active, the easy handle goes back to the
 * multi's pool, the reference is dropped and `t->multi` becomes NULL: an
 * inactive transfer never points at a multi, so the two userdata may be
 * collected in any order.
 */
#ifndef UNIPILE_INTERNAL_H
#define UNIPILE_INTERNAL_H

#include <stdio.h>
#include <stdint.h>
#include <curl/curl.h>

#include "compat.h"
#include "buffer.h"

#define MULTI_MT "unipile.multi"
#define TRANSFER_MT "unipile.transfer"

#define EASY_POOL_SIZE 16
/* curl's read buffer and the stdio buffer of downloads to an `output` path. */
#define OUTPUT_BUFFER_SIZE (256 * 1024)
/* Non-2xx bodies are error envelopes: keep enough to diagnose, no more. */
#define ERROR_BODY_CAP (1024 * 1024)
/* Response headers are kept in memory; a hostile server gets this much. */
#define HEADERS_CAP (1024 * 1024)
/* In-memory bodies are allocated at once from Content-Length up to this. */
#define BODY_PRESIZE_MAX (64 * 1024 * 1024)

/* The attempts kept in a transfer's attempt log: the last ones, so the
 * final answer is always there. */
#define ATTEMPT_LOG_SIZE 16

typedef struct multi multi_t;

/* events.c: a socket curl wants watched, and one queued event. */
typedef struct { curl_socket_t fd; int what; } ev_socket; /* what: CURL_POLL_* */
enum { EV_SOCKET, EV_TIMER };
typedef struct { int kind; curl_socket_t fd; long value; } ev_event; /* value: CURL_POLL_* or ms */
#define TIMER_UNKNOWN (-2)                /* no timer event sent yet */
typedef struct transfer transfer_t;

typedef enum { T_NEW, T_WAITING, T_RUNNING, T_DONE } transfer_state;
/* QUEUE: the request's time budget ran out (or retries = 0 refused to
 * wait) while a 429 hold or a retry delay kept it from starting. */
typedef enum { PHASE_NONE, PHASE_CONNECT, PHASE_TOTAL, PHASE_QUEUE } timeout_phase;

/* One attempt as it ended, and what the retry rule decided after it. */
typedef struct {
  int attempt;                  /* 1-based */
  CURLcode code;
  long status, retry_after;     /* retry_after: -1 = absent */
  curl_off_t bytes;
  double total_time;
  long delay_ms;                /* before the next attempt; -1 = it was the last */
  const char *reason;           /* why retried (static), or NULL */
  long rate_limit[3];           /* x-ratelimit-limit, -remaining, -reset; -1 = absent */
} attempt_entry;

struct transfer {
  multi_t *multi;               /* non-NULL exactly while active */
  transfer_t *prev, *next;      /* links in multi->active */
  transfer_state state;
  CURL *easy;                   /* from setup in multi:add until done */
  int self_ref;                 /* registry ref to this userdata while active */
  int cancel_requested;         /* set by cancel() from inside perform */

  /* the request, built by multi:add */
  struct curl_slist *headers;
  curl_mime *mime;
  char *path;                   /* output file path, or NULL */
  int sink_ref;                 /* output function, or LUA_NOREF */
  int has_output;               /* 2xx bodies go to path or sink, not memory */
  long retries, backoff_ms, backoff_max_ms, retry_after_max_ms;
  int retry_unsafe;
  int64_t due;                  /* T_WAITING: earliest start, monotonic ms */
  long timeout_ms;              /* the whole request's budget, 0 = none */
  int64_t deadline;             /* submit time + timeout_ms, or 0 */
  curl_off_t max_body_bytes;    /* in-memory body cap (any status), 0 = none */
  curl_off_t max_bytes;         /* streamed download cap, 0 = none */

  /* the current attempt, filled by the curl callbacks */
  FILE *file;
  char *file_buf;               /* its stdio buffer (OUTPUT_BUFFER_SIZE) */
  int body_started;             /* first body byte of this attempt seen */
  int to_output;                /* this attempt's body goes to path/sink */
  int sink_used;                /* a byte reached the Lua sink: no retry */
  size_t body_cap;              /* in-memory body limit for this attempt */
  buffer body;
  buffer header_pairs;          /* "name\0value\0" for each header */
  curl_off_t bytes;
  char errbuf[CURL_ERROR_SIZE]; /* CURLOPT_ERRORBUFFER */
  char own_error[256];          /* our reason, wins over errbuf */
  const char *limit;            /* the cap this attempt hit ("max_body_bytes"...), or NULL */
  curl_off_t limit_cap;         /* and its value */

  /* the outcome of the last attempt */
  CURLcode code;
  long status, new_connections, retry_after; /* retry_after: -1 = absent */
  int attempts, reached;
  timeout_phase phase;
  double total_time;
  attempt_entry log[ATTEMPT_LOG_SIZE]; /* ring: attempt n at (n - 1) % size */
  int sink_error_ref;           /* what the sink raised, or LUA_NOREF */
  int result_ref;               /* result table once built, or LUA_NOREF */
};

struct multi {
  CURLM *multi;
  CURLSH *share;
  lua_State *L;                 /* the state inside perform, for sinks */
  int in_perform;               /* curl forbids re-entering its API then */
  int closed;
  transfer_t *active;           /* waiting and running transfers */
  int nactive;
  int64_t paused_until;         /* no start before this (pause or 429), monotonic ms */
  int64_t held_until;           /* the part of it a 429 Retry-After asked for */
  uint64_t rng;                 /* jitter PRNG state, never 0 */
  struct curl_slist *headers;   /* sent on every request */
  char *user_agent;
  CURL *pool[EASY_POOL_SIZE];
  int npool;
  /* events.c: what curl's socket callback asked (always), and the events
   * queued for a driver (only while one listens: events_on) */
  ev_socket *sockets;
  int nsockets, socket_cap;
  ev_event *queue;
  int nqueue, queue_cap;
  int events_on, timer_dirty, events_oom;
  int64_t timer_reported;       /* due time of the last timer event (-1 cancel), or TIMER_UNKNOWN */
};

/* core.c */
int64_t monotonic_ms(void);

/* multi.c */
int multi_new(lua_State *L);
void multi_register(lua_State *L);
CURL *multi_take_easy(multi_t *m);
void multi_give_easy(multi_t *m, CURL *easy);
void multi_submit(lua_State *L, multi_t *m, transfer_t *t);
void multi_cancel(lua_State *L, transfer_t *t);
void multi_round(lua_State *L, multi_t *m, curl_socket_t fd, int mask);
long multi_next_due(multi_t *m);

/* events.c */
void events_install(multi_t *m);
void events_free_sockets(multi_t *m);
void events_free_queue(multi_t *m);
int events_wait(lua_State *L);
extern const luaL_Reg events_methods[];

/* transfer.c */
void transfer_register(lua_State *L);
transfer_t *transfer_new(lua_State *L, multi_t *m, int req);
void transfer_begin_attempt(transfer_t *t);
void transfer_collect(transfer_t *t, CURLcode code);
void transfer_log_decision(transfer_t *t, long delay_ms, const char *reason);
void transfer_end_output(transfer_t *t);
void transfer_free_request(transfer_t *t);
void check_header_line(lua_State *L, const char *where, int i, const char *s, size_t len);
void transfer_push_defaults(lua_State *L);

/* headers.c: what headers_add_line returns. */
enum { HEADERS_OK, HEADERS_OVER_CAP, HEADERS_NO_MEMORY };
int headers_add_line(buffer *pairs, const char *line, size_t len, size_t cap);

/* json.c */
int json_decode(lua_State *L);
int json_lines(lua_State *L);

/* mime.c */
void mime_build(lua_State *L, int parts, curl_mime **slot);
const char *file_unreadable(const char *path);

#endif
