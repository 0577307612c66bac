/**
 * The @gmod/bam peer: a whole-file, single-threaded pass over a BAM with
 * @gmod/bam's own machinery, printing flagstat-style totals (or a count).
 *
 * @gmod/bam reads by index region and has no whole-file streaming call, so
 * this does what its `_readChunk` + `readBamFeatures` do, over the whole file:
 * it streams the file in slices of whole BGZF blocks, inflates each slice with
 * `unzip` from @gmod/bgzf-filehandle (the decompressor @gmod/bam uses), and
 * builds one `BamRecord` per record (its lazy record class), reading `flags`,
 * `mq`, `ref_id` and `next_refid` from each. Records that straddle slices are
 * carried over.
 *
 * `--regions` instead uses the library's own public API, the way a JBrowse-like
 * client would read everything: `getRecordsForRange(ref, 0, length)` for every
 * reference, through the .bai index. It needs `FILE.bai`, and it cannot see the
 * unplaced unmapped reads at the end (they are in no region), so its totals are
 * lower than samtools'.
 *
 * @example
 * ```sh
 * node dist/bench/gmod-stream.js bench/data/200m.bam                    # flagstat text, like samtools
 * node dist/bench/gmod-stream.js --count bench/data/200m.bam            # like samtools view -c
 * node dist/bench/gmod-stream.js --regions --count bench/data/200m.bam  # via the region API (needs .bai)
 * ```
 */
import fs from 'node:fs'
import { pathToFileURL } from 'node:url'
import { tally, flagstatOp, formatFlagstat } from '../src/ops/flagstat.js'

/** Compressed bytes per slice handed to `unzip` (whole blocks only). */
const SLICE_BYTES = 1 << 20

interface GmodRecord { flags: number; mq: number | undefined; ref_id: number; next_refid: number }
type RecordCtor = new (args: { bytes: { byteArray: Uint8Array; start: number; end: number }; fileOffset: number }) => GmodRecord

/** Yields slices of whole BGZF blocks (BSIZE at byte 16 of each block, SAMv1 §4.1). */
async function* blockSlices(path: string): AsyncGenerator<Uint8Array> {
  const fh = await fs.promises.open(path)
  try {
    let pending = new Uint8Array(0)
    for (;;) {
      const buf = new Uint8Array(SLICE_BYTES)
      const { bytesRead } = await fh.read(buf, 0, buf.length, null)
      if (bytesRead === 0) break
      const joined = new Uint8Array(pending.length + bytesRead)
      joined.set(pending)
      joined.set(buf.subarray(0, bytesRead), pending.length)
      let end = 0
      while (end + 18 <= joined.length) {
        const size = (joined[end + 16]! | (joined[end + 17]! << 8)) + 1
        if (end + size > joined.length) break
        end += size
      }
      if (end > 0) yield joined.subarray(0, end)
      pending = joined.slice(end)
    }
  } finally {
    await fh.close()
  }
}

/** Byte length of the BAM header (magic, l_text, text, n_ref, references), SAMv1 §4.2. */
function headerLength(data: Uint8Array): number {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  let p = 8 + view.getInt32(4, true)
  const nRef = view.getInt32(p, true)
  p += 4
  for (let i = 0; i < nRef; i++) p += 8 + view.getInt32(p, true)
  return p
}

/**
 * Runs the pass; returns the flagstat partial (Float64Array counters) and the record count.
 *
 * @example
 * ```ts
 * const { records } = await gmodStream('test/fixtures/htslib/htslib_test_ce_1000.bam')
 * ```
 */
export async function gmodStream(path: string): Promise<{ counters: Float64Array; records: number }> {
  const { BamRecord } = (await import('@gmod/bam')) as unknown as { BamRecord: RecordCtor }
  const { unzip } = (await import('@gmod/bgzf-filehandle')) as unknown as { unzip(b: Uint8Array): Promise<Uint8Array> }
  const counters = flagstatOp.init({ references: [], headerText: '', options: {} })
  let carry: Uint8Array = new Uint8Array(0)
  let skip = -1
  let records = 0
  for await (const slice of blockSlices(path)) {
    const inflated = await unzip(slice)
    const data = new Uint8Array(carry.length + inflated.length)
    data.set(carry)
    data.set(inflated, carry.length)
    if (skip < 0) skip = headerLength(data) // the header is in the first slice of any real BAM
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
    let p = skip
    skip = 0
    while (p + 4 <= data.length) {
      const end = p + 4 + view.getInt32(p, true)
      if (end > data.length) break
      const rec = new BamRecord({ bytes: { byteArray: data, start: p, end: end - 1 }, fileOffset: p })
      tally(counters, rec.flags, rec.mq ?? 255, rec.ref_id, rec.next_refid)
      records++
      p = end
    }
    carry = data.slice(p)
  }
  return { counters, records }
}

interface GmodBamFile {
  getHeader(): Promise<unknown>
  indexToChr?: { refName: string; length: number }[]
  getRecordsForRange(ref: string, min: number, max: number): Promise<GmodRecord[]>
}

/**
 * The region-API pass: every record placed on a reference, read through the .bai.
 *
 * @example
 * ```ts
 * const { records } = await gmodRegions('bench/data/200m.bam') // needs bench/data/200m.bam.bai
 * ```
 */
export async function gmodRegions(path: string): Promise<{ counters: Float64Array; records: number }> {
  const { BamFile } = (await import('@gmod/bam')) as unknown as { BamFile: new (o: { bamPath: string }) => GmodBamFile }
  const bam = new BamFile({ bamPath: path })
  await bam.getHeader()
  const counters = flagstatOp.init({ references: [], headerText: '', options: {} })
  let records = 0
  for (const { refName, length } of bam.indexToChr ?? []) {
    for (const rec of await bam.getRecordsForRange(refName, 0, length)) {
      tally(counters, rec.flags, rec.mq ?? 255, rec.ref_id, rec.next_refid)
      records++
    }
  }
  return { counters, records }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const countOnly = args.includes('--count')
  const path = args.find((a) => !a.startsWith('--'))
  if (!path) throw new Error('usage: node dist/bench/gmod-stream.js [--count] [--regions] FILE.bam')
  const { counters, records } = args.includes('--regions') ? await gmodRegions(path) : await gmodStream(path)
  process.stdout.write(countOnly ? `${records}\n` : formatFlagstat(flagstatOp.finish(counters, { references: [], headerText: '', options: {} })))
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e)
    process.exitCode = 1
  })
}
