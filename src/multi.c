/*
 * multi.c - the unipile.multi userdata: a CURLM plus a CURLSH, the list of
 * active transfers, the retry timers and the loop that drives them.
 *
 * Nothing here blocks except curl_multi_poll in perform(wait_ms), and that
 * never waits past the moment a waiting transfer (a retry, or a start
 * delayed by pause) is due, so schedulers and event loops can be built on
 * perform(0) + timeout().
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

static uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

/* xorshift64*: plenty for spreading retries, and reproducible per seed. */
static uint64_t next_random(multi_t *m) {
  uint64_t x = m->rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  m->rng = x;
  return x * 0x2545F4914F6CDD1DULL;
}

/* curl_easy_reset keeps the share, so pooled handles still find shared
 * connections, DNS entries and TLS sessions. */
CURL *multi_take_easy(multi_t *m) {
  CURL *e;
  if (m->npool > 0) return m->pool[--m->npool];
  if ((e = curl_easy_init()) != NULL) curl_easy_setopt(e, CURLOPT_SHARE, m->share);
  return e;
}

void multi_give_easy(multi_t *m, CURL *e) {
  if (e == NULL) return;
  curl_easy_reset(e);
  if (!m->closed && m->npool < EASY_POOL_SIZE) m->pool[m->npool++] = e;
  else curl_easy_cleanup(e);
}

static void link_active(multi_t *m, transfer_t *t) {
  t->prev = NULL;
  t->next = m->active;
  if (m->active) m->active->prev = t;
  m->active = t;
  m->nactive++;
}

static void unlink_active(multi_t *m, transfer_t *t) {
  if (t->prev) t->prev->next = t->next;
  else m->active = t->next;
  if (t->next) t->next->prev = t->prev;
  t->prev = t->next = NULL;
  m->nactive--;
}

/* The transfer stops being active: from here on it owns no curl handle
 * and nothing keeps it alive but the caller's own references. */
static void finish(lua_State *L, multi_t *m, transfer_t *t) {
  int ref = t->self_ref;
  unlink_active(m, t);
  transfer_end_output(t);
  multi_give_easy(m, t->easy);
  t->easy = NULL;
  transfer_free_request(t);
  luaL_unref(L, LUA_REGISTRYINDEX, t->sink_ref);
  t->sink_ref = LUA_NOREF;
  t->multi = NULL;
  t->state = T_DONE;
  t->self_ref = LUA_NOREF;
  luaL_unref(L, LUA_REGISTRYINDEX, ref); /* last: t may be collected after this */
}

static void cancel_now(lua_State *L, multi_t *m, transfer_t *t, const char *why) {
  if (t->state == T_RUNNING) {
    transfer_collect(t, CURLE_ABORTED_BY_CALLBACK);
    curl_multi_remove_handle(m->multi, t->easy);
  }
  t->code = CURLE_ABORTED_BY_CALLBACK;
  snprintf(t->own_error, sizeof t->own_error, "%s", why);
  finish(L, m, t);
}

/* curl's API may not be re-entered from its callbacks, where Lua sinks
 * run: a cancel from there is only recorded and done after the callback. */
void multi_cancel(lua_State *L, transfer_t *t) {
  multi_t *m = t->multi;
  if (m == NULL) return;
  if (m->in_perform) t->cancel_requested = 1;
  else cancel_now(L, m, t, "cancelled");
}

/* Seconds (rounded up) until the 429 hold ends, or 0. */
static long hold_left_s(const multi_t *m, int64_t now) {
  return m->held_until > now ? (long)((m->held_until - now + 999) / 1000) : 0;
}

/* The request's budget ran out before it could start (or it may not wait
 * at all: retries = 0 behind a 429 hold).  A retry that cannot start
 * keeps the outcome of its last attempt, the real reason; a request that
 * never started ends as a queue timeout carrying the hold's Retry-After. */
static void expire(lua_State *L, multi_t *m, transfer_t *t, int64_t now) {
  if (t->attempts == 0) {
    long left = hold_left_s(m, now);
    t->code = CURLE_OPERATION_TIMEDOUT;
    t->phase = PHASE_QUEUE;
    t->retry_after = left > 0 ? left : -1;
    if (left > 0 && t->retries == 0)
      snprintf(t->own_error, sizeof t->own_error,
               "not sent: the queue is held %ld s by a 429 Retry-After and retries = 0", left);
    else
      snprintf(t->own_error, sizeof t->own_error, "not sent within timeout_ms (%ld ms): the queue was held by %s",
               t->timeout_ms, left > 0 ? "a 429 Retry-After" : "a pause");
  }
  finish(L, m, t);
}

