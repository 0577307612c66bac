import { describe, expect, it } from 'vitest'
import { globToRegExp, matcher } from '../../src/sensor/glob.js'

describe('globToRegExp', () => {
  it.each([
    ['*.bam', 'a.bam', true],
    ['*.bam', 'dir/a.bam', false],
    ['*.bam', 'a.bam.tmp', false],
    ['**/*.bam', 'a.bam', true],
    ['**/*.bam', 'x/y/a.bam', true],
    ['runs/*/*.bam', 'runs/r1/a.bam', true],
    ['runs/*/*.bam', 'runs/r1/x/a.bam', false],
    ['?.bam', 'a.bam', true],
    ['?.bam', 'ab.bam', false],
    ['[ab]*.bam', 'b1.bam', true],
    ['[!ab]*.bam', 'b1.bam', false],
    ['[!ab]*.bam', 'c1.bam', true],
    ['*.{bam,cram}', 'x.cram', true],
    ['*.{bam,cram}', 'x.sam', false],
    ['a+b(1).bam', 'a+b(1).bam', true],
    ['sample.bam', 'sampleXbam', false],
    ['*.bam', 'X.BAM', true], // matching ignores case (issue 12.7: *.bam missed .BAM files)
    ['runs/*/*.bam', 'Runs/R1/a.Bam', true],
  ])('%s against %s → %s', (pattern, path, expected) => {
    expect(globToRegExp(pattern).test(path)).toBe(expected)
  })
})

describe('matcher', () => {
  it('matches a pattern without / against the file name at any depth', () => {
    const m = matcher(['*.bam'])
    expect(m('a.bam')).toBe(true)
    expect(m('deep/er/a.bam')).toBe(true)
    expect(m('deep/er/a.sam')).toBe(false)
  })

  it('matches a pattern with / against the relative path, and honours excludes', () => {
    const m = matcher(['incoming/**/*.bam', './top.bam'], ['*.partial.bam'])
    expect(m('incoming/a/b.bam')).toBe(true)
    expect(m('other/b.bam')).toBe(false)
    expect(m('top.bam')).toBe(true)
    expect(m('incoming/x.partial.bam')).toBe(false)
  })
})
