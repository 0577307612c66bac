/**
 * Region queries through a .bai index: only the file chunks the index names
 * for a set of regions are read, through `source.ts` like every other read, on
 * the main thread (a region is usually a small part of the file; no worker
 * pool is started or used). The chunks of all the regions are merged first, so
 * records come in file order and each once, as `samtools view -M` gives them.
 */
import fs from 'node:fs'
import { parseBai, queryChunks, unplacedStart, type BaiIndex, type VirtualChunk } from '../bam/bai.js'
import type { BamHeader } from '../bam/header.js'
import { RecordView } from '../bam/record.js'
import { setIntervals, type RegionSet } from '../bam/region-set.js'
import { walkRecords } from '../bam/walk.js'
import { scanBlocks } from '../bgzf/scanner.js'
import { concatBytes } from '../bytes.js'
import { inflateBlock } from '../bgzf/inflate.js'
import { BamError } from '../errors.js'
import { inconsistentRecord, opDriver } from '../ops/lifecycle.js'
import type { OpContext } from '../ops/op.js'
import { loadOp, opReference } from '../ops/registry.js'
import { openBam, type OpenBam } from './reader.js'
import type { Progress, RunOptions } from './run.js'
import { openSource } from './source.js'

/** Bits of a virtual offset's uoffset part (the offset inside the inflated block), SAMv1 §4.1.1 */
const UOFFSET_BITS = 16
const UOFFSET_SPAN = 2 ** UOFFSET_BITS
/** Largest BGZF block, §4.1: a chunk's last block reaches at most this far past its end offset. */
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
 * A file chunk to read: virtual offsets [beg, end), and the furthest
 * (refID, end) of the intervals that named it: records past it end the chunk
 * early. `limitRefID` Infinity: read to the chunk's end (the `*` chunk).
 */
interface ReadChunk extends VirtualChunk {
  limitRefID: number
  limitEnd: number
}

/**
 * The merged, sorted chunks that may hold records of the set, as htslib's
 * iterators choose them, plus from the end of the last placed record to EOF
 * for `*`.
 *
 * @example
 * ```ts
 * const chunks = setChunks(parseBai(bytes), resolveRegions(['chr1', '*'], refs), firstRecord)
 * ```
 */
export function setChunks(index: BaiIndex, set: RegionSet, firstRecord: number): ReadChunk[] {
  const found: ReadChunk[] = []
  for (const [refID, beg, end] of setIntervals(set)) {
    for (const c of queryChunks(index, { refID, beg, end })) found.push({ ...c, limitRefID: refID, limitEnd: end })
  }
  if (set.unplaced) found.push({ beg: Math.max(unplacedStart(index), firstRecord), end: Infinity, limitRefID: Infinity, limitEnd: Infinity })
  found.sort((a, b) => a.beg - b.beg)
  const merged: ReadChunk[] = []
  for (const c of found) {
    const last = merged[merged.length - 1]
    if (last && c.beg <= last.end) {
      last.end = Math.max(last.end, c.end)
      if (c.limitRefID > last.limitRefID || (c.limitRefID === last.limitRefID && c.limitEnd > last.limitEnd)) {
        last.limitRefID = c.limitRefID
        last.limitEnd = c.limitEnd
      }
    } else {
      merged.push({ ...c })
    }
  }
  return merged
}

/** Every record, first to last: for a selection no index can narrow (e.g. `.`). */
const wholeFile = (firstRecord: number): ReadChunk => ({ beg: firstRecord, end: Infinity, limitRefID: Infinity, limitEnd: Infinity })

/** Where each inflated block starts within the pending bytes (u may be negative once consumed). */
interface BlockStart {
  u: number
  coffset: number
}

/** What one indexed read is doing, shared by its chunks. */
interface Reading {
  file: string
  /** References in the header (the record validator's refID bound). */
  nRef: number
  visit: (rec: RecordView, offset: number) => void
  afterBlock: (bytes: number) => Promise<void>
  signal?: AbortSignal
}

async function visitChunk(r: Reading, chunk: ReadChunk): Promise<void> {
  const cbeg = Math.floor(chunk.beg / UOFFSET_SPAN)
  const opened = await openSource(r.file, r.signal, undefined, cbeg)
  let pending: Uint8Array = new Uint8Array(0)
  let starts: BlockStart[] = []
  let pos = chunk.beg % UOFFSET_SPAN
  try {
    for await (const block of scanBlocks(opened.stream)) {
      r.signal?.throwIfAborted()
      const out = new Uint8Array(block.isize)
      inflateBlock(block.bytes, out, 0, cbeg + block.coffset)
      starts.push({ u: pending.length, coffset: cbeg + block.coffset })
      pending = concatBytes(pending, out)
      const walked = walkBlock(pending, pos, starts, chunk, r.visit, r.nRef)
      await r.afterBlock(block.csize)
      if (walked.done) break
      pending = pending.subarray(walked.end)
      starts = starts.map((b) => ({ u: b.u - walked.end, coffset: b.coffset })).filter((b, k, all) => b.u > 0 || all[k + 1] === undefined || all[k + 1]!.u > 0)
      pos = 0
    }
  } finally {
    opened.close()
  }
}

function voffsetOf(starts: BlockStart[], k: number): number {
  let i = starts.length - 1
  while (i > 0 && starts[i]!.u > k) i--
  return starts[i]!.coffset * UOFFSET_SPAN + (k - starts[i]!.u)
}

