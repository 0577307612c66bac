import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Piscina } from 'piscina'
import { createPool } from '../../src/engine/pool.js'
import { findIndex, visitRegion } from '../../src/engine/indexed.js'
import { openBam } from '../../src/engine/reader.js'
import { countRecords, view } from '../../src/engine/view.js'
import { parseRegion } from '../../src/bam/region.js'
import { Collector } from '../helpers/collect.js'

// Region queries through a .bai must give exactly what samtools gives, and the
// same as a full scan, while reading only part of the file.
const DIR = path.resolve(import.meta.dirname, '../fixtures/indexed')
const BAM = path.join(DIR, 'synthetic.bam')
const REGIONS = fs.readFileSync(path.join(DIR, 'regions.txt'), 'utf8').trim().split('\n')

let pool: Piscina
beforeAll(() => { pool = createPool(2) })
afterAll(async () => { await pool.destroy() })

async function sam(region: string, noIndex: boolean): Promise<string> {
  const out = new Collector()
  await view(BAM, { output: out, region, noIndex, pool })
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

  it('reads only part of the file through the index', async () => {
    const bam = await openBam(BAM)
    bam.source.close()
    const region = parseRegion(REGIONS[0]!, bam.header.references)
    let n = 0
    const bytesRead = await visitRegion(BAM, `${BAM}.bai`, bam.header, region, () => { n++ })
    expect(n).toBe(fs.readFileSync(path.join(DIR, 'region0.sam'), 'latin1').split('\n').filter(Boolean).length)
    expect(bytesRead).toBeLessThan(fs.statSync(BAM).size / 4)
  })
})
