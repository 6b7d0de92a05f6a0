/*
 * c_baseline.c - the C side of benchmark 1: N sequential GETs of one URL
 * with libcurl's easy API, one easy handle reused (so one keep-alive
 * connection), the body read into a reused memory buffer, then (PARSE =
 * "parse") parsed into a cJSON tree and freed, as the SDK decodes it into
 * Lua tables, or (PARSE = "none") not parsed at all.
 *
 *   c_baseline URL N WARMUP API_KEY USER_AGENT [PARSE]
 *
 * Request headers are those the SDK sends: X-API-KEY, Accept:
 * application/json, its User-Agent, and Accept-Encoding with every encoding
 * this libcurl can decode (CURLOPT_ACCEPT_ENCODING ""), so the server
 * answers both sides with the same encoding.
 *
 * CPU is measured as the SDK side measures it: getrusage(RUSAGE_SELF),
 * user + sys, around the N timed requests (after WARMUP untimed ones).
 * Prints one line: key=value pairs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <curl/curl.h>
#include <cjson/cJSON.h>

typedef struct { char *data; size_t len, cap; } buf_t;

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
  buf_t *b = (buf_t *)ud;
  size_t len = size * n;
  if (b->len + len > b->cap) {
    size_t cap = b->cap ? b->cap : 16384;
    char *q;
    while (cap < b->len + len) cap *= 2;
    if ((q = realloc(b->data, cap)) == NULL) return 0;
    b->data = q;
    b->cap = cap;
  }
  memcpy(b->data + b->len, p, len);
  b->len += len;
  return len;
}

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static double wall_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse_body = 0;

/* The same work the SDK does with the page: a tree of every value. */
static int parse(const buf_t *b) {
  cJSON *root = cJSON_ParseWithLength(b->data, b->len);
  int ok = root != NULL && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "items")) > 0;
  cJSON_Delete(root);
  if (!ok) fprintf(stderr, "c_baseline: the body is not a page of items\n");
  return ok ? 0 : -1;
}

static int fetch(CURL *e, buf_t *b, long *connects) {
  long status = 0;
  CURLcode rc;
  b->len = 0;
  rc = curl_easy_perform(e);
  if (rc != CURLE_OK) {
    fprintf(stderr, "c_baseline: %s\n", curl_easy_strerror(rc));
    return -1;
  }
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) {
    fprintf(stderr, "c_baseline: HTTP %ld\n", status);
    return -1;
  }
  if (parse_body && parse(b) != 0) return -1;
  if (connects) {
    long c = 0;
    curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &c);
    *connects += c;
  }
  return 0;
}

int main(int argc, char **argv) {
  const char *url, *key, *ua;
  long n, warmup, i, connects = 0;
  char key_header[512];
  struct curl_slist *headers = NULL;
  buf_t body = { NULL, 0, 0 };
  CURL *e;
  double cpu0, cpu1, wall0, wall1;
  curl_off_t wire = 0;
  if (argc != 6 && argc != 7) {
    fprintf(stderr, "usage: c_baseline URL N WARMUP API_KEY USER_AGENT [parse|none]\n");
    return 2;
  }
  parse_body = argc == 7 && strcmp(argv[6], "parse") == 0;
  url = argv[1];
  n = atol(argv[2]);
  warmup = atol(argv[3]);
  key = argv[4];
  ua = argv[5];
  curl_global_init(CURL_GLOBAL_DEFAULT);
  e = curl_easy_init();
  snprintf(key_header, sizeof key_header, "X-API-KEY: %s", key);
  headers = curl_slist_append(headers, key_header);
  headers = curl_slist_append(headers, "Accept: application/json");
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(e, CURLOPT_USERAGENT, ua);
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, (void *)&body);
  for (i = 0; i < warmup; i++)
    if (fetch(e, &body, NULL) != 0) return 1;
  cpu0 = cpu_seconds();
  wall0 = wall_seconds();
  for (i = 0; i < n; i++)
    if (fetch(e, &body, &connects) != 0) return 1;
  wall1 = wall_seconds();
  cpu1 = cpu_seconds();
  curl_easy_getinfo(e, CURLINFO_SIZE_DOWNLOAD_T, &wire);
  printf("requests=%ld cpu_s=%.6f wall_s=%.6f cpu_us_per_req=%.2f body_bytes=%zu wire_bytes=%ld"
         " new_connections=%ld\n",
         n, cpu1 - cpu0, wall1 - wall0, (cpu1 - cpu0) * 1e6 / n, body.len, (long)wire, connects);
  curl_slist_free_all(headers);
  curl_easy_cleanup(e);
  curl_global_cleanup();
  free(body.data);
  return 0;
}
