/**
 * Stitcher (DESIGN.md step 5): takes chunk results in order, verifies every
 * guessed start against where the previous chunk's records really end, rebuilds
 * the records that straddle chunk boundaries, redoes chunks exactly when a guess
 * was wrong, and merges the partials.
 */
import { RecordView } from '../bam/record.js'
import { walkRecords, type WalkEnd } from '../bam/walk.js'
import { blockOffsetOf } from '../bgzf/block.js'
import { BamError, withOffset } from '../errors.js'
import type { AnyOp, OpContext } from '../ops/op.js'
import type { ChunkDescriptor } from './planner.js'
import type { ChunkResult } from './task.js'
import { concatBytes } from '../bytes.js'

/** Runs a chunk again with an exact start, given the bytes carried from the previous chunk. */
export type Redo = (desc: ChunkDescriptor, compressed: ArrayBuffer, carry: Uint8Array) => Promise<ChunkResult>

/** Counters kept by the stitcher, for tests and benchmarks. */
export interface StitchStats {
  chunks: number
  records: number
  /** Chunks whose guessed start was confirmed. */
  accepted: number
  /** Chunks redone with an exact start. */
  redone: number
  /** Chunks in which no record start was found (one long record). */
  unguessed: number
}

/**
 * Ordered merging of chunk results.
 *
 * @example
 * ```ts
 * const s = new Stitcher(op, ctx, redo)
 * for (const [desc, result] of inOrder) await s.add(desc, result)
 * const partial = s.end()
 * ```
 */
export class Stitcher {
  private carry: Uint8Array = new Uint8Array(0)
  private acc: unknown
  private last?: { desc: ChunkDescriptor; compressed: ArrayBuffer }
  readonly stats: StitchStats = { chunks: 0, records: 0, accepted: 0, redone: 0, unguessed: 0 }

  constructor(private readonly op: AnyOp, private readonly ctx: OpContext, private readonly redo: Redo) {
    this.acc = op.init(ctx)
  }

  /**
   * The compressed buffer of the chunk added last (after a redo, the one the
   * redo returned). The stitcher keeps it for error offsets until the next
   * `add`; after that the caller may reuse it.
   */
  get lastBuffer(): ArrayBuffer | undefined {
    return this.last?.compressed
  }

  /** The merged partial so far (for ordered ops, drain it after each `add`). */
  get partial(): unknown {
    return this.acc
  }

  /** Adds the result of the next chunk in order. */
  async add(desc: ChunkDescriptor, result: ChunkResult): Promise<void> {
    if (result.error) throw BamError.fromJSON(result.error)
    this.stats.chunks++
    this.last = { desc, compressed: result.compressed }
    if (result.exact) return this.accept(result)
    if (result.invalid) return this.redoChunk(desc, result)
    const joined = concatBytes(this.carry, result.head)
    const working = this.op.init(this.ctx)
    const rec = new RecordView(joined)
    let walked: WalkEnd
    try {
      walked = walkRecords(rec, 0, (r) => this.op.record(working, r, this.ctx))
    } catch (e) {
      throw withOffset(e, desc.coffset) // a record straddling into this chunk
    }
    if (walked.invalidAt >= 0) {
      throw new BamError('ERR_BAD_RECORD', `corrupt BAM record: inconsistent block_size ${rec.moveTo(walked.invalidAt).blockSize}`, desc.coffset)
    }
    this.stats.records += walked.records
    const straddling = this.op.seal ? this.op.seal(working, this.ctx) : working
    if (result.start < 0) {
      this.stats.unguessed++
      this.acc = this.op.merge(this.acc, straddling)
      this.carry = joined.slice(walked.end)
      return undefined
    }
    if (walked.end !== joined.length) {
      this.stats.records -= walked.records
      return this.redoChunk(desc, result)
    }
    this.stats.accepted++
    this.acc = this.op.merge(this.acc, straddling)
    return this.accept(result)
  }

  /** Ends the stream: throws `ERR_TRUNCATED` if a record was cut off. Returns the merged partial. */
  end(): unknown {
    if (this.carry.length > 0) {
      throw new BamError('ERR_TRUNCATED', `truncated file: the last record is cut off (${this.carry.length} bytes of it present)`, this.cutOffset())
    }
    return this.acc
  }

  /** File offset of the block where the cut-off record begins (the last chunk's first block if it began earlier). */
  private cutOffset(): number {
    if (!this.last) return 0
    const { desc, compressed } = this.last
    const u = Math.max(0, desc.isize - this.carry.length)
    return desc.coffset + blockOffsetOf(new Uint8Array(compressed), desc.blockSizes, u)
  }

  private accept(result: ChunkResult): undefined {
    this.stats.records += result.records
    if (result.partial !== null) this.acc = this.op.merge(this.acc, result.partial)
    this.carry = result.tail
    return undefined
  }

  private async redoChunk(desc: ChunkDescriptor, result: ChunkResult): Promise<void> {
    this.stats.redone++
    const exact = await this.redo(desc, result.compressed, this.carry)
    if (exact.error) throw BamError.fromJSON(exact.error)
    this.last = { desc, compressed: exact.compressed }
    this.accept(exact)
  }
}
