/**
 * Recycled output buffers: a buffer is handed out once, comes back only when
 * released (from any thread) or given back, and a pool whose buffers are all
 * out replaces the oldest instead of growing.
 */
import { describe, expect, it } from 'vitest'
import { OutputPool, releaseOutput } from '../../src/ops/output.js'

describe('OutputPool', () => {
  it('hands out shared buffers of at least the size asked for, and reuses one only once it is released', () => {
    const pool = new OutputPool(4)
    const a = pool.take(1000)
    expect(a.buffer).toBeInstanceOf(SharedArrayBuffer)
    expect(a.length).toBeGreaterThanOrEqual(1000)
    const b = pool.take(1000)
    expect(b.buffer).not.toBe(a.buffer) // a is out
    releaseOutput(a.subarray(0, 10)) // a part of it, as the main thread sees it
    expect(pool.take(1000).buffer).toBe(a.buffer)
    expect(pool.take(1000).buffer).not.toBe(b.buffer) // b was never released
  })

  it('takes back a buffer given back, and a released one too small is replaced by a larger one', () => {
    const pool = new OutputPool(1)
    const small = pool.take(10)
    pool.give(small)
    expect(pool.take(10).buffer).toBe(small.buffer)
    releaseOutput(small)
    const large = pool.take(small.length + 1)
    expect(large.length).toBeGreaterThan(small.length)
    releaseOutput(large)
    expect(pool.take(10).buffer).toBe(large.buffer) // the small one was dropped
  })

  it('replaces the oldest buffer when all are out (bounded), and a late release of a forgotten one is harmless', () => {
    const pool = new OutputPool(2)
    const [a, b, c] = [pool.take(1), pool.take(1), pool.take(1)]
    expect(new Set([a.buffer, b.buffer, c.buffer]).size).toBe(3)
    releaseOutput(a) // a was forgotten (replaced by c): never handed out again
    releaseOutput(b)
    const next = pool.take(1)
    expect(next.buffer).toBe(b.buffer)
    expect(pool.take(1).buffer).not.toBe(a.buffer)
  })

  it('leaves bytes that are not from a pool alone', () => {
    const plain = new Uint8Array(16).fill(7)
    releaseOutput(plain)
    const shared = new Uint8Array(new SharedArrayBuffer(16), 8).fill(7)
    releaseOutput(shared)
    expect([...plain, ...new Uint8Array(shared.buffer)]).toEqual([...new Array<number>(16).fill(7), 0, 0, 0, 0, 0, 0, 0, 0, ...new Array<number>(8).fill(7)])
  })
})
