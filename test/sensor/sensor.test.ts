import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SensorConfig } from '../../src/sensor/config.js'
import { endsWithEofBlock } from '../../src/sensor/probe.js'
import { inProcessLister } from '../../src/sensor/lister.js'
import { evaluateSensor, runKey, type Cursor, type KnownRuns, type TickResult } from '../../src/sensor/sensor.js'
import { CE_1000, FIXTURES, tempDir, truncatedCopy, removeTempDirs } from './helpers.js'

afterAll(removeTempDirs)

function sensorFor(watch: string[], extra: Partial<SensorConfig> = {}): SensorConfig {
  return {
    name: 't', watch, pattern: ['*.bam'], exclude: [], urls: [], op: 'flagstat', options: {}, out: '/out', interval: 100,
    runKey: ['path', 'size', 'mtime'], maxAttempts: 3, incompleteAfter: 0, engine: { chunkSize: 65536, maxRuntime: 0 }, ...extra,
  }
}

const none: KnownRuns = () => undefined

/** Applies a tick's cursor changes, as the daemon does once the store has them. */
function carry(cursor: Cursor, t: TickResult): void {
  for (const [source, row] of t.changed) cursor.set(source, { ...row })
  for (const source of t.removed) cursor.delete(source)
}

/** Evaluates ticks with one incremental lister, carrying the cursor forward, like the daemon. */
function ticker(sensor: SensorConfig, known: KnownRuns = none, cursor: Cursor = new Map()): (now?: number) => Promise<TickResult> {
  const lister = inProcessLister()
  return async (now) => {
    const t = await evaluateSensor(sensor, cursor, { known, lister, now })
    carry(cursor, t)
    return t
  }
}

const reasons = (t: TickResult): string[] => t.skips.map((s) => `${path.basename(s.source)}:${s.reason}`)

describe('evaluateSensor on directories', () => {
  it('requests a complete file at the second look, once', async () => {
    const dir = tempDir()
    fs.mkdirSync(path.join(dir, 'sub'))
    fs.copyFileSync(CE_1000, path.join(dir, 'sub/a.bam'))
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a bam')
    const tick = ticker(sensorFor([dir]))
    const first = await tick()
    expect(first.requests).toEqual([])
    expect(reasons(first)).toEqual(['a.bam:first-look'])
    const second = await tick()
    expect(second.requests).toHaveLength(1)
    const req = second.requests[0]!
    expect(req).toMatchObject({ sensor: 't', source: path.join(dir, 'sub/a.bam'), size: 46639, op: 'flagstat', outBase: '/out/sub/a', maxAttempts: 3 })
    expect(req.runKey).toMatch(new RegExp(`^${path.join(dir, 'sub/a.bam')}\\|size=46639\\|mtime=\\d+$`))
    const third = await tick()
    expect(third.requests).toEqual([])
    expect(reasons(third)).toEqual([]) // incremental: an unchanged, requested file needs no decision
    expect(third.candidates).toBe(1)
  })

  it('does not request a file that is still growing or lacks the EOF block', async () => {
    const dir = tempDir()
    const bytes = fs.readFileSync(CE_1000)
    const file = path.join(dir, 'a.bam')
    const tick = ticker(sensorFor([dir]))
    fs.writeFileSync(file, bytes.subarray(0, 10_000))
    expect(reasons(await tick())).toEqual(['a.bam:first-look'])
    fs.appendFileSync(file, bytes.subarray(10_000, 30_000))
    expect(reasons(await tick())).toEqual(['a.bam:changing'])
    const stalled = await tick() // size stable, but the copy is not finished
    expect(stalled.requests).toEqual([])
    expect(stalled.skips[0]).toMatchObject({ reason: 'no-eof', detail: '30000 bytes, no BGZF EOF block at the end' })
    fs.appendFileSync(file, bytes.subarray(30_000))
    expect(reasons(await tick())).toEqual(['a.bam:changing'])
    expect((await tick()).requests.map((r) => r.size)).toEqual([46639])
  })

  it('gives a file rewritten in place a new key, unless the run key is the path alone', async () => {
    const dir = tempDir()
    const file = path.join(dir, 'a.bam')
    fs.copyFileSync(CE_1000, file)
    const byDefault = ticker(sensorFor([dir]))
    const stored = new Set<string>() // the store's unique keys
    const byPath = ticker(sensorFor([dir], { runKey: ['path'] }), (k) => (stored.has(k) ? { id: 1, status: 'SUCCESS' } : undefined))
    await byDefault(); await byPath()
    const k1 = (await byDefault()).requests[0]!.runKey
    const viaPath = (await byPath()).requests[0]!.runKey
    expect(viaPath).toBe(file)
    stored.add(viaPath)
    fs.copyFileSync(path.join(FIXTURES, 'htslib_test_ce_5.bam'), file)
    await byDefault(); await byPath()
    const k2 = (await byDefault()).requests[0]?.runKey
    expect(k2).toBeDefined()
    expect(k2).not.toBe(k1)
    expect((await byPath()).skips[0]).toMatchObject({ reason: 'already-requested', detail: 'run 1 SUCCESS' })
  })

  it('skips keys the store already has a run for (e.g. after the cursor was lost)', async () => {
    const dir = tempDir()
    fs.copyFileSync(CE_1000, path.join(dir, 'a.bam'))
    const tick = ticker(sensorFor([dir]), () => ({ id: 12, status: 'SUCCESS' }))
    await tick()
    const t = await tick()
    expect(t.requests).toEqual([])
    expect(t.skips[0]).toMatchObject({ reason: 'already-requested', detail: 'run 12 SUCCESS' })
  })

  it('requests a truncated file anyway once it has stayed unchanged for incompleteAfter', async () => {
    const dir = tempDir()
    truncatedCopy(CE_1000, path.join(dir, 'cut.bam'))
    const tick = ticker(sensorFor([dir], { incompleteAfter: 1000 }))
    await tick(10_000)
    expect(reasons(await tick(10_500))).toEqual(['cut.bam:no-eof'])
    expect((await tick(11_000)).requests.map((r) => path.basename(r.source))).toEqual(['cut.bam'])
  })

  it('never consumes its own results, even with its out directory inside the watched one', async () => {
    const dir = tempDir()
    fs.mkdirSync(path.join(dir, 'out'))
    fs.copyFileSync(CE_1000, path.join(dir, 'a.bam'))
    fs.copyFileSync(CE_1000, path.join(dir, 'out/a.view.bam'))
    const tick = ticker(sensorFor([dir], { out: path.join(dir, 'out') }))
    await tick()
    expect((await tick()).requests.map((r) => r.source)).toEqual([path.join(dir, 'a.bam')])
  })

  it('keeps its state only in the cursor rows it returns (restart-safe), and writes only rows that changed', async () => {
    const dir = tempDir()
    fs.copyFileSync(CE_1000, path.join(dir, 'a.bam'))
    fs.copyFileSync(CE_1000, path.join(dir, 'b.bam'))
    const sensor = sensorFor([dir])
    const saved: Cursor = new Map()
    carry(saved, await evaluateSensor(sensor, new Map(), { known: none, lister: inProcessLister() }))
    const afterRestart = ticker(sensor, none, new Map(saved)) // a new lister: its first scan reports every file
    const t = await afterRestart()
    expect(t.requests).toHaveLength(2)
    expect(t.changed.map(([s]) => path.basename(s))).toEqual(['a.bam', 'b.bam']) // keys set
    fs.rmSync(path.join(dir, 'b.bam'))
    const next = await afterRestart()
    expect([next.changed, next.removed]).toEqual([[], [path.join(dir, 'b.bam')]])
  })

  it('puts results of several watched folders under each folder\'s name, and refuses an output name another source owns', async () => {
    const root = tempDir()
    for (const d of ['x', 'y']) { fs.mkdirSync(path.join(root, d)); fs.copyFileSync(CE_1000, path.join(root, d, 'same.bam')) }
    const sensor = sensorFor([path.join(root, 'x'), path.join(root, 'y')])
    const tick = ticker(sensor)
    await tick()
    expect((await tick()).requests.map((r) => r.outBase)).toEqual(['/out/x/same', '/out/y/same'])
    const owners = (): { sensor: string; source: string } => ({ sensor: 'other', source: '/elsewhere/same.bam' })
    const single = sensorFor([path.join(root, 'x')])
    const cursor: Cursor = new Map()
    const lister = inProcessLister()
    carry(cursor, await evaluateSensor(single, cursor, { known: none, lister, owners }))
    const t = await evaluateSensor(single, cursor, { known: none, lister, owners })
    expect(t.requests).toEqual([])
    expect(t.skips).toMatchObject([{ reason: 'output-collision', detail: '/out/same.* already holds the results of other:/elsewhere/same.bam' }])
    expect(t.changed[0]![1].key).toBeUndefined()
  })

  it('reports a watched folder that does not exist', async () => {
    const t = await ticker(sensorFor([path.join(tempDir(), 'nope')]))()
    expect(t.missingRoots).toEqual([expect.stringMatching(/nope$/)])
  })
})

