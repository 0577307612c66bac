/**
 * The split task (DESIGN.md "Across machines"): on a worker machine, find the
 * first BGZF block at or after the split's start, guess where its first
 * record begins, and run every block that starts before the split's end
 * through the local chunk engine on this machine's pool. What comes back is
 * what the stitcher needs to verify the guess: head, tail, the sealed partial.
 */
import fs from 'node:fs'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import type { Piscina } from 'piscina'
import { findRecordStart } from '../bam/boundary.js'
import type { BamHeader } from '../bam/header.js'
import { BLOCK_SIZE_BYTES } from '../bam/record.js'
import { inflateBlock, inflateBlockIgnoringIsize } from '../bgzf/inflate.js'
import { scanBlocks, type Block } from '../bgzf/scanner.js'
import { BamError } from '../errors.js'
import { joinBytes } from '../bytes.js'
import type { AnyOp, OpContext } from '../ops/op.js'
import { opDriver } from '../ops/lifecycle.js'
import { loadOp } from '../ops/registry.js'
import '../ops/builtins.js'
import { openBam, type OpenBam } from '../engine/reader.js'
import { runBlocks } from '../engine/run.js'
import type { GuessHook } from '../engine/task.js'
import { decodeValue, encodeValue } from './codec.js'
import { openRange, rangeStream, type RangeSource } from './range.js'
import { syncToBlock } from './block-sync.js'
import type { Split } from './split.js'

/** Everything a worker needs to run one split: plain JSON, the job's data. */
export interface SplitJob {
  /** The run this split belongs to. */
  runId: string
  /** A path every worker can read, or an http(s) URL. */
  source: string
  /** Op reference (a built-in name or a `file:` URL). */
  op: string
  /** The op's options, resolved against the header (JSON, see codec.ts). */
  options: unknown
  split: Split
  /** Uncompressed bytes per chunk on the worker's pool. */
  chunkBytes: number
  /** Ordered-output ops: the folder (reachable by every worker and the merge) for part files. */
  partsDir?: string
  /** Test hook: wrong guesses on purpose, at split level and in the split's chunks. */
  guessHook?: GuessHook
  /** Redo only: the exact offset of the first record in the split's data (where the record carried into it ends). */
  start?: number
  /** Redo only (then set, maybe empty): base64 of the bytes of the record cut off at the end of the previous split. */
  carry?: string
}

/** What a split task returns (JSON): the stitcher's view of a split. */
export interface SplitResult {
  index: number
  /** File offset of the split's first block (its end when it has none). */
  blockStart: number
  /** File offset just past its last block. */
  blockEnd: number
  /** Where its records begin in its data (-1: no record start in the whole split). */
  start: number
  /** True when `start` was known (split 0, a redo), false when guessed. */
  exact: boolean
  /** True when the walk from a guessed start met an implausible record: the merge must redo the split. */
  invalid: boolean
  /** base64 of the data before `start`. */
  head: string
  /** base64 of the data after the last whole record. */
  tail: string
  /** The sealed, merged partial of its records (encoded with codec.ts). */
  partial: unknown
  records: number
  /** Ordered ops: the part file holding its output. */
  part?: string
}

/** Uncompressed bytes inflated on the main thread to guess the first record (the boundary chain needs only a few records). */
export const GUESS_BYTES = 256 * 1024

/** Headers read by this process, per run: a worker runs many splits of one file. */
const headers = new Map<string, Promise<BamHeader>>()
const MAX_CACHED_HEADERS = 16

/**
 * Runs one split on `pool`.
 *
 * @example
 * ```ts
 * const result = await runSplit(job, createPool(2))
 * ```
 */
export async function runSplit(job: SplitJob, pool: Piscina): Promise<SplitResult> {
  const src = await openRange(job.source)
  try {
    return await runOpenSplit(job, src, pool)
  } catch (e) {
    throw e instanceof BamError ? e.withSource(job.source) : e
  } finally {
    await src.close()
  }
}

async function runOpenSplit(job: SplitJob, src: RangeSource, pool: Piscina): Promise<SplitResult> {
  const header = await headerOf(job, src)
  const op = await loadOp(job.op)
  const ctx: OpContext = { references: header.references, headerText: header.text, options: decodeValue(job.options) as Record<string, unknown> }
  const { split } = job
  const blockStart = split.exactStart !== undefined ? split.start : await syncToBlock((o, n) => src.read(o, n), split.start, split.end, src.size)
  const empty = { index: split.index, blockStart, blockEnd: blockStart, exact: false, invalid: false, head: '', tail: '', partial: null, records: 0 }
  if (blockStart >= split.end) return { ...empty, start: -1 }
  const blocks = splitBlocks(src, blockStart, split.end)
  try {
    const lead = await leadingBlocks(blocks, job, header.references.length)
    if (lead.start < 0) {
      // no record starts in the whole split: it is all the middle of one record
      const rest = await drain(blocks)
      const data = joinBytes([lead.data, ...rest.data])
      const blockEnd = rest.end || lead.end
      if (job.carry === undefined) return { ...empty, blockEnd, start: -1, head: b64(data) }
      // a redo: the carried record goes on through this split
      return { ...empty, blockEnd, start: 0, exact: true, tail: b64(joinBytes([Buffer.from(job.carry, 'base64'), data])) }
    }
    return await runFrom(job, op, ctx, header, pool, blocks, lead)
  } finally {
    await blocks.return(undefined)
  }
}

