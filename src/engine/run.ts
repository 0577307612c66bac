/**
 * Running an op over a whole BAM (DESIGN.md data flow, end to end): open, plan
 * chunks, run them on the pool with at most `maxInFlight` in flight, stitch in
 * order.
 */
import { checkInteger } from './check.js'
import { checkSource } from './source.js'
import type { HttpOptions } from './http.js'
import { DEFAULT_CHUNK_BYTES, MAX_CHUNK_BYTES, MIN_CHUNK_BYTES, SCAN_CHUNK_BYTES } from '../constants.js'
import type { BamHeader } from '../bam/header.js'
import { BamError } from '../errors.js'
import { opDriver, type OpDriver } from '../ops/lifecycle.js'
import type { AnyOp, OpContext } from '../ops/op.js'
import { loadOp, opReference } from '../ops/registry.js'
import { encodeContext } from './context.js'
import { afterChunk } from './gc.js'
import { planChunks, type BufferRecycler, type ChunkDescriptor } from './planner.js'
import { defaultThreads, poolFor, type ChunkPool } from './pool.js'
import { openBam, openBamForRun, type OpenBam } from './reader.js'
import type { Source } from './source.js'
import { Stitcher, type StitchStats } from './stitcher.js'
import type { ChunkResult, ChunkTask, GuessHook, RunInfo } from './task.js'

/** Progress of a run, reported after each chunk. */
export interface Progress {
  /** Compressed bytes consumed so far. */
  bytes: number
  /** Total compressed bytes, when known. */
  totalBytes?: number
  /** Records processed so far. */
  records: number
  /** Milliseconds since the run started. */
  elapsedMs: number
  /** True on the last report, once every record has been processed. */
  done?: boolean
}

/** Options common to every run. */
export interface RunOptions {
  /**
   * Worker threads (`-@`). Default: the machine's cores. Ignored when `pool` is given, and for a local
   * file of at most `SMALL_INPUT_BYTES` (pool.ts), which runs on the calling thread with no workers.
   */
  threads?: number
  /**
   * Uncompressed bytes per chunk (`--chunk-size`). Default 2 MiB for ops with ordered output (view), 4 MiB for the
   * others (flagstat, count, idxstats, most user ops); both chosen by `bench/chunk-size`.
   */
  chunkBytes?: number
  /** Most chunks between scanner and stitcher. Default 2 × threads + 2. */
  maxInFlight?: number
  /** A pool to share among runs (see `createPool`); not destroyed by the run. */
  pool?: ChunkPool
  /** Called after each chunk is stitched. */
  onProgress?: (p: Progress) => void
  /** Called once the header is read. */
  onHeader?: (bam: OpenBam) => void
  /** For ordered ops: receives output bytes in file order; awaited (backpressure). */
  onOutput?: (bytes: Uint8Array[]) => void | Promise<void>
  /** Aborts the run. */
  signal?: AbortSignal
  /** Warnings about an input read anyway (no EOF block, not BGZF). Default: one line on stderr. */
  onWarning?: (message: string) => void
  /** For http(s) sources: timeouts and retries (see {@link HttpOptions}; defaults 20 s and 2). */
  http?: HttpOptions
  /** Receives the stitcher's counters at the end. */
  onStats?: (s: StitchStats & { peakInFlight: number }) => void
  /**
   * Run on the cluster instead (DESIGN.md "Across machines"): the Redis URL
   * that `bamstream worker` processes take jobs from. The source must be a
   * path every worker can read, or an http(s) URL. Same result as locally.
   */
  redis?: string
  /** With `redis`: compressed bytes per split (default 256 MiB). */
  splitBytes?: number
  /** With `redis`, for ordered output (view): a folder every worker can write, for the splits' part files. */
  partsDir?: string
  /** With `redis`: called once when no worker has taken a split for a while (none is running?). */
  onClusterIdle?: (waitedMs: number) => void
}

/**
 * Engine switches for tests, benchmarks and the CLI's `--buffered`: not part of
 * the library API (src/index.ts does not export them). `run` reads them from
 * its options object; pass one typed as this.
 *
 * @example
 * ```ts
 * const options: InternalRunOptions = { threads: 2, guessHook: 'misalign' }
 * await run(file, 'flagstat', {}, options)
 * ```
 */
