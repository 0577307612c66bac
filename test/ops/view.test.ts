import fs from 'node:fs'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Piscina } from 'piscina'
import { count, flagstat } from '../../src/engine/api.js'
import { usePoolAndDir } from '../helpers/setup.js'
import type { InternalRunOptions } from '../../src/engine/run.js'
import { view } from '../../src/engine/view.js'
import { writeSyntheticBam } from '../../bench/synthetic/synthetic.js'
import { formatFlagstat } from '../../src/ops/flagstat.js'
import { Collector } from '../helpers/collect.js'
import { corpusBam, corpusNames, expected, hasCommand } from '../helpers/corpus.js'

let pool: Piscina
let dir: string
usePoolAndDir('view', (p, d) => { pool = p; dir = d })

async function sam(file: string, options: Parameters<typeof view>[1] extends infer O ? Omit<O, 'output'> : never): Promise<string> {
  const out = new Collector()
  await view(file, { ...options, output: out, pool })
  return out.text
}

describe('SAM output against samtools view --no-PG -h (corpus)', () => {
  it.each(corpusNames())('%s', async (name) => {
    const want = expected(name, 'sam')
    expect(await sam(corpusBam(name), { header: 'include' })).toBe(want)
    expect(await sam(corpusBam(name), { header: 'include', chunkBytes: 1 })).toBe(want)
    const misalign: InternalRunOptions = { guessHook: 'misalign' } // every guess wrong: the stitcher must redo them all
    expect(await sam(corpusBam(name), { header: 'include', chunkBytes: 1, ...misalign })).toBe(want)
  })
})

describe('header options', () => {
  it('-H prints the header only, and no header by default', async () => {
    const name = 'htslib_test_ce_1000'
    const want = expected(name, 'sam')
    const headerEnd = want.split('\n').findIndex((l) => !l.startsWith('@'))
    const header = want.split('\n').slice(0, headerEnd).join('\n') + '\n'
    expect(await sam(corpusBam(name), { header: 'only' })).toBe(header)
    expect(await sam(corpusBam(name), {})).toBe(want.slice(header.length))
  })
})

describe('BAM output', () => {
  it.each(['htslib_test_ce_1000', 'htslib_test_xx_large_aux', 'htslib_test_ce_large_seq', 'htslib_test_auxf_values'])('%s round-trips through -b', async (name) => {
    const out = path.join(dir, `${name}.out.bam`)
    await view(corpusBam(name), { output: out, format: 'bam', pool, chunkBytes: 1 })
    const back = new Collector()
    await view(out, { output: back, header: 'include', pool })
    expect(back.text).toBe(expected(name, 'sam'))
    expect(formatFlagstat(await flagstat(out, { pool }))).toBe(expected(name, 'flagstat.txt'))
    if (hasCommand('samtools')) execFileSync('samtools', ['quickcheck', out])
  })

  it('a failed run leaves no output file', async () => {
    const cut = path.join(dir, 'cut.bam')
    const bytes = fs.readFileSync(corpusBam('htslib_test_ce_1000'))
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 5000))
    const out = path.join(dir, 'never.sam')
    await expect(view(cut, { output: out, pool })).rejects.toMatchObject({ code: 'ERR_TRUNCATED' })
    expect(fs.existsSync(out)).toBe(false)
    expect(fs.readdirSync(dir).filter((f) => f.includes('never.sam'))).toEqual([])
  })

  it('an unwritable output is a clear error', async () => {
    await expect(view(corpusBam('htslib_test_ce_1000'), { output: path.join(dir, 'no-such-dir', 'x.sam'), pool }))
      .rejects.toMatchObject({ code: 'ERR_OUTPUT' })
  })
})

describe.runIf(hasCommand('samtools'))('live against samtools on a generated file', () => {
  let file: string
  beforeAll(async () => {
    file = path.join(dir, 'synthetic.bam')
    await writeSyntheticBam(file, { seed: 7, count: 20_000, blockSize: 20_000 })
    execFileSync('samtools', ['index', file])
  })
  const run = (args: string[]): string => execFileSync('samtools', args, { encoding: 'latin1', maxBuffer: 1 << 30 })

  it('SAM with filters equals samtools view --no-PG', async () => {
    for (const [f, F, q] of [[0, 0, 0], [2, 0, 0], [0, 0x904, 0], [1, 0x10, 30]] as const) {
      const want = run(['view', '--no-PG', '-h', '-f', `${f}`, '-F', `${F}`, '-q', `${q}`, file])
      expect(await sam(file, { header: 'include', requiredFlags: f, excludedFlags: F, minMapq: q, chunkBytes: 100_000 })).toBe(want)
      expect(await count(file, { requiredFlags: f, excludedFlags: F, minMapq: q, pool })).toBe(Number(run(['view', '-c', '-f', `${f}`, '-F', `${F}`, '-q', `${q}`, file])))
    }
  })

  it('regions equal samtools with an index', async () => {
    const ref = run(['view', file]).split('\n')[500]!.split('\t')
    const pos = Number(ref[3])
    for (const region of [`${ref[2]}`, `${ref[2]}:${pos}-${pos + 3000}`, `${ref[2]}:${pos + 10}`, `${ref[2]}:1-1`]) {
      expect(await sam(file, { region }), region).toBe(run(['view', '--no-PG', file, region]))
    }
  })

  it('BAM output read by samtools equals samtools view of the input with the same filters', async () => {
    const out = path.join(dir, 'filtered.bam')
    await view(file, { output: out, format: 'bam', excludedFlags: 4, minMapq: 20, pool })
    run(['quickcheck', out])
    expect(run(['view', out])).toBe(run(['view', '-F', '4', '-q', '20', file]))
  })
})
