/**
 * Issue 9.4, 9.6, 9.7 and 13.2: thread caps, the library's argument checks,
 * and the odd inputs samtools reads (no EOF block, plain gzip, uncompressed),
 * raw reference-name bytes, and an index older than its BAM.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import { pathToFileURL } from 'node:url'
import zlib from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeHeader } from '../../src/bam/encoder.js'
import { EOF_BLOCK } from '../../src/bgzf/block.js'
import { BgzfWriter } from '../../src/bgzf/writer.js'
import { chunks, count, idxstats } from '../../src/engine/api.js'
import { createPool, maxThreads } from '../../src/engine/pool.js'
import { countRecords, view } from '../../src/engine/view.js'
import { BamError } from '../../src/errors.js'

const SAMPLE = 'test/fixtures/htslib/htslib_test_ce_1000.bam'
const MAIN = path.resolve(import.meta.dirname, '../../dist/src/cli/main.js')
let dir: string
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bamstream-inputs-')) })
afterAll(() => { fs.rmSync(dir, { recursive: true, force: true }) })

async function optionError(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => undefined, (x: unknown) => x)
  expect(e).toBeInstanceOf(BamError)
  expect((e as BamError).code).toBe('ERR_OPTION')
  return (e as BamError).message
}

describe('threads (issue 9.4)', () => {
  it('caps a pool at 4 workers per core (at least 8) and starts them only as chunks need them', async () => {
    const pool = createPool(1_000_000)
    try {
      expect(pool.options.maxThreads).toBe(maxThreads())
      expect(await count(SAMPLE, { pool })).toBe(1000) // one chunk
      expect(pool.threads.length).toBe(1)
    } finally {
      await pool.destroy()
    }
  })

  it('-@ 99999999999 warns and runs with the cap', () => {
    const r = spawnSync(process.execPath, [MAIN, 'count', '-@', '99999999999', SAMPLE], { encoding: 'utf8', timeout: 30_000 })
    expect(r.status).toBe(0)
    expect(r.stdout).toBe('1000\n')
    expect(r.stderr).toBe(`bamstream: -@ 99999999999: using ${maxThreads()} threads, the most allowed (4 per core, at least 8)\n`)
  })
})

describe('library arguments (issue 9.6)', () => {
  it('rejects bad arguments with ERR_OPTION before any work', async () => {
    const out = new Writable({ write: (_c, _e, done) => done() })
    expect(await optionError(view(SAMPLE, { output: out, format: 'cram' as 'sam' }))).toBe("format must be one of 'sam', 'bam', got 'cram'")
    expect(await optionError(view(SAMPLE, { output: out, header: 'bogus' as 'none' }))).toBe("header must be one of 'none', 'include', 'only', got 'bogus'")
    expect(await optionError(count(SAMPLE, { threads: -1 }))).toMatch(/^threads must be an integer from 1 to \d+, got -1$/)
    expect(await optionError(count(SAMPLE, { threads: NaN }))).toMatch(/got NaN$/)
    expect(await optionError(count(SAMPLE, { minMapq: NaN }))).toMatch(/^minMapq must be an integer .* got NaN$/)
    expect(await optionError(countRecords(SAMPLE, { excludedFlags: 0x10000 }))).toMatch(/^excludedFlags must be an integer from 0 to 65535/)
    expect(await optionError(chunks(SAMPLE, { chunkBytes: 0 }).next())).toMatch(/^chunk size 0 is outside/)
    expect(await optionError(count(null as unknown as string))).toBe('source must be a path, URL or async iterable of bytes, got null')
  })

  it('accepts file: URLs, as strings and as URL objects', async () => {
    const url = pathToFileURL(path.resolve(SAMPLE))
    expect(await count(url, { threads: 1 })).toBe(1000)
    expect(await count(url.href, { threads: 1 })).toBe(1000)
  })

  it.skipIf(process.getuid?.() === 0)('an unreadable input is ERR_SOURCE', async () => {
    const file = path.join(dir, 'locked.bam')
    fs.copyFileSync(SAMPLE, file)
    fs.chmodSync(file, 0)
    const e = await count(file, { threads: 1 }).catch((x: unknown) => x)
    expect([(e as BamError).code, (e as BamError).message]).toEqual(['ERR_SOURCE', 'cannot open: permission denied (EACCES)'])
  })

  it('view() with an AbortSignal settles when the output stops draining', async () => {
    const stuck = new Writable({ highWaterMark: 1, write: () => {} }) // never calls back: never drains
    const controller = new AbortController()
    const t = Date.now()
    setTimeout(() => controller.abort(new Error('stop')), 300)
    const e = await view(SAMPLE, { output: stuck, signal: controller.signal, threads: 1 }).catch((x: unknown) => x)
    expect((e as Error).message).toMatch(/^stop$|aborted/) // the signal's reason, or piscina's abort of the chunk in flight
    expect(Date.now() - t).toBeLessThan(5_000)
  })
})

describe('files samtools reads (issues 9.7, 13.2)', () => {
  const variants = (): Record<string, Buffer> => {
    const bam = fs.readFileSync(SAMPLE)
    const raw = zlib.gunzipSync(bam)
    return { 'no EOF block': bam.subarray(0, bam.length - EOF_BLOCK.length), 'plain gzip': zlib.gzipSync(raw), uncompressed: raw }
  }

  it.each(Object.keys(variants()))('%s: read, with a warning', async (name) => {
    const file = path.join(dir, `${name.replace(/ /g, '-')}.bam`)
    fs.writeFileSync(file, variants()[name]!)
    const warnings: string[] = []
    expect(await count(file, { threads: 2, chunkBytes: 8192, onWarning: (m) => warnings.push(m) })).toBe(1000)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(name === 'no EOF block' ? /no BGZF EOF marker block at the end/ : /read serially \(it cannot be split for parallel inflation\)/)
    const sam = spawnSync(process.execPath, [MAIN, 'view', file], { encoding: 'latin1' })
    expect(sam.stdout).toBe(fs.readFileSync('test/fixtures/htslib/htslib_test_ce_1000.sam', 'latin1').split('\n').filter((l) => !l.startsWith('@')).join('\n'))
    expect(sam.stderr).toMatch(/^bamstream: warning: /)
  })

  it('a wrong ISIZE field over sound data and CRC is ignored, as htslib ignores it', async () => {
    const bam = fs.readFileSync(SAMPLE)
    const blocks: [number, number][] = []
    for (let p = 0; p < bam.length; p += bam.readUInt16LE(p + 16) + 1) blocks.push([p, bam.readUInt16LE(p + 16) + 1]) // BSIZE, SAMv1 §4.1
    for (const [k, isize] of [[0, 7], [2, 1000], [2, -1000], [2, 0xffffffff]] as const) {
      const [at, size] = blocks[k]!
      const bytes = Buffer.from(bam)
      bytes.writeUInt32LE(isize === 0xffffffff ? isize : bytes.readUInt32LE(at + size - 4) + isize, at + size - 4) // ISIZE: last 4 bytes
      const file = path.join(dir, `isize-${k}-${isize}.bam`)
      fs.writeFileSync(file, bytes)
      expect(await count(file, { threads: 2, chunkBytes: 4096 }), file).toBe(1000)
    }
  })

  it('idxstats writes reference names as their raw bytes', () => {
    const w = new BgzfWriter()
    const header = encodeHeader('', [{ name: 'chr\xe4', length: 10 }])
    const file = path.join(dir, 'latin1.bam')
    fs.writeFileSync(file, Buffer.concat([...w.write(header), ...w.flush(), EOF_BLOCK]))
    const r = spawnSync(process.execPath, [MAIN, 'idxstats', file])
    expect(r.stdout).toEqual(Buffer.from('chr\xe4\t10\t0\t0\n*\t0\t0\t0\n', 'latin1'))
  })

  it('warns when the .bai is older than the BAM', async () => {
    const bam = path.join(dir, 'old-index.bam')
    fs.copyFileSync('test/fixtures/indexed/synthetic.bam', bam)
    fs.copyFileSync('test/fixtures/indexed/synthetic.bam.bai', `${bam}.bai`)
    const past = new Date(Date.now() - 3_600_000)
    fs.utimesSync(`${bam}.bai`, past, past)
    const warnings: string[] = []
    await countRecords(bam, { region: 'chr13', onWarning: (m) => warnings.push(m) })
    expect(warnings).toEqual([`the index file is older than the data file: ${bam}.bai`])
  })

  it('index errors name the .bai file, with an offset in it', async () => {
    const bam = path.join(dir, 'bad-index.bam')
    fs.copyFileSync('test/fixtures/indexed/synthetic.bam', bam)
    fs.writeFileSync(`${bam}.bai`, fs.readFileSync('test/fixtures/indexed/synthetic.bam.bai').subarray(0, 100))
    const e = await countRecords(bam, { region: 'chr13' }).catch((x: unknown) => x)
    expect((e as BamError).describe()).toBe(`${bam}.bai: truncated BAI index (at byte 100)`)
  })

  it('idxstats on the raw-byte file via the library keeps latin1 names', async () => {
    const lines = await idxstats(path.join(dir, 'latin1.bam'), { threads: 1 })
    expect(lines[0]!.name).toBe('chr\xe4')
  })
})
