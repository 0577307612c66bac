import { createHash } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { builtBin } from '../helpers/bin.js'

// The built command, as a user runs it: package.json's bin (`npm test` builds dist/ and the bundle first). Expectations: samtools 1.16 on the same files.
const MAIN = builtBin()
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

describe('samtools view options on the command line', () => {
  // [options, samtools view -c OPTIONS synthetic.bam]
  it.each([
    [['-F', 'UNMAP,SECONDARY', '-f', '1', '-f', '0x40'], 5456], // names; repeated options OR together
    [['-q', '-1', '-G', '12', '--rf', '0x40'], 5588],
    [['-e', '[NM]<=1 && !flag.reverse', '-s', '42.5'], 2504],
    [['-@', '0', '--subsample', '0.3', '--subsample-seed', '7', '--incl-flags', 'READ2'], 1666],
  ])('view -c %j', (options, want) => {
    const r = cli(['view', '-c', ...options, unindexed])
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe(`${want}\n`)
  })

  it('count takes the same filters', () => {
    expect(cli(['count', '-F', 'UNMAP,SECONDARY', '-e', 'mapq >= 30', unindexed]).stdout).toBe('10406\n')
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

describe('regions on the command line', () => {
  it('several regions and -L, merged as samtools view -M', () => {
    const r = cli(['view', INDEXED, '-L', BED, 'chr1', '--region', 'chr2'])
    expect(r.status).toBe(0)
    expect(sha1(r.stdout)).toBe('d430f250657ed4bf') // samtools view -M -L targets.bed synthetic.bam chr1 chr2
  })

  it('skips an unknown reference, a reversed range and bad coordinates with a warning each, exit 0', () => {
    const r = cli(['view', unindexed, 'chr1:1-100', 'chrZ', 'chr1:500-100', 'chr1:abc', 'chr1:-5-10'])
    expect(r.status).toBe(0)
    expect(sha1(r.stdout)).toBe('8dd33f9c438af6be') // the records of chr1:1-100 alone
    expect(r.stderr.split('\n').filter((l) => l !== '')).toEqual([
      'bamstream view: warning: region "chrZ": unknown reference "chrZ"; skipped, as samtools does',
      'bamstream view: warning: region "chr1:500-100": empty or reversed range (500 > 100); skipped, as samtools does',
      'bamstream view: warning: region "chr1:abc": unexpected "abc" after the coordinates; skipped, as samtools does',
      'bamstream view: warning: region "chr1:-5-10": coordinates must be > 0; skipped, as samtools does',
    ])
  })

  it('an empty region is an error, not the whole file', () => {
    const r = cli(['view', '-c', INDEXED, '--region', ''])
    expect(r.status).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain('region "": empty region')
  })
})