export interface InternalRunOptions extends RunOptions {
  /** Make the boundary guesser wrong on purpose (the stitcher must still be exact). */
  guessHook?: GuessHook
  /**
   * The "assets" way, for comparison (`--buffered`): read and plan every chunk,
   * holding all their compressed bytes, before the first one is processed.
   * Same result; memory grows with the file (O(total chunks) instead of O(1)).
   */
  buffered?: boolean
  /**
   * Run on the cluster instead (DESIGN.md "Across machines"): the Redis URL
   * that `bamstream worker` processes take jobs from. The source must be a
   * path every worker can read, or an http(s) URL. Same result as locally.
   */
  redis?: string
  /** With `redis`: compressed bytes per split (default 256 MiB). */
  splitBytes?: number
  /**
   * With `redis`, for ordered output (view): a folder every worker can write,
   * for the splits' part files. Default: the output's folder, or the
   * temporary folder when writing to a stream.
   */
  partsDir?: string
  /** With `redis`: called once when no worker has taken a split for a while (none is running?). */
  onClusterIdle?: (waitedMs: number) => void
  /**
   * Return the result as soon as it is ready, while the run's own pool (none is made when `pool` is given) is still
   * being torn down, instead of after (~20 ms for two workers). For the CLI, whose process exits right after its
   * output (src/cli/main.ts), where Node stops the workers itself.
   */
  detachPool?: boolean
}

/**
 * Runs `op` (a built-in op's name, or the path of a module whose default export
 * implements {@link Op}) over every record of `source` and returns its result. `opOptions` may be a
 * function of the header (e.g. to resolve a region's reference name).
 *
 * @example
 * ```ts
 * const n = await run('test/fixtures/htslib/htslib_test_ce_1000.bam', 'count', {}, { threads: 2 })
 * ```
 */
export async function run<R = unknown>(source: Source, op: string, opOptions: object | ((header: BamHeader) => object) = {}, options: RunOptions = {}): Promise<R> {
  checkRunOptions(options)
  checkSource(source)
  if (options.redis) {
    const { runOnCluster } = await import('../cluster/submit.js')
    const { redis, splitBytes, chunkBytes, onProgress, signal, guessHook, onOutput, partsDir, onClusterIdle: onIdle } = options as InternalRunOptions
    return runOnCluster<R>(source, op, opOptions, { redis: redis!, splitBytes, chunkBytes, onProgress, signal, guessHook, onOutput, partsDir, onIdle })
  }
  const ref = opReference(op)
  // made first, so that its workers boot while the op loads and the header is read (none for a small local file)
  const pool: ChunkPool = options.pool ?? poolFor(source, options.threads ?? defaultThreads(), options.chunkBytes ?? SCAN_CHUNK_BYTES)
  let bam: OpenBam
  let theOp: AnyOp
  try {
    theOp = await loadOp(ref)
    // --buffered holds every chunk's bytes (the "assets" way, for comparison): it reads them on this thread
    const open = (options as InternalRunOptions).buffered ? openBam : openBamForRun
    bam = await open(source, options.signal, options.http, options.onWarning)
  } catch (e) {
    if (!options.pool) await pool.destroy()
    throw e
  }
  try {
    options.onHeader?.(bam)
    const resolved = typeof opOptions === 'function' ? opOptions(bam.header) : opOptions
    const ctx: OpContext = { references: bam.header.references, headerText: bam.header.text, options: resolved as Record<string, unknown> }
    const cancel = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT))
    const info: RunInfo = { runId: newRunId(), op: ref, context: encodeContext(bam.header.references, resolved), cancel: cancel.buffer as SharedArrayBuffer }
    const drive = opDriver<unknown, R>(theOp, ctx)
    const onAbort = (): void => { Atomics.store(cancel, 0, 1) }
    options.signal?.addEventListener('abort', onAbort, { once: true })
    try {
      const { partial } = await pump(bam, drive, info, pool, options, false)
      return drive.finish(partial)
    } finally {
      options.signal?.removeEventListener('abort', onAbort)
    }
  } catch (e) {
    if (options.signal?.aborted) throw abortReason(options.signal) // whatever a cancelled chunk or the stopped planner said
    throw e instanceof BamError ? e.withSource(bam.source.name) : e
  } finally {
    bam.source.close()
    bam.blocks.return?.(undefined)?.catch(() => {})
    if (!options.pool) await release(pool, (options as InternalRunOptions).detachPool === true)
  }
}

/** Destroys a run's own pool; with `detach`, without waiting for it (every chunk has come back by now). */
async function release(pool: ChunkPool, detach: boolean): Promise<void> {
  const destroyed = pool.destroy()
  if (detach) destroyed.catch(() => {})
  else await destroyed
}

