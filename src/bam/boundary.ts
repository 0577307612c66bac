/**
 * The record-boundary checker (DESIGN.md step 4): decides whether an offset in
 * the middle of a decompressed chunk is plausibly the start of a BAM record,
 * by checking that record and the next ones chained by `block_size` (the
 * approach of Hadoop-BAM's split guesser and spark-bam's checker). A guess
 * only buys parallelism: the stitcher verifies every guess exactly.
 */
import { BOUNDARY_CHAIN, MAX_RECORD_BYTES } from '../constants.js'
import {
  BLOCK_SIZE_BYTES, FIXED_BYTES, L_READ_NAME_OFFSET, L_SEQ_OFFSET, NEXT_REF_ID_OFFSET,
  N_CIGAR_OP_OFFSET, POS_OFFSET, READ_NAME_OFFSET, REF_ID_OFFSET,
} from './record.js'

/** Highest CIGAR op code, 'X' = 8, §4.2 */
const MAX_CIGAR_OP = 8
/** Printable QNAME characters are [!-~], SAMv1 §1.4.1 */
const NAME_MIN = 0x21
const NAME_MAX = 0x7e

/**
 * Returns the first offset in `[from, bytes.length)` where a plausible chain of
 * records starts, or -1 if there is none.
 *
 * @param nRef - number of references in the header (refIDs must be below it).
 * @example
 * ```ts
 * const start = findRecordStart(chunkData, header.references.length)
 * ```
 */
export function findRecordStart(bytes: Uint8Array, nRef: number, from = 0): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const limit = bytes.length - BLOCK_SIZE_BYTES - FIXED_BYTES
  for (let p = from; p <= limit; p++) {
    if (isChainAt(view, bytes, p, nRef)) return p
  }
  return -1
}

/** True if `BOUNDARY_CHAIN` records (or all up to the end of the data) starting at `p` are plausible. */
export function isChainAt(view: DataView, bytes: Uint8Array, p: number, nRef: number): boolean {
  let at = p
  for (let i = 0; i < BOUNDARY_CHAIN; i++) {
    if (at + BLOCK_SIZE_BYTES + FIXED_BYTES > bytes.length) return i > 0
    const size = plausibleRecordSize(view, bytes, at, nRef)
    if (size < 0) return false
    at += size
    if (at === bytes.length) return true
  }
  return true
}

/**
 * Checks the record at `p` (whose fixed part must be within `bytes`) and
 * returns its total length (block_size + 4), or -1 if it is implausible.
 * Fields past the end of `bytes` are not checked.
 */
export function plausibleRecordSize(view: DataView, bytes: Uint8Array, p: number, nRef: number): number {
  const blockSize = view.getInt32(p, true)
  if (blockSize < FIXED_BYTES || blockSize > MAX_RECORD_BYTES) return -1
  if (!validRef(view.getInt32(p + REF_ID_OFFSET, true), nRef)) return -1
  if (!validRef(view.getInt32(p + NEXT_REF_ID_OFFSET, true), nRef)) return -1
  if (view.getInt32(p + POS_OFFSET, true) < -1) return -1 // next_pos is not checked: samtools reads any (htslib test/mpileup/small.bam has -129696966)
  const lName = bytes[p + L_READ_NAME_OFFSET]!
  const nCigar = view.getUint16(p + N_CIGAR_OP_OFFSET, true)
  const lSeq = view.getInt32(p + L_SEQ_OFFSET, true)
  if (lName < 1 || lSeq < 0) return -1
  const needed = FIXED_BYTES + lName + 4 * nCigar + ((lSeq + 1) >> 1) + lSeq
  if (needed > blockSize) return -1
  if (!plausibleName(bytes, p + READ_NAME_OFFSET, lName)) return -1
  if (!plausibleCigar(view, p + READ_NAME_OFFSET + lName, nCigar)) return -1
  return blockSize + BLOCK_SIZE_BYTES
}

function validRef(refID: number, nRef: number): boolean {
  return refID >= -1 && refID < nRef
}

function plausibleName(bytes: Uint8Array, at: number, lName: number): boolean {
  const end = Math.min(at + lName, bytes.length)
  for (let i = at; i < end; i++) {
    const c = bytes[i]!
    if (i === at + lName - 1) return c === 0
    if (c < NAME_MIN || c > NAME_MAX) return false
  }
  return true
}

function plausibleCigar(view: DataView, at: number, n: number): boolean {
  const end = Math.min(at + 4 * n, view.byteLength - 3)
  for (let q = at; q < end; q += 4) {
    if ((view.getUint32(q, true) & 0xf) > MAX_CIGAR_OP) return false
  }
  return true
}