/* Must this waiting transfer end now instead of waiting on?  A request
 * that may not retry does not wait behind a 429 either (the server said
 * "not now" for the whole key); a pause asked for by the caller is
 * waited out within the budget. */
static int must_expire(const multi_t *m, const transfer_t *t, int64_t now) {
  if (m->held_until > now && t->attempts == 0 && t->retries == 0) return 1;
  if (t->deadline == 0) return 0;
  if (now >= t->deadline) return 1;
  /* A hold that outlasts the budget: no use waiting for it. */
  return m->paused_until > now && m->paused_until >= t->deadline;
}

/* Each attempt gets what is left of the request's budget as its total
 * timeout, so waits, retries and attempts together stay within it. */
static void start_attempt(lua_State *L, multi_t *m, transfer_t *t) {
  CURLMcode mc;
  long left = 0;
  if (t->deadline) left = (long)(t->deadline - monotonic_ms());
  if (t->deadline && left <= 0) {
    expire(L, m, t, monotonic_ms());
    return;
  }
  transfer_begin_attempt(t);
  curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, left);
  mc = curl_multi_add_handle(m->multi, t->easy);
  if (mc != CURLM_OK) {
    t->code = CURLE_FAILED_INIT;
    snprintf(t->own_error, sizeof t->own_error, "curl_multi_add_handle: %s", curl_multi_strerror(mc));
    finish(L, m, t);
    return;
  }
  t->state = T_RUNNING;
}

/* Expires what can no longer start in time, starts what is due; returns
 * how many transfers became done. */
static int start_due(lua_State *L, multi_t *m) {
  int64_t now = monotonic_ms();
  transfer_t *t, *next;
  int finished = 0;
  for (t = m->active; t; t = next) {
    next = t->next;
    if (t->state != T_WAITING) continue;
    if (must_expire(m, t, now)) {
      expire(L, m, t, now);
      finished++;
    } else if (now >= m->paused_until && t->due <= now) {
      start_attempt(L, m, t);
      if (t->state == T_DONE) finished++;
    }
  }
  return finished;
}

/* Milliseconds until a waiting transfer may start or must expire, or -1
 * if none waits. */
static long next_start_in(multi_t *m) {
  int64_t best = -1, now = monotonic_ms();
  transfer_t *t;
  for (t = m->active; t; t = t->next) {
    int64_t at = t->due > m->paused_until ? t->due : m->paused_until;
    if (t->state != T_WAITING) continue;
    if (t->deadline && t->deadline < at) at = t->deadline;
    if (best < 0 || at < best) best = at;
  }
  if (best < 0) return -1;
  return best <= now ? 0 : (long)(best - now);
}

/* t is on top of the stack. */
void multi_submit(lua_State *L, multi_t *m, transfer_t *t) {
  int64_t now = monotonic_ms();
  lua_pushvalue(L, -1);
  t->self_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  t->multi = m;
  t->state = T_WAITING;
  t->due = now;
  t->deadline = t->timeout_ms > 0 ? now + t->timeout_ms : 0;
  link_active(m, t);
  if (m->in_perform) return; /* the next step starts it */
  if (must_expire(m, t, now)) expire(L, m, t, now);
  else if (now >= m->paused_until) start_attempt(L, m, t);
}

static int never_reached(const transfer_t *t) {
  return t->code == CURLE_COULDNT_RESOLVE_HOST || t->code == CURLE_COULDNT_RESOLVE_PROXY ||
         t->code == CURLE_COULDNT_CONNECT || !t->reached;
}

/* Failures that happen before sending but would happen again: retrying a
 * bad URL or a certificate that does not verify only delays the error. */
static int permanent_failure(CURLcode code) {
  switch (code) {
  case CURLE_UNSUPPORTED_PROTOCOL: case CURLE_URL_MALFORMAT: case CURLE_NOT_BUILT_IN:
  case CURLE_OUT_OF_MEMORY: case CURLE_BAD_FUNCTION_ARGUMENT: case CURLE_ABORTED_BY_CALLBACK:
  case CURLE_READ_ERROR: case CURLE_WRITE_ERROR: case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CERTPROBLEM: case CURLE_SSL_CACERT_BADFILE: case CURLE_SSL_CIPHER:
    return 1;
  default:
    return 0;
  }
}

static int connection_failure(CURLcode code) {
  return code == CURLE_SEND_ERROR || code == CURLE_RECV_ERROR || code == CURLE_GOT_NOTHING ||
         code == CURLE_PARTIAL_FILE || code == CURLE_SSL_CONNECT_ERROR;
}