/**
 * The chunk size a run of `op` gets when none is given: {@link DEFAULT_CHUNK_BYTES} for an op with ordered
 * output (view: each chunk's output is held until its turn), {@link SCAN_CHUNK_BYTES} for the others.
 *
 * @example
 * ```ts
 * defaultChunkBytes(await loadOp('flagstat')) // 4194304
 * ```
 */
export function defaultChunkBytes(op: AnyOp): number {
  return typeof op.drain === 'function' ? DEFAULT_CHUNK_BYTES : SCAN_CHUNK_BYTES
}

/** The signal's reason, as `signal.throwIfAborted()` throws it. */
function abortReason(signal: AbortSignal): unknown {
  try {
    signal.throwIfAborted()
  } catch (e) {
    return e
  }
  return new DOMException('This operation was aborted', 'AbortError')
}

/** What {@link runBlocks} leaves: the merged sealed partial, the records walked, and the bytes after the last whole record. */
export interface BlocksOutcome {
  partial: unknown
  records: number
  tail: Uint8Array
}

/**
 * Runs `op` over the blocks of an already opened BAM (a split task's blocks:
 * see cluster/task.ts) and returns the merged partial without finishing it,
 * and the tail cut off at the end instead of calling it truncated.
 *
 * @example
 * ```ts
 * const { partial, tail } = await runBlocks(bam, opDriver(op, ctx), 'count', pool, { chunkBytes: 2 << 20 })
 * ```
 */
export async function runBlocks(bam: OpenBam, drive: OpDriver, ref: string, pool: ChunkPool, options: InternalRunOptions = {}): Promise<BlocksOutcome> {
  const info: RunInfo = { runId: newRunId(), op: ref, context: encodeContext(drive.ctx.references, drive.ctx.options) }
  return pump(bam, drive, info, pool, options, true)
}

let runs = 0

/** An id unique within this process, which is all the workers' context cache needs (node:crypto's randomUUID costs a module load). */
function newRunId(): string {
  return `${process.pid}-${++runs}-${Math.random().toString(36).slice(2)}`
}

/**
 * Throws `ERR_OPTION` for a bad run option: threads, chunk size, window, or a
 * signal that is not an AbortSignal.
 *
 * @example
 * ```ts
 * checkRunOptions({ threads: -1 }) // throws: threads must be an integer from 1 to …
 * ```
 */
export function checkRunOptions(options: RunOptions): void {
  if (options === null || typeof options !== 'object') throw new BamError('ERR_OPTION', `options must be an object, got ${String(options)}`)
  if (options.pool === undefined) checkInteger('threads', options.threads, 1, Number.MAX_SAFE_INTEGER)
  if (options.chunkBytes !== undefined) checkChunkBytes(options.chunkBytes)
  checkInteger('maxInFlight', options.maxInFlight, 1, Number.MAX_SAFE_INTEGER)
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw new BamError('ERR_OPTION', 'signal must be an AbortSignal')
}

/**
 * Chunk size in range, else `ERR_OPTION`.
 *
 * @example
 * ```ts
 * checkChunkBytes(4 << 20) // 4194304
 * ```
 */
export function checkChunkBytes(n: number): number {
  if (!Number.isInteger(n) || n < MIN_CHUNK_BYTES || n > MAX_CHUNK_BYTES) {
    throw new BamError('ERR_OPTION', `chunk size ${n} is outside [${MIN_CHUNK_BYTES}, ${MAX_CHUNK_BYTES}] bytes`)
  }
  return n
}

interface InFlight {
  desc: ChunkDescriptor
  result: Promise<ChunkResult>
}

