/*
 * bam.h: what the addon's C files share: the BAM record layout (SAMv1 §4.2) and
 * the N-API typed-array check. Included by bgzf.c, sam.c and scan.c.
 */
#ifndef BAMSTREAM_BAM_H
#define BAMSTREAM_BAM_H

#include <node_api.h>
#include <stddef.h>

/* BAM record layout, SAMv1 §4.2 (offsets from the block_size field). */
#define BLOCK_SIZE_BYTES 4
#define REF_ID_OFFSET 4
#define POS_OFFSET 8
#define L_READ_NAME_OFFSET 12
#define MAPQ_OFFSET 13
#define N_CIGAR_OP_OFFSET 16
#define FLAG_OFFSET 18
#define L_SEQ_OFFSET 20
#define NEXT_REF_ID_OFFSET 24
#define NEXT_POS_OFFSET 28
#define TLEN_OFFSET 32
#define READ_NAME_OFFSET 36
/* CIGAR ops consuming the query: M I S = X (SAMv1 §1.4.6), as a bit set of op codes. */
#define QUERY_OPS 0x193u
#define OP_SOFT_CLIP 4
/* FLAG bit: segment unmapped (SAMv1 §1.4.2). */
#define FUNMAP 0x4

/* True if `v` is a typed array of type `want`; sets its data and element count. */
static inline int typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len) {
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, len, data, &buffer, &offset) != napi_ok) return 0;
  return type == want;
}

#endif