/** Visits the complete records from `pos`; `done` once past the chunk or past every interval that named it. */
function walkBlock(bytes: Uint8Array, pos: number, starts: BlockStart[], chunk: ReadChunk, visit: (rec: RecordView, offset: number) => void, nRef: number): { end: number; done: boolean } {
  let done = false
  const walked = walkRecords(new RecordView(bytes), pos, (rec) => {
    if (done) return
    const refID = rec.refID < 0 ? Infinity : rec.refID // unplaced records sort last
    if (voffsetOf(starts, rec.offset) >= chunk.end || refID > chunk.limitRefID || (refID === chunk.limitRefID && rec.pos >= chunk.limitEnd)) {
      done = true
      return
    }
    visit(rec, Math.floor(voffsetOf(starts, rec.offset) / UOFFSET_SPAN))
  }, nRef)
  if (walked.invalidAt >= 0) throw inconsistentRecord(bytes, walked, Math.floor(voffsetOf(starts, walked.invalidAt) / UOFFSET_SPAN), nRef)
  return { end: walked.end, done }
}

/** Options of {@link runIndexed}: those of `run` (the pool and thread options have nothing to do here). */
export type IndexedRunOptions = Pick<RunOptions, 'onOutput' | 'onHeader' | 'onProgress' | 'signal'>

/** Virtual offset of the first record (just past the header). */
function firstRecordOffset(bam: OpenBam): number {
  return bam.first ? bam.first.block.coffset * UOFFSET_SPAN + bam.first.start : bam.recordsCoffset * UOFFSET_SPAN
}

/**
 * Runs an op over the records of a region set through the index: `select`
 * picks, from the op's resolved options, the set whose chunks are read (the
 * op's own filter then decides each record; undefined reads every record). Honours `signal` (checked at
 * every block), `onProgress` (compressed bytes of the chunks read so far, of
 * their total) and `onOutput`/`onHeader` as `run` does.
 *
 * @example
 * ```ts
 * const n = await runIndexed<number>('x.bam', 'x.bam.bai', 'count', recordFilter({ regions: ['chr1:1-100'] }), (o) => o.regions)
 * ```
 */
export async function runIndexed<R, O extends object = object>(file: string, indexFile: string, opName: string, opOptions: (h: BamHeader) => O, select: (o: O) => RegionSet | undefined, options: IndexedRunOptions = {}): Promise<R> {
  const started = Date.now()
  const op = await loadOp(opReference(opName))
  const bam = await openBam(file, options.signal)
  bam.source.close()
  try {
    options.onHeader?.(bam)
    const resolved = opOptions(bam.header)
    const index = await readIndex(indexFile, bam.header)
    const set = select(resolved)
    const chunks = set ? setChunks(index, set, firstRecordOffset(bam)) : [wholeFile(firstRecordOffset(bam))]
    const ctx: OpContext = { references: bam.header.references, headerText: bam.header.text, options: resolved as Record<string, unknown> }
    const drive = opDriver<unknown, R>(op, ctx)
    let acc = drive.fresh()
    let working = drive.fresh()
    let records = 0
    const progress = chunkBytes(chunks, bam.source.size)
    const afterBlock = async (bytes: number): Promise<void> => {
      acc = drive.merge(acc, drive.sealed(working))
      working = drive.fresh()
      if (drive.ordered && options.onOutput) await options.onOutput(drive.drain(acc))
      progress.bytes += bytes
      options.onProgress?.(report(progress, records, started))
    }
    const visit = (rec: RecordView, offset: number): void => {
      records++
      drive.record(working, rec, offset)
    }
    for (const chunk of chunks) await visitChunk({ file, nRef: bam.header.references.length, visit, afterBlock, signal: options.signal }, chunk)
    await afterBlock(0)
    options.onProgress?.({ ...report(progress, records, started), bytes: progress.totalBytes, done: true })
    return drive.finish(acc)
  } catch (e) {
    throw e instanceof BamError ? e.withSource(file) : e
  }
}

/** Compressed bytes the chunks span (each chunk's last block counted whole), and how many were read. */
function chunkBytes(chunks: readonly ReadChunk[], fileSize: number | undefined): { bytes: number; totalBytes: number } {
  let totalBytes = 0
  for (const c of chunks) {
    const end = Number.isFinite(c.end) ? Math.floor(c.end / UOFFSET_SPAN) + MAX_BLOCK : fileSize ?? 0
    totalBytes += Math.max(0, Math.min(end, fileSize ?? end) - Math.floor(c.beg / UOFFSET_SPAN))
  }
  return { bytes: 0, totalBytes }
}

function report(p: { bytes: number; totalBytes: number }, records: number, started: number): Progress {
  return { bytes: Math.min(p.bytes, p.totalBytes), totalBytes: p.totalBytes, records, elapsedMs: Date.now() - started }
}

async function readIndex(indexFile: string, header: BamHeader): Promise<BaiIndex> {
  let bytes: Uint8Array
  try {
    bytes = await fs.promises.readFile(indexFile)
  } catch (e) {
    throw new BamError('ERR_SOURCE', `cannot read the index: ${(e as Error).message}`, -1, indexFile)
  }
  let index: BaiIndex
  try {
    index = parseBai(bytes)
  } catch (e) {
    throw e instanceof BamError ? new BamError(e.code, e.message, e.offset, indexFile) : e // offsets are in the .bai
  }
  if (index.refs.length !== header.references.length) {
    throw new BamError('ERR_NOT_BAM', `the index has ${index.refs.length} references, the BAM ${header.references.length}`, -1, indexFile)
  }
  return index
}
