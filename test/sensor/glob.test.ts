import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it, afterAll } from 'vitest'
import { globToRegExp, matcher, walkFiles } from '../../src/sensor/glob.js'
import { tempDir, removeTempDirs } from './helpers.js'

afterAll(removeTempDirs)

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

describe('walkFiles', () => {
  it('lists regular files recursively in name order, skipping hidden entries and symlink loops', async () => {
    const root = tempDir()
    fs.mkdirSync(path.join(root, 'b/c'), { recursive: true })
    fs.mkdirSync(path.join(root, '.hidden'))
    for (const f of ['z.bam', 'a.bam', 'b/c/d.bam', '.tmp.bam', '.hidden/x.bam']) fs.writeFileSync(path.join(root, f), 'x')
    fs.symlinkSync(root, path.join(root, 'b/loop'))
    const rels: string[] = []
    for await (const f of walkFiles(root)) rels.push(f.rel)
    expect(rels).toEqual(['a.bam', 'b/c/d.bam', 'z.bam'])
  })

  it('yields nothing for a missing directory', async () => {
    const rels: string[] = []
    for await (const f of walkFiles(path.join(tempDir(), 'nope'))) rels.push(f.rel)
    expect(rels).toEqual([])
  })
})
