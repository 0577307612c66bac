import { beforeAll, describe, expect, it } from 'vitest'
import type { Piscina } from 'piscina'
import { testPool } from '../helpers/pool.js'
import { records } from '../../src/engine/records.js'
import { corpusBam, expected } from '../helpers/corpus.js'

let pool: Piscina
beforeAll(() => { pool = testPool() })

/** QNAME, FLAG and POS of each record line of a committed samtools SAM file. */
function samFields(name: string): string[] {
  return expected(name, 'sam').split('\n').filter((l) => l && !l.startsWith('@')).map((l) => l.split('\t').slice(0, 4).join('\t'))
}

describe('records()', () => {
  it.each(['htslib_test_ce_1000', 'htslib_test_ce_large_seq', 'htslib_test_xx_large_aux', 'htslib_test_bgzf_boundaries_bgzf_boundaries3'])(
    '%s: every record, in file order, at one block per chunk', async (name) => {
      const refs = expected(name, 'sam').split('\n').filter((l) => l.startsWith('@SQ')).map((l) => /SN:([^\t]+)/.exec(l)![1]!)
      const seen: string[] = []
      let batches = 0
      for await (const batch of records(corpusBam(name), { pool, chunkBytes: 1 })) {
        batches++
        for (const rec of batch) seen.push([rec.name, rec.flag, rec.refID < 0 ? '*' : refs[rec.refID], rec.pos + 1].join('\t'))
      }
      expect(seen).toEqual(samFields(name))
      expect(batches).toBeGreaterThan(0)
    })

  it('filters in the workers', async () => {
    let n = 0
    for await (const batch of records(corpusBam('htslib_test_ce_1000'), { pool, requiredFlags: 16 })) {
      for (const rec of batch) {
        expect(rec.flag & 16).toBe(16)
        n++
      }
    }
    expect(n).toBe(samFields('htslib_test_ce_1000').filter((l) => Number(l.split('\t')[1]) & 16).length)
  })

  it('stops the run when the loop breaks', async () => {
    let n = 0
    for await (const batch of records(corpusBam('htslib_test_ce_large_seq'), { pool, chunkBytes: 1 })) {
      n += batch.length
      break
    }
    expect(n).toBeGreaterThan(0)
    // the pool is still usable afterwards
    let total = 0
    for await (const batch of records(corpusBam('htslib_test_ce_1000'), { pool })) total += batch.length
    expect(total).toBe(1000)
  })
})
