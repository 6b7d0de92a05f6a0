/*
 * transfer.c - the unipile.transfer userdata: one request, one easy handle,
 * its curl callbacks and its result table.  When attempts start and end is
 * decided by multi.c; this file only builds, records and reports.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

/* Everything multi:add reads from `req` that curl copies at setopt time:
 * the pointers stay valid while `req` is on the stack. */
typedef struct request_view {
  const char *url, *method, *body, *ca_file, *proxy;
  size_t body_len;
  int verify;
  long connect_timeout_ms, low_speed_limit, low_speed_time_ms;
} request_view;

/* HTTP token characters (RFC 9110), for methods and header names. */
static int is_token(const char *s, size_t len) {
  size_t i;
  if (len == 0) return 0;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c <= ' ' || c >= 127 || strchr("\"(),/:;<=>?@[\\]{}", c)) return 0;
  }
  return 1;
}

/* The API key travels in a header: error messages may name a header, never
 * quote its value.  A name is only quoted once known to be a token. */
void check_header_line(lua_State *L, const char *where, int i, const char *s, size_t len) {
  const char *colon = memchr(s, ':', len);
  size_t name_len = colon ? (size_t)(colon - s) : 0;
  if (colon == NULL || !is_token(s, name_len))
    luaL_error(L, "%s[%d]: expected \"Name: value\" with a valid header name", where, i);
  if (memchr(colon, '\r', len - name_len) || memchr(colon, '\n', len - name_len) ||
      memchr(colon, '\0', len - name_len)) {
    lua_pushlstring(L, s, name_len); /* lua_pushfstring has no %.*s */
    luaL_error(L, "%s[%d]: value of header '%s' contains CR, LF or NUL", where, i, lua_tostring(L, -1));
  }
}

/* Does the list hold a header with the same name as `line`? */
static int has_header_named(const struct curl_slist *list, const char *line) {
  size_t name_len = (size_t)(strchr(line, ':') - line);
  for (; list; list = list->next)
    if (strncasecmp(list->data, line, name_len) == 0 && list->data[name_len] == ':') return 1;
  return 0;
}

static void append_header(lua_State *L, transfer_t *t, const char *line) {
  struct curl_slist *grown = curl_slist_append(t->headers, line);
  if (grown == NULL) luaL_error(L, "out of memory");
  t->headers = grown;
}

/* The request's headers, then the multi's: a request header replaces a
 * multi header of the same name instead of both being sent. */
static void build_headers(lua_State *L, transfer_t *t, multi_t *m, int list) {
  int i, n = 0;
  struct curl_slist *h;
  const char *s;
  size_t len;
  if (!lua_isnil(L, list)) {
    if (!lua_istable(L, list)) luaL_error(L, "req.headers must be an array of strings");
    n = (int)lua_rawlen(L, list);
  }
  for (i = 1; i <= n; i++) {
    lua_rawgeti(L, list, i);
    if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "req.headers[%d] must be a string", i);
    s = lua_tolstring(L, -1, &len);
    check_header_line(L, "req.headers", i, s, len);
    append_header(L, t, s);
    lua_pop(L, 1);
  }
  for (h = m->headers; h; h = h->next)
    if (!has_header_named(t->headers, h->data)) append_header(L, t, h->data);
}

/* The options of `req` that are one plain value each, read by one loop
 * (read_options).  Each goes to the request_view (what configure() hands
 * to curl) or to the transfer (what multi.c reads on every attempt); its
 * kind says the C type of that field.  `absent` is what a req without the
 * field gets; `sdk`
 * is the client's default, exported as core.defaults so that the Lua
 * side has no second copy: the retry delays are the same both ways, the
 * time and size limits are off in a raw core request unless asked for. */
typedef enum { KIND_MS, KIND_COUNT, KIND_BYTES, KIND_BOOL, KIND_STRING } option_kind;
typedef enum { IN_VIEW, IN_TRANSFER } option_place;

/* Up to what curl takes as a long everywhere; bytes up to 2^53, the
 * largest integer every Lua number holds. */
#define MAX_LONG_OPTION 2147483647.0
#define MAX_BYTES_OPTION 9007199254740992.0
#define NO_SDK_DEFAULT (-1.0)
#define SAME_AS_SDK (-2.0)

typedef struct request_option {
  const char *name;
  option_kind kind;     /* the C type of the field: long (ms, count), curl_off_t (bytes),
                           int (bool), const char * (string) */
  option_place place;
  size_t offset;
  double absent;        /* numbers and booleans; SAME_AS_SDK: the sdk column */
  double sdk;           /* core.defaults[name], or NO_SDK_DEFAULT */
  double max;           /* numbers: the largest value taken (the smallest is 0) */
  const char *text;     /* strings: the value when absent; NULL: none */
} request_option;

