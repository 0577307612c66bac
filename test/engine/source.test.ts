import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Piscina } from 'piscina'
import { count, flagstat } from '../../src/engine/api.js'
import { testPool } from '../helpers/pool.js'
import { openSource, type OpenedSource } from '../../src/engine/source.js'
import { formatFlagstat } from '../../src/ops/flagstat.js'
import { BamError } from '../../src/errors.js'
import { corpusBam, expected, fastMode } from '../helpers/corpus.js'

// http(s):// sources stream through Node's fetch; no whole-file buffering.
const NAME = 'htslib_test_ce_large_seq'
let server: http.Server
let base: string
let pool: Piscina
let maxChunk = 0

beforeAll(async () => {
  pool = testPool()
  server = http.createServer((req, res) => {
    if (req.url === `/${NAME}.bam`) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      const stream = fs.createReadStream(corpusBam(NAME), { highWaterMark: 16 * 1024 })
      stream.on('data', (d) => { maxChunk = Math.max(maxChunk, d.length) })
      stream.pipe(res)
    } else if (req.url === '/cut.bam') {
      res.writeHead(200)
      res.end(fs.readFileSync(corpusBam(NAME)).subarray(0, 50_000))
    } else {
      res.writeHead(404, 'Not Found')
      res.end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
})

describe('HTTP sources', () => {
  it('streams a BAM from a URL', async () => {
    expect(formatFlagstat(await flagstat(`${base}/${NAME}.bam`, { pool, chunkBytes: 1 }))).toBe(expected(NAME, 'flagstat.txt'))
    expect(maxChunk).toBeLessThanOrEqual(16 * 1024)
  })

  it('reports HTTP errors with the status and URL', async () => {
    const e = await count(`${base}/missing.bam`, { pool }).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(BamError)
    expect((e as BamError).code).toBe('ERR_HTTP')
    expect((e as BamError).describe()).toMatch(/missing\.bam: HTTP read failed: HTTP 404 Not Found$/)
  })

  it('reports a truncated download', async () => {
    const e = await count(`${base}/cut.bam`, { pool }).catch((x: unknown) => x)
    expect((e as BamError).code).toBe('ERR_TRUNCATED')
    expect((e as BamError).source).toBe(`${base}/cut.bam`)
  })

  it('reports a connection failure', async () => {
    // no retries: the default two would sleep 0.75 s; retries and their backoff are test/engine/http.test.ts's
    const e = await count('http://127.0.0.1:1/x.bam', { pool, http: { retries: 0 } }).catch((x: unknown) => x)
    expect((e as BamError).code).toBe('ERR_HTTP')
    expect((e as BamError).describe()).toMatch(/^http:\/\/127\.0\.0\.1:1\/x\.bam: HTTP read failed: .*refused/)
  })
})

describe('local files opened as a stream (openSource)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'source-'))
  // a copy of its own: under test:fast other test files run in this process and may have the corpus file open
  const file = path.join(dir, 'ce_1000.bam')
  fs.copyFileSync(corpusBam('htslib_test_ce_1000'), file)
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))
  /** Descriptors of this process open on `file` (Linux): other tests' descriptors come and go meanwhile. */
  const openFds = (): number => fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`) === path.resolve(file)
    } catch {
      return false // closed since listed
    }
  }).length

  /** The descriptor count once it is `want`: the close is asynchronous (libuv's thread pool), and slow under load. Gives up after 5 s. */
  async function settledFds(want: number): Promise<number> {
    for (let waited = 0; openFds() !== want && waited < 5000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10))
    return openFds()
  }

  async function readAll(source: OpenedSource): Promise<Buffer> {
    const parts: Buffer[] = []
    for await (const piece of source.stream) parts.push(Buffer.from(piece)) // pieces share one reused buffer
    return Buffer.concat(parts)
  }

  it('streams the file\'s bytes from the start or from an offset, and closes it at the end', async () => {
    const before = openFds()
    const whole = await openSource(file)
    expect(openFds()).toBe(before + 1)
    expect(whole.size).toBe(fs.statSync(file).size)
    expect(Buffer.compare(await readAll(whole), fs.readFileSync(file))).toBe(0)
    const tail = await openSource(file, undefined, undefined, 1000)
    expect(Buffer.compare(await readAll(tail), fs.readFileSync(file).subarray(1000))).toBe(0)
    expect(await settledFds(before)).toBe(before)
  })

  it('closes a file not read to its end once told to, once', async () => {
    const before = openFds()
    const source = await openSource(file)
    expect(openFds()).toBe(before + 1)
    source.close()
    source.close()
    expect(await settledFds(before)).toBe(before)
  })

  it('says why a path cannot be opened: missing, a directory', async () => {
    await expect(openSource(path.join(dir, 'missing.bam'))).rejects.toMatchObject({ code: 'ERR_SOURCE', message: 'cannot open: no such file or directory (ENOENT)' })
    await expect(openSource(dir)).rejects.toMatchObject({ code: 'ERR_SOURCE', message: 'is a directory, not a BAM file' })
  })

  // mkfifo is a process: not under test:fast
  it.skipIf(fastMode())('reads a FIFO (a shell\'s <(…)) in order, its writer coming later, without blocking this thread', async () => {
    const fifo = path.join(dir, 'in.fifo')
    spawnSync('mkfifo', [fifo])
    const opening = openSource(fifo)
    let ticked = false
    setImmediate(() => { ticked = true })
    const writing = fs.promises.writeFile(fifo, fs.readFileSync(file))
    const source = await opening
    expect(ticked).toBe(true)
    expect(Buffer.compare(await readAll(source), fs.readFileSync(file))).toBe(0)
    await writing
  })
})
