/*
 * bgzf: BGZF (SAMv1 §4.1) with libdeflate, one call per chunk. Built with
 * BAMSTREAM_ISAL (scripts/build-native.mjs defines it when Intel's ISA-L headers
 * are present: Debian's libisal-dev), each block is first inflated by ISA-L's
 * igzip (about 15% less CPU than libdeflate on aligner-made BAM data), and accepted only
 * when it gives exactly ISIZE bytes with the stored CRC32; any other block is
 * inflated again by libdeflate, whose outcome (data, or the error htslib would
 * also meet, since htslib inflates with libdeflate) is the one reported.
 *
 * JS signatures (see src/bgzf/native.ts):
 *   inflate(compressed: Uint8Array, blockSizes: Uint32Array, out: Uint8Array, status: Int32Array, libdeflateOnly?: boolean): number
 *     Inflates a run of whole BGZF blocks, verifying each block's CRC32 and ISIZE
 *     (ISA-L first where built with it, unless libdeflateOnly).
 *     Returns the number of bytes written to `out` (>= 0), or a negative error code
 *     (one of the BGZF_E_* below, negated); then status[0] is the failing block's
 *     index and status[1], status[2] carry details (see each code).
 *   deflate(data: Uint8Array, level: number, blockData: number, out: Uint8Array): number
 *     Cuts `data` into blocks of `blockData` bytes (the last one shorter) and writes
 *     each as a whole BGZF block into `out`. Returns the bytes written, or -1 when
 *     `out` is too small (it needs deflateBound(data.length, blockData) bytes).
 *   crc32(data: Uint8Array, initial?: number): number
 *   isal: boolean  (built with ISA-L)
 * and the SAM formatter of native/sam.c, the record walk of scan.c, the header walk of walk.c.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <libdeflate.h>
#ifdef BAMSTREAM_ISAL
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#endif
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "bam.h"

/* gzip member layout, RFC 1952 §2.3 / SAMv1 §4.1 */
#define XLEN_OFFSET 10   /* XLEN: uint16, length of the extra field */
#define EXTRA_OFFSET 12  /* the extra subfields start here */
#define TRAILER_BYTES 8  /* CRC32: uint32, ISIZE: uint32 */

/* Error codes (returned negated). */
#define BGZF_E_INFLATE 1 /* corrupt deflate data; status[1] = libdeflate result */
#define BGZF_E_ISIZE 2   /* inflated size != ISIZE; status[1] = inflated (-1: more), status[2] = ISIZE */
#define BGZF_E_CRC 3     /* CRC32 mismatch; status[1] = stored, status[2] = computed */
#define BGZF_E_OVERRUN 4 /* ISIZE overruns `out`; status[1] = room left, status[2] = ISIZE */
#define BGZF_E_LAYOUT 5  /* block sizes do not fit `compressed`, or a block is too short for its header */

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* libdeflate's levels: 1 (fastest) to 12 (smallest). */
#define MAX_LEVEL 12

/* Per Node environment (main thread or worker) state, freed with it. */
struct state {
  struct libdeflate_decompressor *decompressor;
  struct libdeflate_compressor *compressors[MAX_LEVEL + 1];
#ifdef BAMSTREAM_ISAL
  struct inflate_state *isal;
#endif
};

static void free_state(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  struct state *s = data;
#ifdef BAMSTREAM_ISAL
  free(s->isal);
#endif
  if (s->decompressor) libdeflate_free_decompressor(s->decompressor);
  for (int i = 0; i <= MAX_LEVEL; i++) if (s->compressors[i]) libdeflate_free_compressor(s->compressors[i]);
  free(s);
}

static struct state *state_of(napi_env env) {
  void *d = NULL;
  if (napi_get_instance_data(env, &d) == napi_ok && d != NULL) return d;
  struct state *s = calloc(1, sizeof *s);
  if (s != NULL && napi_set_instance_data(env, s, free_state, NULL) != napi_ok) {
    free(s);
    return NULL;
  }
  return s;
}

/* One decompressor per Node environment. */
static struct libdeflate_decompressor *decompressor(napi_env env) {
  struct state *s = state_of(env);
  if (s == NULL) return NULL;
  if (s->decompressor == NULL) s->decompressor = libdeflate_alloc_decompressor();
  return s->decompressor;
}

#ifdef BAMSTREAM_ISAL
/* One ISA-L inflate state per Node environment (NULL without memory: libdeflate alone is used). */
static struct inflate_state *isal_state(napi_env env) {
  struct state *s = state_of(env);
  if (s == NULL) return NULL;
  if (s->isal == NULL) s->isal = malloc(sizeof *s->isal);
  return s->isal;
}

/* True when ISA-L inflates the block's deflate data to exactly `isize` bytes with CRC32 `crc`. */
static int isal_block(struct inflate_state *st, const uint8_t *in, size_t in_len, uint8_t *out, uint32_t isize, uint32_t crc) {
  isal_inflate_init(st);
  st->next_in = (uint8_t *)in;
  st->avail_in = (uint32_t)in_len;
  st->next_out = out;
  st->avail_out = isize;
  st->crc_flag = ISAL_DEFLATE;
  if (isal_inflate_stateless(st) != ISAL_DECOMP_OK || st->total_out != isize) return 0;
  return crc32_gzip_refl(0, out, isize) == crc;
}
#endif

