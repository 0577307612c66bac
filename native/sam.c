/*
 * sam: SAM text (SAMv1 §1.4) of one BAM record (§4.2), byte for byte what the
 * JavaScript formatter in src/bam/sam.ts and src/bam/aux.ts writes (and so
 * what `samtools view --no-PG` 1.16 prints). A port of that code, kept in step
 * with it: test/bam/sam-native.test.ts checks both give identical bytes.
 *
 * JS signatures (see src/bgzf/native.ts):
 *   samFormatter(names: Uint8Array, nameEnds: Uint32Array, out: Uint8Array): External
 *     Reference names (each up to its first NUL, as printed) back to back, the end
 *     offset of each, and the output buffer to write into (kept referenced).
 *   samAppend(formatter: External, data: Uint8Array, offset: number, pos: number): number
 *     Writes the line of the record at `offset` of `data` and a newline at out[pos].
 *     Returns the new position, or SAM_E_ROOM when `out` might be too small (grow it
 *     and bind it again with samRebind), or SAM_E_RECORD when the record is one
 *     that samtools refuses (the JavaScript formatter then gives the exact error).
 *   samAppendMany(formatter: External, data: Uint8Array, offsets: Int32Array, from, to, pos, state: Float64Array): number
 *     samAppend for the records at offsets[from..to), in one call. Returns 0 when all were written, else the
 *     code of the first that was not; state[0] = its index (or `to`), state[1] = the position after the last written.
 *   samRebind(formatter: External, out: Uint8Array): void
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bam.h"

/* More of the BAM record layout, SAMv1 §4.2 (the fixed fields are in bam.h). */
#define CIGAR_OP_BYTES 4
#define QUAL_MISSING 0xff
#define QUAL_OFFSET 33
#define MAX_CG_OPS (1u << 29) /* htslib bam_tag2cigar */
#define CG_KEY 0x4347
/* Aux fields, §4.2.4. */
#define TAG_BYTES 2
#define TAG_HEAD_BYTES 3
#define MIN_TAG_BYTES 4
#define B_ARRAY_HEAD_BYTES 5
#define AUX_EXPANSION 5
#define FIXED_TEXT_BYTES 128
#define SAME_REF -2

#define SAM_E_ROOM -1
#define SAM_E_RECORD -2

static const char CIGAR_CODES[] = "MIDNSHP=XB??????";
static const char SEQ_CODES[] = "=ACMGRSVTWYHKDBN";

/* `%g` of the last floats seen, by bit pattern: aligners write the same few `f` tag values (minimap2's de:f) on every
   record, and snprintf is a third of the time of a line without this. Entries hold exactly what snprintf printed. */
#define G_CACHE_BITS 10
#define G_CACHE_SIZE (1u << G_CACHE_BITS)
#define G_TEXT_MAX 15
struct g_entry {
  uint32_t bits;
  uint8_t len; /* 0: empty */
  char text[G_TEXT_MAX];
};

struct formatter {
  uint8_t *names;      /* reference names, back to back (owned copy) */
  uint32_t *name_ends; /* end offset of each (owned copy) */
  int32_t n_ref;
  size_t longest;
  uint16_t seq_pairs[256];
  napi_ref out_ref;
  uint8_t *out;
  size_t out_len;
  struct g_entry g_cache[G_CACHE_SIZE];
};

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24); }
static int32_t rdi32(const uint8_t *p) { return (int32_t)rd32(p); }

/* Decimal digits of v (any int64). */
/* "00" "01" … "99": two digits per division. */
static const char DIGIT_PAIRS[201] =
  "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
  "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
  "8081828384858687888990919293949596979899";

static const uint64_t POWERS_OF_10[20] = {
  1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull, 100000000ull, 1000000000ull,
  10000000000ull, 100000000000ull, 1000000000000ull, 10000000000000ull, 100000000000000ull, 1000000000000000ull,
  10000000000000000ull, 100000000000000000ull, 1000000000000000000ull, 10000000000000000000ull,
};

