import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it, afterAll } from 'vitest'
import { parseDuration, readConfigFile, resolveConfig } from '../../src/sensor/config.js'
import { SLOW_OP, tempDir, removeTempDirs } from './helpers.js'

afterAll(removeTempDirs)

describe('resolveConfig', () => {
  it('reads several sensors from a file, with paths relative to the file and defaults filled in', () => {
    const dir = tempDir()
    const file = path.join(dir, 'bamstream.config.json')
    fs.writeFileSync(file, JSON.stringify({
      state: 'st', out: 'results', interval: '250ms', maxConcurrent: 3, threads: 2, chunkSize: '1M', maxAttempts: 5,
      sensors: [
        { name: 'stats', watch: ['in'], op: 'flagstat' },
        { name: 'mapped', watch: 'in', pattern: ['**/*.bam'], op: 'count', options: { excludedFlags: '0x904' }, out: 'counts', interval: '1s', runKey: 'path+size' },
        { name: 'custom', urls: ['http://h/a.bam'], op: path.relative(dir, SLOW_OP), options: { msPerRecord: 1 }, incompleteAfter: 0 },
      ],
    }))
    const c = resolveConfig([readConfigFile(file)])
    expect(c).toMatchObject({ state: path.join(dir, 'st'), interval: 250, maxConcurrent: 3, threads: 2, chunkBytes: 1 << 20, grace: 30_000 })
    expect(c.sensors.map((s) => s.name)).toEqual(['stats', 'mapped', 'custom'])
    expect(c.sensors[0]).toMatchObject({ watch: [path.join(dir, 'in')], pattern: ['*.bam'], out: path.join(dir, 'results', 'stats'), interval: 250, maxAttempts: 5, runKey: ['path', 'size', 'mtime'] })
    expect(c.sensors[0]!.engine).toEqual({ chunkSize: 1 << 20, maxRuntime: 0 })
    expect(c.sensors[1]).toMatchObject({ options: { excludedFlags: 0x904 }, out: path.join(dir, 'counts'), interval: 1000, runKey: ['path', 'size'] })
    expect(c.sensors[2]).toMatchObject({ op: SLOW_OP, urls: ['http://h/a.bam'], watch: [], incompleteAfter: 0 })
  })

  it('lets later layers (flags) override settings and add a sensor', () => {
    const c = resolveConfig([
      { raw: { maxConcurrent: 2, out: 'o', sensors: [{ name: 'a', watch: ['x'] }] }, baseDir: '/etc/b' },
      { raw: { maxConcurrent: 8, sensors: [{ name: 'b', watch: ['y'] }] }, baseDir: '/work' },
    ])
    expect(c.maxConcurrent).toBe(8)
    expect(c.sensors.map((s) => [s.name, s.watch[0], s.out])).toEqual([['a', '/etc/b/x', '/etc/b/o/a'], ['b', '/work/y', '/etc/b/o/b']])
  })

  it('takes engine options per sensor (stored on each run), with top-level defaults', () => {
    const c = resolveConfig([{ raw: { chunkSize: '256k', maxRuntime: '1h', sensors: [{ name: 'a', watch: ['x'] }, { name: 'b', watch: ['y'], chunkSize: '4M', maxRuntime: '90s' }] }, baseDir: '/' }])
    expect(c.sensors.map((s) => s.engine)).toEqual([{ chunkSize: 256 << 10, maxRuntime: 3_600_000 }, { chunkSize: 4 << 20, maxRuntime: 90_000 }])
  })

  it('refuses sensors whose result files could share names (issue 12.1)', () => {
    const twoCounts = { out: 'o', sensors: [{ name: 'a', watch: ['x'], op: 'count', out: 'o' }, { name: 'b', watch: ['x'], op: 'count', options: { F: 4 }, out: 'o' }] }
    expect(() => resolveConfig([{ raw: twoCounts, baseDir: '/' }])).toThrow(/sensors "a" and "b" would both write count results into \/o, .*give each its own "out" folder/)
    const nested = { sensors: [{ name: 'a', watch: ['x'], out: 'o' }, { name: 'b', watch: ['y'], out: 'o/b' }] }
    expect(() => resolveConfig([{ raw: nested, baseDir: '/' }])).toThrow(/"a" and "b" would both write flagstat results/)
    const twoRoots = { sensors: [{ name: 'a', watch: ['one/in', 'two/in'] }] }
    expect(() => resolveConfig([{ raw: twoRoots, baseDir: '/' }])).toThrow(/watches two folders named "in"/)
    // different ops, or the default layout (out/<sensor name>), never collide
    expect(resolveConfig([{ raw: { sensors: [{ name: 'a', watch: ['x'], op: 'count' }, { name: 'b', watch: ['x'], op: 'count' }, { name: 'c', watch: ['x'], out: 'bamstream-out/a' }] }, baseDir: '/' }]).sensors).toHaveLength(3)
  })

  it.each([
    [{ sensors: [] }, /no sensors/],
    [{ sensors: [{ watch: ['a'] }], maxConcurent: 2 }, /unknown setting "maxConcurent"/],
    [{ sensors: [{ name: 'x' }] }, /watches nothing/],
    [{ sensors: [{ name: 'x', watch: ['a'] }, { name: 'x', watch: ['b'] }] }, /two sensors are named "x"/],
    [{ sensors: [{ watch: ['a'], op: 'bogus' }] }, /unknown op "bogus"/],
    [{ sensors: [{ watch: ['a'], runKey: 'size' }] }, /must include path or name/],
    [{ sensors: [{ watch: ['a'] }], interval: 'soon' }, /invalid duration/],
    [{ sensors: [{ watch: ['a'] }], maxConcurrent: 0 }, /at least 1/],
    [{ sensors: [{ watch: ['a'] }], interval: 0 }, /interval: must be more than 0/], // issue 12.7: --interval 0 was accepted
    [{ sensors: [{ watch: ['a'], interval: '0s' }] }, /interval: must be more than 0/],
    [{ sensors: [{ watch: ['a'], chunkSize: 'big' }] }, /chunkSize: invalid size "big"/],
    [{ sensors: [{ name: 'a b', watch: ['a'] }] }, /may only use/],
  ])('rejects %j', (raw, message) => {
    expect(() => resolveConfig([{ raw, baseDir: '/' }])).toThrow(expect.objectContaining({ code: 'ERR_CONFIG', message: expect.stringMatching(message) }))
  })

  it('reports unreadable and invalid files', () => {
    const dir = tempDir()
    expect(() => readConfigFile(path.join(dir, 'none.json'))).toThrow(/cannot read config/)
    fs.writeFileSync(path.join(dir, 'bad.json'), '{ nope')
    expect(() => readConfigFile(path.join(dir, 'bad.json'))).toThrow(/not valid JSON/)
  })
})

describe('parseDuration', () => {
  it('reads ms, s, m, h and bare numbers', () => {
    expect([parseDuration(150), parseDuration('150ms'), parseDuration('2s'), parseDuration('1.5m'), parseDuration('1h')]).toEqual([150, 150, 2000, 90_000, 3_600_000])
  })
})