/* One compressor per level (1..12) per Node environment. */
static struct libdeflate_compressor *compressor(napi_env env, int level) {
  struct state *s = state_of(env);
  if (s == NULL || level < 1 || level > MAX_LEVEL) return NULL;
  if (s->compressors[level] == NULL) s->compressors[level] = libdeflate_alloc_compressor(level);
  return s->compressors[level];
}

static int fail(int32_t *status, int code, uint32_t block, int64_t a, int64_t b) {
  status[0] = (int32_t)block;
  status[1] = (int32_t)a;
  status[2] = (int32_t)b;
  return -code;
}

/*
 * Inflates every block; returns bytes written or a negated BGZF_E_* code. `isal`
 * (NULL: libdeflate alone) is tried first for each block; libdeflate decides
 * every block it does not take.
 */
static int64_t inflate_blocks(struct libdeflate_decompressor *d, void *isal, const uint8_t *in, size_t in_len,
                              const uint32_t *sizes, size_t n, uint8_t *out, size_t out_len, int32_t *status) {
  size_t src = 0, dst = 0;
  for (size_t i = 0; i < n; i++) {
    size_t size = sizes[i];
    if (size > in_len - src || size < EXTRA_OFFSET + TRAILER_BYTES) return fail(status, BGZF_E_LAYOUT, i, 0, 0);
    const uint8_t *block = in + src;
    size_t data = EXTRA_OFFSET + ((size_t)block[XLEN_OFFSET] | ((size_t)block[XLEN_OFFSET + 1] << 8));
    size_t trailer = size - TRAILER_BYTES;
    if (data > trailer) return fail(status, BGZF_E_LAYOUT, i, 0, 0);
    uint32_t crc = le32(block + trailer);
    uint32_t isize = le32(block + trailer + 4);
    if (isize > out_len - dst) return fail(status, BGZF_E_OVERRUN, i, (int64_t)(out_len - dst), isize);
#ifdef BAMSTREAM_ISAL
    if (isal != NULL && isal_block(isal, block + data, trailer - data, out + dst, isize, crc)) {
      src += size;
      dst += isize;
      continue;
    }
#else
    (void)isal;
#endif
    size_t actual = 0;
    enum libdeflate_result r = libdeflate_deflate_decompress(d, block + data, trailer - data, out + dst, isize, &actual);
    if (r == LIBDEFLATE_INSUFFICIENT_SPACE) return fail(status, BGZF_E_ISIZE, i, -1, isize);
    if (r != LIBDEFLATE_SUCCESS) return fail(status, BGZF_E_INFLATE, i, r, 0);
    if (actual != isize) return fail(status, BGZF_E_ISIZE, i, (int64_t)actual, isize);
    uint32_t computed = libdeflate_crc32(0, out + dst, isize);
    if (computed != crc) return fail(status, BGZF_E_CRC, i, crc, computed);
    src += size;
    dst += isize;
  }
  return (int64_t)dst;
}

static napi_value js_inflate(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], result;
  void *in, *sizes, *out, *status;
  size_t in_len, n, out_len, status_len;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4 || !typed(env, argv[0], napi_uint8_array, &in, &in_len) || !typed(env, argv[1], napi_uint32_array, &sizes, &n) ||
      !typed(env, argv[2], napi_uint8_array, &out, &out_len) || !typed(env, argv[3], napi_int32_array, &status, &status_len) ||
      status_len < 3) {
    napi_throw_type_error(env, NULL, "inflate(Uint8Array, Uint32Array, Uint8Array, Int32Array[3])");
    return NULL;
  }
  struct libdeflate_decompressor *d = decompressor(env);
  if (d == NULL) {
    napi_throw_error(env, NULL, "libdeflate_alloc_decompressor failed: out of memory");
    return NULL;
  }
  bool libdeflate_only = false; /* the optional 5th argument */
  if (argc >= 5) napi_get_value_bool(env, argv[4], &libdeflate_only);
  void *isal = NULL;
#ifdef BAMSTREAM_ISAL
  if (!libdeflate_only) isal = isal_state(env);
#endif
  int64_t r = inflate_blocks(d, isal, in, in_len, sizes, n, out, out_len, status);
  napi_create_double(env, (double)r, &result);
  return result;
}

/* BGZF block layout, SAMv1 §4.1: fixed gzip header with FEXTRA, one BC subfield holding BSIZE. */
#define HEADER_BYTES 18      /* ID1 ID2 CM FLG MTIME(4) XFL OS XLEN(2) SI1 SI2 SLEN(2) BSIZE(2) */
#define BSIZE_OFFSET 16      /* BSIZE: uint16, total block size minus 1 */
#define MAX_BLOCK_SIZE 65536 /* BSIZE is a uint16 */
#define MAX_BLOCK_DATA 0xff00 /* htslib's BGZF_BLOCK_SIZE: stored data still fits a block */
#define STORED_HEAD 5        /* a stored deflate block: BFINAL/BTYPE byte, LEN, NLEN (RFC 1951 §3.2.4) */
static const uint8_t BGZF_HEADER[HEADER_BYTES] = { 31, 139, 8, 4, 0, 0, 0, 0, 0, 255, 6, 0, 'B', 'C', 2, 0, 0, 0 };