#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
static int bit_length(uint64_t n) { return 64 - __builtin_clzll(n); }
#else
#define ALWAYS_INLINE inline
static int bit_length(uint64_t n) { int b = 0; for (; n != 0; n >>= 1) b++; return b; }
#endif

/* Decimal digits of n ≥ 1: log10 from the bit length (1233/4096 ≈ log10 2), then one comparison. */
static int decimal_length(uint64_t n) {
  int t = bit_length(n) * 1233 >> 12;
  return t + (n >= POWERS_OF_10[t]);
}

static ALWAYS_INLINE uint8_t *put_int(uint8_t *q, int64_t v) {
  uint64_t n;
  if (v < 0) { *q++ = '-'; n = (uint64_t)0 - (uint64_t)v; } else n = (uint64_t)v;
  if (n < 10) { *q = (uint8_t)('0' + n); return q + 1; }
  uint8_t *end = q + decimal_length(n), *p = end;
  while (n >= 100) { p -= 2; memcpy(p, DIGIT_PAIRS + 2 * (n % 100), 2); n /= 100; }
  if (n >= 10) { p -= 2; memcpy(p, DIGIT_PAIRS + 2 * n, 2); } else *--p = (uint8_t)('0' + n);
  return end;
}

static uint8_t *put_str(uint8_t *q, const char *s) {
  size_t n = strlen(s);
  memcpy(q, s, n);
  return q + n;
}

/* Drops trailing zeros of a fraction, and the point when nothing is left after it (src/bam/aux.ts trimFraction). */
static size_t trim_fraction(const char *s, size_t end) {
  while (end > 0 && s[end - 1] == '0') end--;
  if (end > 0 && s[end - 1] == '.') end--;
  return end;
}

/* `%g` of glibc, as htslib prints `f` and `d` tags. */
static uint8_t *put_g(uint8_t *q, double d) {
  char tmp[64];
  int n = snprintf(tmp, sizeof tmp, "%g", d);
  memcpy(q, tmp, (size_t)n);
  return q + n;
}

/* `%g` of a float (an `f` tag), through the formatter's cache. */
static uint8_t *put_float_g(struct formatter *f, uint8_t *q, const uint8_t *p) {
  uint32_t bits = rd32(p);
  struct g_entry *e = &f->g_cache[(bits * 2654435761u) >> (32 - G_CACHE_BITS)];
  if (e->len == 0 || e->bits != bits) {
    char tmp[64];
    float v;
    memcpy(&v, &bits, 4);
    int n = snprintf(tmp, sizeof tmp, "%g", (double)v);
    if (n <= 0 || n > G_TEXT_MAX) return put_g(q, (double)v);
    e->bits = bits;
    e->len = (uint8_t)n;
    memcpy(e->text, tmp, (size_t)n);
  }
  memcpy(q, e->text, e->len);
  return q + e->len;
}

/* htslib 1.16 kputd for `B:f` elements (src/bam/aux.ts formatKputd). */
static uint8_t *put_kputd(uint8_t *q, double d) {
  double a = fabs(d);
  if (!(a >= 0.0001 && a <= 999999)) return put_g(q, d);
  static const double limits[] = { 0.001, 0.01, 0.1, 1, 10, 100, 1000, 10000, 100000, INFINITY };
  static const double mults[] = { 1e9, 1e8, 1e7, 1e6, 1e5, 1e4, 1e3, 1e2, 1e1, 1 };
  int i = 0;
  while (!(a < limits[i])) i++;
  int sub = i + 1;
  char digits[32];
  int len = snprintf(digits, sizeof digits, "%.0f", floor(a * mults[i] + 0.5));
  int p = sub + len;
  char kept[48];
  size_t k = 0;
  if (p <= 10) {
    kept[k++] = '0';
    kept[k++] = '.';
    for (int z = 0; z < 10 - p; z++) kept[k++] = '0';
    for (int j = 0; j < len && j < 6; j++) kept[k++] = digits[j];
  } else {
    for (int j = 0; j < p - 10; j++) kept[k++] = digits[j];
    kept[k++] = '.';
    for (int j = p - 10; j < len; j++) kept[k++] = digits[j];
    if (k > 7) k = 7;
  }
  if (signbit(d)) *q++ = '-';
  k = trim_fraction(kept, k);
  memcpy(q, kept, k);
  return q + k;
}

