/**
 * Walking records chained by `block_size` through decompressed bytes.
 */
import { MAX_RECORD_BYTES } from '../constants.js'
import {
  BLOCK_SIZE_BYTES, FIXED_BYTES, L_READ_NAME_OFFSET, L_SEQ_OFFSET, N_CIGAR_OP_OFFSET, RecordView,
} from './record.js'

/** Where a walk stopped. */
export interface WalkEnd {
  /** Offset just past the last complete record (start of the cut-off tail). */
  end: number
  /** Complete records visited. */
  records: number
  /** Offset of a record whose sizes are inconsistent, or -1 if none was met. */
  invalidAt: number
}

/**
 * Visits every complete record from `from`, stopping at the first record cut
 * off by the end of `rec.bytes` or at the first inconsistent one. The same view
 * is moved from record to record: `visit` must not keep it.
 *
 * @example
 * ```ts
 * const rec = new RecordView(data)
 * let n = 0
 * const { end } = walkRecords(rec, 0, () => { n++ })
 * ```
 */
export function walkRecords(rec: RecordView, from: number, visit: (rec: RecordView) => void): WalkEnd {
  const bytes = rec.bytes
  const view = rec.view
  const length = bytes.length
  let p = from
  let records = 0
  while (p + BLOCK_SIZE_BYTES <= length) {
    const blockSize = view.getInt32(p, true)
    if (!consistentSizes(view, bytes, p, blockSize)) return { end: p, records, invalidAt: p }
    const next = p + BLOCK_SIZE_BYTES + blockSize
    if (next > length) break
    visit(rec.moveTo(p))
    records++
    p = next
  }
  return { end: p, records, invalidAt: -1 }
}

/**
 * True if `block_size` is in range and, when the fixed part is present, the
 * variable-length fields fit inside the record.
 */
function consistentSizes(view: DataView, bytes: Uint8Array, p: number, blockSize: number): boolean {
  if (blockSize < FIXED_BYTES || blockSize > MAX_RECORD_BYTES) return false
  if (p + BLOCK_SIZE_BYTES + FIXED_BYTES > bytes.length) return true
  const lName = bytes[p + L_READ_NAME_OFFSET]!
  const nCigar = view.getUint16(p + N_CIGAR_OP_OFFSET, true)
  const lSeq = view.getInt32(p + L_SEQ_OFFSET, true)
  if (lName < 1 || lSeq < 0) return false
  return FIXED_BYTES + lName + 4 * nCigar + ((lSeq + 1) >> 1) + lSeq <= blockSize
}
