/**
 * A worker pool seen from outside: every task the engine submits is counted
 * while it is in flight, so that tests check backpressure without reading the
 * engine's own counters.
 */
import type { Piscina } from 'piscina'
import { createPool } from '../../src/engine/pool.js'

/** What a {@link countingPool} saw. */
export interface PoolCounts {
  /** Tasks submitted and not yet answered. */
  now: number
  /** Most tasks in flight at once. */
  peak: number
  /** Tasks submitted in all. */
  total: number
  /** Called with each task as it is submitted (before it runs). */
  onSubmit?: () => void
}

/**
 * A real pool of `threads` workers whose `run` is wrapped: each answer is held
 * back `delayMs` so that a run can fill its window of chunks in flight.
 *
 * @example
 * ```ts
 * const { pool, counts, destroy } = countingPool(2, 5)
 * await run(file, 'count', {}, { pool, maxInFlight: 3 })
 * counts.peak // ≤ 3
 * await destroy()
 * ```
 */
export function countingPool(threads: number, delayMs = 0): { pool: Piscina; counts: PoolCounts; destroy: () => Promise<void> } {
  const real = createPool(threads)
  const counts: PoolCounts = { now: 0, peak: 0, total: 0 }
  const run = async (task: unknown, options?: unknown): Promise<unknown> => {
    counts.onSubmit?.()
    counts.now++
    counts.total++
    counts.peak = Math.max(counts.peak, counts.now)
    try {
      const result: unknown = await real.run(task, options as Parameters<Piscina['run']>[1])
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs))
      return result
    } finally {
      counts.now--
    }
  }
  const pool = new Proxy(real, {
    get(target, key) {
      if (key === 'run') return run
      const value: unknown = Reflect.get(target, key, target)
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    },
  })
  return { pool, counts, destroy: () => real.destroy() }
}