static int scalar_size(uint8_t type) {
  switch (type) {
    case 'A': case 'c': case 'C': return 1;
    case 's': case 'S': return 2;
    case 'i': case 'I': case 'f': return 4;
    case 'd': return 8;
    default: return -1;
  }
}

static int element_size(uint8_t sub) {
  switch (sub) {
    case 'c': case 'C': return 1;
    case 's': case 'S': return 2;
    case 'i': case 'I': case 'f': return 4;
    default: return 0;
  }
}

/* Byte length of the aux field at `at`, or -1 when its type is unknown or it runs past `end`. */
static int64_t aux_field_length(const uint8_t *b, int64_t at, int64_t end) {
  uint8_t type = b[at + TAG_BYTES];
  int64_t v = at + TAG_HEAD_BYTES;
  int64_t len = scalar_size(type);
  if (type == 'Z' || type == 'H') {
    int64_t q = v;
    while (q < end && b[q] != 0) q++;
    len = q < end ? q + 1 - v : -1;
  } else if (type == 'B' && end - v >= B_ARRAY_HEAD_BYTES) {
    int size = element_size(b[v]);
    uint64_t n = rd32(b + v + 1);
    len = size > 0 && n * (uint64_t)size <= (uint64_t)(end - v - B_ARRAY_HEAD_BYTES) ? B_ARRAY_HEAD_BYTES + (int64_t)n * size : -1;
  }
  if (len < 0 || v + len > end) return -1;
  return TAG_HEAD_BYTES + len;
}

static int64_t read_integer(const uint8_t *p, uint8_t type) {
  switch (type) {
    case 'c': return (int8_t)p[0];
    case 'C': return p[0];
    case 's': return (int16_t)rd16(p);
    case 'S': return rd16(p);
    case 'i': return rdi32(p);
    default: return rd32(p);
  }
}

static float rd_float(const uint8_t *p) { uint32_t u = rd32(p); float f; memcpy(&f, &u, 4); return f; }
static double rd_double(const uint8_t *p) {
  uint64_t u = (uint64_t)rd32(p) | ((uint64_t)rd32(p + 4) << 32);
  double d;
  memcpy(&d, &u, 8);
  return d;
}

static uint8_t *put_aux_field(struct formatter *f, uint8_t *q, const uint8_t *b, int64_t at) {
  uint8_t type = b[at + TAG_BYTES];
  const uint8_t *v = b + at + TAG_HEAD_BYTES;
  *q++ = '\t';
  *q++ = b[at];
  *q++ = b[at + 1];
  *q++ = ':';
  int is_int = scalar_size(type) > 0 && type != 'A' && type != 'f' && type != 'd';
  *q++ = is_int ? 'i' : type;
  *q++ = ':';
  if (is_int) return put_int(q, read_integer(v, type));
  switch (type) {
    case 'A': *q++ = v[0]; return q;
    case 'f': return put_float_g(f, q, v);
    case 'd': return put_g(q, rd_double(v));
    case 'B': {
      uint8_t sub = v[0];
      int size = element_size(sub);
      uint32_t n = rd32(v + 1);
      *q++ = sub;
      const uint8_t *e = v + B_ARRAY_HEAD_BYTES;
      for (uint32_t i = 0; i < n; i++, e += size) {
        *q++ = ',';
        q = sub == 'f' ? put_kputd(q, (double)rd_float(e)) : put_int(q, read_integer(e, sub));
      }
      return q;
    }
    default:
      for (; *v != 0; v++) *q++ = *v;
      return q;
  }
}

static uint8_t *put_ref(const struct formatter *f, uint8_t *q, int32_t ref) {
  if (ref < 0) *q++ = ref == SAME_REF ? '=' : '*';
  else {
    uint32_t from = ref == 0 ? 0 : f->name_ends[ref - 1], to = f->name_ends[ref];
    memcpy(q, f->names + from, to - from);
    q += to - from;
  }
  *q++ = '\t';
  return q;
}