describe('evaluateSensor on URLs', () => {
  let server: http.Server
  let base: string
  const bytes = fs.readFileSync(CE_1000)

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url !== '/data/a.bam') { res.writeHead(404).end(); return }
      const range = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? '')
      const body = range ? bytes.subarray(Number(range[1]), Number(range[2]) + 1) : bytes
      res.writeHead(range ? 206 : 200, { 'content-length': body.length, etag: '"v1"' })
      res.end(req.method === 'HEAD' ? undefined : body)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  it('requests a URL after two equal HEADs and a ranged check of its last 28 bytes', async () => {
    const list = path.join(tempDir(), 'urls.txt')
    fs.writeFileSync(list, `# list\n${base}/missing.bam\n\n`)
    const tick = ticker(sensorFor([], { urls: [`${base}/data/a.bam`], urlFile: list }))
    const first = await tick()
    expect(reasons(first).sort()).toEqual(['a.bam:first-look', 'missing.bam:unreachable'])
    const second = await tick()
    const host = base.slice('http://'.length).replace(':', '_')
    expect(second.requests).toMatchObject([{ source: `${base}/data/a.bam`, size: 46639, outBase: `/out/${host}/data/a`, runKey: `${base}/data/a.bam|size=46639|mtime="v1"` }])
    expect(await endsWithEofBlock(`${base}/data/a.bam`, bytes.length)).toBe(true)
  })
})

describe('runKey', () => {
  it('joins the chosen fields', () => {
    expect(runKey('/in/x/a.bam', 5, '77', ['path', 'size', 'mtime'])).toBe('/in/x/a.bam|size=5|mtime=77')
    expect(runKey('/in/x/a.bam', 5, '77', ['name', 'size'])).toBe('a|size=5') // as version 1 made it: stored keys stay valid
    expect(runKey('http://h/d/a%20b.BAM?x=1', 5, '"e"', ['name', 'mtime'])).toBe('a b|mtime="e"')
  })
})