static int retryable_status(long status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

/* "Retry rule" of docs/internals.md: the delay before the next attempt in
 * ms, or -1 when the last attempt is final. */
static long retry_delay(multi_t *m, const transfer_t *t) {
  long delay = t->backoff_ms, jitter_span;
  int i;
  if (t->attempts > t->retries || t->sink_used || t->limit || permanent_failure(t->code)) return -1;
  if (t->code == CURLE_OK) {
    if (!retryable_status(t->status) || !t->retry_unsafe) return -1;
  } else if (t->code == CURLE_OPERATION_TIMEDOUT && t->phase == PHASE_TOTAL) {
    return -1; /* the whole budget was spent: a retry would spend it again */
  } else if (!never_reached(t) && !(t->retry_unsafe && connection_failure(t->code))) {
    return -1;
  }
  if (t->retry_after >= 0) {
    if (t->retry_after > t->retry_after_max_ms / 1000) return -1;
    return t->retry_after * 1000;
  }
  for (i = 1; i < t->attempts && delay < t->backoff_max_ms; i++) delay *= 2;
  if (delay > t->backoff_max_ms) delay = t->backoff_max_ms;
  jitter_span = delay - delay / 2; /* uniform in [d/2, d] */
  return delay / 2 + (long)(next_random(m) % (uint64_t)(jitter_span + 1));
}

/* Why a retry is made, for the attempt log: the answer, or how the
 * attempt failed.  The delay's source is the entry's retry_after. */
static const char *retry_reason(const transfer_t *t) {
  if (t->code == CURLE_OK) return "status";
  if (t->code == CURLE_OPERATION_TIMEDOUT) return "timeout";
  if (never_reached(t)) return "not_sent";
  return "connection_lost";
}

/* A 429 with Retry-After speaks for the whole API key, not one request:
 * hold every start of this multi (new transfers and retries alike) until
 * the server's delay has passed. Transfers already running go on. */
static void hold_queue_on_429(multi_t *m, const transfer_t *t) {
  int64_t until;
  if (t->code != CURLE_OK || t->status != 429 || t->retry_after <= 0) return;
  if (t->retry_after > t->retry_after_max_ms / 1000) return;
  until = monotonic_ms() + (int64_t)t->retry_after * 1000;
  if (until > m->paused_until) m->paused_until = until;
  if (until > m->held_until) m->held_until = until;
}

/* Handles the attempts curl reports as ended; returns how many transfers
 * became done. */
static int process_done(lua_State *L, multi_t *m) {
  CURLMsg *msg;
  int left, finished = 0;
  long delay;
  while ((msg = curl_multi_info_read(m->multi, &left)) != NULL) {
    CURL *e = msg->easy_handle;
    CURLcode code = msg->data.result;
    char *priv = NULL;
    transfer_t *t;
    if (msg->msg != CURLMSG_DONE) continue;
    curl_easy_getinfo(e, CURLINFO_PRIVATE, &priv);
    t = (transfer_t *)priv;
    transfer_collect(t, code);
    curl_multi_remove_handle(m->multi, e); /* msg is invalid from here */
    hold_queue_on_429(m, t);
    if (t->cancel_requested) {
      t->state = T_WAITING; /* no longer in curl */
      cancel_now(L, m, t, "cancelled");
      finished++;
    } else if ((delay = retry_delay(m, t)) >= 0 &&
               (t->deadline == 0 || monotonic_ms() + delay < t->deadline)) {
      transfer_log_decision(t, delay, retry_reason(t));
      t->state = T_WAITING;
      t->due = monotonic_ms() + delay;
    } else {
      finish(L, m, t);
      finished++;
    }
  }
  return finished;
}

static int process_cancels(lua_State *L, multi_t *m) {
  transfer_t *t, *next;
  int finished = 0;
  for (t = m->active; t; t = next) {
    next = t->next;
    if (t->cancel_requested) cancel_now(L, m, t, "cancelled"), finished++;
  }
  return finished;
}

/* curl_multi_perform, then every transfer's sockets handed to the socket
 * callback (events.c): with 7.88 curl_multi_perform alone reports none, and
 * curl_multi_socket_all is the one call that does both (deprecated for
 * new event loops, which use socket_action, but kept by curl; event
 * drivers and core.wait rely on the socket table being current after a
 * perform). */
static CURLMcode perform_all(CURLM *multi, int *running) {
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
  return curl_multi_socket_all(multi, running);
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
}

/* One non-blocking round: start what is due, let curl work, reap.  curl
 * works on everything (fd == ROUND_PERFORM: curl_multi_perform) or on one
 * socket's readiness or its timeout (curl_multi_socket_action). */
#define ROUND_PERFORM (-2)
static int round_of(lua_State *L, multi_t *m, curl_socket_t fd, int mask) {
  int running, finished;
  CURLMcode mc;
  finished = start_due(L, m);
  m->L = L;
  m->in_perform = 1;
  if (fd == ROUND_PERFORM) mc = perform_all(m->multi, &running);
  else mc = curl_multi_socket_action(m->multi, fd, mask, &running);
  m->in_perform = 0;
  m->L = NULL;
  if (mc != CURLM_OK) return luaL_error(L, "curl_multi_%s: %s", fd == ROUND_PERFORM ? "perform" : "socket_action",
                                        curl_multi_strerror(mc));
  return finished + process_done(L, m) + process_cancels(L, m);
}

static int step(lua_State *L, multi_t *m) { return round_of(L, m, ROUND_PERFORM, 0); }

/* events.c's actions: a round driven by one socket or the timer. */
void multi_round(lua_State *L, multi_t *m, curl_socket_t fd, int mask) { round_of(L, m, fd, mask); }

static multi_t *check_multi(lua_State *L) {
  multi_t *m = (multi_t *)luaL_checkudata(L, 1, MULTI_MT);
  if (m->closed) luaL_error(L, "multi is closed");
  return m;
}

static int m_add(lua_State *L) {
  multi_t *m = check_multi(L);
  transfer_t *t = transfer_new(L, m, 2);
  multi_submit(L, m, t);
  return 1;
}

/* perform(wait_ms): if nothing finished in the first round, wait for
 * socket activity (at most wait_ms, never past the next due start) and
 * run a second round.  Returns the number of active transfers. */
static int m_perform(lua_State *L) {
  multi_t *m = check_multi(L);
  lua_Number wait = luaL_optnumber(L, 2, 0);
  if (m->in_perform) return luaL_error(L, "multi:perform called from inside an output function");
  if (step(L, m) == 0 && wait > 0 && m->nactive > 0) {
    long until = next_start_in(m);
    if (wait > 2147483647.0) wait = 2147483647.0;
    if (until >= 0 && until < wait) wait = (lua_Number)until;
    if (wait > 0) curl_multi_poll(m->multi, NULL, 0, (int)wait, NULL);
    step(L, m);
  }
  lua_pushinteger(L, m->nactive);
  return 1;
}

static int m_pending(lua_State *L) {
  lua_pushinteger(L, check_multi(L)->nactive);
  return 1;
}

/* Ms until perform (or timeout_action) has something to do (0 = now), -1
 * = only socket activity can change anything: the smaller of curl's
 * timeout and the multi's next due start or expiry. */
long multi_next_due(multi_t *m) {
  long curl_ms = -1, start_ms = next_start_in(m);
  curl_multi_timeout(m->multi, &curl_ms);
  if (curl_ms < 0 || (start_ms >= 0 && start_ms < curl_ms)) curl_ms = start_ms;
  return curl_ms;
}

static int m_timeout(lua_State *L) {
  lua_pushinteger(L, multi_next_due(check_multi(L)));
  return 1;
}

/* pause(ms): no transfer starts (new or retry) before now + ms.  A shorter
 * pause never cuts a longer one short. */
static int m_pause(lua_State *L) {
  multi_t *m = check_multi(L);
  lua_Number ms = luaL_checknumber(L, 2);
  int64_t until = monotonic_ms() + (ms > 0 ? (int64_t)(ms < 1e12 ? ms : 1e12) : 0);
  if (until > m->paused_until) m->paused_until = until;
  return 0;
}

/* Idempotent: close(), __close and __gc all end here. */
static void multi_close(lua_State *L, multi_t *m) {
  if (m->closed) return;
  while (m->active) cancel_now(L, m, m->active, "multi closed");
  m->closed = 1;
  while (m->npool > 0) curl_easy_cleanup(m->pool[--m->npool]);
  /* Easy handles first, then the multi, then the share they all used. */
  if (m->multi) curl_multi_cleanup(m->multi);
  if (m->share) curl_share_cleanup(m->share);
  m->multi = NULL;
  m->share = NULL;
  events_free_sockets(m); /* after curl_multi_cleanup, whose removes it records */
  curl_slist_free_all(m->headers);
  m->headers = NULL;
  free(m->user_agent);
  m->user_agent = NULL;
}

static int m_close(lua_State *L) {
  multi_t *m = (multi_t *)luaL_checkudata(L, 1, MULTI_MT);
  if (m->in_perform) return luaL_error(L, "multi:close called from inside an output function");
  multi_close(L, m);
  return 0;
}

static int m_gc(lua_State *L) {
  multi_close(L, (multi_t *)lua_touserdata(L, 1));
  events_free_queue((multi_t *)lua_touserdata(L, 1)); /* kept by close: a driver still drains it */
  return 0;
}

static void read_headers(lua_State *L, multi_t *m, int opts) {
  int i, n;
  size_t len;
  lua_getfield(L, opts, "headers");
  if (!lua_isnil(L, -1) && !lua_istable(L, -1)) luaL_error(L, "opts.headers must be an array of strings");
  n = lua_istable(L, -1) ? (int)lua_rawlen(L, -1) : 0;
  for (i = 1; i <= n; i++) {
    struct curl_slist *grown;
    const char *s;
    lua_rawgeti(L, -1, i);
    if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "opts.headers[%d] must be a string", i);
    s = lua_tolstring(L, -1, &len);
    check_header_line(L, "opts.headers", i, s, len);
    if ((grown = curl_slist_append(m->headers, s)) == NULL) luaL_error(L, "out of memory");
    m->headers = grown;
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

static void read_options(lua_State *L, multi_t *m, int opts) {
  size_t len;
  lua_getfield(L, opts, "user_agent");
  if (!lua_isnil(L, -1)) {
    const char *ua;
    if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "opts.user_agent must be a string");
    ua = lua_tolstring(L, -1, &len);
    if (strlen(ua) != len || strpbrk(ua, "\r\n")) luaL_error(L, "opts.user_agent contains CR, LF or NUL");
    if ((m->user_agent = strdup(ua)) == NULL) luaL_error(L, "out of memory");
  }
  lua_getfield(L, opts, "max_connections");
  if (!lua_isnil(L, -1)) {
    lua_Number n = lua_tonumber(L, -1);
    if (lua_type(L, -1) != LUA_TNUMBER || !(n >= 0 && n <= 1e6))
      luaL_error(L, "opts.max_connections must be a non-negative number");
    curl_multi_setopt(m->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)n);
  }
  lua_getfield(L, opts, "seed");
  if (!lua_isnil(L, -1)) {
    lua_Number seed = lua_tonumber(L, -1);
    uint64_t bits = 0;
    if (lua_type(L, -1) != LUA_TNUMBER) luaL_error(L, "opts.seed must be a number");
    memcpy(&bits, &seed, sizeof seed < sizeof bits ? sizeof seed : sizeof bits); /* any number, same on 5.1 and 5.4 */
    m->rng = splitmix64(bits);
  }
  lua_pop(L, 3);
  read_headers(L, m, opts);
}