async function headerOf(job: SplitJob, src: RangeSource): Promise<BamHeader> {
  let h = headers.get(job.runId)
  if (!h) {
    h = readHeader(src)
    if (headers.size >= MAX_CACHED_HEADERS) headers.delete(headers.keys().next().value!)
    headers.set(job.runId, h)
    h.catch(() => headers.delete(job.runId))
  }
  return h
}

/** Bytes per read while reading the header: a header is usually a few KiB. */
const HEADER_PIECE = 64 * 1024

/**
 * Reads just the BAM header of a range source (the coordinator does the same:
 * nothing past the blocks holding the header is read).
 *
 * @example
 * ```ts
 * const { header } = await readHeaderOnly(await openRange('/shared/x.bam'))
 * ```
 */
export async function readHeaderOnly(src: RangeSource): Promise<OpenBam> {
  const bam = await openBam(rangeStream(src, 0, HEADER_PIECE))
  bam.blocks.return?.(undefined)?.catch(() => {})
  return bam
}

async function readHeader(src: RangeSource): Promise<BamHeader> {
  return (await readHeaderOnly(src)).header
}

/** The blocks starting in `[from, end)` with their offsets in the file; their bytes are valid until the next block is asked for (as the scanner's). */
async function* splitBlocks(src: RangeSource, from: number, end: number): AsyncGenerator<Block> {
  try {
    for await (const block of scanBlocks(rangeStream(src, from))) {
      const coffset = from + block.coffset
      if (coffset >= end) return
      yield { ...block, coffset }
    }
  } catch (e) {
    if (e instanceof BamError && e.offset >= 0) throw new BamError(e.code, e.message, from + e.offset, e.source)
    throw e
  }
}

/** The first blocks of a split, inflated, and where its first record begins in them. */
interface Lead {
  blocks: Block[]
  data: Uint8Array
  /** Offset of the first record in `data` (-1: none in the whole split). */
  start: number
  exact: boolean
  end: number
  /** A redo's exact start, once the carried record's length is known. */
  target?: number
}

/**
 * Inflates leading blocks until the first record start is known: exactly
 * (split 0; a redo, from the carried bytes) or by the boundary checker.
 */
async function leadingBlocks(blocks: AsyncGenerator<Block>, job: SplitJob, nRef: number): Promise<Lead> {
  const carry = job.carry !== undefined ? Buffer.from(job.carry, 'base64') : undefined
  const exact = job.split.exactStart !== undefined || job.start !== undefined || carry !== undefined
  const lead: Lead = { blocks: [], data: new Uint8Array(0), start: -1, exact, end: 0 }
  let want = GUESS_BYTES
  for (;;) {
    const next = await blocks.next()
    if (!next.done) {
      lead.blocks.push({ ...next.value, bytes: next.value.bytes.slice() }) // kept while more are scanned
      lead.end = next.value.coffset + next.value.csize
    }
    const done = next.done === true
    if (!done && inflatedSize(lead.blocks) < want && !(exact && knownStart(lead, job, carry) >= 0)) continue
    lead.data = inflateAll(lead.blocks)
    const start = exact ? knownStart(lead, job, carry) : guessStart(lead.data, nRef, job.guessHook ?? 'none')
    if (start >= 0 && start <= lead.data.length) return { ...lead, start }
    if (done) return lead
    want *= 2
  }
}

/** The exact start, or -1 while more data is needed to know it. */
function knownStart(lead: Lead, job: SplitJob, carry: Buffer | undefined): number {
  if (job.split.exactStart !== undefined) return inflatedSize(lead.blocks) >= job.split.exactStart ? job.split.exactStart : -1
  if (job.start !== undefined) return inflatedSize(lead.blocks) >= job.start ? job.start : -1
  if (!carry || carry.length === 0) return 0
  if (lead.target === undefined) {
    // the record cut off by the previous split ends block_size + 4 bytes after it began
    const joined = joinBytes([carry.subarray(0, BLOCK_SIZE_BYTES), inflateAll(lead.blocks).subarray(0, BLOCK_SIZE_BYTES)])
    if (joined.length < BLOCK_SIZE_BYTES) return -1
    lead.target = BLOCK_SIZE_BYTES + new DataView(joined.buffer, joined.byteOffset, joined.byteLength).getInt32(0, true) - carry.length
  }
  return inflatedSize(lead.blocks) >= lead.target ? lead.target : -1
}

