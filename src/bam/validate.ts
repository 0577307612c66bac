/**
 * The record validator shared by every op: exactly the checks by which
 * htslib 1.16 refuses a BAM record when reading it (sam.c `bam_read1`,
 * `bam_tag2cigar` and `sam_read1_bam`), so that bamstream fails wherever
 * `samtools view/flagstat/idxstats` fail, and accepts what they accept.
 *
 * htslib checks, in this order:
 * - `block_size` ≥ 32 (`block_len < 32`);
 * - `l_seq` ≥ 0 and `l_read_name` ≥ 1;
 * - `l_read_name + 4·n_cigar_op + ⌈l_seq/2⌉ + l_seq` ≤ `block_size − 32`;
 * - when the first CIGAR op is `<l_seq>S` on a placed record (refID ≥ 0, pos ≥ 0),
 *   the aux fields up to a `CG` tag must be well formed (`bam_aux_get`), and a
 *   `CG:B:I`/`CG:B:i` tag holding at least as many ops (and < 2^29) replaces the CIGAR;
 * - for a mapped record with `l_seq` > 0 and a CIGAR, the CIGAR's query length
 *   (M, I, S, =, X) equals `l_seq`;
 * - `refID` and `next_refID` are in [-1, n_ref) (`sam_read1_bam`, ERANGE).
 *
 * Not checked, as in htslib: `pos`, `bin`, `mapq`, the read name's characters
 * (a missing NUL is added), CIGAR op codes ≥ 9 themselves (they consume
 * neither query nor reference), and aux data outside the `CG` case above.
 * The cap on `block_size` ({@link MAX_RECORD_BYTES}) is bamstream's own.
 */
import { MAX_RECORD_BYTES } from '../constants.js'
import { FUNMAP } from './flags.js'
import {
  BLOCK_SIZE_BYTES, FIXED_BYTES, FLAG_OFFSET, L_READ_NAME_OFFSET, L_SEQ_OFFSET, NEXT_REF_ID_OFFSET, N_CIGAR_OP_OFFSET,
  POS_OFFSET, READ_NAME_OFFSET, REF_ID_OFFSET,
} from './record.js'

/** The record is valid. */
export const RECORD_OK = 0
/** `block_size` < 32 or above {@link MAX_RECORD_BYTES}. */
export const BAD_BLOCK_SIZE = 1
/** `l_read_name` is 0. */
export const BAD_L_READ_NAME = 2
/** `l_seq` is negative. */
export const BAD_L_SEQ = 3
/** The variable-length fields do not fit in `block_size`. */
export const BAD_SIZES = 4
/** `refID` is outside [-1, n_ref). */
export const BAD_REF_ID = 5
/** `next_refID` is outside [-1, n_ref). */
export const BAD_NEXT_REF_ID = 6
/** Aux data scanned for a `CG` tag is corrupt. */
export const BAD_AUX = 7
/** The CIGAR's query length differs from `l_seq`. */
export const BAD_CIGAR_QLEN = 8

/** Bytes per CIGAR op, §4.2. */
const CIGAR_OP_BYTES = 4
/** Bit i set when op code i consumes the query (M I S = X): htslib's `bam_cigar_type(op) & 1`. */
const QUERY_OPS = 0b110010011
/** Op code of a soft clip (S), §4.2. */
const OP_SOFT_CLIP = 4
/** htslib moves a `CG` CIGAR only when it has fewer than 2^29 ops. */
const MAX_CG_OPS = 2 ** 29
/** Aux key and type bytes, §4.2.4. */
const AUX_KEY_BYTES = 2
/** Aux type letters. */
const TYPE_B = 0x42, TYPE_Z = 0x5a, TYPE_H = 0x48, SUB_I = 0x49, SUB_i = 0x69
/** The "CG" key as `key[0] << 8 | key[1]`. */
const CG_KEY = 0x4347
/** `B` arrays: subtype byte and uint32 count. */
const B_HEAD_BYTES = 5

/**
 * Checks the fixed fields of the record at `p` (its first 36 bytes must be in
 * `bytes`; the rest need not be): what htslib checks before reading the
 * variable-length part. Returns {@link RECORD_OK} or a `BAD_*` code.
 *
 * @param nRef - number of reference sequences in the header.
 * @example
 * ```ts
 * if (checkFixedFields(view, bytes, p, header.references.length) !== RECORD_OK) throw recordError(...)
 * ```
 */
