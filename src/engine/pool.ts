/**
 * The worker pool (piscina) that inflates and walks chunks.
 */
import os from 'node:os'
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'

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

/**
 * Creates a pool of `threads` workers. Share one pool among runs (the daemon
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
  const n = Math.max(1, Math.floor(threads))
  return new Piscina({
    filename: workerFilename(),
    minThreads: n,
    maxThreads: n,
    idleTimeout: 60_000,
    concurrentTasksPerWorker: 1,
  })
}
