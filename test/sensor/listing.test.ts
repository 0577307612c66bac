import fs from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Listing, ROTATION_SCANS } from '../../src/sensor/listing.js'
import { removeTempDirs, tempDir } from './helpers.js'

afterAll(removeTempDirs)

const rels = (d: { changed: Array<{ rel: string }> }): string[] => d.changed.map((f) => f.rel)

describe('Listing', () => {
  it('reports every matching file first, then only what changed, in name order; hidden entries and own results are skipped', () => {
    const root = tempDir()
    fs.mkdirSync(path.join(root, 'b/deep'), { recursive: true })
    fs.mkdirSync(path.join(root, '.partial'))
    fs.mkdirSync(path.join(root, 'out'))
    for (const f of ['a.bam', 'b/deep/c.BAM', 'b/x.txt', '.hidden.bam', '.partial/p.bam', 'out/r.bam']) fs.writeFileSync(path.join(root, f), f)
    fs.symlinkSync(root, path.join(root, 'b/loop')) // a cycle is entered once only
    const listing = new Listing({ roots: [root], include: ['*.bam'], exclude: [], skipUnder: path.join(root, 'out') })
    const first = listing.scan()
    expect(rels(first)).toEqual(['a.bam', 'b/deep/c.BAM'])
    expect(first).toMatchObject({ total: 2, removed: [], missingRoots: [] })
    expect(listing.scan()).toMatchObject({ changed: [], removed: [], total: 2 })
    fs.appendFileSync(path.join(root, 'a.bam'), 'more') // rewritten in place: the directory does not change
    fs.writeFileSync(path.join(root, 'b/new.bam'), 'n')
    fs.rmSync(path.join(root, 'b/deep/c.BAM'))
    const next = listing.scan()
    expect(rels(next)).toEqual(['a.bam', 'b/new.bam'])
    expect(next.removed).toEqual([path.join(root, 'b/deep/c.BAM')])
    expect(next.changed[0]).toMatchObject({ source: path.join(root, 'a.bam'), root: 0, size: 9 })
    listing.reset()
    expect(rels(listing.scan())).toEqual(['a.bam', 'b/new.bam'])
  })

  it('reads a directory again only when its mtime moved (and was not too recent to trust)', () => {
    const root = tempDir()
    fs.mkdirSync(path.join(root, 'old'))
    fs.writeFileSync(path.join(root, 'old/a.bam'), 'a')
    const past = new Date(Date.now() - 60_000)
    fs.utimesSync(path.join(root, 'old'), past, past)
    fs.utimesSync(root, past, past)
    const listing = new Listing({ roots: [root], include: ['*.bam'], exclude: [] })
    expect(listing.scan().dirsRead).toBe(2)
    expect(listing.scan().dirsRead).toBe(0)
    fs.writeFileSync(path.join(root, 'old/b.bam'), 'b') // moves old/'s mtime to now
    const d = listing.scan()
    expect([d.dirsRead, rels(d)]).toEqual([1, ['old/b.bam']])
    expect(listing.scan().dirsRead).toBe(1) // a fresh mtime is not trusted yet
  })

  it('looks at settled files in a rotating slice, at waiting files every scan: an in-place rewrite is seen within ROTATION_SCANS scans', () => {
    const root = tempDir()
    for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(root, `f${String(i).padStart(2, '0')}.bam`), 'x')
    const past = new Date(Date.now() - 60_000)
    fs.utimesSync(root, past, past)
    const listing = new Listing({ roots: [root], include: ['*.bam'], exclude: [], minSlice: 1 }) // 40 files: slices of 4
    listing.scan()
    const waiting = path.join(root, 'f00.bam')
    fs.appendFileSync(waiting, 'grows') // a copy still going on: looked at every scan
    fs.appendFileSync(path.join(root, 'f39.bam'), 'rewritten') // a settled file rewritten in place
    expect(rels(listing.scan(new Set([waiting])))).toContain('f00.bam')
    const seen: number[] = []
    for (let scan = 1; scan <= ROTATION_SCANS; scan++) if (rels(listing.scan(new Set([waiting]))).includes('f39.bam')) seen.push(scan)
    expect(seen).toHaveLength(1)
  })

  it('notices files and whole folders removed from folders it had cached', () => {
    const root = tempDir()
    for (const d of ['a', 'b']) {
      fs.mkdirSync(path.join(root, d))
      for (const f of ['1.bam', '2.bam']) fs.writeFileSync(path.join(root, d, f), f)
    }
    const past = new Date(Date.now() - 60_000)
    for (const d of ['a', 'b', '.']) fs.utimesSync(path.join(root, d), past, past)
    const listing = new Listing({ roots: [root], include: ['*.bam'], exclude: [], minSlice: 1 })
    listing.scan()
    expect(listing.scan()).toMatchObject({ dirsRead: 0, changed: [], removed: [] })
    fs.rmSync(path.join(root, 'a', '2.bam'))
    fs.rmSync(path.join(root, 'b'), { recursive: true })
    const d = listing.scan()
    expect(d.removed.sort()).toEqual([path.join(root, 'a', '2.bam'), path.join(root, 'b', '1.bam'), path.join(root, 'b', '2.bam')])
    expect(d.total).toBe(1)
  })

  it('names watched folders that are missing', () => {
    const root = tempDir()
    const listing = new Listing({ roots: [path.join(root, 'nope'), root], include: ['*.bam'], exclude: [] })
    expect(listing.scan()).toMatchObject({ missingRoots: [path.join(root, 'nope')], total: 0 })
  })
})
