/**
 * Walking records chained by `block_size` through decompressed bytes, each
 * checked by the shared validator (`validate.ts`, htslib's `bam_read1` rules).
 */
import { BLOCK_SIZE_BYTES, FIXED_BYTES, RecordView } from './record.js'
import { MAX_RECORD_BYTES } from '../constants.js'
import { BAD_BLOCK_SIZE, RECORD_OK, checkFixedFields, checkRecord } from './validate.js'

/** Where a walk stopped. */
export interface WalkEnd {
  /** Offset just past the last complete record (start of the cut-off tail). */
  end: number
  /** Complete records visited. */
  records: number
  /** Offset of a record that fails validation, or -1 if none was met. */
  invalidAt: number
  /** Why the record at `invalidAt` is invalid: a `BAD_*` code of `validate.ts`, or `RECORD_OK`. */
  problem: number
}

/**
 * Visits every complete, valid record from `from`, stopping at the first
 * record cut off by the end of `rec.bytes` (whose fixed fields, when present,
 * are checked at once) or at the first invalid one. The same view is moved
 * from record to record: `visit` must not keep it.
 *
 * @param nRef - number of reference sequences in the header (refIDs are checked against it).
 * @example
 * ```ts
 * const rec = new RecordView(data)
 * let n = 0
 * const { end } = walkRecords(rec, 0, () => { n++ }, header.references.length)
 * ```
 */
export function walkRecords(rec: RecordView, from: number, visit: (rec: RecordView) => void, nRef: number): WalkEnd {
  const bytes = rec.bytes
  const view = rec.view
  const length = bytes.length
  let p = from
  let records = 0
  while (p + BLOCK_SIZE_BYTES <= length) {
    const blockSize = view.getInt32(p, true)
    const next = p + BLOCK_SIZE_BYTES + blockSize
    if (next > length || blockSize < FIXED_BYTES) {
      const problem = blockSize < FIXED_BYTES || blockSize > MAX_RECORD_BYTES ? BAD_BLOCK_SIZE
        : p + BLOCK_SIZE_BYTES + FIXED_BYTES <= length ? checkFixedFields(view, bytes, p, nRef) : RECORD_OK
      if (problem !== RECORD_OK) return { end: p, records, invalidAt: p, problem }
      break
    }
    const problem = checkRecord(view, bytes, p, nRef)
    if (problem !== RECORD_OK) return { end: p, records, invalidAt: p, problem }
    visit(rec.moveTo(p))
    records++
    p = next
  }
  return { end: p, records, invalidAt: -1, problem: RECORD_OK }
}