#define VIEW(field) IN_VIEW, offsetof(request_view, field)
#define TRANSFER(field) IN_TRANSFER, offsetof(transfer_t, field)
#define NUMBER(name, kind, where, absent, sdk, max) { name, kind, where, absent, sdk, max, NULL }
#define FLAG(name, where, absent) { name, KIND_BOOL, where, absent, NO_SDK_DEFAULT, 1, NULL }
#define TEXT(name, where, text) { name, KIND_STRING, where, 0, NO_SDK_DEFAULT, 0, text }

static const request_option OPTIONS[] = {
  TEXT("url", VIEW(url), NULL), /* required: see read_request */
  TEXT("method", VIEW(method), "GET"),
  FLAG("verify", VIEW(verify), 1),
  TEXT("ca_file", VIEW(ca_file), NULL),
  TEXT("proxy", VIEW(proxy), NULL),
  NUMBER("connect_timeout_ms", KIND_MS, VIEW(connect_timeout_ms), 0, 10000, MAX_LONG_OPTION),
  NUMBER("low_speed_limit", KIND_COUNT, VIEW(low_speed_limit), 0, 1, MAX_LONG_OPTION), /* bytes per second */
  NUMBER("low_speed_time_ms", KIND_MS, VIEW(low_speed_time_ms), 0, 60000, MAX_LONG_OPTION),
  NUMBER("timeout_ms", KIND_MS, TRANSFER(timeout_ms), 0, 60000, MAX_LONG_OPTION),
  NUMBER("retries", KIND_COUNT, TRANSFER(retries), 0, 2, MAX_LONG_OPTION),
  FLAG("retry_unsafe", TRANSFER(retry_unsafe), 0),
  NUMBER("backoff_ms", KIND_MS, TRANSFER(backoff_ms), SAME_AS_SDK, 200, MAX_LONG_OPTION),
  NUMBER("backoff_max_ms", KIND_MS, TRANSFER(backoff_max_ms), SAME_AS_SDK, 5000, MAX_LONG_OPTION),
  NUMBER("retry_after_max_ms", KIND_MS, TRANSFER(retry_after_max_ms), SAME_AS_SDK, 60000, MAX_LONG_OPTION),
  NUMBER("max_body_bytes", KIND_BYTES, TRANSFER(max_body_bytes), 0, 64.0 * 1024 * 1024, MAX_BYTES_OPTION),
  NUMBER("max_bytes", KIND_BYTES, TRANSFER(max_bytes), 0, NO_SDK_DEFAULT, MAX_BYTES_OPTION),
};
#define NOPTIONS (sizeof OPTIONS / sizeof OPTIONS[0])

/* The value at the top of the stack as a string without NUL bytes (curl
 * would cut it), or NULL when nil.  The value stays on the stack: `req`
 * may be a proxy whose __index makes a fresh string, which only the stack
 * keeps alive until curl copied it (transfer_new drops these values once
 * configure() is done). */
static const char *option_string(lua_State *L, const char *key) {
  size_t len;
  const char *s;
  if (lua_isnil(L, -1)) return NULL;
  if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "req.%s must be a string", key);
  s = lua_tolstring(L, -1, &len);
  if (strlen(s) != len) luaL_error(L, "req.%s contains a NUL byte", key);
  return s;
}

/* The number at the top of the stack, in [0, max] (a fraction is cut
 * when stored, as a C cast does), or the option's default when nil. */
static lua_Number option_number(lua_State *L, const request_option *o) {
  lua_Number v;
  if (lua_isnil(L, -1)) return o->absent == SAME_AS_SDK ? o->sdk : o->absent;
  if (lua_type(L, -1) != LUA_TNUMBER || !((v = lua_tonumber(L, -1)) >= 0 && v <= o->max))
    return luaL_error(L, "req.%s must be a number from 0 to %f", o->name, o->max);
  return v;
}

/* Reads one option into its field; pops it, unless it is a string that
 * must stay anchored. */
static void read_option(lua_State *L, int req, const request_option *o, char *field) {
  luaL_checkstack(L, 2, "request options");
  lua_getfield(L, req, o->name);
  switch (o->kind) {
  case KIND_STRING: {
    const char *s = option_string(L, o->name);
    *(const char **)field = s ? s : o->text;
    return; /* left on the stack */
  }
  case KIND_BOOL: *(int *)field = lua_isnil(L, -1) ? (int)o->absent : lua_toboolean(L, -1); break;
  case KIND_BYTES: *(curl_off_t *)field = (curl_off_t)option_number(L, o); break;
  case KIND_MS: case KIND_COUNT: *(long *)field = (long)option_number(L, o); break;
  }
  lua_pop(L, 1);
}

