import fs from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Piscina } from 'piscina'
import { idxstats } from '../../src/engine/api.js'
import { testPool } from '../helpers/pool.js'
import { formatIdxstats } from '../../src/ops/idxstats.js'
import { CORPUS, corpusBam, corpusNames, expected } from '../helpers/corpus.js'

// samtools idxstats needs an index; the expectations were made by indexing each
// corpus file that samtools could index (98 of 114) and running samtools 1.16.
const INDEXED = fs.readdirSync(CORPUS).filter((f) => f.endsWith('.idxstats.txt')).map((f) => f.slice(0, -'.idxstats.txt'.length))
// The others: samtools idxstats without an index ("reverting to slow method", samtools 1.16 bam_index.c)
// prints these (.idxstats-slow.txt) or refuses a file whose references' records are not together.
const SLOW = fs.readdirSync(CORPUS).filter((f) => f.endsWith('.idxstats-slow.txt')).map((f) => f.slice(0, -'.idxstats-slow.txt'.length))
const NOT_SORTED = ['htslib_samples_sample', 'htslib_test_fieldarith', 'htslib_test_xx_unsorted']

let pool: Piscina
beforeAll(() => { pool = testPool() })

describe('idxstats by full scan', () => {
  it('covers the indexable corpus', () => {
    expect(INDEXED.length).toBeGreaterThanOrEqual(90)
  })

  it.each(INDEXED.filter((n) => corpusNames().includes(n)))('%s matches samtools idxstats', async (name) => {
    for (const chunkBytes of [undefined, 1]) {
      expect(formatIdxstats(await idxstats(corpusBam(name), { pool, chunkBytes }))).toBe(expected(name, 'idxstats.txt'))
    }
  })

  it('covers the whole corpus', () => {
    expect(INDEXED.length + SLOW.length + NOT_SORTED.length).toBe(fs.readdirSync(CORPUS).filter((f) => f.endsWith('.bam')).length)
  })

  it.each(SLOW)('%s matches samtools idxstats without an index', async (name) => {
    for (const chunkBytes of [undefined, 1]) {
      expect(formatIdxstats(await idxstats(corpusBam(name), { pool, chunkBytes }))).toBe(expected(name, 'idxstats-slow.txt'))
    }
  })

  it.each(NOT_SORTED)('%s is refused as samtools refuses it: not position sorted', async (name) => {
    for (const chunkBytes of [undefined, 1]) {
      await expect(idxstats(corpusBam(name), { pool, chunkBytes })).rejects.toMatchObject({ code: 'ERR_UNSORTED', message: expect.stringMatching(/not position sorted/) })
    }
  })
})
