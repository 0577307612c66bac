/*
 * scan: the record walk of the `flagstat` and `count` scans in C (issue 11), a
 * port of src/bam/walk.ts walkRecords + src/bam/validate.ts checkRecord + the ops'
 * `record` (src/ops/flagstat.ts tally, src/ops/filter.ts passes). It only folds
 * records it is sure of: it stops at the first record that is cut off by the end
 * of the data, that fails any of htslib's checks, or whose first CIGAR op is
 * `<l_seq>S` (htslib's `CG` tag case, left to JavaScript). The JavaScript walk
 * then goes on from that offset and gives exactly its own result or error; the
 * records folded here are records it would have accepted.
 *
 * JS signature (see src/bgzf/native.ts):
 *   scanRecords(data: Uint8Array, from: number, nRef: number, mode: number,
 *               filter: Int32Array, counters: Float64Array, state: Float64Array): number
 *     mode SCAN_FLAGSTAT adds each record into `counters` (ops/flagstat.ts's layout:
 *     counter c's QC-passed slot at 2c, QC-failed at 2c + 1); mode SCAN_COUNT adds the
 *     records passing filter = [f, F, G, rf, q] (samtools view -f -F -G --rf -q) to
 *     counters[0]. Returns the offset where it stopped; state[0] = records folded.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdint.h>
#include <string.h>
#include "bam.h"

/* Fixed fields after block_size, SAMv1 §4.2 (the rest of the layout is in bam.h). */
#define FIXED_BYTES 32
/* bamstream's cap on block_size (src/constants.ts MAX_RECORD_BYTES). */
#define MAX_RECORD_BYTES (512 * 1024 * 1024)
/* FLAG bits, SAMv1 §1.4. */
#define FPAIRED 0x1
#define FPROPER_PAIR 0x2
#define FMUNMAP 0x8
#define FREAD1 0x40
#define FREAD2 0x80
#define FSECONDARY 0x100
#define FQCFAIL 0x200
#define FDUP 0x400
#define FSUPPLEMENTARY 0x800

/* Modes. */
#define SCAN_FLAGSTAT 0
#define SCAN_COUNT 1

/* ops/flagstat.ts's counter indices. */
enum { C_READS, C_PRIMARY, C_SECONDARY, C_SUPP, C_DUP, C_PDUP, C_MAPPED, C_PMAPPED, C_PAIR_ALL, C_READ1, C_READ2,
       C_PAIR_GOOD, C_PAIR_MAP, C_SGLTN, C_DIFFCHR, C_DIFFHIGH, C_N };

static inline int32_t i32(const uint8_t *p) { int32_t v; memcpy(&v, p, 4); return v; }
static inline uint32_t u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint16_t u16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

/* True when the whole record at r (block_size bs, all bytes present) passes validate.ts's checks, and is not the CG case. */
static int sure(const uint8_t *r, int32_t bs, int32_t n_ref) {
  if (bs < FIXED_BYTES || bs > MAX_RECORD_BYTES) return 0;
  int32_t l_seq = i32(r + L_SEQ_OFFSET);
  uint32_t l_name = r[L_READ_NAME_OFFSET];
  if (l_seq < 0 || l_name < 1) return 0;
  uint32_t n_cigar = u16(r + N_CIGAR_OP_OFFSET);
  int64_t needed = (int64_t)l_name + 4 * (int64_t)n_cigar + (l_seq - (l_seq >> 1)) + (int64_t)l_seq;
  if (needed > (int64_t)bs - FIXED_BYTES) return 0;
  int32_t ref = i32(r + REF_ID_OFFSET), next_ref = i32(r + NEXT_REF_ID_OFFSET);
  if (ref < -1 || ref >= n_ref || next_ref < -1 || next_ref >= n_ref) return 0;
  if (n_cigar == 0) return 1;
  const uint8_t *cigar = r + READ_NAME_OFFSET + l_name;
  uint32_t first = u32(cigar);
  if ((first & 0xf) == OP_SOFT_CLIP && (first >> 4) == (uint32_t)l_seq) return 0; /* maybe a CG tag: JavaScript decides */
  if (l_seq == 0 || (u16(r + FLAG_OFFSET) & FUNMAP) != 0) return 1;
  uint64_t qlen = 0;
  for (uint32_t i = 0; i < n_cigar; i++) {
    uint32_t op = u32(cigar + 4 * i);
    qlen += ((QUERY_OPS >> (op & 0xf)) & 1) * (uint64_t)(op >> 4);
  }
  return qlen == (uint64_t)l_seq;
}

