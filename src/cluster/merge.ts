/**
 * The merge (DESIGN.md "Across machines"), run as the parent job of a run's
 * flow once every split is done: the stitcher takes the splits in order and
 * verifies each guessed start against where the previous split's records end,
 * exactly as it does for chunks; a split whose guess was wrong is redone here
 * with the exact start. Partials are merged; an ordered op's output (view) is
 * joined from the splits' part files, in order, under a temporary name that is
 * renamed into place only when complete.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { Piscina } from 'piscina'
import { EOF_BLOCK } from '../bgzf/block.js'
import { BamError } from '../errors.js'
import type { OpContext } from '../ops/op.js'
import { opDriver, type OpDriver } from '../ops/lifecycle.js'
import { loadOp } from '../ops/registry.js'
import '../ops/builtins.js'
import { headerBytes } from '../engine/view.js'
import { Stitcher } from '../engine/stitcher.js'
import type { ChunkDescriptor } from '../engine/planner.js'
import type { ChunkResult } from '../engine/task.js'
import { decodeValue, encodeValue } from './codec.js'
import { openRange } from './range.js'
import type { Split } from './split.js'
import { readHeaderOnly, runSplit, type SplitJob, type SplitResult } from './task.js'

/** How ordered output is written: the file and what goes before the records. */
export interface OutputSpec {
  /** The final file (on a filesystem the merging worker can write). */
  file: string
  format: 'sam' | 'bam'
  header: 'none' | 'include'
}

/** The parent job's data. */
export interface MergeJob {
  /** What every split shares (its `split` is replaced per split). */
  task: Omit<SplitJob, 'split' | 'carry'>
  splits: Split[]
  /** Ordered ops: where the joined output goes. */
  output?: OutputSpec
}

/** The parent job's return value. */
export interface MergeOutcome {
  /** The op's finished result, encoded with codec.ts. */
  result: unknown
  records: number
  /** Splits whose guessed start was wrong and that were redone here. */
  redone: number
  /** Splits whose guess was confirmed. */
  accepted: number
}

/**
 * Merges the results of a run's splits (keyed by split index) into the op's result.
 *
 * @example
 * ```ts
 * const outcome = await mergeSplits(job, new Map(results.map((r) => [r.index, r])), pool)
 * ```
 */
export async function mergeSplits(job: MergeJob, results: Map<number, SplitResult>, pool: Piscina): Promise<MergeOutcome> {
  const src = await openRange(job.task.source)
  let header
  try {
    header = (await readHeaderOnly(src)).header
  } finally {
    await src.close()
  }
  const ctx: OpContext = { references: header.references, headerText: header.text, options: decodeValue(job.task.options) as Record<string, unknown> }
  const drive = opDriver(await loadOp(job.task.op), ctx)
  const parts = new Map<number, string | undefined>()
  const redo = async (desc: ChunkDescriptor, _compressed: ArrayBuffer, start: number, carry?: Uint8Array, carryOffset?: number): Promise<ChunkResult> => {
    const split = job.splits[desc.index]!
    if (!carry) {
      // from where the carried record ends (all of the split's data comes back as head when it ends beyond it)
      const exact = await runSplit({ ...job.task, split, start }, pool)
      parts.set(desc.index, exact.part)
      return { ...chunkResultOf(exact), exact: true }
    }
    // a carry too short to hold its block_size: the split walks from its start, after the carried bytes
    const exact = await runSplit({ ...job.task, split, carry: Buffer.from(carry).toString('base64') }, pool)
    parts.set(desc.index, exact.part)
    return withStraddling(drive, carry, carryOffset ?? desc.coffset, exact)
  }
  const stitcher = new Stitcher(drive, redo)
  const out = job.output && drive.ordered ? await joinedOutput(job.output, headerBytes(header, job.output.format, job.output.header)) : undefined
  try {
    for (const split of job.splits) {
      const result = results.get(split.index)
      if (!result) throw new BamError('ERR_REDIS', `the result of split ${split.index} is missing`, split.start)
      parts.set(split.index, result.part)
      await stitcher.add(descriptorOf(split, result), chunkResultOf(result))
      if (out) {
        await out.write(drive.drain(stitcher.partial))
        const part = parts.get(split.index)
        if (part) await out.append(part)
      }
    }
    const partial = stitcher.end()
    const result = drive.finish(partial)
    await out?.commit()
    return { result: encodeValue(result), records: stitcher.stats.records, redone: stitcher.stats.redone, accepted: stitcher.stats.accepted }
  } catch (e) {
    await out?.abort()
    throw e instanceof BamError ? e.withSource(job.task.source) : e
  }
}

