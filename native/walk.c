/*
 * walk.c: the header walk of a local BGZF file (src/engine/ranges.ts BlockWalker)
 * in C, for the blocks it is sure of. The main thread needs each block's size and
 * ISIZE only; reading them in JavaScript took 1 MiB windows of the whole file
 * (every compressed byte copied once more, besides the workers' own reads),
 * because one small read from JavaScript costs as much as copying a block.
 * Here each block costs one 26-byte pread: its trailer and the next header.
 *
 *   walkBlocks(fd: number, position: number, sizes: Uint32Array, isizes: Uint32Array): number
 *
 * Walks the blocks from file offset `position` while each is a plain BGZF block
 * (SAMv1 §4.1: gzip magic, CM 8, FLG FEXTRA and nothing else, XLEN 6 holding one
 * BC subfield of SLEN 2, BSIZE + 1 of at least 26 and not 28), whose trailer is
 * present. Stores each one's size (BSIZE + 1) and ISIZE field, and returns how
 * many it stored (at most sizes.length). It stops before any block it is not
 * sure of: another header, a 28-byte block (the EOF marker's size), a short
 * read or a read error. The caller walks that block itself, with its own checks
 * and errors, and may then call again after it.
 *
 * A file not in the page cache would turn these scattered small reads into one
 * disk read each, so the walk asks the kernel to read ahead (POSIX_FADV_WILLNEED)
 * the next READ_AHEAD bytes whenever it comes within half of that of the end
 * of what it asked for.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include "bam.h"

/* The plain BGZF header, SAMv1 §4.1: ID1 ID2 CM FLG MTIME(4) XFL OS XLEN(2) SI1 SI2 SLEN(2) BSIZE(2). */
#define HEADER 18
#define TRAILER 8
#define BSIZE_AT 16
#define EOF_SIZE 28
#define MIN_SIZE (HEADER + TRAILER)
#define READ_AHEAD (8 << 20)

static const uint8_t FIXED[4] = { 31, 139, 8, 4 };                     /* ID1, ID2, CM deflate, FLG FEXTRA */
static const uint8_t SUBFIELD[6] = { 6, 0, 'B', 'C', 2, 0 };          /* XLEN 6, SI1 'B', SI2 'C', SLEN 2 */

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The size of the plain block whose header is `h`, or 0 when it is not one the walk is sure of. */
static uint32_t plain_size(const uint8_t *h) {
  if (memcmp(h, FIXED, sizeof FIXED) != 0 || memcmp(h + 10, SUBFIELD, sizeof SUBFIELD) != 0) return 0;
  uint32_t size = ((uint32_t)h[BSIZE_AT] | (uint32_t)h[BSIZE_AT + 1] << 8) + 1;
  return size < MIN_SIZE || size == EOF_SIZE ? 0 : size;
}

/* pread of exactly what the file has, retried on EINTR and short reads; -1 on an error. */
static ssize_t read_at(int fd, uint8_t *buf, size_t n, int64_t at) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = pread(fd, buf + done, n - done, (off_t)(at + (int64_t)done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) break;
    done += (size_t)r;
  }
  return (ssize_t)done;
}

static uint32_t walk(int fd, int64_t pos, uint32_t *sizes, uint32_t *isizes, uint32_t max) {
  uint8_t buf[TRAILER + HEADER];
  int64_t advised = pos;
  if (max == 0 || read_at(fd, buf + TRAILER, HEADER, pos) != HEADER) return 0;
  uint32_t n = 0;
  while (n < max) {
    uint32_t size = plain_size(buf + TRAILER);
    if (size == 0) break;
    if (pos + READ_AHEAD / 2 > advised) {
      posix_fadvise(fd, (off_t)advised, READ_AHEAD, POSIX_FADV_WILLNEED);
      advised += READ_AHEAD;
    }
    ssize_t got = read_at(fd, buf, sizeof buf, pos + size - TRAILER);
    if (got < TRAILER) break; /* cut off inside this block: the caller says so */
    sizes[n] = size;
    isizes[n++] = le32(buf + 4);
    pos += size;
    if (got < (ssize_t)sizeof buf) break; /* the file ends here, or within the next header */
  }
  return n;
}

static napi_value js_walk_blocks(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], result;
  void *sizes, *isizes;
  size_t n_sizes, n_isizes;
  int32_t fd;
  int64_t position;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_int64(env, argv[1], &position) != napi_ok ||
      !typed(env, argv[2], napi_uint32_array, &sizes, &n_sizes) || !typed(env, argv[3], napi_uint32_array, &isizes, &n_isizes) ||
      fd < 0 || position < 0) {
    napi_throw_type_error(env, NULL, "walkBlocks(fd, position, Uint32Array, Uint32Array)");
    return NULL;
  }
  size_t max = n_sizes < n_isizes ? n_sizes : n_isizes;
  uint32_t n = walk(fd, position, sizes, isizes, max > UINT32_MAX ? UINT32_MAX : (uint32_t)max);
  napi_create_uint32(env, n, &result);
  return result;
}

void walk_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "walkBlocks", NULL, js_walk_blocks, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