static void read_options(lua_State *L, transfer_t *t, int req, request_view *v) {
  size_t i;
  for (i = 0; i < NOPTIONS; i++) {
    char *base = OPTIONS[i].place == IN_VIEW ? (char *)v : (char *)t;
    read_option(L, req, &OPTIONS[i], base + OPTIONS[i].offset);
  }
}

/* core.defaults: the client's default for each option that has one. */
void transfer_push_defaults(lua_State *L) {
  size_t i;
  lua_newtable(L);
  for (i = 0; i < NOPTIONS; i++) {
    if (OPTIONS[i].sdk == NO_SDK_DEFAULT) continue;
    lua_pushinteger(L, (lua_Integer)OPTIONS[i].sdk);
    lua_setfield(L, -2, OPTIONS[i].name);
  }
}

static void read_output(lua_State *L, transfer_t *t, int req) {
  lua_getfield(L, req, "output");
  if (lua_type(L, -1) == LUA_TSTRING) {
    size_t len;
    const char *path = lua_tolstring(L, -1, &len);
    if (strlen(path) != len) luaL_error(L, "req.output contains a NUL byte");
    if ((t->path = strdup(path)) == NULL) luaL_error(L, "out of memory");
    t->has_output = 1;
  } else if (lua_isfunction(L, -1)) {
    lua_pushvalue(L, -1);
    t->sink_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    t->has_output = 1;
  } else if (!lua_isnil(L, -1)) {
    luaL_error(L, "req.output must be a file path or a function");
  }
  lua_pop(L, 1);
}

/* The body string stays on the stack until configure() copied it. */
static void read_body(lua_State *L, transfer_t *t, int req, request_view *v) {
  size_t len = 0;
  lua_getfield(L, req, "body");
  if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "req.body must be a string");
  v->body = lua_tolstring(L, -1, &len);
  v->body_len = len;
  lua_getfield(L, req, "parts");
  if (!lua_isnil(L, -1)) {
    if (v->body) luaL_error(L, "req.body and req.parts cannot be used together");
    mime_build(L, -1, &t->mime);
  }
  lua_pop(L, 1);
}

/* All validation happens here, before an easy handle is taken: any Lua
 * error leaves only memory that the transfer's __gc frees.  Strings the
 * view points at are left on the stack (see option_string). */
static void read_request(lua_State *L, transfer_t *t, multi_t *m, int req, request_view *v) {
  read_options(L, t, req, v);
  if (v->url == NULL) luaL_error(L, "req.url is required");
  if (!is_token(v->method, strlen(v->method))) luaL_error(L, "req.method is not a valid HTTP method");
  read_body(L, t, req, v);
  lua_getfield(L, req, "headers");
  build_headers(L, t, m, lua_gettop(L));
  lua_pop(L, 1);
  read_output(L, t, req);
}

/* The text of the error for a response whose headers pass HEADERS_CAP. */
static void headers_cap_error(char *out, size_t size) {
  snprintf(out, size, "response headers larger than %d bytes", HEADERS_CAP);
}

/* Parsing is headers_add_line's (headers.c); here only what stops the
 * transfer: returning 0 makes curl end it with WRITE_ERROR. */
static size_t on_header(char *p, size_t size, size_t n, void *ud) {
  transfer_t *t = (transfer_t *)ud;
  size_t len = size * n;
  switch (headers_add_line(&t->header_pairs, p, len, HEADERS_CAP)) {
  case HEADERS_OK: return len;
  case HEADERS_OVER_CAP: headers_cap_error(t->own_error, sizeof t->own_error); return 0;
  default: snprintf(t->own_error, sizeof t->own_error, "out of memory"); return 0;
  }
}

/* glibc ignores setvbuf's size unless it is given the buffer: left alone,
 * the stream buffers st_blksize (4 KiB) and each 16 KiB chunk from curl
 * costs two write(2) calls. */
static void set_file_buffer(transfer_t *t) {
  if (t->file_buf == NULL) t->file_buf = (char *)malloc(OUTPUT_BUFFER_SIZE);
  if (t->file_buf) setvbuf(t->file, t->file_buf, _IOFBF, OUTPUT_BUFFER_SIZE);
}

static size_t write_file(transfer_t *t, const char *p, size_t len) {
  if (t->file == NULL) {
    if ((t->file = fopen(t->path, "wb")) == NULL) {
      snprintf(t->own_error, sizeof t->own_error, "cannot open output file: %s", strerror(errno));
      return 0;
    }
    set_file_buffer(t);
  }
  if (fwrite(p, 1, len, t->file) != len) {
    snprintf(t->own_error, sizeof t->own_error, "cannot write output file: %s", strerror(errno));
    return 0;
  }
  return len;
}

