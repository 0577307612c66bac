/**
 * Cost of the shared record validator (`src/bam/validate.ts`) in the hot loop:
 * the record walk over inflated chunks with the validator, against the same
 * walk checking only that the sizes fit `block_size` (what the walk checked
 * before issue 9). Same process, alternating rounds, CPU time; the minimum of
 * the rounds is reported (the machine may be shared).
 *
 * @example
 * ```sh
 * npx tsc && node dist/bench/validate.bench.js bench/data/base-200M-seed1.bam
 * ```
 */
import { pathToFileURL } from 'node:url'
import { BLOCK_SIZE_BYTES, FIXED_BYTES, L_READ_NAME_OFFSET, L_SEQ_OFFSET, N_CIGAR_OP_OFFSET, RecordView } from '../src/bam/record.js'
import { walkRecords } from '../src/bam/walk.js'
import { MAX_RECORD_BYTES } from '../src/constants.js'
import { loadFixture } from './fixture.js'

/** The walk as it was before the validator: sizes only. */
function walkSizesOnly(rec: RecordView, from: number, visit: (rec: RecordView) => void): number {
  const { bytes, view } = rec
  let p = from
  let records = 0
  while (p + BLOCK_SIZE_BYTES <= bytes.length) {
    const blockSize = view.getInt32(p, true)
    if (blockSize < FIXED_BYTES || blockSize > MAX_RECORD_BYTES) break
    if (p + BLOCK_SIZE_BYTES + FIXED_BYTES <= bytes.length) {
      const lName = bytes[p + L_READ_NAME_OFFSET]!
      const lSeq = view.getInt32(p + L_SEQ_OFFSET, true)
      if (lName < 1 || lSeq < 0 || FIXED_BYTES + lName + 4 * view.getUint16(p + N_CIGAR_OP_OFFSET, true) + ((lSeq + 1) >> 1) + lSeq > blockSize) break
    }
    const next = p + BLOCK_SIZE_BYTES + blockSize
    if (next > bytes.length) break
    visit(rec.moveTo(p))
    records++
    p = next
  }
  return records
}

/** Passes over the chunks per measurement. */
const PASSES = 20

/** CPU milliseconds of `f`. */
function cpuMs(f: () => void): number {
  const t = process.cpuUsage()
  f()
  const d = process.cpuUsage(t)
  return (d.user + d.system) / 1000
}

/** Runs the comparison and returns the two minima (ms per pass over the chunks) and the records per pass. */
export async function validateSuite(file: string, rounds = 15): Promise<{ sizesOnly: number; validated: number; records: number; bytes: number }> {
  const fx = await loadFixture(file, 16 << 20, 1 << 20)
  const nRef = fx.ctx.references.length
  let flags = 0
  const visit = (r: RecordView): void => { flags += r.flag & 4 } // a count-like visitor
  const views = fx.inflated.map((d) => new RecordView(d))
  const starts = fx.chunks.map((c, i) => (i === 0 ? c.start : -1))
  // chunks after the first start at a record only by chance: walk each from its first record as the workers would
  const { findRecordStart } = await import('../src/bam/boundary.js')
  for (let i = 1; i < views.length; i++) starts[i] = findRecordStart(fx.inflated[i]!, nRef)
  let records = 0
  let bytes = 0
  const passA = (): void => { records = 0; for (let i = 0; i < views.length; i++) records += walkSizesOnly(views[i]!, starts[i]!, visit) }
  const passB = (): void => { for (let i = 0; i < views.length; i++) walkRecords(views[i]!, starts[i]!, visit, nRef) }
  for (const d of fx.inflated) bytes += d.length
  let a = Infinity
  let b = Infinity
  for (let r = 0; r < rounds; r++) {
    a = Math.min(a, cpuMs(() => { for (let k = 0; k < PASSES; k++) passA() }) / PASSES)
    b = Math.min(b, cpuMs(() => { for (let k = 0; k < PASSES; k++) passB() }) / PASSES)
  }
  if (flags === -1) process.stdout.write('')
  return { sizesOnly: a, validated: b, records, bytes }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2] ?? 'test/fixtures/htslib/htslib_test_ce_1000.bam'
  const r = await validateSuite(file)
  process.stdout.write(`${r.records} records, ${(r.bytes / 2 ** 20).toFixed(0)} MiB inflated: walk checking sizes only ${r.sizesOnly.toFixed(1)} ms, ` +
    `with the validator ${r.validated.toFixed(1)} ms (+${((r.validated / r.sizesOnly - 1) * 100).toFixed(1)}%), min of rounds, CPU time\n`)
}
