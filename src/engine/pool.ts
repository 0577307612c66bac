/**
 * The worker pool (piscina) that inflates and walks chunks.
 */
import os from 'node:os'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type { Piscina } from 'piscina'
import { BamError } from '../errors.js'
import type { Source } from './source.js'
import type { ChunkTask } from './task.js'

/**
 * The worker entry piscina loads: `workers/entry.cjs` at the package root, a
 * CommonJS shim that imports the compiled worker (dist/workers/chunk.js); or,
 * when this module runs from the bundle (the `bamstream` command: dist/bundle/,
 * made by scripts/bundle.mjs), the bundled worker beside it, one CommonJS file
 * that each worker loads instead of ~35 ES modules.
 */
export function workerFilename(): string {
  const bundled = fileURLToPath(new URL('./worker.cjs', import.meta.url))
  if (fs.existsSync(bundled)) return bundled
  const fromDist = fileURLToPath(new URL('../../../workers/entry.cjs', import.meta.url)) // dist/src/engine/pool.js
  return fs.existsSync(fromDist) ? fromDist : fileURLToPath(new URL('../../workers/entry.cjs', import.meta.url)) // src/engine/pool.ts
}

/** Default worker count: every core the process may use. */
export function defaultThreads(): number {
  return os.availableParallelism()
}

/** Most worker threads a pool gets: 4 per core, at least 8 (each worker costs ~10 MiB and ~80 ms to start). */
export function maxThreads(): number {
  return Math.max(8, 4 * os.availableParallelism())
}

/**
 * Creates a pool of up to `threads` workers (at most {@link maxThreads}).
 * `start` workers (default 1) boot at once; the others start when work queues
 * up, so that a pool never boots more workers than there are chunks to run.
 * Share one pool among runs (the daemon does) by passing it in the run
 * options; close it with `pool.destroy()`.
 *
 * @example
 * ```ts
 * const pool = createPool(2)
 * await flagstat('a.bam', { pool }); await flagstat('b.bam', { pool })
 * await pool.destroy()
 * ```
 */
export function createPool(threads = defaultThreads(), start = 1): Piscina {
  if (!Number.isInteger(threads) || threads < 1) throw new BamError('ERR_OPTION', `threads must be an integer ≥ 1, got ${threads}`)
  if (!Number.isInteger(start) || start < 1) throw new BamError('ERR_OPTION', `workers to start must be an integer ≥ 1, got ${start}`)
  const n = Math.min(threads, maxThreads())
  // Loaded on first use: commands that never make a pool (small inputs, --help) skip its ~10 ms of module loading.
  const { Piscina: Pool } = createRequire(import.meta.url)('piscina') as typeof import('piscina')
  return new Pool({
    filename: workerFilename(),
    minThreads: Math.min(start, n),
    maxThreads: n,
    idleTimeout: 60_000,
    // A second task waits in each worker's port, so a worker that finishes a chunk starts the next at
    // once instead of idling until the main thread hands one out (chunks run one after the other: the
    // chunk job is synchronous from its read to its result). flagstat -@2 on 262 MB: 1.48 -> 1.44 s (median of 7).
    concurrentTasksPerWorker: 2,
  })
}

/** What a run needs of a pool: piscina's, or the in-process {@link inlinePool}. */
export type ChunkPool = Pick<Piscina, 'run' | 'destroy'> & { readonly options: { readonly maxThreads?: number } }

/**
 * Inputs up to this many compressed bytes run on the main thread, with no
 * worker pool: booting workers (tens of ms each, and the modules they load)
 * costs more than the few chunks take to process. Measured in README
 * "Start-up".
 */
export const SMALL_INPUT_BYTES = 4 << 20

/**
 * A "pool" that runs each chunk on the calling thread, one at a time, for
 * small inputs: the same chunk job as a worker runs, with no threads to boot.
 *
 * @example
 * ```ts
 * const pool = size <= SMALL_INPUT_BYTES ? inlinePool() : createPool(threads)
 * ```
 */
export function inlinePool(): ChunkPool {
  return {
    options: { maxThreads: 1 },
    async run(task: ChunkTask, opts?: { signal?: AbortSignal | null }) {
      opts?.signal?.throwIfAborted()
      const { runChunkTask } = await import('./chunk-job.js')
      return runChunkTask(task)
    },
    destroy: async () => {},
  }
}

/**
 * The size of `source` when it is a local file, else undefined (stdin, a URL,
 * a stream: their size is not known up front; or a path that cannot be
 * stat'ed, which `openBam` then reports).
 *
 * @example
 * ```ts
 * localFileSize('test/fixtures/htslib/htslib_test_ce_1000.bam') // 46639
 * ```
 */
export function localFileSize(source: Source): number | undefined {
  if (typeof source !== 'string' || source === '-' || /^https?:\/\//i.test(source)) return undefined
  try {
    return fs.statSync(source).size
  } catch {
    return undefined
  }
}

/**
 * The pool a run makes for itself when it is given none: for a local file of
 * at most {@link SMALL_INPUT_BYTES}, none ({@link inlinePool}: its chunks run
 * on the calling thread); else up to `threads` workers, as many booted at once
 * as the file will keep busy ({@link workersToStart}). Workers take ~80 ms to
 * boot, so a run makes its pool first, and they boot while the op loads and
 * the header is read.
 *
 * @example
 * ```ts
 * const pool = poolFor('test/fixtures/htslib/htslib_test_ce_1000.bam', 2, 4 << 20) // inlinePool(): a small file
 * ```
 */
export function poolFor(source: Source, threads: number, chunkBytes: number): ChunkPool {
  const size = localFileSize(source)
  if (size !== undefined && size <= SMALL_INPUT_BYTES) return inlinePool()
  return createPool(threads, workersToStart(threads, size, chunkBytes))
}

/**
 * Uncompressed bytes per compressed byte assumed when guessing how many chunks
 * a file makes before reading it: BAM's BGZF typically inflates 3 to 4 times
 * (the realistic benchmark file: 2.7; the synthetic one: 5.4). A low guess only starts
 * fewer workers up front.
 */
const GUESSED_RATIO = 2.5

/**
 * How many of `threads` workers a run should boot at once: all of them when a
 * local file of `size` bytes will make enough chunks to keep them busy (two
 * per worker: each worker holds two tasks), fewer for a file of a few chunks,
 * and one when the size is not known (the pool then grows as work queues up).
 * Booting every worker up front lets them boot side by side while the header
 * is read, instead of the second booting only once chunks queue behind the
 * first (flagstat -@2 on 262 MB: median 1.28 → 1.21 s, 7 interleaved runs).
 *
 * @example
 * ```ts
 * workersToStart(2, 262_200_573, 2 << 20) // 2
 * workersToStart(8, 6 << 20, 2 << 20) // 4
 * workersToStart(2, undefined, 2 << 20) // 1
 * ```
 */
export function workersToStart(threads: number, size: number | undefined, chunkBytes: number): number {
  if (size === undefined) return 1
  const chunks = Math.ceil((size * GUESSED_RATIO) / chunkBytes)
  return Math.max(1, Math.min(threads, maxThreads(), Math.ceil(chunks / 2)))
}