/* Everything that may allocate, and so raise, happens in here under the
 * outer lua_pcall: not even a memory error may unwind through libcurl.
 * The sink runs in an inner pcall whose error is kept for the result. */
static int sink_trampoline(lua_State *L) {
  transfer_t *t = (transfer_t *)lua_touserdata(L, 1);
  const char *p = (const char *)lua_touserdata(L, 2);
  lua_rawgeti(L, LUA_REGISTRYINDEX, t->sink_ref);
  lua_pushlstring(L, p, (size_t)lua_tointeger(L, 3));
  if (lua_pcall(L, 1, 0, 0) == LUA_OK) return 0;
  luaL_unref(L, LUA_REGISTRYINDEX, t->sink_error_ref);
  t->sink_error_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  snprintf(t->own_error, sizeof t->own_error, "output function raised an error");
  return 0;
}

/* Runs the Lua sink on the state that called perform.  Returning 0 when
 * it raised makes curl abort the transfer with WRITE_ERROR. */
static size_t call_sink(transfer_t *t, char *p, size_t len) {
  lua_State *L = t->multi->L;
  if (L == NULL || !lua_checkstack(L, 4)) return 0;
  t->sink_used = 1;
  lua_pushcfunction(L, sink_trampoline);
  lua_pushlightuserdata(L, t);
  lua_pushlightuserdata(L, p);
  lua_pushinteger(L, (lua_Integer)len);
  if (lua_pcall(L, 3, 0, 0) != LUA_OK) {
    lua_pop(L, 1);
    snprintf(t->own_error, sizeof t->own_error, "out of memory calling the output function");
  }
  return t->own_error[0] ? 0 : len;
}

/* Ends the attempt over one of the caller's caps: curl aborts it with
 * WRITE_ERROR, which is never retried (the same answer would come back). */
static size_t over_limit(transfer_t *t, const char *limit, curl_off_t cap, const char *what) {
  t->limit = limit;
  t->limit_cap = cap;
  snprintf(t->own_error, sizeof t->own_error, "%s larger than %s (%" CURL_FORMAT_CURL_OFF_T " bytes)",
           what, limit, cap);
  return 0;
}

/* The first body byte of an attempt: where the body goes, and room for
 * it in memory. */
static void start_body(transfer_t *t) {
  long status = 0;
  curl_off_t cl = -1;
  curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
  t->body_started = 1;
  t->to_output = t->has_output && status / 100 == 2;
  t->body_cap = status / 100 == 2 ? (size_t)-1 : ERROR_BODY_CAP;
  if (t->to_output) return;
  /* One allocation for the whole body instead of a doubling chain of
   * reallocs that copies everything received so far each time.
   * Content-Length is the size on the wire: exact for identity, a floor
   * for gzip (the buffer then doubles from there).  A failure here is
   * not an error: buffer_append reports real ones. */
  curl_easy_getinfo(t->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
  if (cl > 0 && cl <= BODY_PRESIZE_MAX && (size_t)cl <= t->body_cap &&
      (t->max_body_bytes == 0 || cl <= t->max_body_bytes))
    buffer_reserve(&t->body, (size_t)cl);
}

/* Only a 2xx body goes to the output; anything else is an error envelope
 * kept in memory, so the caller can still report it.  Bytes are counted
 * after decompression: max_body_bytes bounds what a small gzip can grow
 * into, max_bytes what a download may write. */
static size_t on_body(char *p, size_t size, size_t n, void *ud) {
  transfer_t *t = (transfer_t *)ud;
  size_t len = size * n, keep = len;
  if (t->cancel_requested) return 0;
  if (!t->body_started) start_body(t);
  t->bytes += (curl_off_t)len;
  if (t->to_output) {
    if (t->max_bytes > 0 && t->bytes > t->max_bytes) return over_limit(t, "max_bytes", t->max_bytes, "download");
    return t->path ? write_file(t, p, len) : call_sink(t, p, len);
  }
  if (t->max_body_bytes > 0 && t->bytes > t->max_body_bytes)
    return over_limit(t, "max_body_bytes", t->max_body_bytes, "response body");
  if (t->body.len >= t->body_cap) return len; /* an error body past its cap: drop, keep reading */
  if (keep > t->body_cap - t->body.len) keep = t->body_cap - t->body.len;
  if (buffer_append(&t->body, p, keep) != 0) {
    snprintf(t->own_error, sizeof t->own_error, "out of memory");
    return 0;
  }
  return len;
}

#define SETOPT(option, value) \
  do { if (rc == CURLE_OK) rc = curl_easy_setopt(e, option, value); } while (0)

/* GET and POST are curl's own; any other method is a CUSTOMREQUEST on top
 * of the body options, so PUT/PATCH/DELETE with a body send it, and a
 * bodiless DELETE sends no Content-Length at all. */
static CURLcode configure_method(CURL *e, transfer_t *t, const request_view *v) {
  CURLcode rc = CURLE_OK;
  int is_post = strcmp(v->method, "POST") == 0;
  if (t->mime) {
    SETOPT(CURLOPT_MIMEPOST, t->mime);
  } else if (v->body || is_post) {
    SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)v->body_len);
    SETOPT(CURLOPT_COPYPOSTFIELDS, v->body ? v->body : "");
  }
  if (strcmp(v->method, "HEAD") == 0) SETOPT(CURLOPT_NOBODY, 1L);
  else if (!is_post && (strcmp(v->method, "GET") != 0 || t->mime || v->body))
    SETOPT(CURLOPT_CUSTOMREQUEST, v->method);
  return rc;
}

