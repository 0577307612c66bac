import { beforeAll, describe, expect, it } from 'vitest'
import type { Piscina } from 'piscina'
import { run, type InternalRunOptions } from '../../src/engine/run.js'
import { testPool } from '../helpers/pool.js'
import type { StitchStats } from '../../src/engine/stitcher.js'
import { formatFlagstat, type FlagstatResult } from '../../src/ops/flagstat.js'
import { corpusBam, corpusNames, expected } from '../helpers/corpus.js'

// The boundary guess only buys parallelism: whatever the guesser does, the
// stitcher must verify it and redo the chunk exactly, so output is identical.
let pool: Piscina
beforeAll(() => { pool = testPool() })

type Stats = StitchStats & { peakInFlight: number }

async function flagstatWith(name: string, guessHook: 'none' | 'skip' | 'misalign'): Promise<{ text: string; stats: Stats }> {
  let stats: Stats | undefined
  const options: InternalRunOptions = { pool, chunkBytes: 1, guessHook, onStats: (s) => { stats = s } }
  const result = await run<FlagstatResult>(corpusBam(name), 'flagstat', {}, options)
  return { text: formatFlagstat(result), stats: stats! }
}

const MULTI_CHUNK = ['htslib_test_ce_1000', 'htslib_test_ce_large_seq', 'htslib_test_xx_large_aux', 'htslib_test_bgzf_boundaries_bgzf_boundaries3']

describe('forced wrong boundary guesses', () => {
  it.each(MULTI_CHUNK)('%s: misaligned guesses are all redone exactly', async (name) => {
    const { text, stats } = await flagstatWith(name, 'misalign')
    expect(text).toBe(expected(name, 'flagstat.txt'))
    expect(stats.chunks).toBeGreaterThan(1)
    expect(stats.accepted).toBe(0)
    // chunk 0 starts exactly; every other chunk is redone, or had no record start to guess
    expect(stats.redone + stats.unguessed).toBe(stats.chunks - 1)
  })

  it.each(MULTI_CHUNK)('%s: guesses that skip a true boundary give identical output', async (name) => {
    const { text, stats } = await flagstatWith(name, 'skip')
    expect(text).toBe(expected(name, 'flagstat.txt'))
    expect(stats.chunks).toBeGreaterThan(1)
  })

  it('honest guesses are accepted without redoing, and every record is counted once', async () => {
    const { stats } = await flagstatWith('htslib_test_ce_1000', 'none')
    expect(stats.records).toBe(1000)
    expect(stats.redone).toBe(0)
    expect(stats.accepted).toBeGreaterThan(0)
  })

  it('a misaligned guess in a file of many records is redone', async () => {
    const { stats } = await flagstatWith('htslib_test_ce_1000', 'misalign')
    expect(stats.redone).toBe(stats.chunks - 1)
  })

  it('a record spanning every block (bgzf_boundaries3) is rebuilt across all chunks', async () => {
    const { text, stats } = await flagstatWith('htslib_test_bgzf_boundaries_bgzf_boundaries3', 'none')
    expect(text).toBe(expected('htslib_test_bgzf_boundaries_bgzf_boundaries3', 'flagstat.txt'))
    expect(stats.records).toBe(1)
    expect(stats.chunks).toBeGreaterThan(10)
  })

  it('every corpus file is exact with misaligned guesses', async () => {
    for (const name of corpusNames()) {
      const { text } = await flagstatWith(name, 'misalign')
      expect(text, name).toBe(expected(name, 'flagstat.txt'))
    }
  })
})
