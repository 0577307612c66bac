import fs from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { run, type InternalRunOptions } from '../../src/engine/run.js'
import { formatFlagstat, type FlagstatResult } from '../../src/ops/flagstat.js'
import { corpusBam, expected } from '../helpers/corpus.js'
import { countingPool } from '../helpers/counting-pool.js'

// The memory benchmark's --buffered mode (the "assets" way) must give the same
// answers as streaming; only its memory differs: it reads the whole input and
// plans every chunk before the first one reaches the pool.
const { pool, counts, destroy } = countingPool(2)
afterAll(destroy)

/** The file in small pieces, counting the bytes the engine has pulled so far. */
function countedSource(file: string, read: { bytes: number }): AsyncIterable<Uint8Array> {
  const all = fs.readFileSync(file)
  return (async function* () {
    for (let p = 0; p < all.length; p += 4096) {
      read.bytes = Math.min(p + 4096, all.length)
      yield all.subarray(p, p + 4096)
    }
  })()
}

/** Runs flagstat on a counted source; returns the result and how much input was read when the first task was submitted. */
async function flagstatSeen(name: string, options: InternalRunOptions): Promise<{ text: string; readAtFirstTask: number; size: number }> {
  const read = { bytes: 0 }
  let readAtFirstTask = -1
  counts.onSubmit = () => { if (readAtFirstTask < 0) readAtFirstTask = read.bytes }
  const result = await run<FlagstatResult>(countedSource(corpusBam(name), read), 'flagstat', {}, { ...options, pool })
  return { text: formatFlagstat(result), readAtFirstTask, size: fs.statSync(corpusBam(name)).size }
}

describe('buffered runs', () => {
  it.each(['htslib_test_ce_1000', 'htslib_samples_sample'])('%s: identical flagstat, the whole input read before the first task', async (name) => {
    for (const chunkBytes of [1, 10_000, undefined]) {
      const seen = await flagstatSeen(name, { buffered: true, chunkBytes, guessHook: 'skip' })
      expect(seen.text).toBe(expected(name, 'flagstat.txt'))
      expect(seen.readAtFirstTask).toBe(seen.size)
    }
  })

  it('streaming submits the first chunk long before the input is read', async () => {
    const seen = await flagstatSeen('htslib_test_ce_1000', { chunkBytes: 1 })
    expect(seen.text).toBe(expected('htslib_test_ce_1000', 'flagstat.txt'))
    expect(seen.readAtFirstTask).toBeGreaterThan(0)
    expect(seen.readAtFirstTask).toBeLessThan(seen.size / 2)
  })

  it('streaming with recycled chunk buffers agrees, including redone chunks', async () => {
    const name = 'htslib_test_ce_1000'
    for (const guessHook of ['none', 'skip', 'misalign'] as const) {
      const options: InternalRunOptions = { pool, chunkBytes: 5_000, guessHook, maxInFlight: 3 }
      const result = await run<FlagstatResult>(corpusBam(name), 'flagstat', {}, options)
      expect(formatFlagstat(result)).toBe(expected(name, 'flagstat.txt'))
    }
  })
})
