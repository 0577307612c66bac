/**
 * A simple, test-only BAM reader: inflates the whole file at once (zlib's
 * gunzip reads every member of a multi-member gzip, so a small BGZF file
 * inflates in one call), parses the header (SAMv1 §4.2) and walks the records
 * by `block_size`. No streaming, no limits: for fixtures only.
 */
import fs from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { RecordView, latin1 } from '../../src/bam/record.js'

/** A whole BAM file, inflated and with its header parsed. */
export interface TestBam {
  /** Header text, Latin-1 decoded (one char per byte, so bytes round-trip), NUL padding included. */
  text: string
  /** Binary reference list in refID order; `length` is l_ref read as uint32. */
  refs: { name: string, length: number }[]
  /** The whole decompressed stream (header, then records). */
  data: Uint8Array
  /** Offset in `data` of the first record's block_size field. */
  firstRecord: number
}

const MAGIC = 'BAM\x01'

/**
 * Inflates and parses a BAM file.
 *
 * @example
 * ```ts
 * const bam = readBam('test/fixtures/htslib/htslib_test_ce_1.bam')
 * for (const rec of records(bam)) console.log(rec.name)
 * ```
 */
export function readBam(file: string): TestBam {
  const inflated = gunzipSync(fs.readFileSync(file))
  const data = new Uint8Array(inflated.buffer, inflated.byteOffset, inflated.byteLength)
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  if (latin1(data, 0, 4) !== MAGIC) throw new Error(`${file}: not a BAM file`)
  const lText = view.getInt32(4, true) // l_text
  const text = latin1(data, 8, 8 + lText)
  let p = 8 + lText
  const nRef = view.getInt32(p, true) // n_ref
  p += 4
  const refs: TestBam['refs'] = []
  for (let i = 0; i < nRef; i++) {
    const lName = view.getInt32(p, true) // l_name, NUL included
    refs.push({ name: latin1(data, p + 4, p + 4 + lName - 1), length: view.getUint32(p + 4 + lName, true) })
    p += 8 + lName
  }
  return { text, refs, data, firstRecord: p }
}

/**
 * Yields one RecordView moved to each record in turn (the same view each
 * time: do not keep it). Stops at the end of the data or at a record cut off by it.
 *
 * @example
 * ```ts
 * let n = 0
 * for (const _ of records(readBam(path))) n++
 * ```
 */
export function* records(bam: TestBam): Generator<RecordView> {
  const rec = new RecordView(bam.data)
  const view = rec.view
  for (let p = bam.firstRecord; p + 4 <= bam.data.length;) {
    const next = p + 4 + view.getInt32(p, true) // block_size excludes itself
    if (next > bam.data.length) return
    yield rec.moveTo(p)
    p = next
  }
}
