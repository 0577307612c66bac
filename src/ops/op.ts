/**
 * The op interface (DESIGN.md "Ops"): one module that runs its kernel on every
 * record in the workers, merges partial results in chunk order on the main
 * thread, and finishes them into a result.
 */
import type { Reference } from '../bam/header.js'
import type { RecordView } from '../bam/record.js'
import type { ScanStop } from '../bam/scan.js'

/** What an op sees of the run: the header's references and the op's own options. */
export interface OpContext<O = Record<string, unknown>> {
  /** Binary reference list of the BAM header, in refID order. */
  references: Reference[]
  /** BAM header text (empty in workers, where it is not needed). */
  headerText: string
  /** The op's options, as given by the caller (structured-clone safe). */
  options: O
}

/**
 * An op. `P` (the partial) must survive structured cloning: plain objects,
 * arrays, numbers, strings and typed arrays. Typed arrays that own their whole
 * buffer — the partial itself, its fields, or arrays in its fields — are
 * *moved* to the main thread, not copied: a worker must not keep using them
 * after `seal` (build a fresh partial in `init`).
 *
 * @example
 * ```ts
 * const mapped: Op<{ n: number }, number> = {
 *   name: 'mapped',
 *   init: () => ({ n: 0 }),
 *   record: (p, rec) => { if ((rec.flag & 4) === 0) p.n++ },
 *   merge: (a, b) => ({ n: a.n + b.n }),
 *   finish: (p) => p.n,
 * }
 * ```
 */
export interface Op<P = unknown, R = unknown, O = Record<string, unknown>> {
  /** Name used on the command line and in run records. */
  name: string
  /** A fresh, empty partial. */
  init(ctx: OpContext<O>): P
  /** The hot loop: fold one record into `p`. Must not keep `rec` (it is moved to the next record). */
  record(p: P, rec: RecordView, ctx: OpContext<O>): void
  /** Combines two partials; `a` covers records before `b`. Associative. May reuse `a`. */
  merge(a: P, b: P): P
  /** Turns the merged partial into the result. */
  finish(p: P, ctx: OpContext<O>): R
  /**
   * Called once a partial has seen all its records, before it is merged or sent
   * across threads: turns working state (e.g. an output buffer being filled)
   * into plain, cloneable data. Optional.
   */
  seal?(p: P, ctx: OpContext<O>): P
  /**
   * For ordered-output ops (view): takes the bytes ready to be written from a
   * merged partial, leaving it empty. Called by the stitcher after each chunk.
   */
  drain?(p: P): Uint8Array[]
  /**
   * Finishes what `record` deferred (view formats a chunk's records in one
   * native call), while the walked bytes are still valid: called at the end of
   * every walk and after each record passed on its own. Returns undefined, or
   * the failure of one record and where that record starts in the walked bytes
   * (`rec.offset`), which is then reported as if `record` had thrown it for
   * that record. Optional.
   */
  flush?(p: P, ctx: OpContext<O>): DeferredFailure | undefined
  /**
   * A native kernel for `record` over many records (bam/scan.ts): folds the
   * records of `data` from `from` that it is sure are valid, as `record` would,
   * stops at the first it is not sure of, and says where in `out` (the walk
   * then checks that record and goes on in JavaScript). Returns false, having
   * done nothing, when it does not apply (addon not built, `BAMSTREAM_SCAN=js`,
   * options it does not handle). Optional.
   */
  scan?(p: P, data: Uint8Array, from: number, ctx: OpContext<O>, out: ScanStop): boolean
}

/** A record's failure found by {@link Op.flush}: what `record` would have thrown, and the record's offset in the walked bytes. */
export interface DeferredFailure {
  error: unknown
  at: number
}

/** Any op, with its types erased. */
export type AnyOp = Op<any, any, any> // eslint-disable-line @typescript-eslint/no-explicit-any
