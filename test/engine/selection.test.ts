import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Piscina } from 'piscina'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testPool } from '../helpers/pool.js'
import { countRecords, view, type SelectionOptions } from '../../src/engine/view.js'
import { Collector } from '../helpers/collect.js'

// Expectations: samtools 1.16 on the same file (`samtools view [-c] [-M] OPTIONS synthetic.bam ARGS`).
const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/indexed')
const INDEXED = path.join(FIXTURES, 'synthetic.bam') // with synthetic.bam.bai beside it
const BED = path.join(FIXTURES, 'targets.bed')
let dir: string
let unindexed: string
let pool: Piscina
beforeAll(() => {
  pool = testPool()
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bamstream-selection-'))
  unindexed = path.join(dir, 'synthetic.bam')
  fs.copyFileSync(INDEXED, unindexed)
})
afterAll(async () => {
  fs.rmSync(dir, { recursive: true, force: true })
})

const sha1 = (text: string): string => createHash('sha1').update(text, 'latin1').digest('hex').slice(0, 16)

describe('samtools view filters', () => {
  it.each([
    [{ excludedFlags: 0x104 }, 11520], // -F UNMAP,SECONDARY
    [{ requiredFlags: 0x41 }, 5705], // -f PAIRED,read1
    [{ minMapq: -1 }, 12000], // -q -1
    [{ minMapq: 30 }, 10406],
    [{ excludedAllFlags: 12 }, 11766], // -G 12
    [{ anyFlags: 0x40 }, 5705], // --rf 0x40
    [{ anyFlags: 0x80, excludedFlags: 0x900 }, 5617], // --incl-flags READ2 -F 0x900
    [{ expression: '[NM]<=1 && !flag.reverse' }, 4871],
    [{ expression: 'rname == "chr2" && mapq > 20' }, 552],
    [{ subsample: 0.5, subsampleSeed: 42 }, 6130], // -s 42.5
    [{ subsample: 0.3, subsampleSeed: 7 }, 3509],
  ] as [SelectionOptions, number][])('%j', async (options, want) => {
    expect(await countRecords(unindexed, { ...options, pool })).toBe(want)
  })
})

describe('regions as samtools view -M takes them (index and full scan agree)', () => {
  async function sam(file: string, options: SelectionOptions): Promise<string> {
    const out = new Collector()
    await view(file, { output: out, ...options, pool })
    return out.text
  }

  // [selection, SHA-1 prefix of `samtools view -M synthetic.bam ARGS`, its count]
  it.each([
    [{ regions: ['chr2', 'chr1:1-500', 'chr1:400-2000'] }, 'ef0e0a62349827cb', 1257],
    [{ regions: ['*'] }, '62d8a92eadcd111d', 240],
    [{ regions: ['.'] }, 'f69e185e3d2c2bc8', 12000],
    [{ regions: ['chr1:1k-2k', 'chr1:1500-2500', '*'] }, 'c2426a0378a9b52e', 682],
    [{ targetsFile: BED }, 'd430f250657ed4bf', 311], // -L targets.bed
    [{ targetsFile: BED, regions: ['chr1'] }, 'd430f250657ed4bf', 311],
  ] as [SelectionOptions, string, number][])('%j', async (selection, sha, count) => {
    for (const file of [INDEXED, unindexed]) {
      expect(sha1(await sam(file, selection))).toBe(sha)
      expect(await countRecords(file, { ...selection, pool })).toBe(count)
    }
  })

  it('passes each skipped region to onRegionWarning, and throws without it', async () => {
    const warnings: string[] = []
    const regions = ['chr1:1-100', 'chrZ', 'chr1:500-100', 'chr1:abc', 'chr1:-5-10']
    for (const file of [INDEXED, unindexed]) {
      expect(sha1(await sam(file, { regions, onRegionWarning: (m) => warnings.push(m) }))).toBe('8dd33f9c438af6be') // chr1:1-100 alone
    }
    expect(warnings.length).toBe(8)
    await expect(countRecords(INDEXED, { regions, pool })).rejects.toMatchObject({ code: 'ERR_OPTION', message: 'region "chrZ": unknown reference "chrZ"' })
  })
})
