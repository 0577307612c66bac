/**
 * The worker pool (piscina) that inflates and walks chunks.
 */
import os from 'node:os'
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'

/** The compiled worker entry. Under a TypeScript test runner, the built copy in dist/ is used. */
export function workerFilename(): string {
  const here = fileURLToPath(import.meta.url)
  const compiled = fileURLToPath(new URL('../../workers/chunk.js', import.meta.url))
  if (!here.endsWith('.ts') && fs.existsSync(compiled)) return compiled
  return fileURLToPath(new URL('../../dist/workers/chunk.js', import.meta.url))
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
    // piscina loads the entry with require() first; Node 20's require(esm) of an
    // ES module worker intermittently aborts the process (ModuleWrap assertion).
    // Without it, require() throws ERR_REQUIRE_ESM and piscina falls back to import().
    execArgv: [...process.execArgv, '--no-experimental-require-module'],
  })
}
