import fs from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Piscina } from 'piscina'
import { testPool } from '../helpers/pool.js'
import { findIndex, runIndexed } from '../../src/engine/indexed.js'
import { indexedSet, recordFilter, type RecordFilter } from '../../src/ops/filter.js'
import type { Progress } from '../../src/engine/run.js'
import { countRecords, view } from '../../src/engine/view.js'
import { Collector } from '../helpers/collect.js'

// Region queries through a .bai must give exactly what samtools gives, and the
// same as a full scan, while reading only part of the file.
const DIR = path.resolve(import.meta.dirname, '../fixtures/indexed')
const BAM = path.join(DIR, 'synthetic.bam')
const REGIONS = fs.readFileSync(path.join(DIR, 'regions.txt'), 'utf8').trim().split('\n')

let pool: Piscina
beforeAll(() => { pool = testPool() })

async function sam(regions: string | string[], noIndex: boolean): Promise<string> {
  const out = new Collector()
  await view(BAM, { output: out, ...(typeof regions === 'string' ? { region: regions } : { regions }), noIndex, pool })
  return out.text
}

describe('regions', () => {
  it('finds the index beside the file', () => {
    expect(findIndex(BAM)).toBe(`${BAM}.bai`)
    expect(findIndex('-')).toBeUndefined()
  })

  it.each(REGIONS.map((r, i) => [r, i] as const))('%s: through the index and by full scan, equal to samtools', async (region, i) => {
    const want = fs.readFileSync(path.join(DIR, `region${i}.sam`), 'latin1')
    expect(await sam(region, false)).toBe(want)
    expect(await sam(region, true)).toBe(want)
  })

  it.each(REGIONS.map((r, i) => [r, i] as const))('%s: counted like samtools view -c, with and without the index', async (region, i) => {
    const want = fs.readFileSync(path.join(DIR, `region${i}.sam`), 'latin1').split('\n').filter(Boolean).length
    expect(await countRecords(BAM, { region, pool })).toBe(want)
    expect(await countRecords(BAM, { region, noIndex: true, pool })).toBe(want)
  })

  it('reads only part of the file through the index, reporting progress', async () => {
    const reports: Progress[] = []
    const n = await runIndexed<number, RecordFilter>(BAM, `${BAM}.bai`, 'count', recordFilter({ region: REGIONS[0]! }), indexedSet, { onProgress: (p) => reports.push(p) })
    expect(n).toBe(fs.readFileSync(path.join(DIR, 'region0.sam'), 'latin1').split('\n').filter(Boolean).length)
    const last = reports[reports.length - 1]!
    expect(last.done).toBe(true)
    expect(last.totalBytes).toBeLessThan(fs.statSync(BAM).size / 4)
    expect(reports.every((p, i) => i === 0 || p.bytes >= reports[i - 1]!.bytes)).toBe(true)
  })

  it('merges several regions: file order, each record once (samtools view -M)', async () => {
    const regions = ['chr2', 'chr1:1-500', 'chr1:400-2000', 'chr1:1-500']
    const indexed = await sam(regions, false)
    expect(await sam(regions, true)).toBe(indexed)
    const names = indexed.split('\n').filter(Boolean)
    expect(new Set(names).size).toBe(names.length)
    expect(names.length).toBe(1257) // samtools view -c -M synthetic.bam chr2 chr1:1-500 chr1:400-2000
  })

  it("reads '*' from past the last placed record", async () => {
    const want = (await sam(['*'], true)).split('\n').filter(Boolean)
    expect(want.length).toBe(240) // samtools view -c synthetic.bam '*'
    expect((await sam(['*'], false)).split('\n').filter(Boolean)).toEqual(want)
    expect(want.every((l) => l.split('\t')[2] === '*')).toBe(true)
  })

  it('stops at an abort', async () => {
    const ac = new AbortController()
    ac.abort()
    await expect(countRecords(BAM, { region: 'chr1', signal: ac.signal })).rejects.toThrow(/abort/i)
  })
})
