/*
 * mime.c - multipart request bodies (req.parts) through curl_mime_*.
 *
 * Each part is { name=, data= | file=, filename=, type= }.  `data` is copied
 * by curl; `file` is streamed from disk by curl while sending, so a 1 GiB
 * upload costs no memory.  Errors are raised while building, before any
 * I/O; the half-built mime is already owned by the transfer (through
 * `slot`), whose __gc frees it.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* Reads part[key] as a string (NULL when absent), with its length.  The
 * value stays on the stack until the part is built: a part table whose
 * __index makes fresh strings would otherwise leave `s` dangling. */
static const char *part_field(lua_State *L, int part, int i, const char *key, size_t *len) {
  const char *s = NULL;
  luaL_checkstack(L, 2, "multipart fields");
  lua_getfield(L, part, key);
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "req.parts[%d].%s must be a string", i, key);
    s = lua_tolstring(L, -1, len);
  }
  return s;
}

/* name, filename and type end up inside the part's headers: a CR or LF
 * would let them forge headers, a NUL would silently cut them. */
static const char *part_label(lua_State *L, int part, int i, const char *key) {
  size_t len = 0;
  const char *s = part_field(L, part, i, key, &len);
  if (s && (strlen(s) != len || strpbrk(s, "\r\n")))
    luaL_error(L, "req.parts[%d].%s contains CR, LF or NUL", i, key);
  return s;
}

/* The one check of a file to upload, for multi:add and for the Lua layer
 * (core.file_readable): NULL when `path` can be sent as it is now (a
 * regular file we can open, or a device already at its end: /dev/null),
 * else why not.  Never blocks: stat() first (opening a FIFO waits for a
 * writer) and devices are probed with O_NONBLOCK; a device that gives a
 * byte (/dev/zero) would be an endless upload. */
const char *file_unreadable(const char *path) {
  struct stat st;
  FILE *f;
  char c;
  int fd;
  ssize_t n;
  if (stat(path, &st) != 0) return strerror(errno);
  if (S_ISCHR(st.st_mode)) {
    if ((fd = open(path, O_RDONLY | O_NONBLOCK)) < 0) return strerror(errno);
    n = read(fd, &c, 1);
    close(fd);
    return n == 0 ? NULL : "not a regular file (a device with no end)";
  }
  if (!S_ISREG(st.st_mode)) return S_ISDIR(st.st_mode) ? "not a regular file (a directory)" : "not a regular file";
  if ((f = fopen(path, "rb")) == NULL) return strerror(errno);
  fclose(f);
  return NULL;
}

/* A file that cannot be sent is reported now, as a Lua error from
 * multi:add, rather than as a curl read error halfway through the upload
 * (or a hang). */
static void check_readable(lua_State *L, int i, const char *path) {
  const char *why = file_unreadable(path);
  if (why) luaL_error(L, "req.parts[%d]: cannot send file '%s': %s", i, path, why);
}

static void add_part(lua_State *L, curl_mime *mime, int part, int i) {
  const char *name = part_label(L, part, i, "name");
  const char *filename = part_label(L, part, i, "filename");
  const char *type = part_label(L, part, i, "type");
  size_t len = 0;
  const char *data = part_field(L, part, i, "data", &len);
  size_t file_len = 0;
  const char *file = part_field(L, part, i, "file", &file_len);
  curl_mimepart *p;
  CURLcode rc;
  if (name == NULL) luaL_error(L, "req.parts[%d].name is required", i);
  if ((data == NULL) == (file == NULL)) luaL_error(L, "req.parts[%d] needs exactly one of data or file", i);
  /* curl takes the path as a C string: "a\0b" would upload "a". */
  if (file && strlen(file) != file_len) luaL_error(L, "req.parts[%d].file contains a NUL byte", i);
  if (file) check_readable(L, i, file);
  if ((p = curl_mime_addpart(mime)) == NULL) luaL_error(L, "out of memory");
  rc = curl_mime_name(p, name);
  /* filedata sets filename to the file's basename; data parts have none
   * unless one is given, which makes them file parts to the server. */
  if (rc == CURLE_OK) rc = file ? curl_mime_filedata(p, file) : curl_mime_data(p, data, len);
  if (rc == CURLE_OK && filename) rc = curl_mime_filename(p, filename);
  if (rc == CURLE_OK && type) rc = curl_mime_type(p, type);
  if (rc != CURLE_OK) luaL_error(L, "req.parts[%d]: %s", i, curl_easy_strerror(rc));
}

void mime_build(lua_State *L, int parts, curl_mime **slot) {
  int i, n;
  parts = lua_absindex(L, parts);
  if (!lua_istable(L, parts)) luaL_error(L, "req.parts must be an array of tables");
  /* curl only uses the easy handle given here to seed the random
   * boundary, and its random source accepts NULL. */
  if ((*slot = curl_mime_init(NULL)) == NULL) luaL_error(L, "out of memory");
  n = (int)lua_rawlen(L, parts);
  for (i = 1; i <= n; i++) {
    lua_rawgeti(L, parts, i);
    if (!lua_istable(L, -1)) luaL_error(L, "req.parts[%d] must be a table", i);
    add_part(L, *slot, lua_gettop(L), i);
    lua_settop(L, parts); /* the part and the strings curl has copied */
  }
}
