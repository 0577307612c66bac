import path from 'node:path'
import type { Piscina } from 'piscina'
import { beforeAll, describe, expect, it } from 'vitest'
import { fastMode } from '../helpers/corpus.js'
import { testPool } from '../helpers/pool.js'
import { records } from '../../src/engine/records.js'

// Leaving a records() loop early (break, throw, abort) at any point must release the run:
// no "Unexpected message from Worker" (piscina emits it as an 'error' event, which kills a
// process with no listener: 6 of 11 runs did at 64 KiB chunks), and the pool stays usable.
const BAM = path.resolve(import.meta.dirname, '../fixtures/indexed/synthetic.bam') // 12,000 records
const TOTAL = 12000

let pool: Piscina
const poolErrors: unknown[] = []
beforeAll(() => {
  pool = testPool()
  pool.on('error', (e: unknown) => poolErrors.push(e)) // counted here instead of crashing the test process
})

type Exit = 'break' | 'throw' | 'abort'

/** Reads until `stopAt` records, then leaves the loop as `exit` says; returns the records seen. */
async function readUntil(chunkBytes: number, stopAt: number, exit: Exit, threads?: number): Promise<number> {
  const ac = new AbortController()
  let n = 0
  try {
    for await (const batch of records(BAM, { chunkBytes, signal: ac.signal, ...(threads ? { threads } : { pool }) })) {
      n += batch.length
      if (n < stopAt) continue
      if (exit === 'break') break
      if (exit === 'throw') throw new Error('consumer failed')
      ac.abort()
    }
  } catch (e) {
    if (exit === 'throw') expect((e as Error).message).toBe('consumer failed')
    else if (exit === 'abort') expect((e as Error).name).toBe('AbortError')
    else throw e
  }
  return n
}

describe('leaving records() early releases the run', () => {
  const cases: [number, Exit][] = []
  for (const chunkBytes of [65536, 262144, 2 << 20]) for (const exit of ['break', 'throw', 'abort'] as Exit[]) cases.push([chunkBytes, exit])

  it.each(cases)('chunks of %i bytes, %s at many points', async (chunkBytes, exit) => {
    for (const stopAt of [1, 500, 3000, 7000, 11000]) {
      const n = await readUntil(chunkBytes, stopAt, exit)
      expect(n).toBeGreaterThanOrEqual(Math.min(stopAt, TOTAL))
    }
    expect(poolErrors).toEqual([])
    // the pool still reads a whole file afterwards
    let total = 0
    for await (const batch of records(BAM, { pool, chunkBytes })) total += batch.length
    expect(total).toBe(TOTAL)
  })

  it('with a pool of its own (destroyed after the run), in a loop', async () => {
    // each turn boots two workers: under test:fast, one turn per way of leaving
    for (let i = 0; i < (fastMode() ? 3 : 6); i++) await readUntil(65536, 2000 + 1500 * i, (['break', 'throw', 'abort'] as Exit[])[i % 3]!, 2)
  })

  it('an abort before the first batch ends the loop with the abort', async () => {
    const ac = new AbortController()
    ac.abort()
    await expect((async () => { for await (const _ of records(BAM, { pool, signal: ac.signal })) break })()).rejects.toMatchObject({ name: 'AbortError' })
  })
})
