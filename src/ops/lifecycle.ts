/**
 * The one way to drive an op through its life cycle (DESIGN.md "Ops"):
 * `init` a fresh partial, fold records into it, `seal` it once it has seen
 * all its records, `merge` partials in file order, `drain` the output of
 * ordered ops, and `finish` the merged partial into the result. The worker
 * kernel, the stitcher, the indexed-region path and the run loop all drive
 * ops through here, so that an op's exceptions mean the same everywhere:
 * a {@link BamError} the op raises keeps its code, anything else becomes
 * `ERR_OP` with what it threw as `cause`, and either gets a file offset.
 */
import { RecordView } from '../bam/record.js'
import { walkRecords, type WalkEnd } from '../bam/walk.js'
import { RECORD_OK, checkRecord, describeRecordProblem } from '../bam/validate.js'
import { BLOCK_SIZE_BYTES, FIXED_BYTES } from '../bam/record.js'
import type { ScanStop } from '../bam/scan.js'
import { BamError, opFailure } from '../errors.js'
import type { AnyOp, OpContext } from './op.js'

/** Maps a position in the walked bytes to the file offset reported in errors (-1: none). */
export type FileOffsetOf = (u: number) => number

/** An op bound to a run's context. See {@link opDriver}. */
export interface OpDriver<P = unknown, R = unknown> {
  /** The op driven. */
  readonly op: AnyOp
  /** The run's context, passed to every call of the op. */
  readonly ctx: OpContext
  /** True for ordered-output ops (they have `drain`). */
  readonly ordered: boolean
  /** A fresh, empty partial (`init`). */
  fresh(): P
  /**
   * Folds every complete record of `data` from `start` into `p` (`record`) and
   * says where the walk stopped (`invalidAt` ≥ 0: a record that fails htslib's
   * checks, `validate.ts`; see {@link inconsistentRecord}), then lets the op `flush`
   * what it deferred (a failure it reports is the failing record's). An exception of the op is thrown
   * as {@link opFailure} says, at `where(offset of the record)`. When
   * `cancel[0]` turns non-zero the walk stops with `ERR_ABORTED` (checked
   * every {@link CANCEL_CHECK_RECORDS} records).
   */
  walk(p: P, data: Uint8Array, start: number, where?: FileOffsetOf, cancel?: Int32Array): WalkEnd
  /** Folds one record into `p` (`record`, then `flush`); an exception of the op is thrown as {@link opFailure} says, at `offset`. */
  record(p: P, rec: RecordView, offset?: number): void
  /** `p` once it has seen all its records (`seal`, when the op has one): plain data, ready to merge or move. */
  sealed(p: P): P
  /** `a` then `b`, merged (`merge`). */
  merge(a: P, b: P): P
  /** The output ready to be written, taken from a merged partial (`drain`; none for unordered ops). */
  drain(p: P): Uint8Array[]
  /** The result (`finish`). */
  finish(p: P): R
}

/**
 * Binds an op to a run's context.
 *
 * @example
 * ```ts
 * const drive = opDriver(op, ctx)
 * const p = drive.fresh()
 * const walked = drive.walk(p, data, start, (u) => fileOffsetOf(u))
 * if (walked.invalidAt >= 0) throw inconsistentRecord(data, walked, fileOffsetOf(walked.invalidAt), ctx.references.length)
 * let acc = drive.merge(drive.fresh(), drive.sealed(p))
 * onOutput(drive.drain(acc))
 * const result = drive.finish(acc)
 * ```
 */
export function opDriver<P = unknown, R = unknown>(op: AnyOp, ctx: OpContext): OpDriver<P, R> {
  const guard = <T>(call: () => T, offset = -1): T => {
    try {
      return call()
    } catch (e) {
      throw opFailure(e, op.name, offset)
    }
  }
  return {
    op,
    ctx,
    ordered: typeof op.drain === 'function',
    fresh: () => guard(() => op.init(ctx) as P),
    walk: (p, data, start, where, cancel) => walk(op, ctx, p, data, start, where, cancel),
    record: (p, rec, offset = -1) => guard(() => {
      op.record(p, rec, ctx)
      const failure = op.flush?.(p, ctx)
      if (failure) throw failure.error
    }, offset),
    sealed: (p) => (op.seal ? guard(() => op.seal!(p, ctx) as P) : p),
    merge: (a, b) => guard(() => op.merge(a, b) as P),
    drain: (p) => (op.drain ? guard(() => op.drain!(p)) : []),
    finish: (p) => guard(() => op.finish(p, ctx) as R),
  }
}