export function checkFixedFields(view: DataView, bytes: Uint8Array, p: number, nRef: number): number {
  const blockSize = view.getInt32(p, true)
  if (blockSize < FIXED_BYTES || blockSize > MAX_RECORD_BYTES) return BAD_BLOCK_SIZE
  const lSeq = view.getInt32(p + L_SEQ_OFFSET, true)
  const lName = bytes[p + L_READ_NAME_OFFSET]!
  if (lSeq < 0) return BAD_L_SEQ
  if (lName < 1) return BAD_L_READ_NAME
  const needed = lName + CIGAR_OP_BYTES * view.getUint16(p + N_CIGAR_OP_OFFSET, true) + (lSeq - (lSeq >> 1)) + lSeq
  if (needed > blockSize - FIXED_BYTES) return BAD_SIZES
  const refID = view.getInt32(p + REF_ID_OFFSET, true)
  if (refID < -1 || refID >= nRef) return BAD_REF_ID
  const nextRefID = view.getInt32(p + NEXT_REF_ID_OFFSET, true)
  if (nextRefID < -1 || nextRefID >= nRef) return BAD_NEXT_REF_ID
  return RECORD_OK
}

/**
 * Checks the whole record at `p` (all `block_size + 4` bytes must be in
 * `bytes`) as htslib does when reading it. Returns {@link RECORD_OK} or a `BAD_*` code.
 *
 * @example
 * ```ts
 * const problem = checkRecord(rec.view, rec.bytes, rec.offset, header.references.length)
 * ```
 */
export function checkRecord(view: DataView, bytes: Uint8Array, p: number, nRef: number): number {
  const fixed = checkFixedFields(view, bytes, p, nRef)
  if (fixed !== RECORD_OK) return fixed
  const nCigar = view.getUint16(p + N_CIGAR_OP_OFFSET, true)
  if (nCigar === 0) return RECORD_OK
  const lSeq = view.getInt32(p + L_SEQ_OFFSET, true)
  const cigarAt = p + READ_NAME_OFFSET + bytes[p + L_READ_NAME_OFFSET]!
  let at = cigarAt
  let n = nCigar
  const first = view.getUint32(cigarAt, true)
  if ((first & 0xf) === OP_SOFT_CLIP && first >>> 4 === lSeq) {
    const cg = cgCigar(view, bytes, p, cigarAt, nCigar, lSeq)
    if (cg === -1) return BAD_AUX
    if (cg > 0) {
      at = cg
      n = view.getUint32(cg - CIGAR_OP_BYTES, true)
    }
  }
  if (lSeq === 0 || (view.getUint16(p + FLAG_OFFSET, true) & FUNMAP) !== 0) return RECORD_OK
  return cigarQueryLength(view, at, n) === lSeq ? RECORD_OK : BAD_CIGAR_QLEN
}

/** Sum of the lengths of the ops consuming the query (htslib's `bam_cigar2qlen`). */
export function cigarQueryLength(view: DataView, at: number, n: number): number {
  let qlen = 0
  for (let i = 0; i < n; i++) {
    const op = view.getUint32(at + CIGAR_OP_BYTES * i, true)
    qlen += ((QUERY_OPS >> (op & 0xf)) & 1) * (op >>> 4)
  }
  return qlen
}

/**
 * `bam_tag2cigar`'s decision for a record whose first op is `<l_seq>S`: the
 * offset of the CG ops that replace the CIGAR, 0 when the CIGAR stays, or -1
 * when the aux data scanned for `CG` is corrupt (`bam_aux_get` fails).
 */
function cgCigar(view: DataView, bytes: Uint8Array, p: number, cigarAt: number, nCigar: number, lSeq: number): number {
  if (view.getInt32(p + REF_ID_OFFSET, true) < 0 || view.getInt32(p + POS_OFFSET, true) < 0) return 0
  const end = p + BLOCK_SIZE_BYTES + view.getInt32(p, true)
  let s = cigarAt + CIGAR_OP_BYTES * nCigar + (lSeq - (lSeq >> 1)) + lSeq
  while (end - s >= AUX_KEY_BYTES + 1) {
    const key = (bytes[s]! << 8) | bytes[s + 1]!
    s += AUX_KEY_BYTES
    const e = skipAux(view, bytes, s, end)
    if (key === CG_KEY) {
      const type = bytes[s]!
      if (e < 0 || ((type === TYPE_Z || type === TYPE_H) && bytes[e - 1] !== 0)) return -1
      if (type !== TYPE_B || (bytes[s + 1] !== SUB_I && bytes[s + 1] !== SUB_i)) return 0
      const count = view.getUint32(s + 2, true)
      return count >= nCigar && count < MAX_CG_OPS ? s + 1 + B_HEAD_BYTES : 0
    }
    if (e < 0) return -1
    s = e
  }
  return 0
}