async function pump(bam: OpenBam, drive: OpDriver, info: RunInfo, pool: ChunkPool, options: InternalRunOptions, keepTail: boolean): Promise<BlocksOutcome> {
  const chunkBytes = checkChunkBytes(options.chunkBytes ?? defaultChunkBytes(drive.op))
  const started = Date.now()
  const maxInFlight = options.maxInFlight ?? 2 * (pool.options.maxThreads ?? defaultThreads()) + 2
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new BamError('ERR_OPTION', `maxInFlight must be an integer ≥ 1, got ${maxInFlight}`)
  const recycler = createRecycler(maxInFlight + 2)
  const send = (desc: ChunkDescriptor, compressed: ArrayBuffer, start: number, carry?: Uint8Array, carryOffset?: number): Promise<ChunkResult> => {
    const task: ChunkTask = {
      run: info, index: desc.index, compressed, blockSizes: desc.blockSizes, isize: desc.isize,
      coffset: desc.coffset, start, carry, carryOffset, guessHook: options.guessHook, file: desc.file,
    }
    // No piscina signal: piscina aborts a running task by terminating its worker, and a result
    // already posted then reaches the pool as "Unexpected message from Worker", an uncaught
    // 'error' event that kills the process. The run's cancel flag stops workers cleanly instead.
    // A chunk read by byte ranges has an empty buffer: nothing to transfer.
    return pool.run(task, { transferList: compressed.byteLength > 0 ? [compressed] : [] }) as Promise<ChunkResult>
  }
  const stitcher = new Stitcher(drive, (desc, compressed, start, carry, carryOffset) => send(desc, compressed, start, carry, carryOffset))
  const queue: InFlight[] = []
  let peakInFlight = 0
  let lastBytes = bam.recordsCoffset
  let held: ArrayBuffer | undefined // the stitcher's previous lastBuffer: free to reuse once it moved on
  const settle = async (): Promise<void> => {
    const head = queue.shift()!
    const result = await head.result
    options.signal?.throwIfAborted()
    await stitcher.add(head.desc, result)
    const now = stitcher.lastBuffer
    if (held && held !== now) recycler.give(held)
    held = now
    if (drive.ordered && options.onOutput) await options.onOutput(drive.drain(stitcher.partial))
    lastBytes = head.desc.cend
    afterChunk(stitcher.stats.chunks)
    options.onProgress?.({ bytes: lastBytes, totalBytes: bam.source.size, records: stitcher.stats.records, elapsedMs: Date.now() - started })
  }
  const submit = async (desc: ChunkDescriptor): Promise<void> => {
    options.signal?.throwIfAborted()
    const result = send(desc, desc.compressed, desc.start)
    result.catch(() => {}) // handled in order by settle()
    queue.push({ desc, result })
    peakInFlight = Math.max(peakInFlight, queue.length)
    while (queue.length >= maxInFlight) await settle()
  }
  try {
    if (options.buffered) {
      const all: ChunkDescriptor[] = []
      for await (const { value: desc } of planChunks(bam, chunkBytes)) all.push(desc)
      for (const desc of all.splice(0)) await submit(desc)
    } else {
      for await (const { value: desc } of planChunks(bam, chunkBytes, recycler)) await submit(desc)
    }
    while (queue.length > 0) await settle()
  } finally {
    // On an error or an abort, let the chunks still in flight finish (a cancelled one stops at
    // its next check) before the pool can be destroyed: piscina throws (uncaught) at a result
    // arriving after destroy().
    await Promise.allSettled(queue.map((q) => q.result))
  }
  const partial = keepTail ? stitcher.partial : stitcher.end()
  options.onProgress?.({ bytes: bam.source.size ?? lastBytes, totalBytes: bam.source.size, records: stitcher.stats.records, elapsedMs: Date.now() - started, done: true })
  options.onStats?.({ ...stitcher.stats, peakInFlight })
  return { partial, records: stitcher.stats.records, tail: stitcher.tail }
}

/** Granularity of recycled chunk buffers. */
const BUFFER_ROUNDING = 64 * 1024

/**
 * A free list of at most `max` chunk buffers that came back from the workers.
 * `take` hands out one big enough, else allocates one a quarter larger than
 * the largest asked for so far, so that sizes settle after a few chunks and the
 * steady state allocates nothing. When full, `give` keeps the larger buffers.
 */
function createRecycler(max: number): BufferRecycler {
  const free: ArrayBuffer[] = []
  let largest = 0
  return {
    take(bytes) {
      const i = free.findIndex((b) => b.byteLength >= bytes)
      if (i >= 0) return free.splice(i, 1)[0]!
      largest = Math.max(largest, Math.ceil((bytes + (bytes >> 2)) / BUFFER_ROUNDING) * BUFFER_ROUNDING)
      return new ArrayBuffer(largest)
    },
    give(buffer) {
      if (buffer.byteLength === 0) return // detached
      if (free.length < max) {
        free.push(buffer)
        return
      }
      let smallest = 0
      for (let i = 1; i < free.length; i++) if (free[i]!.byteLength < free[smallest]!.byteLength) smallest = i
      if (free[smallest]!.byteLength < buffer.byteLength) free[smallest] = buffer
    },
  }
}