/* ops/flagstat.ts tally (bam_stat.c flagstat_loop). */
static inline void tally(uint64_t *s, const uint8_t *r) {
  unsigned flag = u16(r + FLAG_OFFSET);
  int w = (flag & FQCFAIL) != 0;
  s[C_READS * 2 + w]++;
  if (flag & FSECONDARY) s[C_SECONDARY * 2 + w]++;
  else if (flag & FSUPPLEMENTARY) s[C_SUPP * 2 + w]++;
  else {
    s[C_PRIMARY * 2 + w]++;
    if (flag & FPAIRED) {
      s[C_PAIR_ALL * 2 + w]++;
      if ((flag & FPROPER_PAIR) && !(flag & FUNMAP)) s[C_PAIR_GOOD * 2 + w]++;
      if (flag & FREAD1) s[C_READ1 * 2 + w]++;
      if (flag & FREAD2) s[C_READ2 * 2 + w]++;
      if ((flag & FMUNMAP) && !(flag & FUNMAP)) s[C_SGLTN * 2 + w]++;
      if (!(flag & FUNMAP) && !(flag & FMUNMAP)) {
        s[C_PAIR_MAP * 2 + w]++;
        if (i32(r + NEXT_REF_ID_OFFSET) != i32(r + REF_ID_OFFSET)) {
          s[C_DIFFCHR * 2 + w]++;
          if (r[MAPQ_OFFSET] >= 5) s[C_DIFFHIGH * 2 + w]++;
        }
      }
    }
    if (!(flag & FUNMAP)) s[C_PMAPPED * 2 + w]++;
    if (flag & FDUP) s[C_PDUP * 2 + w]++;
  }
  if (!(flag & FUNMAP)) s[C_MAPPED * 2 + w]++;
  if (flag & FDUP) s[C_DUP * 2 + w]++;
}

/* ops/filter.ts passes: samtools view's -f -F -G --rf -q. */
static inline int passes(const uint8_t *r, const int32_t *f) {
  int32_t flag = u16(r + FLAG_OFFSET);
  return r[MAPQ_OFFSET] >= f[4] && (flag & f[0]) == f[0] && (flag & f[1]) == 0 && (f[2] == 0 || (flag & f[2]) != f[2]) &&
         (f[3] == 0 || (flag & f[3]) != 0);
}

/* Walks from `from`; returns the offset of the first record it is not sure of (or of the cut-off tail). */
static size_t scan(const uint8_t *d, size_t len, size_t from, int32_t n_ref, int mode, const int32_t *filter, uint64_t *s,
                   uint64_t *records) {
  size_t p = from;
  uint64_t n = 0;
  while (p + BLOCK_SIZE_BYTES <= len) {
    int32_t bs = i32(d + p);
    if (bs < FIXED_BYTES || (uint64_t)p + BLOCK_SIZE_BYTES + (uint64_t)bs > len || !sure(d + p, bs, n_ref)) break;
    if (mode == SCAN_FLAGSTAT) tally(s, d + p);
    else s[0] += passes(d + p, filter);
    n++;
    p += BLOCK_SIZE_BYTES + (size_t)bs;
  }
  *records = n;
  return p;
}

static napi_value js_scan_records(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7], result;
  void *data, *filter, *counters, *state;
  size_t len, filter_len, counters_len, state_len;
  int64_t from;
  int32_t n_ref, mode;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 7 || !typed(env, argv[0], napi_uint8_array, &data, &len) || napi_get_value_int64(env, argv[1], &from) != napi_ok ||
      napi_get_value_int32(env, argv[2], &n_ref) != napi_ok || napi_get_value_int32(env, argv[3], &mode) != napi_ok ||
      !typed(env, argv[4], napi_int32_array, &filter, &filter_len) || !typed(env, argv[5], napi_float64_array, &counters, &counters_len) ||
      !typed(env, argv[6], napi_float64_array, &state, &state_len) || from < 0 || (mode != SCAN_FLAGSTAT && mode != SCAN_COUNT) ||
      filter_len < 5 || counters_len < (mode == SCAN_FLAGSTAT ? 2 * C_N : 1) || state_len < 1) {
    napi_throw_type_error(env, NULL, "scanRecords(Uint8Array, from, nRef, mode 0|1, Int32Array[5], Float64Array, Float64Array[1])");
    return NULL;
  }
  uint64_t s[2 * C_N] = { 0 }, records = 0;
  size_t end = (size_t)from > len ? (size_t)from : scan(data, len, (size_t)from, n_ref, mode, filter, s, &records);
  double *c = counters;
  for (int i = 0; i < (mode == SCAN_FLAGSTAT ? 2 * C_N : 1); i++) c[i] += (double)s[i];
  ((double *)state)[0] = (double)records;
  napi_create_double(env, (double)end, &result);
  return result;
}

void scan_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "scanRecords", NULL, js_scan_records, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