static CURLcode configure(transfer_t *t, multi_t *m, const request_view *v) {
  CURL *e = t->easy;
  CURLcode rc = CURLE_OK;
  SETOPT(CURLOPT_PRIVATE, (void *)t);
  SETOPT(CURLOPT_URL, v->url);
  /* Never rewrite the path: an id "." or ".." must stay a segment of its
   * own operation, not climb to another one (RFC 3986 dot removal). */
  SETOPT(CURLOPT_PATH_AS_IS, 1L);
  SETOPT(CURLOPT_FOLLOWLOCATION, 0L); /* a 3xx is the caller's answer; the key never follows it */
  SETOPT(CURLOPT_PROTOCOLS_STR, "http,https"); /* never file://, even by mistake */
  SETOPT(CURLOPT_NOSIGNAL, 1L); /* no SIGALRM from the resolver in a host program */
  SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
  SETOPT(CURLOPT_ACCEPT_ENCODING, ""); /* every encoding curl can decode */
  SETOPT(CURLOPT_ERRORBUFFER, t->errbuf);
  SETOPT(CURLOPT_HEADERFUNCTION, on_header);
  SETOPT(CURLOPT_HEADERDATA, (void *)t);
  SETOPT(CURLOPT_WRITEFUNCTION, on_body);
  SETOPT(CURLOPT_WRITEDATA, (void *)t);
  if (t->headers) SETOPT(CURLOPT_HTTPHEADER, t->headers);
  /* Streamed downloads: one recv per 256 KiB instead of per 16 KiB
   * (the curl tool itself reads 100 KiB at a time).  Only a speed-up:
   * libcurl refuses to resize the buffer of a pooled handle whose last
   * transfer failed early, and the request is no worse without it. */
  if (t->has_output) (void)curl_easy_setopt(t->easy, CURLOPT_BUFFERSIZE, (long)OUTPUT_BUFFER_SIZE);
  if (m->user_agent) SETOPT(CURLOPT_USERAGENT, m->user_agent);
  if (!v->verify) {
    SETOPT(CURLOPT_SSL_VERIFYPEER, 0L);
    SETOPT(CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (v->ca_file) SETOPT(CURLOPT_CAINFO, v->ca_file);
  if (v->proxy) SETOPT(CURLOPT_PROXY, v->proxy);
  if (v->connect_timeout_ms > 0) SETOPT(CURLOPT_CONNECTTIMEOUT_MS, v->connect_timeout_ms);
  /* The total timeout is set per attempt, from what is left of the
   * request's budget (multi.c). */
  if (v->low_speed_limit > 0 && v->low_speed_time_ms > 0) {
    SETOPT(CURLOPT_LOW_SPEED_LIMIT, v->low_speed_limit);
    SETOPT(CURLOPT_LOW_SPEED_TIME, (v->low_speed_time_ms + 999) / 1000); /* whole seconds */
  }
  if (rc == CURLE_OK) rc = configure_method(e, t, v);
  return rc;
}

/* Builds a transfer from `req` and pushes it; multi.c then submits it. */
transfer_t *transfer_new(lua_State *L, multi_t *m, int req) {
  request_view v;
  transfer_t *t;
  CURLcode rc;
  int top;
  req = lua_absindex(L, req);
  luaL_checktype(L, req, LUA_TTABLE);
  t = (transfer_t *)compat_newuserdata(L, sizeof *t);
  memset(t, 0, sizeof *t);
  t->self_ref = t->sink_ref = t->sink_error_ref = t->result_ref = LUA_NOREF;
  t->retry_after = -1;
  buffer_init(&t->body);
  buffer_init(&t->header_pairs);
  luaL_setmetatable(L, TRANSFER_MT);
  top = lua_gettop(L);
  read_request(L, t, m, req, &v);
  if ((t->easy = multi_take_easy(m)) == NULL) luaL_error(L, "out of memory");
  if ((rc = configure(t, m, &v)) != CURLE_OK) {
    multi_give_easy(m, t->easy);
    t->easy = NULL;
    luaL_error(L, "cannot set up the request: %s", curl_easy_strerror(rc));
  }
  lua_settop(L, top); /* curl has copied every string the view pointed at */
  return t;
}

void transfer_begin_attempt(transfer_t *t) {
  t->attempts++;
  t->body_started = t->to_output = 0;
  t->body_cap = ERROR_BODY_CAP;
  t->bytes = 0;
  t->errbuf[0] = t->own_error[0] = '\0';
  t->limit = NULL;
  buffer_reset(&t->body);
  buffer_reset(&t->header_pairs);
  /* A retry must not leave the failed attempt's bytes in the file.  If
   * freopen fails the stream is gone and the next body byte reports it. */
  if (t->file && (t->file = freopen(t->path, "wb", t->file)) != NULL) set_file_buffer(t);
}

/* The value of the attempt's first header `name`, or NULL. */
static const char *header_value(const transfer_t *t, const char *name) {
  size_t pos = 0;
  while (pos < t->header_pairs.len) {
    const char *h = t->header_pairs.data + pos;
    pos += strlen(h) + 1;       /* skip the name */
    if (strcasecmp(h, name) == 0) return t->header_pairs.data + pos;
    pos += strlen(t->header_pairs.data + pos) + 1; /* and the value */
  }
  return NULL;
}

static int has_header(const transfer_t *t, const char *name) {
  return header_value(t, name) != NULL;
}

/* A rate-limit header as a count >= 0, or -1 (absent or not a number). */
static long header_count(const transfer_t *t, const char *name) {
  const char *v = header_value(t, name);
  char *end;
  long n;
  if (v == NULL) return -1;
  errno = 0;
  n = strtol(v, &end, 10);
  if (end == v || *end != '\0' || errno || n < 0) return -1;
  return n;
}

/* Logs the attempt that just ended (transfer_collect has read it). */
static void log_attempt(transfer_t *t) {
  static const char *const names[3] = { "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset" };
  attempt_entry *e = &t->log[(t->attempts - 1) % ATTEMPT_LOG_SIZE];
  int i;
  e->attempt = t->attempts;
  e->code = t->code;
  e->status = t->status;
  e->retry_after = t->retry_after;
  e->bytes = t->bytes;
  e->total_time = t->total_time;
  e->delay_ms = -1;
  e->reason = NULL;
  for (i = 0; i < 3; i++) e->rate_limit[i] = header_count(t, names[i]);
}

/* What the retry rule decided after the last attempt: the delay before
 * the next one and why (a static string), or -1 and NULL. */
void transfer_log_decision(transfer_t *t, long delay_ms, const char *reason) {
  attempt_entry *e;
  if (t->attempts == 0) return;
  e = &t->log[(t->attempts - 1) % ATTEMPT_LOG_SIZE];
  e->delay_ms = delay_ms;
  e->reason = reason;
}

/* Did the attempt end on a header size limit, ours or curl's?  Ours is
 * HEADERS_CAP (on_header).  curl 7.88 has two: all the headers of a
 * response over 300 KiB end it with RECV_ERROR and a message saying so;
 * one line over 100 KiB (CURL_MAX_HTTP_HEADER) ends it with OUT_OF_MEMORY
 * and no more than "Out of memory", which is made clear here.  A real
 * out-of-memory between the status line and the body reads the same. */
static int hit_headers_limit(transfer_t *t, CURLcode code) {
  char ours[sizeof t->own_error];
  headers_cap_error(ours, sizeof ours);
  if (code == CURLE_WRITE_ERROR) return strcmp(t->own_error, ours) == 0;
  if (code == CURLE_RECV_ERROR) return strncmp(t->errbuf, "Too large response headers", 26) == 0;
  if (code != CURLE_OUT_OF_MEMORY || t->status == 0 || t->body_started || t->own_error[0]) return 0;
  snprintf(t->own_error, sizeof t->own_error, "response header line too large (curl takes at most %d bytes)",
           CURL_MAX_HTTP_HEADER);
  return 1;
}

/* The size limit a header failure hit: ours, curl's per line or curl's
 * 300 KiB for all the headers of a response. */
static curl_off_t header_limit_cap(const transfer_t *t, CURLcode code) {
  if (code == CURLE_WRITE_ERROR) return HEADERS_CAP;
  if (code == CURLE_RECV_ERROR) return 300 * 1024;
  (void)t;
  return CURL_MAX_HTTP_HEADER;
}

/* Reads what curl knows about the attempt that just ended. */
void transfer_collect(transfer_t *t, CURLcode code) {
  long status = 0, request_size = 0, connects = 0;
  curl_off_t connect_us = 0, pretransfer_us = 0, retry_after = 0;
  double total = 0;
  curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(t->easy, CURLINFO_REQUEST_SIZE, &request_size);
  curl_easy_getinfo(t->easy, CURLINFO_NUM_CONNECTS, &connects);
  curl_easy_getinfo(t->easy, CURLINFO_CONNECT_TIME_T, &connect_us);
  curl_easy_getinfo(t->easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer_us);
  curl_easy_getinfo(t->easy, CURLINFO_RETRY_AFTER, &retry_after);
  curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME, &total);
  t->code = code;
  t->status = status;
  t->reached = request_size > 0;
  t->new_connections = connects;
  t->total_time = total;
  /* curl reports 0 for "no header", "0", "-1" and garbage alike, and a
   * negative count for a past date: only a delay in the future counts,
   * anything else falls back to the normal backoff. */
  t->retry_after = retry_after > 0 && has_header(t, "retry-after") ? (long)retry_after : -1;
  if (hit_headers_limit(t, code)) {
    t->limit = "headers";
    t->limit_cap = header_limit_cap(t, code);
  }
  /* A reused connection reports CONNECT_TIME 0 (nothing was connected),
   * but it has a PRETRANSFER time: both at 0 means we never got a
   * connection to send on. */
  if (code != CURLE_OPERATION_TIMEDOUT) t->phase = PHASE_NONE;
  else t->phase = connect_us == 0 && pretransfer_us == 0 ? PHASE_CONNECT : PHASE_TOTAL;
  log_attempt(t);
}

/* Closes the output file once the transfer is over.  A 2xx answer with an
 * empty body still produces the (empty) file the caller asked for. */
void transfer_end_output(transfer_t *t) {
  int ok = 1;
  if (t->file) {
    ok = fclose(t->file) == 0;
    t->file = NULL;
    free(t->file_buf); /* only once the stream that used it is closed */
    t->file_buf = NULL;
  } else if (t->path && t->code == CURLE_OK && t->status / 100 == 2) {
    FILE *f = fopen(t->path, "wb");
    ok = f && fclose(f) == 0;
  }
  if (!ok && t->code == CURLE_OK) {
    t->code = CURLE_WRITE_ERROR;
    snprintf(t->own_error, sizeof t->own_error, "cannot write output file: %s", strerror(errno));
  }
}

/* Only once the easy handle no longer points at them. */
void transfer_free_request(transfer_t *t) {
  curl_slist_free_all(t->headers);
  t->headers = NULL;
  curl_mime_free(t->mime);
  t->mime = NULL;
}

static transfer_t *check_transfer(lua_State *L) {
  return (transfer_t *)luaL_checkudata(L, 1, TRANSFER_MT);
}

static int t_done(lua_State *L) {
  lua_pushboolean(L, check_transfer(L)->state == T_DONE);
  return 1;
}

static int t_cancel(lua_State *L) {
  transfer_t *t = check_transfer(L);
  lua_pushboolean(L, t->multi != NULL);
  if (t->multi) multi_cancel(L, t);
  return 1;
}

static void push_headers(lua_State *L, const buffer *b) {
  const char *p = b->data, *end = b->data + b->len;
  int i = 0;
  lua_newtable(L);
  while (p < end) {
    size_t name_len = strlen(p), value_len = strlen(p + name_len + 1);
    lua_createtable(L, 2, 0);
    lua_pushlstring(L, p, name_len);
    lua_rawseti(L, -2, 1);
    lua_pushlstring(L, p + name_len + 1, value_len);
    lua_rawseti(L, -2, 2);
    lua_rawseti(L, -2, ++i);
    p += name_len + value_len + 2;
  }
}

static void set_integer(lua_State *L, const char *key, lua_Integer v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, key);
}

