/**
 * The worker pool (piscina) that inflates and walks chunks.
 */
import os from 'node:os'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type { Piscina } from 'piscina'
import { BamError } from '../errors.js'

/**
 * The worker entry piscina loads: `workers/entry.cjs` at the package root, a
 * CommonJS shim that imports the compiled worker (dist/workers/chunk.js).
 */
export function workerFilename(): string {
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
 * Workers start as chunks arrive, never more than there are chunks to run:
 * one is started at once, the others when work queues up. Share one pool among runs (the daemon
 * does) by passing it in the run options; close it with `pool.destroy()`.
 *
 * @example
 * ```ts
 * const pool = createPool(2)
 * await flagstat('a.bam', { pool }); await flagstat('b.bam', { pool })
 * await pool.destroy()
 * ```
 */
export function createPool(threads = defaultThreads()): Piscina {
  if (!Number.isInteger(threads) || threads < 1) throw new BamError('ERR_OPTION', `threads must be an integer ≥ 1, got ${threads}`)
  const n = Math.min(threads, maxThreads())
  // Loaded on first use: commands that never make a pool (small inputs, --help) skip its ~10 ms of module loading.
  const { Piscina: Pool } = createRequire(import.meta.url)('piscina') as typeof import('piscina')
  return new Pool({
    filename: workerFilename(),
    minThreads: 1,
    maxThreads: n,
    idleTimeout: 60_000,
    concurrentTasksPerWorker: 1,
  })
}