function inflatedSize(blocks: Block[]): number {
  let n = 0
  for (const b of blocks) n += b.isize
  return n
}

function inflateAll(blocks: Block[]): Uint8Array {
  return joinBytes(blocks.map(inflateOne))
}

/**
 * One block inflated with its CRC32 checked; a wrong ISIZE field over sound
 * data is ignored, as htslib (and the kernel) ignore it, and the block's
 * `isize` is corrected to its data's length.
 */
function inflateOne(b: Block): Uint8Array {
  const out = new Uint8Array(b.isize)
  try {
    inflateBlock(b.bytes, out, 0, b.coffset)
    return out
  } catch (e) {
    if (!(e instanceof BamError) || e.code !== 'ERR_BGZF_ISIZE') throw e
    const data = inflateBlockIgnoringIsize(b.bytes, b.coffset)
    b.isize = data.length
    return data
  }
}

function guessStart(data: Uint8Array, nRef: number, hook: GuessHook): number {
  const start = findRecordStart(data, nRef)
  if (start < 0 || hook === 'none') return start
  if (hook === 'misalign') return start + 1
  const next = findRecordStart(data, nRef, start + 1)
  return next < 0 ? start : next
}

async function drain(blocks: AsyncGenerator<Block>): Promise<{ data: Uint8Array[]; end: number }> {
  const data: Uint8Array[] = []
  let end = 0
  for await (const b of blocks) {
    data.push(inflateOne(b))
    end = b.coffset + b.csize
  }
  return { data, end }
}

/** Runs the split's records, from the block holding `lead.start`, on the local engine. */
async function runFrom(job: SplitJob, op: AnyOp, ctx: OpContext, header: BamHeader, pool: Piscina, blocks: AsyncGenerator<Block>, lead: Lead): Promise<SplitResult> {
  let first = 0 // the block holding the first record
  let before = 0 // data of the blocks before it
  while (first < lead.blocks.length && before + lead.blocks[first]!.isize <= lead.start) before += lead.blocks[first++]!.isize
  const rest = lead.blocks.slice(first + 1)
  let end = lead.end
  async function* remaining(): AsyncGenerator<Block> {
    for (const b of rest) yield b
    for await (const b of blocks) {
      end = b.coffset + b.csize
      yield b
    }
  }
  const firstBlock = lead.blocks[first]
  const bam: OpenBam = {
    source: { name: job.source, stream: (async function* () {})(), close: () => {} },
    header,
    blocks: remaining(),
    first: firstBlock ? { block: firstBlock, start: lead.start - before } : undefined,
    recordsCoffset: firstBlock ? firstBlock.coffset : lead.end,
  }
  const part = op.drain && job.partsDir ? await partWriter(job) : undefined
  const base = { index: job.split.index, blockStart: lead.blocks[0]?.coffset ?? lead.end, start: lead.start, exact: lead.exact, head: b64(lead.data.subarray(0, lead.start)) }
  try {
    const outcome = await runBlocks(bam, opDriver(op, ctx), job.op, pool, { chunkBytes: job.chunkBytes, guessHook: job.guessHook, onOutput: part?.write })
    await part?.close()
    return {
      ...base, blockEnd: end, invalid: false, tail: b64(outcome.tail), partial: encodeValue(outcome.partial),
      records: outcome.records, part: part?.path,
    }
  } catch (e) {
    await part?.abort()
    if (lead.exact || !guessWasWrong(e)) throw e
    return { ...base, blockEnd: end, invalid: true, head: '', tail: '', partial: null, records: 0 }
  }
}

/**
 * After a guessed start, an inconsistent record or an op refusing a record
 * proves only that the guess was wrong: the merge redoes the split exactly.
 * Damage to the compressed data (CRC, inflate, ISIZE) is real either way.
 */
function guessWasWrong(e: unknown): boolean {
  if (!(e instanceof BamError)) return true
  return e.code === 'ERR_BAD_RECORD' || e.code === 'ERR_TRUNCATED' || e.code === 'ERR_OP'
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}

/** An ordered op's output for one split, in a part file of its own (a split done twice writes two files; the merge picks one). */
async function partWriter(job: SplitJob): Promise<{ path: string; write: (parts: Uint8Array[]) => Promise<void>; close: () => Promise<void>; abort: () => Promise<void> }> {
  const file = path.join(job.partsDir!, `part-${String(job.split.index).padStart(6, '0')}-${randomUUID().slice(0, 8)}`)
  const handle = await fs.promises.open(file, 'wx')
  return {
    path: file,
    write: async (parts) => { for (const p of parts) await handle.write(p) },
    close: () => handle.close(),
    abort: async () => {
      await handle.close().catch(() => {})
      await fs.promises.rm(file, { force: true })
    },
  }
}