static void put16(uint8_t *p, uint32_t v) { p[0] = v & 0xff; p[1] = (v >> 8) & 0xff; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v & 0xffff); put16(p + 2, v >> 16); }

/* Writes one whole block for `n` bytes of `data` at `out`; returns its size. `room` >= MAX_BLOCK_SIZE. */
static size_t deflate_block(struct libdeflate_compressor *c, const uint8_t *data, size_t n, uint8_t *out) {
  memcpy(out, BGZF_HEADER, HEADER_BYTES);
  uint8_t *cdata = out + HEADER_BYTES;
  size_t room = MAX_BLOCK_SIZE - HEADER_BYTES - TRAILER_BYTES;
  size_t clen = c != NULL ? libdeflate_deflate_compress(c, data, n, cdata, room) : 0;
  if (clen == 0) { /* level 0, or deflate would not fit: one stored block (n <= 0xff00 < 65535) */
    cdata[0] = 1; /* BFINAL = 1, BTYPE = 00 */
    put16(cdata + 1, (uint32_t)n);
    put16(cdata + 3, (uint32_t)n ^ 0xffff);
    memcpy(cdata + STORED_HEAD, data, n);
    clen = STORED_HEAD + n;
  }
  size_t size = HEADER_BYTES + clen + TRAILER_BYTES;
  put16(out + BSIZE_OFFSET, (uint32_t)(size - 1));
  put32(out + HEADER_BYTES + clen, libdeflate_crc32(0, data, n));
  put32(out + HEADER_BYTES + clen + 4, (uint32_t)n);
  return size;
}

/* deflate(data, level, blockData, out): bytes written, or -1 when `out` is too small. */
static napi_value js_deflate(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], result;
  void *data, *out;
  size_t len, out_len;
  int32_t level = 0, block = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4 || !typed(env, argv[0], napi_uint8_array, &data, &len) || napi_get_value_int32(env, argv[1], &level) != napi_ok ||
      napi_get_value_int32(env, argv[2], &block) != napi_ok || !typed(env, argv[3], napi_uint8_array, &out, &out_len) ||
      level < 0 || level > MAX_LEVEL || block < 1 || block > MAX_BLOCK_DATA) {
    napi_throw_type_error(env, NULL, "deflate(Uint8Array, level 0..12, blockData 1..65280, Uint8Array)");
    return NULL;
  }
  struct libdeflate_compressor *c = level > 0 ? compressor(env, level) : NULL;
  if (level > 0 && c == NULL) {
    napi_throw_error(env, NULL, "libdeflate_alloc_compressor failed: out of memory");
    return NULL;
  }
  size_t src = 0, dst = 0;
  int64_t written = 0;
  while (src < len) {
    size_t n = len - src < (size_t)block ? len - src : (size_t)block;
    if (out_len - dst < MAX_BLOCK_SIZE) { written = -1; break; }
    dst += deflate_block(c, (const uint8_t *)data + src, n, (uint8_t *)out + dst);
    src += n;
    written = (int64_t)dst;
  }
  napi_create_double(env, (double)written, &result);
  return result;
}

/* crc32(data: Uint8Array, initial?: number): number — libdeflate's CRC-32 (gzip polynomial). */
static napi_value js_crc32(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  void *data;
  size_t len;
  uint32_t initial = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || !typed(env, argv[0], napi_uint8_array, &data, &len)) {
    napi_throw_type_error(env, NULL, "crc32(Uint8Array, initial?)");
    return NULL;
  }
  if (argc > 1) napi_get_value_uint32(env, argv[1], &initial);
  napi_create_uint32(env, libdeflate_crc32(initial, data, len), &result);
  return result;
}

/* native/sam.c: the SAM formatter's functions. */
void sam_init(napi_env env, napi_value exports);
/* native/scan.c: the flagstat/count record walk. */
void scan_init(napi_env env, napi_value exports);
/* native/walk.c: the header walk of a local file. */
void walk_init(napi_env env, napi_value exports);

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "inflate", NULL, js_inflate, NULL, NULL, NULL, napi_default, NULL },
    { "deflate", NULL, js_deflate, NULL, NULL, NULL, napi_default, NULL },
    { "crc32", NULL, js_crc32, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  napi_value isal;
#ifdef BAMSTREAM_ISAL
  napi_get_boolean(env, true, &isal);
#else
  napi_get_boolean(env, false, &isal);
#endif
  napi_set_named_property(env, exports, "isal", isal);
  sam_init(env, exports);
  scan_init(env, exports);
  walk_init(env, exports);
  return exports;
}

NAPI_MODULE_INIT() {
  return init(env, exports);
}
