import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { HTTP_BACKOFF_MS, HTTP_RETRIES, openRange, rangeStream } from '../../src/cluster/range.js'
import { BamError } from '../../src/errors.js'
import { corpusBam } from '../helpers/corpus.js'

const FILE = corpusBam('htslib_test_ce_1000')
const BYTES = fs.readFileSync(FILE)
let server: http.Server | undefined
/** Retries wait 1, 2, 4, 8 ms here instead of the production 200 ms doubling (3 s for the four retries). */
const QUICK = { backoffMs: 1 }

afterEach(async () => {
  await new Promise((resolve) => server ? server.close(resolve) : resolve(undefined))
  server = undefined
})

/** Serves BYTES; `handle` may answer a request itself (return true). */
async function serve(handle: (req: http.IncomingMessage, res: http.ServerResponse) => boolean = () => false): Promise<string> {
  server = http.createServer((req, res) => {
    if (handle(req, res)) return
    const m = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? '')
    if (!m) {
      res.writeHead(200, { 'content-length': BYTES.length })
      res.end(BYTES)
      return
    }
    const a = Number(m[1])
    const b = Math.min(Number(m[2]), BYTES.length - 1)
    res.writeHead(206, { 'content-range': `bytes ${a}-${b}/${BYTES.length}`, 'content-length': b - a + 1 })
    res.end(BYTES.subarray(a, b + 1))
  })
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}/x.bam`
}

describe('openRange', () => {
  it('reads a file at any offset, and counts the bytes read', async () => {
    const src = await openRange(FILE)
    expect(src.size).toBe(BYTES.length)
    expect(Buffer.from(await src.read(1000, 50))).toEqual(BYTES.subarray(1000, 1050))
    expect((await src.read(BYTES.length - 10, 100)).length).toBe(10)
    expect(src.bytesRead()).toBe(60)
    await src.close()
  })

  it('reads an http(s) URL with Range requests', async () => {
    const src = await openRange(await serve())
    expect(src.size).toBe(BYTES.length)
    expect(Buffer.from(await src.read(12345, 4000))).toEqual(BYTES.subarray(12345, 16345))
    const pieces: Uint8Array[] = []
    for await (const p of rangeStream(src, 40_000, 1000)) pieces.push(p.slice())
    expect(Buffer.concat(pieces)).toEqual(BYTES.subarray(40_000))
  })

  it('retries a dropped connection with backoff', async () => {
    let drops = 2
    const url = await serve((req, res) => {
      if (req.headers.range === 'bytes=500-599' && drops > 0) {
        drops--
        res.socket?.destroy()
        return true
      }
      return false
    })
    const src = await openRange(url, QUICK)
    expect(Buffer.from(await src.read(500, 100))).toEqual(BYTES.subarray(500, 600))
    expect(drops).toBe(0)
  })

  it('gives up after a bounded number of tries, naming the offset', async () => {
    const url = await serve((req, res) => {
      if (req.headers.range === 'bytes=500-599') {
        res.writeHead(503)
        res.end()
        return true
      }
      return false
    })
    const src = await openRange(url, QUICK) // the default number of retries
    const e = await src.read(500, 100).catch((x: unknown) => x as BamError)
    expect(e).toBeInstanceOf(BamError)
    expect((e as BamError).message).toMatch(/failed after 5 attempts: HTTP 503/)
    expect((e as BamError).offset).toBe(500)
  })

  it('takes the number of retries and the backoff as options, 4 and 200 ms by default', async () => {
    expect([HTTP_RETRIES, HTTP_BACKOFF_MS]).toEqual([4, 200])
    let tries = 0
    const url = await serve((req, res) => {
      if (req.headers.range !== 'bytes=500-599') return false
      tries++
      res.writeHead(502)
      res.end()
      return true
    })
    const src = await openRange(url, { retries: 1, backoffMs: 0 })
    await expect(src.read(500, 100)).rejects.toThrow(/failed after 2 attempts: HTTP 502/)
    expect(tries).toBe(2)
    for (const bad of [{ retries: -1 }, { retries: 1.5 }, { backoffMs: -1 }, { backoffMs: Number.NaN }]) {
      await expect(openRange(url, bad)).rejects.toMatchObject({ code: 'ERR_OPTION' })
    }
  })

  it('says so when the server ignores Range requests', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': BYTES.length })
      res.end(BYTES)
      return true
    })
    await expect(openRange(url)).rejects.toThrow(/ignores Range requests/)
  })

  it('refuses standard input, which no other machine can read', async () => {
    await expect(openRange('-')).rejects.toThrow(/cannot be split across machines/)
  })
})
