/**
 * Region queries through a .bai index: only the file chunks the index names are
 * read (on the main thread: a region is usually a small part of the file).
 */
import fs from 'node:fs'
import { parseBai, queryChunks, type VirtualChunk } from '../bam/bai.js'
import type { BamHeader } from '../bam/header.js'
import { RecordView } from '../bam/record.js'
import { overlaps, type Region } from '../bam/region.js'
import { walkRecords } from '../bam/walk.js'
import { scanBlocks } from '../bgzf/scanner.js'
import { concatBytes } from '../bytes.js'
import { inflateBlock } from '../bgzf/inflate.js'
import { BamError } from '../errors.js'
import { inconsistentRecord, opDriver } from '../ops/lifecycle.js'
import type { OpContext } from '../ops/op.js'
import { loadOp, opReference } from '../ops/registry.js'
import { openBam } from './reader.js'

/** Bits of a virtual offset's uoffset part (the offset inside the inflated block), SAMv1 §4.1.1 */
const UOFFSET_BITS = 16
const UOFFSET_SPAN = 2 ** UOFFSET_BITS
/** Largest BGZF block, §4.1 */
const MAX_BLOCK = 65536

/**
 * The index beside a BAM path (`x.bam.bai` or `x.bai`), or undefined when
 * there is none or the source is not a local file.
 *
 * @example
 * ```ts
 * findIndex('sample.bam') // 'sample.bam.bai' if it exists
 * ```
 */
export function findIndex(source: unknown): string | undefined {
  if (typeof source !== 'string' || source === '-' || /^https?:\/\//i.test(source)) return undefined
  for (const candidate of [`${source}.bai`, source.replace(/\.bam$/i, '.bai')]) {
    if (candidate !== source && fs.existsSync(candidate)) return candidate
  }
  return undefined
}

/**
 * Visits, in file order, every record of `region` (overlap decided as htslib's
 * iterator does), reading only the chunks the index names.
 *
 * @returns bytes read from the BAM, for tests and progress.
 */
export async function visitRegion(file: string, indexFile: string, header: BamHeader, region: Region, visit: (rec: RecordView, offset: number) => void, afterBlock?: () => Promise<void>): Promise<number> {
  const index = await readIndex(indexFile)
  if (index.refs.length !== header.references.length) {
    throw new BamError('ERR_NOT_BAM', `index ${indexFile} has ${index.refs.length} references, the BAM ${header.references.length}`, -1, file)
  }
  let bytesRead = 0
  for (const chunk of queryChunks(index, region)) bytesRead += await visitChunk(file, chunk, region, visit, header.references.length, afterBlock)
  return bytesRead
}

/** Reads and parses a .bai; its errors name the .bai (offsets are in it), not the BAM. */
async function readIndex(indexFile: string): Promise<ReturnType<typeof parseBai>> {
  try {
    return parseBai(await fs.promises.readFile(indexFile))
  } catch (e) {
    if (e instanceof BamError) throw new BamError(e.code, e.message, e.offset, indexFile)
    throw new BamError('ERR_SOURCE', `cannot read the index: ${(e as Error).message}`, -1, indexFile)
  }
}

/** Where each inflated block starts within the pending bytes (u may be negative once consumed). */
interface BlockStart {
  u: number
  coffset: number
}

async function visitChunk(file: string, chunk: VirtualChunk, region: Region, visit: (rec: RecordView, offset: number) => void, nRef: number, afterBlock?: () => Promise<void>): Promise<number> {
  const cbeg = Math.floor(chunk.beg / UOFFSET_SPAN)
  const stream = fs.createReadStream(file, { start: cbeg, highWaterMark: 4 * MAX_BLOCK })
  let pending: Uint8Array = new Uint8Array(0)
  let starts: BlockStart[] = []
  let pos = chunk.beg % UOFFSET_SPAN
  let bytesRead = 0
  try {
    for await (const block of scanBlocks(stream)) {
      bytesRead += block.csize
      const out = new Uint8Array(block.isize)
      inflateBlock(block.bytes, out, 0, cbeg + block.coffset)
      starts.push({ u: pending.length, coffset: cbeg + block.coffset })
      pending = concatBytes(pending, out)
      const walked = walkBlock(pending, pos, starts, chunk, region, visit, nRef)
      await afterBlock?.()
      if (walked.done) break
      pending = pending.subarray(walked.end)
      starts = starts.map((b) => ({ u: b.u - walked.end, coffset: b.coffset })).filter((b, k, all) => b.u > 0 || all[k + 1] === undefined || all[k + 1]!.u > 0)
      pos = 0
    }
  } finally {
    stream.destroy()
  }
  return bytesRead
}

function voffsetOf(starts: BlockStart[], k: number): number {
  let i = starts.length - 1
  while (i > 0 && starts[i]!.u > k) i--
  return starts[i]!.coffset * UOFFSET_SPAN + (k - starts[i]!.u)
}

/** Visits the complete records from `pos`; `done` once past the chunk or the region. */
function walkBlock(bytes: Uint8Array, pos: number, starts: BlockStart[], chunk: VirtualChunk, region: Region, visit: (rec: RecordView, offset: number) => void, nRef: number): { end: number; done: boolean } {
  let done = false
  const walked = walkRecords(new RecordView(bytes), pos, (r) => {
    if (done) return
    if (voffsetOf(starts, r.offset) >= chunk.end || r.refID > region.refID || (r.refID === region.refID && r.pos >= region.end)) {
      done = true
      return
    }
    if (overlaps(r, region)) visit(r, Math.floor(voffsetOf(starts, r.offset) / UOFFSET_SPAN))
  }, nRef)
  if (walked.invalidAt >= 0) throw inconsistentRecord(bytes, walked, Math.floor(voffsetOf(starts, walked.invalidAt) / UOFFSET_SPAN), nRef)
  return { end: walked.end, done }
}

/** Options of {@link runRegion}. */
export interface RegionRunOptions {
  /** Ordered output of the op, as in `run`. */
  onOutput?: (bytes: Uint8Array[]) => void | Promise<void>
  /** Called once the header is read. */
  onHeader?: (header: BamHeader) => void
}

/**
 * Runs an op over the records of one region through the index (the op's
 * options must carry the region, resolved from the header by `opOptions`).
 *
 * @example
 * ```ts
 * const n = await runRegion('x.bam', 'x.bam.bai', 'view', (h) => ({ region: parseRegion('chr1:1-100', h.references) }))
 * ```
 */
export async function runRegion<R>(file: string, indexFile: string, opName: string, opOptions: (h: BamHeader) => { region?: Region }, options: RegionRunOptions = {}): Promise<R> {
  const op = await loadOp(opReference(opName))
  const bam = await openBam(file)
  bam.source.close()
  options.onHeader?.(bam.header)
  const resolved = opOptions(bam.header)
  const ctx: OpContext = { references: bam.header.references, headerText: bam.header.text, options: resolved as Record<string, unknown> }
  const drive = opDriver<unknown, R>(op, ctx)
  let acc = drive.fresh()
  let working = drive.fresh()
  const flush = async (): Promise<void> => {
    acc = drive.merge(acc, drive.sealed(working))
    working = drive.fresh()
    if (drive.ordered && options.onOutput) await options.onOutput(drive.drain(acc))
  }
  try {
    if (resolved.region) await visitRegion(file, indexFile, bam.header, resolved.region, (r, offset) => drive.record(working, r, offset), flush)
    await flush()
    return drive.finish(acc)
  } catch (e) {
    throw e instanceof BamError ? e.withSource(file) : e
  }
}