static const char *error_text(const transfer_t *t) {
  if (t->own_error[0]) return t->own_error;
  if (t->errbuf[0]) return t->errbuf;
  return curl_easy_strerror(t->code);
}

/* The logged attempts, oldest first: {attempt=, status=, curl_code=,
 * bytes=, total_time=, retry_after=, delay_ms=, reason=, rate_limit=}. */
static void push_attempt_log(lua_State *L, const transfer_t *t) {
  static const char *const keys[3] = { "limit", "remaining", "reset" };
  int first = t->attempts > ATTEMPT_LOG_SIZE ? t->attempts - ATTEMPT_LOG_SIZE + 1 : 1, n, i;
  lua_createtable(L, t->attempts - first + 1, 0);
  for (n = first; n <= t->attempts; n++) {
    const attempt_entry *e = &t->log[(n - 1) % ATTEMPT_LOG_SIZE];
    lua_createtable(L, 0, 9);
    set_integer(L, "attempt", e->attempt);
    set_integer(L, "status", e->status);
    set_integer(L, "curl_code", (lua_Integer)e->code);
    set_integer(L, "bytes", (lua_Integer)e->bytes);
    lua_pushnumber(L, e->total_time);
    lua_setfield(L, -2, "total_time");
    if (e->retry_after >= 0) set_integer(L, "retry_after", e->retry_after);
    if (e->delay_ms >= 0) set_integer(L, "delay_ms", e->delay_ms);
    if (e->reason) {
      lua_pushstring(L, e->reason);
      lua_setfield(L, -2, "reason");
    }
    if (e->rate_limit[0] >= 0 || e->rate_limit[1] >= 0 || e->rate_limit[2] >= 0) {
      lua_createtable(L, 0, 3);
      for (i = 0; i < 3; i++)
        if (e->rate_limit[i] >= 0) set_integer(L, keys[i], e->rate_limit[i]);
      lua_setfield(L, -2, "rate_limit");
    }
    lua_rawseti(L, -2, n - first + 1);
  }
}

