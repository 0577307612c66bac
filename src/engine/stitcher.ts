/**
 * Stitcher (DESIGN.md step 5): takes chunk results in order, verifies every
 * guessed start against where the previous chunk's records really end, rebuilds
 * the records that straddle chunk boundaries, redoes chunks exactly when a guess
 * was wrong, and merges the partials.
 */
import type { WalkEnd } from '../bam/walk.js'
import { blockOffsetOf } from '../bgzf/block.js'
import { BamError, reviveThrown } from '../errors.js'
import { inconsistentRecord, type OpDriver } from '../ops/lifecycle.js'
import type { ChunkDescriptor } from './planner.js'
import type { ChunkResult } from './task.js'
import { concatBytes } from '../bytes.js'

/**
 * Runs a chunk again with an exact start, given the bytes carried from the
 * previous chunks and the file offset of the block where they begin.
 */
export type Redo = (desc: ChunkDescriptor, compressed: ArrayBuffer, carry: Uint8Array, carryOffset: number) => Promise<ChunkResult>

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
 * const s = new Stitcher(opDriver(op, ctx), redo)
 * for (const [desc, result] of inOrder) await s.add(desc, result)
 * const partial = s.end()
 * ```
 */
export class Stitcher {
  private carry: Uint8Array = new Uint8Array(0)
  /** File offset of the block where the carried bytes (a record cut off so far) begin. */
  private carryOffset = 0
  private acc: unknown
  private last?: Placed
  readonly stats: StitchStats = { chunks: 0, records: 0, accepted: 0, redone: 0, unguessed: 0 }

  constructor(private readonly drive: OpDriver, private readonly redo: Redo) {
    this.acc = drive.fresh()
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
    throwFailure(result)
    this.stats.chunks++
    const current = { desc, compressed: result.compressed }
    this.last = current
    if (result.exact) return this.accept(result)
    if (result.invalid) return this.redoChunk(desc, result)
    const joined = concatBytes(this.carry, result.head)
    const working = this.drive.fresh()
    // A record straddling into this chunk begins in the carried bytes: report it where it begins.
    const where = (u: number): number => u < this.carry.length ? this.carryOffset : offsetIn(current, u - this.carry.length)
    const walked: WalkEnd = this.drive.walk(working, joined, 0, where)
    if (walked.invalidAt >= 0) throw inconsistentRecord(joined, walked, where(walked.invalidAt), this.drive.ctx.references.length)
    this.stats.records += walked.records
    const straddling = this.drive.sealed(working)
    if (result.start < 0) {
      this.stats.unguessed++
      this.acc = this.drive.merge(this.acc, straddling)
      this.carryOn(joined.slice(walked.end), current)
      return undefined
    }
    if (walked.end !== joined.length) {
      this.stats.records -= walked.records
      return this.redoChunk(desc, result)
    }
    this.stats.accepted++
    this.acc = this.drive.merge(this.acc, straddling)
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
    return this.last ? offsetIn(this.last, this.last.desc.isize - this.carry.length) : 0
  }

  private accept(result: ChunkResult): undefined {
    this.stats.records += result.records
    if (result.partial !== null) this.acc = this.drive.merge(this.acc, result.partial)
    this.carryOn(result.tail, this.last!)
    return undefined
  }

  /** Keeps the bytes after a chunk's last complete record; they begin in that chunk unless they are longer than it. */
  private carryOn(tail: Uint8Array, chunk: Placed): void {
    if (tail.length <= chunk.desc.isize) this.carryOffset = offsetIn(chunk, chunk.desc.isize - tail.length)
    this.carry = tail
  }

  private async redoChunk(desc: ChunkDescriptor, result: ChunkResult): Promise<void> {
    this.stats.redone++
    const exact = await this.redo(desc, result.compressed, this.carry, this.carryOffset)
    throwFailure(exact)
    this.last = { desc, compressed: exact.compressed }
    this.accept(exact)
  }
}

/** A chunk and its compressed bytes, to turn positions in its data into file offsets. */
interface Placed {
  desc: ChunkDescriptor
  compressed: ArrayBuffer
}

/** File offset of the block holding uncompressed position `u` of a chunk (clamped to its first block). */
function offsetIn(chunk: Placed, u: number): number {
  return chunk.desc.coffset + blockOffsetOf(new Uint8Array(chunk.compressed), chunk.desc.blockSizes, Math.max(0, u))
}

/** Rethrows the failure a worker sent back instead of throwing. */
function throwFailure(result: ChunkResult): void {
  if (result.error) throw BamError.fromJSON(result.error)
  if (result.crash) throw reviveThrown(result.crash)
}