/** The stitcher's view of a split: a "chunk" whose position is its first block. */
function descriptorOf(split: Split, r: SplitResult): ChunkDescriptor {
  return {
    index: split.index, mappingKey: `split_${split.index}`, coffset: r.blockStart, cend: r.blockEnd,
    // isize unknown here: as large as any tail, so that a cut-off record is placed at the split's first block
    blockCount: 0, isize: Number.MAX_SAFE_INTEGER, start: r.exact ? r.start : -1, blockSizes: new Uint32Array(0), compressed: new ArrayBuffer(0),
  }
}

function chunkResultOf(r: SplitResult): ChunkResult {
  return {
    index: r.index, start: r.start, exact: r.exact, invalid: r.invalid,
    head: Buffer.from(r.head, 'base64'), tail: Buffer.from(r.tail, 'base64'),
    partial: r.partial === null ? null : decodeValue(r.partial), records: r.records, compressed: new ArrayBuffer(0),
  }
}

/**
 * A redone split begins after the record carried from the previous split: that
 * record (carry + head) is walked here, and goes before the split's own records.
 */
function withStraddling(drive: OpDriver, carry: Uint8Array, carryOffset: number, r: SplitResult): ChunkResult {
  const result = chunkResultOf(r)
  const head = result.head
  // nothing ended in the carried record before this split's records (or it goes on, in the tail)
  if (head.length === 0) return { ...result, exact: true }
  const joined = Buffer.concat([carry, head])
  const working = drive.fresh()
  const walked = drive.walk(working, joined, 0, (u) => (u < carry.length ? carryOffset : r.blockStart))
  if (walked.end !== joined.length || walked.invalidAt >= 0) {
    throw new BamError('ERR_BAD_RECORD', 'corrupt BAM record: a record across a split boundary has inconsistent sizes', carryOffset)
  }
  const straddling = drive.sealed(working)
  const partial = result.partial === null ? straddling : drive.merge(straddling, result.partial)
  return { ...result, exact: true, head: new Uint8Array(0), partial, records: result.records + walked.records }
}

/** The joined output file of an ordered op, written under a temporary name. */
interface JoinedOutput {
  write(parts: Uint8Array[]): Promise<void>
  append(partFile: string): Promise<void>
  commit(): Promise<void>
  abort(): Promise<void>
}

/** Bytes copied per read when appending a part file. */
const COPY_BYTES = 8 * 1024 * 1024

async function joinedOutput(spec: OutputSpec, header: Uint8Array | undefined): Promise<JoinedOutput> {
  const temp = path.join(path.dirname(spec.file), `.${path.basename(spec.file)}.partial-${process.pid}-${Date.now().toString(36)}`)
  let handle: fs.promises.FileHandle
  try {
    handle = await fs.promises.open(temp, 'wx')
  } catch (e) {
    throw new BamError('ERR_OUTPUT', `cannot write ${spec.file}: ${(e as Error).message}`, -1, spec.file)
  }
  const buf = new Uint8Array(COPY_BYTES)
  const write = async (bytes: Uint8Array): Promise<void> => { await handle.write(bytes) }
  if (header) await write(header)
  return {
    async write(parts) { for (const p of parts) await write(p) },
    async append(partFile) {
      let part: fs.promises.FileHandle
      try {
        part = await fs.promises.open(partFile, 'r')
      } catch (e) {
        throw new BamError('ERR_OUTPUT', `a split's part file is missing (${(e as Error).message}): workers and the merge need one shared parts folder (--parts-dir)`, -1, partFile)
      }
      try {
        for (;;) {
          const { bytesRead } = await part.read(buf, 0, buf.length, null)
          if (bytesRead === 0) break
          await write(buf.subarray(0, bytesRead))
        }
      } finally {
        await part.close()
      }
    },
    async commit() {
      if (spec.format === 'bam') await write(EOF_BLOCK)
      await handle.close()
      await fs.promises.rename(temp, spec.file)
    },
    async abort() {
      await handle.close().catch(() => {})
      await fs.promises.rm(temp, { force: true })
    },
  }
}