/* Built once; the C copies of body and headers are freed right after. */
static int t_result(lua_State *L) {
  transfer_t *t = check_transfer(L);
  if (t->state != T_DONE) return luaL_error(L, "transfer is not done yet");
  if (t->result_ref != LUA_NOREF) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, t->result_ref);
    return 1;
  }
  lua_createtable(L, 0, 15);
  set_integer(L, "status", t->status);
  push_headers(L, &t->header_pairs);
  lua_setfield(L, -2, "headers");
  if (t->status != 0 && !(t->has_output && t->status / 100 == 2)) {
    lua_pushlstring(L, t->body.data ? t->body.data : "", t->body.len);
    lua_setfield(L, -2, "body");
  }
  set_integer(L, "curl_code", (lua_Integer)t->code);
  if (t->code != CURLE_OK) {
    lua_pushstring(L, error_text(t));
    lua_setfield(L, -2, "curl_error");
  }
  if (t->phase != PHASE_NONE) {
    static const char *const phases[] = { "none", "connect", "total", "queue" };
    lua_pushstring(L, phases[t->phase]);
    lua_setfield(L, -2, "timeout_phase");
  }
  if (t->limit && t->code != CURLE_ABORTED_BY_CALLBACK) { /* not if cancelled since */
    lua_pushstring(L, t->limit);
    lua_setfield(L, -2, "limit");
    set_integer(L, "limit_cap", (lua_Integer)t->limit_cap);
  }
  lua_pushboolean(L, t->reached);
  lua_setfield(L, -2, "reached");
  set_integer(L, "attempts", t->attempts);
  if (t->retry_after >= 0) set_integer(L, "retry_after", t->retry_after);
  set_integer(L, "bytes", (lua_Integer)t->bytes);
  set_integer(L, "new_connections", t->new_connections);
  lua_pushnumber(L, t->total_time);
  lua_setfield(L, -2, "total_time");
  push_attempt_log(L, t);
  lua_setfield(L, -2, "attempt_log");
  if (t->sink_error_ref != LUA_NOREF) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, t->sink_error_ref);
    lua_setfield(L, -2, "sink_error");
  }
  lua_pushvalue(L, -1);
  t->result_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  buffer_free(&t->body);
  buffer_free(&t->header_pairs);
  return 1;
}