/* core.multi(opts) */
int multi_new(lua_State *L) {
  multi_t *m;
  int has_opts = !lua_isnoneornil(L, 1);
  if (has_opts) luaL_checktype(L, 1, LUA_TTABLE);
  /* The userdata and its __gc exist before any curl handle, so a Lua error
   * below frees whatever was created. */
  m = (multi_t *)compat_newuserdata(L, sizeof *m);
  memset(m, 0, sizeof *m);
  luaL_setmetatable(L, MULTI_MT);
  m->rng = splitmix64((uint64_t)time(NULL) ^ (uint64_t)monotonic_ms() ^ (uint64_t)(uintptr_t)m);
  if ((m->multi = curl_multi_init()) == NULL || (m->share = curl_share_init()) == NULL)
    return luaL_error(L, "cannot create curl handles");
  events_install(m);
  /* No lock callbacks: a multi is only ever used from its Lua state's
   * thread.  CONNECT puts the connection cache in the share; curl uses it
   * for every easy handle of the multi that carries this share. */
  curl_share_setopt(m->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(m->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  curl_share_setopt(m->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
  if (has_opts) read_options(L, m, 1);
  if (m->rng == 0) m->rng = 1; /* xorshift's one forbidden state */
  return 1;
}

void multi_register(lua_State *L) {
  static const luaL_Reg methods[] = {
    { "add", m_add },         { "perform", m_perform }, { "pending", m_pending },
    { "timeout", m_timeout }, { "pause", m_pause },     { "close", m_close },
    { NULL, NULL } };
  static const luaL_Reg meta[] = {
    { "__gc", m_gc },
#if COMPAT_HAS_CLOSE
    { "__close", m_close },
#endif
    { NULL, NULL } };
  luaL_newmetatable(L, MULTI_MT);
  luaL_setfuncs(L, meta, 0);
  luaL_newlib(L, methods);
  luaL_setfuncs(L, events_methods, 0);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}
