/**
 * The worker pool the engine tests run on: one per test worker (a vitest
 * thread or fork), shared by every test file the worker runs. Under
 * `npm run test:fast` a worker runs many files (vitest.config.ts:
 * `isolate: false`), so 2 pool workers boot per test worker instead of 2 per
 * file (each boot loads the worker's modules, ~0.1 s of CPU); under
 * `npm test` each file has a fork of its own anyway. Tests never destroy it:
 * it ends with its test worker. Tests of a pool's own life
 * (test/engine/pool.test.ts, a run's own `threads` pool) create their own.
 */
import type { Piscina } from 'piscina'
import { createPool } from '../../src/engine/pool.js'

let shared: Piscina | undefined

/**
 * This test worker's two-worker pool, created on first use.
 *
 * @example
 * ```ts
 * expect(await count(file, { pool: testPool() })).toBe(1000)
 * ```
 */
export function testPool(): Piscina {
  shared ??= createPool(2)
  return shared
}
