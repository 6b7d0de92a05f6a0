/*
 * events.c - curl's sockets and timer as events, for event loops (libuv,
 * Neovim) and for the blocking scheduler's wait over several multis.
 *
 * Every multi installs CURLMOPT_SOCKETFUNCTION and CURLMOPT_TIMERFUNCTION.
 * The callbacks never call curl nor Lua: they record what curl asked
 * (the socket table, always; the event queue, only while a driver
 * listens: multi:events(true)) and the driver gets the queue as a list
 * after curl has returned:
 *
 *   { "socket", fd, "in" | "out" | "inout" | "remove" }
 *   { "timer", ms }            -- ms until multi:timeout_action(); -1 = cancel
 *
 * The timer is the multi's, not only curl's: the earliest of curl's
 * timeout and the multi's own due starts and budget expiries (retries,
 * backoff, Retry-After holds, pauses), so timeout_action() does all that
 * a blocking step would.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const WHAT_NAMES[] = { "none", "in", "out", "inout", "remove" };

/* Room for one more element of size `size` in *items (count *n, capacity
 * *cap); 0 when memory ran out. */
static int reserve(void **items, int n, int *cap, size_t size) {
  void *grown;
  int want;
  if (n < *cap) return 1;
  want = *cap ? *cap * 2 : 8;
  if ((grown = realloc(*items, (size_t)want * size)) == NULL) return 0;
  *items = grown;
  *cap = want;
  return 1;
}

static void queue_push(multi_t *m, int kind, curl_socket_t fd, long value) {
  ev_event *e;
  if (!reserve((void **)&m->queue, m->nqueue, &m->queue_cap, sizeof *m->queue)) {
    m->events_oom = 1;
    return;
  }
  e = &m->queue[m->nqueue++];
  e->kind = kind;
  e->fd = fd;
  e->value = value;
}

static int find_socket(const multi_t *m, curl_socket_t fd) {
  int i;
  for (i = 0; i < m->nsockets; i++)
    if (m->sockets[i].fd == fd) return i;
  return -1;
}

/* The socket table keeps what curl wants watched, for core.wait and for
 * the snapshot a driver gets when it starts listening. */
static void record_socket(multi_t *m, curl_socket_t fd, int what) {
  int i = find_socket(m, fd);
  if (what == CURL_POLL_REMOVE) {
    if (i >= 0) m->sockets[i] = m->sockets[--m->nsockets];
    return;
  }
  if (i < 0) {
    if (!reserve((void **)&m->sockets, m->nsockets, &m->socket_cap, sizeof *m->sockets)) {
      m->events_oom = 1;
      return;
    }
    i = m->nsockets++;
    m->sockets[i].fd = fd;
  }
  m->sockets[i].what = what;
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp) {
  multi_t *m = (multi_t *)userp;
  (void)easy;
  (void)socketp;
  record_socket(m, fd, what);
  if (m->events_on) queue_push(m, EV_SOCKET, fd, what);
  return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp) {
  (void)multi;
  (void)timeout_ms; /* read again with curl_multi_timeout, folded with our own due times */
  ((multi_t *)userp)->timer_dirty = 1;
  return 0;
}

void events_install(multi_t *m) {
  curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m);
  curl_multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, on_timer);
  curl_multi_setopt(m->multi, CURLMOPT_TIMERDATA, m);
  m->timer_reported = TIMER_UNKNOWN;
}

void events_free_sockets(multi_t *m) {
  free(m->sockets);
  m->sockets = NULL;
  m->nsockets = m->socket_cap = 0;
}

void events_free_queue(multi_t *m) {
  free(m->queue);
  m->queue = NULL;
  m->nqueue = m->queue_cap = 0;
}

/* The timer event, when the multi's next due time moved since the last
 * one the driver got (or curl said its timer changed). */
static void queue_timer(multi_t *m) {
  long ms = m->closed ? -1 : multi_next_due(m);
  int64_t due = ms < 0 ? -1 : monotonic_ms() + ms;
  if (!m->timer_dirty && due == m->timer_reported) return;
  queue_push(m, EV_TIMER, CURL_SOCKET_BAD, ms);
  m->timer_dirty = 0;
  m->timer_reported = due;
}

