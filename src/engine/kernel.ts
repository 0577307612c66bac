/**
 * The worker's job for one chunk (DESIGN.md step 4): inflate with CRC checks,
 * find the first record (exact or guessed), walk the records through the op's
 * kernel, and hand back head, tail and the partial.
 */
import { findRecordStart } from '../bam/boundary.js'
import { RecordView } from '../bam/record.js'
import { walkRecords } from '../bam/walk.js'
import { blockOffsetOf } from '../bgzf/block.js'
import { zlibInflater, type Inflater } from '../bgzf/inflate.js'
import { BamError } from '../errors.js'
import type { AnyOp, OpContext } from '../ops/op.js'
import type { ChunkResult, ChunkTask } from './task.js'
import { concatBytes } from '../bytes.js'

/**
 * Processes one chunk. Throws {@link BamError} for corrupt data met on an exact walk.
 *
 * @example
 * ```ts
 * const result = processChunk(task, flagstatOp, { references, headerText: '', options: {} })
 * ```
 */
export function processChunk(task: ChunkTask, op: AnyOp, ctx: OpContext, inflater: Inflater = zlibInflater): ChunkResult {
  const inflated = inflater.inflate(new Uint8Array(task.compressed), task.blockSizes, task.isize, task.coffset)
  const data = task.carry ? concatBytes(task.carry, inflated) : inflated
  const exact = task.start >= 0
  const start = exact ? task.start : guessStart(data, ctx.references.length, task.guessHook ?? 'none')
  const base = { index: task.index, start, exact, compressed: task.compressed }
  if (start < 0) {
    return { ...base, invalid: false, head: data, tail: new Uint8Array(0), partial: null, records: 0 }
  }
  const partial = op.init(ctx)
  const rec = new RecordView(data)
  const walked = walkRecords(rec, start, (r) => op.record(partial, r, ctx))
  if (walked.invalidAt >= 0) {
    if (op.seal) op.seal(partial, ctx) // discard output formatted before the wrong guess showed
    if (!exact) return { ...base, invalid: true, head: new Uint8Array(0), tail: new Uint8Array(0), partial: null, records: 0 }
    const at = task.coffset + blockOffsetOf(new Uint8Array(task.compressed), task.blockSizes, walked.invalidAt - (task.carry?.length ?? 0))
    throw new BamError('ERR_BAD_RECORD', `corrupt BAM record: inconsistent block_size ${rec.moveTo(walked.invalidAt).blockSize}`, at)
  }
  return {
    ...base,
    invalid: false,
    head: data.slice(0, start),
    tail: data.slice(walked.end),
    partial: op.seal ? op.seal(partial, ctx) : partial,
    records: walked.records,
  }
}

function guessStart(data: Uint8Array, nRef: number, hook: string): number {
  const start = findRecordStart(data, nRef)
  if (start < 0 || hook === 'none') return start
  if (hook === 'misalign') return start + 1
  const next = findRecordStart(data, nRef, start + 1) // 'skip': a later, still valid-looking boundary
  return next < 0 ? start : next
}
