/**
 * Stitcher (DESIGN.md step 5): takes chunk results in order, verifies every
 * guessed start against where the previous chunk's records really end, rebuilds
 * the records that straddle chunk boundaries, redoes chunks exactly when a guess
 * was wrong, and merges the partials.
 */
import { BLOCK_SIZE_BYTES, FIXED_BYTES } from '../bam/record.js'
import { RECORD_OK, checkFixedFields } from '../bam/validate.js'
import type { WalkEnd } from '../bam/walk.js'
import { blockOffsetAt, blockOffsetOf } from '../bgzf/block.js'
import { BamError, reviveThrown } from '../errors.js'
import { inconsistentRecord, type OpDriver } from '../ops/lifecycle.js'
import type { ChunkDescriptor } from './planner.js'
import type { ChunkResult } from './task.js'
import { concatBytes, joinBytes } from '../bytes.js'

/**
 * Runs a chunk again with an exact start (an offset in carry + inflated data),
 * given the bytes carried from the previous chunks (if any) and the file
 * offset of the block where they begin.
 */
export type Redo = (desc: ChunkDescriptor, compressed: ArrayBuffer, start: number, carry?: Uint8Array, carryOffset?: number) => Promise<ChunkResult>

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
 * A record cut off at the end of a chunk is carried into the next ones as a
 * list of pieces, never copied while it grows: once its `block_size` is in
 * hand, the stitcher knows how many more bytes it needs, so a record longer
 * than many chunks costs linear time and its own size in memory (a chunk that
 * lies wholly inside it contributes its data; the chunk where it ends is
 * redone, if its guess was wrong, from exactly where it ends). Its fixed
 * fields are checked as soon as they are carried, so a `block_size` that
 * contradicts them fails at once.
 *
 * @example
 * ```ts
 * const s = new Stitcher(opDriver(op, ctx), redo)
 * for (const [desc, result] of inOrder) await s.add(desc, result)
 * const partial = s.end()
 * ```
 */
export class Stitcher {
  /** The carried bytes (the start of a record cut off so far), in pieces. */
  private pieces: Uint8Array[] = []
  private carried = 0
  /** File offset of the block where the carried bytes begin. */
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

  /** The bytes after the last whole record so far (a split's tail, see cluster/task.ts). */
  get tail(): Uint8Array {
    return this.carryBytes()
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
    const need = this.needed()
    if (need < 0) return this.addShortCarry(current, result)
    if (!result.invalid && result.start === need) { // the guess is where the carried record ends
      if (need > 0) this.completeRecord(result.head, current)
      this.stats.accepted++
      return this.accept(result)
    }
    if (!result.invalid && result.start < 0 && result.head.length <= need) { // no record starts here: all of it is the carried record's
      this.stats.unguessed++
      if (result.head.length === need) return need > 0 ? this.completeRecord(result.head, current) : undefined
      return this.extendCarry(result.head)
    }
    return this.redoFrom(current, result, need)
  }

  /** Ends the stream: throws `ERR_TRUNCATED` if a record was cut off. Returns the merged partial. */
  end(): unknown {
    if (this.carried > 0) {
      const claimed = this.carried >= BLOCK_SIZE_BYTES ? ` of the ${this.carried + this.needed()} its block_size claims` : ''
      throw new BamError('ERR_TRUNCATED', `truncated file: the last record is cut off (${this.carried} bytes${claimed} present)`, this.carryOffset)
    }
    return this.acc
  }

  /**
   * Bytes still missing from the carried record: 0 when nothing is carried,
   * -1 while its `block_size` is not in hand (fewer than 4 bytes carried).
   */
  private needed(): number {
    if (this.carried === 0) return 0
    if (this.carried < BLOCK_SIZE_BYTES) return -1
    const first = this.pieces[0]!
    return BLOCK_SIZE_BYTES + new DataView(first.buffer, first.byteOffset, first.byteLength).getInt32(0, true) - this.carried
  }

  /** The carried bytes in one buffer (copied once, when the record is complete or tiny). */
  private carryBytes(): Uint8Array {
    if (this.pieces.length > 1) this.pieces = [joinBytes(this.pieces)]
    return this.pieces[0] ?? new Uint8Array(0)
  }

  /** Starts a carry with the bytes after a chunk's last complete record (they begin in that chunk unless longer than it). */
  private carryOn(tail: Uint8Array, chunk: Placed): void {
    if (tail.length <= chunk.desc.isize) this.carryOffset = offsetIn(chunk, chunk.desc.isize - tail.length)
    this.pieces = tail.length > 0 ? [tail] : []
    this.carried = tail.length
    this.checkCarriedFields(0)
  }

  /** Appends a whole chunk's data to the carried record. */
  private extendCarry(bytes: Uint8Array): void {
    const before = this.carried
    this.pieces.push(bytes)
    this.carried += bytes.length
    this.checkCarriedFields(before)
  }