/**
 * The record visitor handed to `walkRecords`: one function object for every
 * walk. A fresh closure per chunk is a new call target each time, and V8
 * throws away walkRecords' optimised code ("wrong call target") at the next
 * chunk; a stable target is optimised once.
 */
const visitor = {
  op: null as AnyOp | null,
  partial: null as unknown,
  ctx: null as OpContext | null,
  cancel: null as Int32Array | null,
  count: 0,
}

/** Records between two looks at the cancel flag: an atomic load per 16 records costs nothing measurable, and a slow op (5 ms a record) stops within 80 ms. */
export const CANCEL_CHECK_RECORDS = 16

function visit(rec: RecordView): void {
  if (++visitor.count === CANCEL_CHECK_RECORDS) {
    visitor.count = 0
    if (visitor.cancel !== null && Atomics.load(visitor.cancel, 0) !== 0) throw aborted()
  }
  visitor.op!.record(visitor.partial, rec, visitor.ctx!)
}

/**
 * The error a cancelled chunk ends with (the main thread reports the abort itself).
 *
 * @example
 * ```ts
 * if (Atomics.load(cancel, 0) !== 0) throw aborted()
 * ```
 */
export function aborted(): BamError {
  return new BamError('ERR_ABORTED', 'the run was aborted')
}

function walk(op: AnyOp, ctx: OpContext, partial: unknown, data: Uint8Array, start: number, where?: FileOffsetOf, cancel?: Int32Array): WalkEnd {
  visitor.op = op
  visitor.partial = partial
  visitor.ctx = ctx
  visitor.cancel = cancel ?? null
  visitor.count = 0
  const rec = new RecordView(data)
  try {
    const walked = (op.scan && scanWalk(op, ctx, partial, rec, start, cancel)) || walkRecords(rec, start, visit, ctx.references.length)
    const failure = op.flush?.(partial, ctx)
    if (failure) {
      rec.moveTo(failure.at) // the error is the deferred record's, at its offset
      throw failure.error
    }
    return walked
  } catch (e) {
    throw opFailure(e, op.name, where ? where(rec.offset) : -1)
  } finally {
    visitor.partial = null
    visitor.cancel = null
  }
}

const stop: ScanStop = { at: 0, records: 0 }

/**
 * walkRecords with the op's native kernel (`scan`) doing the records it is
 * sure of: at each record where it stops, a complete record that passes
 * `checkRecord` is visited here and the kernel goes on after it; anything else
 * (a cut-off tail, an invalid record) is left to walkRecords, so the result is
 * walkRecords' own. Null when the op's kernel does not apply.
 */
function scanWalk(op: AnyOp, ctx: OpContext, partial: unknown, rec: RecordView, start: number, cancel?: Int32Array): WalkEnd | null {
  const bytes = rec.bytes
  const nRef = ctx.references.length
  let p = start
  let records = 0
  for (;;) {
    if (cancel && Atomics.load(cancel, 0) !== 0) throw aborted()
    if (!op.scan!(partial, bytes, p, ctx, stop)) {
      if (records === 0 && p === start) return null
      break
    }
    records += stop.records
    p = stop.at
    const blockSize = p + BLOCK_SIZE_BYTES <= bytes.length ? rec.view.getInt32(p, true) : -1
    if (blockSize < FIXED_BYTES || p + BLOCK_SIZE_BYTES + blockSize > bytes.length) break
    if (checkRecord(rec.view, bytes, p, nRef) !== RECORD_OK) break
    visit(rec.moveTo(p))
    records++
    p += BLOCK_SIZE_BYTES + blockSize
  }
  const rest = walkRecords(rec, p, visit, nRef)
  return { ...rest, records: records + rest.records }
}

/**
 * The error for the record that stopped a walk (`walkRecords`' `invalidAt` and
 * `problem`): `ERR_BAD_RECORD` with a message naming the field, at `offset`.
 *
 * @example
 * ```ts
 * if (walked.invalidAt >= 0) throw inconsistentRecord(data, walked, fileOffset, header.references.length)
 * ```
 */
export function inconsistentRecord(data: Uint8Array, walked: Pick<WalkEnd, 'invalidAt' | 'problem'>, offset: number, nRef: number): BamError {
  const rec = new RecordView(data)
  return new BamError('ERR_BAD_RECORD', describeRecordProblem(walked.problem, rec.view, data, walked.invalidAt, nRef), offset)
}