/* Formats the record at `o`; returns the new position, or a SAM_E_* code. */
static int64_t format_record(struct formatter *f, const uint8_t *b, int64_t len, int64_t o, int64_t pos) {
  if (o < 0 || o + READ_NAME_OFFSET > len) return SAM_E_RECORD;
  int64_t l_name = b[o + L_READ_NAME_OFFSET];
  int64_t l_seq = rdi32(b + o + L_SEQ_OFFSET);
  int64_t n_cigar = rd16(b + o + N_CIGAR_OP_OFFSET);
  int64_t cigar_at = o + READ_NAME_OFFSET + l_name;
  int64_t seq_at = cigar_at + CIGAR_OP_BYTES * n_cigar;
  int64_t aux_at = seq_at + ((l_seq + 1) >> 1) + l_seq;
  int64_t end = o + BLOCK_SIZE_BYTES + rdi32(b + o);
  if (l_name < 1 || l_seq < 0 || aux_at > end || end > len) return SAM_E_RECORD;
  int32_t ref = rdi32(b + o + REF_ID_OFFSET), pos0 = rdi32(b + o + POS_OFFSET);
  /* cigarSource: a placeholder <l_seq>S<ref_len>N CIGAR on a placed record is replaced by a CG:B:I/i tag */
  int64_t cig = cigar_at, n_cig = n_cigar, skip = -1;
  if (n_cigar > 0 && ref >= 0 && pos0 >= 0) {
    uint32_t first = rd32(b + cigar_at);
    if ((first & 0xf) == OP_SOFT_CLIP && (int64_t)(first >> 4) == l_seq) {
      for (int64_t p = aux_at, fl = 0; end - p >= TAG_HEAD_BYTES; p += fl) {
        fl = aux_field_length(b, p, end);
        if (fl < 0) return SAM_E_RECORD;
        if (((b[p] << 8) | b[p + 1]) != CG_KEY) continue;
        int64_t v = p + TAG_HEAD_BYTES;
        int u32 = b[p + TAG_BYTES] == 'B' && (b[v] == 'I' || b[v] == 'i');
        uint32_t count = u32 ? rd32(b + v + 1) : 0;
        if (u32 && count >= n_cigar && count < MAX_CG_OPS) { cig = v + B_ARRAY_HEAD_BYTES; n_cig = count; skip = p; }
        break;
      }
    }
  }
  int64_t need = l_name + 2 * l_seq + 10 * n_cig + AUX_EXPANSION * (end - aux_at) + 2 * (int64_t)f->longest + FIXED_TEXT_BYTES;
  if (pos + need > (int64_t)f->out_len) return SAM_E_ROOM;
  int32_t next_ref = rdi32(b + o + NEXT_REF_ID_OFFSET);
  if (ref < -1 || ref >= f->n_ref || next_ref < -1 || next_ref >= f->n_ref) return SAM_E_RECORD;
  uint8_t *q = f->out + pos;
  /* QNAME: htslib appends a NUL to a name stored without one */
  int64_t name_end = o + READ_NAME_OFFSET + l_name;
  if (b[name_end - 1] == 0) name_end--;
  memcpy(q, b + o + READ_NAME_OFFSET, (size_t)(name_end - o - READ_NAME_OFFSET));
  q += name_end - o - READ_NAME_OFFSET;
  *q++ = '\t';
  uint16_t flag = rd16(b + o + FLAG_OFFSET);
  q = put_int(q, flag);
  *q++ = '\t';
  q = put_ref(f, q, ref);
  q = put_int(q, (int64_t)pos0 + 1);
  *q++ = '\t';
  q = put_int(q, b[o + MAPQ_OFFSET]);
  *q++ = '\t';
  /* CIGAR; its query length must equal l_seq unless the record is unmapped */
  if (n_cig == 0) *q++ = '*';
  uint64_t qlen = 0;
  for (int64_t i = 0; i < n_cig; i++) {
    uint32_t op = rd32(b + cig + CIGAR_OP_BYTES * i);
    q = put_int(q, op >> 4);
    *q++ = (uint8_t)CIGAR_CODES[op & 0xf];
    qlen += ((QUERY_OPS >> (op & 0xf)) & 1) * (uint64_t)(op >> 4);
  }
  *q++ = '\t';
  int64_t check_len = (flag & FUNMAP) ? 0 : l_seq;
  if (check_len > 0 && n_cig > 0 && qlen != (uint64_t)check_len) return SAM_E_RECORD;
  q = put_ref(f, q, next_ref >= 0 && next_ref == ref ? SAME_REF : next_ref);
  q = put_int(q, (int64_t)rdi32(b + o + NEXT_POS_OFFSET) + 1);
  *q++ = '\t';
  q = put_int(q, rdi32(b + o + TLEN_OFFSET));
  *q++ = '\t';
  /* SEQ and QUAL */
  if (l_seq == 0) {
    *q++ = '*'; *q++ = '\t'; *q++ = '*';
  } else {
    const uint8_t *s = b + seq_at;
    int64_t pairs = l_seq >> 1;
    int64_t i = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; i + 4 <= pairs; i += 4, q += 8) { /* four bytes of bases, eight letters, one store */
      uint64_t v = (uint64_t)f->seq_pairs[s[i]] | (uint64_t)f->seq_pairs[s[i + 1]] << 16 |
        (uint64_t)f->seq_pairs[s[i + 2]] << 32 | (uint64_t)f->seq_pairs[s[i + 3]] << 48;
      memcpy(q, &v, 8);
    }
#endif
    for (; i < pairs; i++, q += 2) memcpy(q, &f->seq_pairs[s[i]], 2);
    if (l_seq & 1) *q++ = (uint8_t)SEQ_CODES[s[pairs] >> 4];
    *q++ = '\t';
    const uint8_t *qual = s + ((l_seq + 1) >> 1);
    if (qual[0] == QUAL_MISSING) *q++ = '*';
    else for (int64_t i = 0; i < l_seq; i++) *q++ = (uint8_t)(qual[i] + QUAL_OFFSET);
  }
  /* aux fields; a tail shorter than MIN_TAG_BYTES is ignored, as htslib does */
  for (int64_t at = aux_at; end - at >= MIN_TAG_BYTES;) {
    int64_t fl = aux_field_length(b, at, end);
    if (fl < 0) return SAM_E_RECORD;
    if (at != skip) q = put_aux_field(f, q, b, at);
    at += fl;
  }
  *q++ = '\n';
  return q - f->out;
}

