import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Piscina } from 'piscina'
import { createPool } from '../../src/engine/pool.js'
import { run } from '../../src/engine/run.js'
import { formatFlagstat, type FlagstatResult } from '../../src/ops/flagstat.js'
import { corpusBam, expected } from '../helpers/corpus.js'

// The memory benchmark's --buffered mode (the "assets" way) must give the same
// answers as streaming; only its memory differs.
let pool: Piscina
beforeAll(() => { pool = createPool(2) })
afterAll(async () => { await pool.destroy() })

describe('buffered runs', () => {
  it.each(['htslib_test_ce_1000', 'htslib_samples_sample'])('%s: identical flagstat, all chunks planned before the first result', async (name) => {
    for (const chunkBytes of [1, 10_000, undefined]) {
      let peak = 0
      const result = await run<FlagstatResult>(corpusBam(name), 'flagstat', {}, {
        pool, chunkBytes, buffered: true, guessHook: 'skip', onStats: (s) => { peak = s.peakInFlight },
      })
      expect(formatFlagstat(result)).toBe(expected(name, 'flagstat.txt'))
      expect(peak).toBeGreaterThan(0)
    }
  })

  it('streaming with recycled chunk buffers agrees, including redone chunks', async () => {
    const name = 'htslib_test_ce_1000'
    for (const guessHook of ['none', 'skip', 'misalign'] as const) {
      const result = await run<FlagstatResult>(corpusBam(name), 'flagstat', {}, { pool, chunkBytes: 5_000, guessHook, maxInFlight: 3 })
      expect(formatFlagstat(result)).toBe(expected(name, 'flagstat.txt'))
    }
  })
})
