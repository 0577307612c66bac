import fs from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Piscina } from 'piscina'
import { idxstats } from '../../src/engine/api.js'
import { createPool } from '../../src/engine/pool.js'
import { formatIdxstats } from '../../src/ops/idxstats.js'
import { CORPUS, corpusBam, corpusNames, expected } from '../helpers/corpus.js'

// samtools idxstats needs an index; the expectations were made by indexing each
// corpus file that samtools could index (98 of 114) and running samtools 1.16.
const INDEXED = fs.readdirSync(CORPUS).filter((f) => f.endsWith('.idxstats.txt')).map((f) => f.slice(0, -'.idxstats.txt'.length))

let pool: Piscina
beforeAll(() => { pool = createPool(2) })
afterAll(async () => { await pool.destroy() })

describe('idxstats by full scan', () => {
  it('covers the indexable corpus', () => {
    expect(INDEXED.length).toBeGreaterThanOrEqual(90)
  })

  it.each(INDEXED.filter((n) => corpusNames().includes(n)))('%s matches samtools idxstats', async (name) => {
    for (const chunkBytes of [undefined, 1]) {
      expect(formatIdxstats(await idxstats(corpusBam(name), { pool, chunkBytes }))).toBe(expected(name, 'idxstats.txt'))
    }
  })
})