  /** Once the carried record's fixed fields are in hand (and not before), checks them as htslib would. */
  private checkCarriedFields(before: number): void {
    const fixedEnd = BLOCK_SIZE_BYTES + FIXED_BYTES
    if (before >= fixedEnd || this.carried < fixedEnd) return
    const first = this.pieces[0]!.length >= fixedEnd ? this.pieces[0]! : this.carryBytes()
    const view = new DataView(first.buffer, first.byteOffset, first.byteLength)
    const nRef = this.drive.ctx.references.length
    const problem = checkFixedFields(view, first, 0, nRef)
    if (problem !== RECORD_OK) throw inconsistentRecord(first, { invalidAt: 0, problem }, this.carryOffset, nRef)
  }

  /** The carried record completed by `head` (its last bytes, at the start of `chunk`): validated and given to the op. */
  private completeRecord(head: Uint8Array, chunk: Placed): void {
    const carried = this.carried
    this.extendCarry(head)
    const record = this.carryBytes()
    const working = this.drive.fresh()
    const where = (u: number): number => u < carried ? this.carryOffset : offsetIn(chunk, u - carried)
    const walked: WalkEnd = this.drive.walk(working, record, 0, where)
    if (walked.invalidAt >= 0) throw inconsistentRecord(record, walked, where(walked.invalidAt), this.drive.ctx.references.length)
    this.stats.records += walked.records
    this.acc = this.drive.merge(this.acc, this.drive.sealed(working))
    this.pieces = []
    this.carried = 0
  }

  /**
   * A chunk whose guess was wrong while the carried record's length is known:
   * redone from where that record ends (when it ends beyond this chunk, the
   * worker stops at the chunk's end and hands back all its data). No carry is sent.
   */
  private async redoFrom(chunk: Placed, result: ChunkResult, need: number): Promise<void> {
    this.stats.redone++
    const { desc } = chunk
    const exact = await this.redo(desc, result.compressed, need) // the worker stops at its data's end
    throwFailure(exact)
    this.last = { desc, compressed: exact.compressed }
    if (exact.head.length < need) return this.extendCarry(exact.head)
    if (need > 0) this.completeRecord(exact.head, this.last)
    return this.accept(exact)
  }

  /**
   * A chunk after a carry of 1–3 bytes (the record's `block_size` itself is cut):
   * the carry and the chunk's head are joined and walked, and the chunk is
   * redone with the tiny carry if the guess was wrong.
   */
  private async addShortCarry(current: Placed, result: ChunkResult): Promise<void> {
    if (result.invalid) return this.redoWithCarry(current, result)
    const carried = this.carried
    const joined = concatBytes(this.carryBytes(), result.head)
    const working = this.drive.fresh()
    // A record straddling into this chunk begins in the carried bytes: report it where it begins.
    const where = (u: number): number => u < carried ? this.carryOffset : offsetIn(current, u - carried)
    const walked: WalkEnd = this.drive.walk(working, joined, 0, where)
    if (walked.invalidAt >= 0) throw inconsistentRecord(joined, walked, where(walked.invalidAt), this.drive.ctx.references.length)
    if (result.start >= 0 && walked.end !== joined.length) return this.redoWithCarry(current, result)
    this.stats.records += walked.records
    this.acc = this.drive.merge(this.acc, this.drive.sealed(working))
    if (result.start >= 0) {
      this.stats.accepted++
      return this.accept(result)
    }
    this.stats.unguessed++
    const offset = walked.end < carried ? this.carryOffset : offsetIn(current, walked.end - carried)
    this.pieces = []
    this.carried = 0
    this.carryOffset = offset
    if (walked.end < joined.length) this.extendCarry(joined.slice(walked.end))
    return undefined
  }

  private async redoWithCarry(current: Placed, result: ChunkResult): Promise<void> {
    this.stats.redone++
    const { desc } = current
    const exact = await this.redo(desc, result.compressed, 0, this.carryBytes(), this.carryOffset)
    throwFailure(exact)
    this.last = { desc, compressed: exact.compressed }
    this.accept(exact)
  }

  private accept(result: ChunkResult): undefined {
    this.stats.records += result.records
    if (result.partial !== null) this.acc = this.drive.merge(this.acc, result.partial)
    this.carryOn(result.tail, this.last!)
    return undefined
  }
}

/** A chunk and its compressed bytes, to turn positions in its data into file offsets. */
interface Placed {
  desc: ChunkDescriptor
  compressed: ArrayBuffer
}

/** File offset of the block holding uncompressed position `u` of a chunk (clamped to its first block). */
function offsetIn(chunk: Placed, u: number): number {
  const { desc } = chunk
  const at = Math.max(0, u)
  // a chunk read by byte ranges has no bytes here: its blocks' ISIZE fields came with it
  return desc.coffset + (desc.blockIsizes ? blockOffsetAt(desc.blockIsizes, desc.blockSizes, at) : blockOffsetOf(new Uint8Array(chunk.compressed), desc.blockSizes, at))
}

/** Rethrows the failure a worker sent back instead of throwing. */
function throwFailure(result: ChunkResult): void {
  if (result.error) throw BamError.fromJSON(result.error)
  if (result.crash) throw reviveThrown(result.crash)
}
