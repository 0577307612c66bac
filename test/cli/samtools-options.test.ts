import { createHash } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The built command, as a user runs it (`npm test` builds dist/ first). Expectations: samtools 1.16 on the same files.
const MAIN = path.resolve(import.meta.dirname, '../../dist/src/cli/main.js')
const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/indexed')
const INDEXED = path.join(FIXTURES, 'synthetic.bam') // with synthetic.bam.bai beside it
const BED = path.join(FIXTURES, 'targets.bed')
let dir: string
let unindexed: string
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bamstream-samtools-'))
  unindexed = path.join(dir, 'synthetic.bam')
  fs.copyFileSync(INDEXED, unindexed)
})
afterAll(() => { fs.rmSync(dir, { recursive: true, force: true }) })

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'latin1', maxBuffer: 1 << 28, timeout: 60_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

const sha1 = (text: string): string => createHash('sha1').update(text, 'latin1').digest('hex').slice(0, 16)

describe('samtools view filter options', () => {
  // [options, samtools view -c OPTIONS synthetic.bam]
  it.each([
    [['-F', 'UNMAP,SECONDARY'], 11520],
    [['-f', 'PAIRED,read1'], 5705],
    [['-f', '1', '-f', '0x40'], 5705], // repeated options OR together
    [['-q', '-1'], 12000],
    [['-q', '30'], 10406],
    [['-G', '12'], 11766],
    [['--rf', '0x40'], 5705],
    [['--incl-flags', 'READ2', '-F', '0x900'], 5617],
    [['-e', '[NM]<=1 && !flag.reverse'], 4871],
    [['-e', 'rname == "chr2" && mapq > 20'], 552],
    [['-s', '42.5'], 6130],
    [['--subsample', '0.3', '--subsample-seed', '7'], 3509],
    [['-@', '0', '-f', '0x2'], 10225],
  ])('view -c %j', (options, want) => {
    const r = cli(['view', '-c', ...options, unindexed])
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe(`${want}\n`)
    expect(cli(['count', ...options, unindexed]).stdout).toBe(`${want}\n`)
  })

  it('refuses unknown flag names and bad expressions before reading', () => {
    const flags = cli(['view', '-c', '-F', 'UNMAPPED', unindexed])
    expect(flags.status).toBe(1)
    expect(flags.stderr).toMatch(/-F: "UNMAPPED" is neither a number nor flag names/)
    const expr = cli(['view', '-c', '-e', 'mapq >', unindexed])
    expect(expr.status).toBe(1)
    expect(expr.stderr).toMatch(/filter expression: expected a value at column 7/)
  })
})

describe('regions as samtools view -M takes them (index and full scan agree)', () => {
  // [arguments after the file, SHA-1 prefix of `samtools view -M synthetic.bam ARGS`, its count]
  it.each([
    [['chr2', 'chr1:1-500', 'chr1:400-2000'], 'ef0e0a62349827cb', 1257],
    [['*'], '62d8a92eadcd111d', 240],
    [['.'], 'f69e185e3d2c2bc8', 12000],
    [['chr1:1k-2k', 'chr1:1500-2500', '*'], 'c2426a0378a9b52e', 682],
    [['-L', BED], 'd430f250657ed4bf', 311],
    [['-L', BED, 'chr1'], 'd430f250657ed4bf', 311],
  ])('view %j', (args, sha, count) => {
    for (const file of [INDEXED, unindexed]) {
      const r = cli(['view', file, ...args])
      expect(r.status).toBe(0)
      expect(sha1(r.stdout)).toBe(sha)
      expect(cli(['view', '-c', file, ...args]).stdout).toBe(`${count}\n`)
    }
  })

  it('skips an unknown reference, a reversed range and bad coordinates with a warning each, exit 0', () => {
    for (const file of [INDEXED, unindexed]) {
      const r = cli(['view', file, 'chr1:1-100', 'chrZ', 'chr1:500-100', 'chr1:abc', 'chr1:-5-10'])
      expect(r.status).toBe(0)
      expect(sha1(r.stdout)).toBe('8dd33f9c438af6be') // the records of chr1:1-100 alone
      expect(r.stderr.split('\n').filter((l) => l !== '')).toEqual([
        'bamstream view: warning: region "chrZ": unknown reference "chrZ"; skipped, as samtools does',
        'bamstream view: warning: region "chr1:500-100": empty or reversed range (500 > 100); skipped, as samtools does',
        'bamstream view: warning: region "chr1:abc": unexpected "abc" after the coordinates; skipped, as samtools does',
        'bamstream view: warning: region "chr1:-5-10": coordinates must be > 0; skipped, as samtools does',
      ])
    }
  })

  it('an empty region is an error, not the whole file', () => {
    for (const args of [[''], ['--region', '']]) {
      const r = cli(['view', '-c', INDEXED, ...args])
      expect(r.status).toBe(1)
      expect(r.stdout).toBe('')
      expect(r.stderr).toContain('region "": empty region')
    }
  })
})