/* An active transfer is referenced from the registry, so this only runs on
 * an active one when the whole state closes. */
static int t_gc(lua_State *L) {
  transfer_t *t = (transfer_t *)lua_touserdata(L, 1);
  if (t->multi) multi_cancel(L, t);
  if (t->easy) curl_easy_cleanup(t->easy); /* set up but never submitted */
  t->easy = NULL;
  if (t->file) fclose(t->file);
  t->file = NULL;
  free(t->file_buf);
  t->file_buf = NULL;
  transfer_free_request(t);
  free(t->path);
  t->path = NULL;
  buffer_free(&t->body);
  buffer_free(&t->header_pairs);
  luaL_unref(L, LUA_REGISTRYINDEX, t->sink_ref);
  luaL_unref(L, LUA_REGISTRYINDEX, t->sink_error_ref);
  luaL_unref(L, LUA_REGISTRYINDEX, t->result_ref);
  t->sink_ref = t->sink_error_ref = t->result_ref = LUA_NOREF;
  return 0;
}

void transfer_register(lua_State *L) {
  static const luaL_Reg methods[] = {
    { "done", t_done }, { "result", t_result }, { "cancel", t_cancel }, { NULL, NULL } };
  static const luaL_Reg meta[] = {
    { "__gc", t_gc }, { NULL, NULL } };
  luaL_newmetatable(L, TRANSFER_MT);
  luaL_setfuncs(L, meta, 0);
  luaL_newlib(L, methods);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}
