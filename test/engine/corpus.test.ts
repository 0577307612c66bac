import { beforeAll, describe, expect, it } from 'vitest'
import type { Piscina } from 'piscina'
import { count, flagstat } from '../../src/engine/api.js'
import { testPool } from '../helpers/pool.js'
import { formatFlagstat, formatFlagstatJson } from '../../src/ops/flagstat.js'
import { corpusBam, corpusNames, expected } from '../helpers/corpus.js'

// Every BAM of htslib's test suite against samtools 1.16's outputs beside it, at
// the default chunk size and at one BGZF block per chunk (nearly every record
// then straddles a chunk boundary).
let pool: Piscina
beforeAll(() => { pool = testPool() })

const CHUNK_SIZES: [string, number | undefined][] = [['default chunks', undefined], ['one-block chunks', 1]]

describe.each(CHUNK_SIZES)('htslib corpus, %s', (_label, chunkBytes) => {
  it.each(corpusNames())('%s: flagstat text and JSON, count', async (name) => {
    const stats = await flagstat(corpusBam(name), { pool, chunkBytes })
    expect(formatFlagstat(stats)).toBe(expected(name, 'flagstat.txt'))
    expect(JSON.parse(formatFlagstatJson(stats))).toEqual(JSON.parse(expected(name, 'flagstat.json')))
    expect(formatFlagstatJson(stats)).toBe(expected(name, 'flagstat.json'))
    expect(await count(corpusBam(name), { pool, chunkBytes })).toBe(Number(expected(name, 'count')))
  })
})