static int typed_u8(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  return typed(env, v, napi_uint8_array, (void **)data, len);
}

static void free_formatter(napi_env env, void *data, void *hint) {
  (void)hint;
  struct formatter *f = data;
  if (f->out_ref) napi_delete_reference(env, f->out_ref);
  free(f->names);
  free(f->name_ends);
  free(f);
}

static int bind_out(napi_env env, struct formatter *f, napi_value out) {
  uint8_t *p;
  size_t len;
  if (!typed_u8(env, out, &p, &len)) return 0;
  if (f->out_ref) napi_delete_reference(env, f->out_ref);
  f->out_ref = NULL;
  if (napi_create_reference(env, out, 1, &f->out_ref) != napi_ok) return 0;
  f->out = p;
  f->out_len = len;
  return 1;
}

static napi_value js_sam_formatter(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], result;
  uint8_t *names;
  size_t names_len, n_ref;
  void *ends;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 3 || !typed_u8(env, argv[0], &names, &names_len) || !typed(env, argv[1], napi_uint32_array, &ends, &n_ref)) {
    napi_throw_type_error(env, NULL, "samFormatter(Uint8Array, Uint32Array, Uint8Array)");
    return NULL;
  }
  struct formatter *f = calloc(1, sizeof *f);
  if (f == NULL) { napi_throw_error(env, NULL, "out of memory"); return NULL; }
  f->names = malloc(names_len + 1);
  f->name_ends = malloc((n_ref + 1) * sizeof(uint32_t));
  if (f->names == NULL || f->name_ends == NULL) { free_formatter(env, f, NULL); napi_throw_error(env, NULL, "out of memory"); return NULL; }
  memcpy(f->names, names, names_len);
  memcpy(f->name_ends, ends, n_ref * sizeof(uint32_t));
  f->n_ref = (int32_t)n_ref;
  f->longest = 1;
  for (size_t i = 0; i < n_ref; i++) {
    uint32_t from = i == 0 ? 0 : f->name_ends[i - 1];
    if (f->name_ends[i] < from || f->name_ends[i] > names_len) { free_formatter(env, f, NULL); napi_throw_range_error(env, NULL, "name ends out of order"); return NULL; }
    if (f->name_ends[i] - from > f->longest) f->longest = f->name_ends[i] - from;
  }
  for (int i = 0; i < 256; i++) {
    uint8_t pair[2] = { (uint8_t)SEQ_CODES[i >> 4], (uint8_t)SEQ_CODES[i & 0xf] };
    memcpy(&f->seq_pairs[i], pair, 2);
  }
  if (!bind_out(env, f, argv[2])) { free_formatter(env, f, NULL); napi_throw_type_error(env, NULL, "out must be a Uint8Array"); return NULL; }
  if (napi_create_external(env, f, free_formatter, NULL, &result) != napi_ok) { free_formatter(env, f, NULL); return NULL; }
  return result;
}

