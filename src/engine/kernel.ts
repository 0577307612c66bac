/**
 * The worker's job for one chunk (DESIGN.md step 4): inflate with CRC checks,
 * find the first record (exact or guessed), walk the records through the op's
 * kernel, and hand back head, tail and the partial.
 */
import { findRecordStart } from '../bam/boundary.js'
import type { WalkEnd } from '../bam/walk.js'
import { blockOffsetOf } from '../bgzf/block.js'
import type { Inflater } from '../bgzf/inflate.js'
import { defaultInflater } from '../bgzf/inflate-select.js'
import { inflateIgnoringIsize } from '../bgzf/inflate.js'
import { BamError } from '../errors.js'
import { aborted, inconsistentRecord, opDriver } from '../ops/lifecycle.js'
import type { AnyOp, OpContext } from '../ops/op.js'
import { readChunk } from './ranges.js'
import type { ChunkResult, ChunkTask } from './task.js'
import { concatBytes } from '../bytes.js'

/**
 * One inflate buffer per thread, reused from chunk to chunk: a fresh 4 MiB
 * buffer per chunk would leave up to V8's external-memory allowance (64 MiB)
 * of dead buffers per worker before a GC frees them. Safe because a chunk is
 * processed synchronously and nothing returned points into it (head and tail
 * are copies; sealed partials hold their own buffers).
 */
let scratch = new Uint8Array(0)

function scratchFor(isize: number): Uint8Array {
  if (scratch.length < isize) scratch = new Uint8Array(isize + (isize >> 4))
  return scratch
}

/** The chunk's compressed bytes: exactly its blocks (a recycled buffer may be longer), or read from its file. */
function compressedBytes(task: ChunkTask): Uint8Array {
  if (task.file) return readChunk(task.file, task.coffset, task.blockSizes)
  let csize = 0
  for (let i = 0; i < task.blockSizes.length; i++) csize += task.blockSizes[i]!
  return new Uint8Array(task.compressed, 0, csize)
}

/**
 * Processes one chunk. Throws {@link BamError} for corrupt data met on an exact
 * walk, and for an op's exception there (`ERR_OP` unless the op raised a
 * BamError itself), at the file offset of the record concerned. After a
 * guessed start, any of these only proves the guess wrong: the result asks
 * for an exact redo, which fails for good if the record is really bad (so an
 * op's exception is retried at most once).
 *
 * @example
 * ```ts
 * const result = processChunk(task, flagstatOp, { references, headerText: '', options: {} })
 * ```
 */
export function processChunk(task: ChunkTask, op: AnyOp, ctx: OpContext, inflater: Inflater = defaultInflater()): ChunkResult {
  const cancel = task.run.cancel ? new Int32Array(task.run.cancel) : undefined
  if (cancel && Atomics.load(cancel, 0) !== 0) throw aborted()
  const drive = opDriver(op, ctx)
  const compressed = compressedBytes(task)
  const inflated = inflate(task, compressed, inflater)
  const data = task.carry ? concatBytes(task.carry, inflated) : inflated
  const exact = task.start >= 0
  // an exact start past the data (the stitcher asks for "all of it" for a record that goes on) is its end
  const start = exact ? Math.min(task.start, data.length) : guessStart(data, ctx.references.length, task.guessHook ?? 'none')
  const base = { index: task.index, start, exact, compressed: task.compressed }
  if (start < 0) {
    return { ...base, invalid: false, head: data.slice(), tail: new Uint8Array(0), partial: null, records: 0 }
  }
  const partial = drive.fresh()
  /** Ends a failed walk: drops the output formatted so far; after a guessed start, asks for a redo. */
  const failed = (error: unknown): ChunkResult => {
    try {
      drive.sealed(partial)
    } catch {
      // the walk's own error is the one to report
    }
    if (exact || (error instanceof BamError && error.code === 'ERR_ABORTED')) throw error
    return { ...base, invalid: true, head: new Uint8Array(0), tail: new Uint8Array(0), partial: null, records: 0 }
  }
  const carried = task.carry?.length ?? 0
  const fileOffset = (u: number): number => u < carried ? task.carryOffset ?? task.coffset : task.coffset + blockOffsetOf(compressed, task.blockSizes, u - carried)
  let walked: WalkEnd
  try {
    walked = drive.walk(partial, data, start, fileOffset, cancel)
  } catch (e) {
    return failed(e)
  }
  if (walked.invalidAt >= 0) return failed(inconsistentRecord(data, walked, fileOffset(walked.invalidAt), ctx.references.length))
  return {
    ...base,
    invalid: false,
    head: data.slice(0, start),
    tail: data.slice(walked.end),
    partial: drive.sealed(partial),
    records: walked.records,
  }
}

/** The chunk inflated; a wrong ISIZE field with sound data and CRC32 is ignored, as htslib ignores it. */
function inflate(task: ChunkTask, compressed: Uint8Array, inflater: Inflater): Uint8Array {
  try {
    return inflater.inflate(compressed, task.blockSizes, task.isize, task.coffset, scratchFor(task.isize))
  } catch (e) {
    if (!(e instanceof BamError) || e.code !== 'ERR_BGZF_ISIZE') throw e
    return inflateIgnoringIsize(compressed, task.blockSizes, task.coffset)
  }
}

function guessStart(data: Uint8Array, nRef: number, hook: string): number {
  const start = findRecordStart(data, nRef)
  if (start < 0 || hook === 'none') return start
  if (hook === 'misalign') return start + 1
  const next = findRecordStart(data, nRef, start + 1) // 'skip': a later, still valid-looking boundary
  return next < 0 ? start : next
}
