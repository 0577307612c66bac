/*
 * bgzf_inflate: inflates a run of whole BGZF blocks (SAMv1 §4.1) with libdeflate,
 * verifying each block's CRC32 and ISIZE, in one call per chunk.
 *
 * JS signature (see src/bgzf/inflate-native.ts):
 *   inflate(compressed: Uint8Array, blockSizes: Uint32Array, out: Uint8Array, status: Int32Array): number
 * Returns the number of bytes written to `out` (>= 0), or a negative error code
 * (one of the BGZF_E_* below, negated); then status[0] is the failing block's
 * index and status[1], status[2] carry details (see each code).
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <libdeflate.h>
#include <stdint.h>
#include <stdlib.h>

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

static void free_decompressor(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  libdeflate_free_decompressor((struct libdeflate_decompressor *)data);
}

/* One decompressor per Node environment (main thread or worker), freed with it. */
static struct libdeflate_decompressor *decompressor(napi_env env) {
  void *d = NULL;
  if (napi_get_instance_data(env, &d) == napi_ok && d != NULL) return d;
  d = libdeflate_alloc_decompressor();
  if (d != NULL) napi_set_instance_data(env, d, free_decompressor, NULL);
  return d;
}

static int fail(int32_t *status, int code, uint32_t block, int64_t a, int64_t b) {
  status[0] = (int32_t)block;
  status[1] = (int32_t)a;
  status[2] = (int32_t)b;
  return -code;
}

/* Inflates every block; returns bytes written or a negated BGZF_E_* code. */
static int64_t inflate_blocks(struct libdeflate_decompressor *d, const uint8_t *in, size_t in_len,
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

static int typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len) {
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, len, data, &buffer, &offset) != napi_ok) return 0;
  return type == want;
}

static napi_value js_inflate(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], result;
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
  int64_t r = inflate_blocks(d, in, in_len, sizes, n, out, out_len, status);
  napi_create_double(env, (double)r, &result);
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

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "inflate", NULL, js_inflate, NULL, NULL, NULL, napi_default, NULL },
    { "crc32", NULL, js_crc32, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE_INIT() {
  return init(env, exports);
}