/* A watch that a later event of the same queue replaces: only the last
 * state counts, and a socket curl opened and closed again between two
 * drains (a refused connect seen by the next perform) must not reach the
 * loop at all (its fd is closed: libuv would refuse it).  Removes are
 * always kept: the driver may watch the fd from an earlier list. */
static int superseded(const multi_t *m, int i) {
  int j;
  if (m->queue[i].kind != EV_SOCKET || m->queue[i].value == CURL_POLL_REMOVE) return 0;
  for (j = i + 1; j < m->nqueue; j++)
    if (m->queue[j].kind == EV_SOCKET && m->queue[j].fd == m->queue[i].fd) return 1;
  return 0;
}

/* Pushes the queued events as a list and empties the queue. */
static int push_events(lua_State *L, multi_t *m) {
  int i, n = 0;
  if (m->events_on) queue_timer(m);
  if (m->events_oom) {
    m->events_oom = 0;
    return luaL_error(L, "out of memory recording curl's socket events");
  }
  lua_createtable(L, m->nqueue, 0);
  for (i = 0; i < m->nqueue; i++) {
    const ev_event *e = &m->queue[i];
    int socket = e->kind == EV_SOCKET;
    if (superseded(m, i)) continue;
    lua_createtable(L, 3, 0);
    lua_pushstring(L, socket ? "socket" : "timer");
    lua_rawseti(L, -2, 1);
    lua_pushinteger(L, socket ? (lua_Integer)e->fd : (lua_Integer)e->value);
    lua_rawseti(L, -2, 2);
    if (socket) {
      lua_pushstring(L, WHAT_NAMES[e->value >= 0 && e->value <= CURL_POLL_REMOVE ? e->value : 0]);
      lua_rawseti(L, -2, 3);
    }
    lua_rawseti(L, -2, ++n);
  }
  m->nqueue = 0;
  return 1;
}

/* A driver starts listening: it first gets every socket curl already
 * watches and the timer, then only changes. */
static void start_listening(multi_t *m) {
  int i;
  if (m->events_on) return;
  m->events_on = 1;
  for (i = 0; i < m->nsockets; i++) queue_push(m, EV_SOCKET, m->sockets[i].fd, m->sockets[i].what);
  m->timer_dirty = 1;
}

static multi_t *check_open(lua_State *L) {
  multi_t *m = (multi_t *)luaL_checkudata(L, 1, MULTI_MT);
  if (m->closed) luaL_error(L, "multi is closed");
  if (m->in_perform) luaL_error(L, "multi: socket and timer actions cannot run from inside an output function");
  return m;
}

/* multi:events([listen]) -> list.  events() / events(true): listen (the
 * first call returns the current sockets and timer) and drain the queue;
 * events(false): stop listening and drop the queue.  Also works on a
 * closed multi: a driver still gets the removes that closing queued. */
static int m_events(lua_State *L) {
  multi_t *m = (multi_t *)luaL_checkudata(L, 1, MULTI_MT);
  if (m->in_perform) return luaL_error(L, "multi:events cannot run from inside an output function");
  if (lua_isboolean(L, 2) && !lua_toboolean(L, 2)) {
    m->events_on = 0;
    m->nqueue = 0;
    m->timer_reported = TIMER_UNKNOWN;
    lua_newtable(L);
    return 1;
  }
  if (!m->closed) start_listening(m);
  return push_events(L, m);
}

static const struct { const char *name; int mask; } MASKS[] = {
  { "in", CURL_CSELECT_IN }, { "out", CURL_CSELECT_OUT },
  { "inout", CURL_CSELECT_IN | CURL_CSELECT_OUT }, { "err", CURL_CSELECT_ERR }, { NULL, 0 } };

/* multi:socket_action(fd, "in" | "out" | "inout" | "err") -> events */
static int m_socket_action(lua_State *L) {
  multi_t *m = check_open(L);
  curl_socket_t fd = (curl_socket_t)luaL_checkinteger(L, 2);
  const char *name = luaL_checkstring(L, 3);
  int i;
  for (i = 0; MASKS[i].name && strcmp(MASKS[i].name, name) != 0; i++) {}
  if (!MASKS[i].name) return luaL_argerror(L, 3, "must be \"in\", \"out\", \"inout\" or \"err\"");
  start_listening(m);
  multi_round(L, m, fd, MASKS[i].mask);
  return push_events(L, m);
}