static napi_value js_sam_rebind(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  void *f = NULL;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || napi_get_value_external(env, argv[0], &f) != napi_ok || !bind_out(env, f, argv[1])) {
    napi_throw_type_error(env, NULL, "samRebind(formatter, Uint8Array)");
  }
  return NULL;
}

static napi_value js_sam_append(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], result;
  void *f = NULL;
  uint8_t *data;
  size_t len;
  int64_t offset = 0, pos = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4 || napi_get_value_external(env, argv[0], &f) != napi_ok || !typed_u8(env, argv[1], &data, &len) ||
      napi_get_value_int64(env, argv[2], &offset) != napi_ok || napi_get_value_int64(env, argv[3], &pos) != napi_ok) {
    napi_throw_type_error(env, NULL, "samAppend(formatter, Uint8Array, offset, pos)");
    return NULL;
  }
  int64_t r = format_record(f, data, (int64_t)len, offset, pos);
  napi_create_int64(env, r, &result);
  return result;
}

static napi_value js_sam_append_many(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7], result;
  void *fp = NULL;
  uint8_t *data;
  size_t len, n_offsets, state_len;
  int32_t *offsets;
  double *state;
  int64_t from = 0, to = 0, pos = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int ok = argc >= 7 && napi_get_value_external(env, argv[0], &fp) == napi_ok && typed_u8(env, argv[1], &data, &len) &&
    typed(env, argv[2], napi_int32_array, (void **)&offsets, &n_offsets) &&
    napi_get_value_int64(env, argv[3], &from) == napi_ok && napi_get_value_int64(env, argv[4], &to) == napi_ok &&
    napi_get_value_int64(env, argv[5], &pos) == napi_ok &&
    typed(env, argv[6], napi_float64_array, (void **)&state, &state_len) &&
    state_len >= 2 && from >= 0 && from <= to && (uint64_t)to <= n_offsets;
  if (!ok) {
    napi_throw_type_error(env, NULL, "samAppendMany(formatter, Uint8Array, Int32Array, from, to, pos, Float64Array(2))");
    return NULL;
  }
  int64_t r = 0, i = from;
  for (; i < to; i++) {
    r = format_record(fp, data, (int64_t)len, offsets[i], pos);
    if (r < 0) break;
    pos = r;
  }
  state[0] = (double)i;
  state[1] = (double)pos;
  napi_create_int64(env, r < 0 ? r : 0, &result);
  return result;
}

/* Adds samFormatter, samAppend, samAppendMany and samRebind to the addon's exports. */
void sam_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "samFormatter", NULL, js_sam_formatter, NULL, NULL, NULL, napi_default, NULL },
    { "samAppend", NULL, js_sam_append, NULL, NULL, NULL, napi_default, NULL },
    { "samAppendMany", NULL, js_sam_append_many, NULL, NULL, NULL, napi_default, NULL },
    { "samRebind", NULL, js_sam_rebind, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
