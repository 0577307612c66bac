/**
 * Messages between the main thread and the pool's workers.
 */
import type { SerializedBamError, SerializedThrown } from '../errors.js'
import type { ChunkFile } from './ranges.js'

/** What a worker needs to know about the run a chunk belongs to. */
export interface RunInfo {
  /** Unique per run; workers cache the decoded context under it. */
  runId: string
  /** Op reference: a built-in name or a `file:` URL (see `opReference`). */
  op: string
  /** JSON of `{ references, options }`, in shared memory so that sending it with every task costs nothing. */
  context: SharedArrayBuffer
  /**
   * One int32 the main thread sets to 1 when the run is aborted: workers then
   * drop their chunk at the next check (before inflating, and every 16
   * records) instead of being terminated mid-task.
   */
  cancel?: SharedArrayBuffer
}

/** Test hooks that make the boundary guesser wrong on purpose. */
export type GuessHook = 'none' | 'skip' | 'misalign'

/** One chunk to inflate and walk. */
export interface ChunkTask {
  run: RunInfo
  /** Chunk index in file order. */
  index: number
  /** The chunk's whole BGZF blocks; transferred to the worker, and back. Empty when `file` is set. */
  compressed: ArrayBuffer
  /** A local file to read the chunk's blocks from (`[coffset, coffset + Σ blockSizes)`) instead of `compressed`. */
  file?: ChunkFile
  /** On-disk size of each block. */
  blockSizes: Uint32Array
  /** Total uncompressed size. */
  isize: number
  /** File offset of the first block. */
  coffset: number
  /** Exact offset of the first record in the (carry + inflated) data, or -1 to guess it. */
  start: number
  /** Exact bytes of the record cut off at the end of the previous chunk (redo only). */
  carry?: Uint8Array
  /** File offset of the block where `carry` begins (for errors about the record it holds). */
  carryOffset?: number
  /** Test hook: force wrong guesses. */
  guessHook?: GuessHook
}

/** What the worker sends back. */
export interface ChunkResult {
  index: number
  /** Where the walk began in the data (-1: no plausible record start was found; everything is in `head`). */
  start: number
  /** True if `start` was given (exact), false if guessed. */
  exact: boolean
  /** True if a guessed walk met an implausible record: the guess was wrong and the chunk must be redone. */
  invalid: boolean
  /** Data before `start`. */
  head: Uint8Array
  /** Data after the last complete record. */
  tail: Uint8Array
  /** The op's partial for the records walked. */
  partial: unknown
  /** Records walked. */
  records: number
  /** The compressed bytes, returned so that a redo needs no copy. */
  compressed: ArrayBuffer
  /** Set instead of throwing, so that the code and offset cross the thread boundary. */
  error?: SerializedBamError
  /** Set instead of throwing for an exception that is not a BamError (a bug of the engine's own): name, message and stack. */
  crash?: SerializedThrown
}