/* multi:timeout_action() -> events: the timer fired.  Starts due retries,
 * expires budgets and lets curl handle its timeouts, as a blocking step
 * does.  The driver's timer is spent: the next timer event always comes. */
static int m_timeout_action(lua_State *L) {
  multi_t *m = check_open(L);
  start_listening(m);
  multi_round(L, m, CURL_SOCKET_TIMEOUT, 0);
  m->timer_dirty = 1;
  return push_events(L, m);
}

/* multi:sockets() -> { [fd] = "in" | "out" | "inout" }: what curl watches. */
static int m_sockets(lua_State *L) {
  multi_t *m = (multi_t *)luaL_checkudata(L, 1, MULTI_MT);
  int i;
  lua_createtable(L, 0, m->nsockets);
  for (i = 0; i < m->nsockets; i++) {
    lua_pushstring(L, WHAT_NAMES[m->sockets[i].what & CURL_POLL_INOUT]);
    lua_rawseti(L, -2, (int)m->sockets[i].fd);
  }
  return 1;
}

const luaL_Reg events_methods[] = {
  { "events", m_events }, { "socket_action", m_socket_action },
  { "timeout_action", m_timeout_action }, { "sockets", m_sockets }, { NULL, NULL } };

static multi_t *nth_multi(lua_State *L, int list, int i) {
  multi_t *m;
  lua_rawgeti(L, list, i);
  m = (multi_t *)luaL_testudata(L, -1, MULTI_MT);
  lua_pop(L, 1);
  return m;
}

/* The pollfds of every open multi in the array at `list` (checked), and
 * the wait: wait_ms bounded by each multi's next due time.  No Lua error
 * here (fds is malloc'ed); -1 when memory ran out. */
static int gather(lua_State *L, int list, struct pollfd **fds, int *nfds, int *cap, long *wait_ms) {
  int i, j, n = (int)lua_rawlen(L, list);
  for (i = 1; i <= n; i++) {
    multi_t *m = nth_multi(L, list, i);
    long due;
    if (m->closed) continue;
    due = multi_next_due(m);
    if (due >= 0 && due < *wait_ms) *wait_ms = due;
    for (j = 0; j < m->nsockets; j++) {
      struct pollfd *p;
      if (!reserve((void **)fds, *nfds, cap, sizeof **fds)) return -1;
      p = &(*fds)[(*nfds)++];
      p->fd = m->sockets[j].fd;
      p->events = (short)(((m->sockets[j].what & CURL_POLL_IN) ? POLLIN : 0) |
                          ((m->sockets[j].what & CURL_POLL_OUT) ? POLLOUT : 0));
      p->revents = 0;
    }
  }
  return 0;
}

/* core.wait(multis, ms) -> number of ready sockets: one poll(2) over the
 * sockets of every multi, for at most ms (and never past any multi's next
 * due time); what the blocking scheduler does with tasks on several
 * clients, instead of polling one multi after the other.  The caller then
 * performs each multi. */
int events_wait(lua_State *L) {
  lua_Number ms = luaL_checknumber(L, 2);
  long wait_ms = ms > 2147483647.0 ? 2147483647L : (ms > 0 ? (long)ms : 0);
  struct pollfd *fds = NULL;
  int i, n, nfds = 0, cap = 0, ready;
  luaL_checktype(L, 1, LUA_TTABLE);
  n = (int)lua_rawlen(L, 1);
  for (i = 1; i <= n; i++) {
    multi_t *m = nth_multi(L, 1, i);
    if (m == NULL) return luaL_error(L, "core.wait: multis[%d] is not a multi", i);
    if (m->in_perform) return luaL_error(L, "core.wait cannot run from inside an output function");
  }
  if (gather(L, 1, &fds, &nfds, &cap, &wait_ms) < 0) {
    free(fds);
    return luaL_error(L, "out of memory");
  }
  ready = poll(fds, (nfds_t)nfds, (int)wait_ms);
  free(fds);
  lua_pushinteger(L, ready < 0 ? 0 : ready);
  return 1;
}