/** htslib's `skip_aux`: the offset after the value whose type byte is at `s`, or -1 when it is invalid. */
function skipAux(view: DataView, bytes: Uint8Array, s: number, end: number): number {
  if (s >= end) return end
  const type = bytes[s++]!
  if (type === TYPE_Z || type === TYPE_H) {
    while (s < end && bytes[s] !== 0) s++
    return s < end ? s + 1 : end
  }
  if (type === TYPE_B) {
    if (end - s < B_HEAD_BYTES) return -1
    const size = auxSize(bytes[s]!)
    const n = view.getUint32(s + 1, true)
    s += B_HEAD_BYTES
    const total = (size * n) >>> 0 // htslib multiplies in 32-bit unsigned arithmetic
    return size === 0 || end - s < total ? -1 : s + total
  }
  const size = auxSize(type)
  return size === 0 || end - s < size ? -1 : s + size
}

/** Value bytes of a fixed-size aux type (htslib's `aux_type2size` for scalars), 0 when unknown. */
function auxSize(type: number): number {
  switch (type) {
    case 0x41: case 0x63: case 0x43: return 1 // A c C
    case 0x73: case 0x53: return 2 // s S
    case 0x69: case 0x49: case 0x66: return 4 // i I f
    case 0x64: return 8 // d
    default: return 0
  }
}

/**
 * A message naming the field that made the record at `p` fail `problem`
 * (its fixed fields must be in `bytes`, except for `BAD_BLOCK_SIZE`).
 *
 * @example
 * ```ts
 * describeRecordProblem(BAD_REF_ID, view, bytes, p, 3) // 'corrupt BAM record: refID 7 is outside [-1, 3)'
 * ```
 */
export function describeRecordProblem(problem: number, view: DataView, bytes: Uint8Array, p: number, nRef: number): string {
  const blockSize = view.getInt32(p, true)
  if (problem === BAD_BLOCK_SIZE) return `corrupt BAM record: block_size ${blockSize} is outside [${FIXED_BYTES}, ${MAX_RECORD_BYTES}]`
  const lSeq = view.getInt32(p + L_SEQ_OFFSET, true) // the other problems are found with the fixed fields in hand
  const what = ((): string => {
    switch (problem) {
      case BAD_BLOCK_SIZE: return `block_size ${blockSize} is outside [${FIXED_BYTES}, ${MAX_RECORD_BYTES}]`
      case BAD_L_READ_NAME: return 'l_read_name is 0'
      case BAD_L_SEQ: return `l_seq ${lSeq} is negative`
      case BAD_SIZES: return `l_read_name ${bytes[p + L_READ_NAME_OFFSET]}, n_cigar_op ${view.getUint16(p + N_CIGAR_OP_OFFSET, true)} and l_seq ${lSeq} do not fit in block_size ${blockSize}`
      case BAD_REF_ID: return `refID ${view.getInt32(p + REF_ID_OFFSET, true)} is outside [-1, ${nRef})`
      case BAD_NEXT_REF_ID: return `next_refID ${view.getInt32(p + NEXT_REF_ID_OFFSET, true)} is outside [-1, ${nRef})`
      case BAD_AUX: return 'aux data is corrupt'
      case BAD_CIGAR_QLEN: {
        const at = p + READ_NAME_OFFSET + bytes[p + L_READ_NAME_OFFSET]!
        return `CIGAR and query sequence lengths differ (CIGAR ${cigarQueryLength(view, at, view.getUint16(p + N_CIGAR_OP_OFFSET, true))}, l_seq ${lSeq})`
      }
      default: return `unknown problem ${problem}`
    }
  })()
  return `corrupt BAM record: ${what}`
}
