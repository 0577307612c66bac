/**
 * HTTP sources against a local server that misbehaves on purpose (issue 9.5):
 * stalls before headers or mid-body, drops the connection, labels BGZF as
 * gzip, redirects in a loop, or is not there at all.
 */
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { count } from '../../src/engine/api.js'
import { BamError } from '../../src/errors.js'

const BAM = fs.readFileSync('test/fixtures/htslib/htslib_test_ce_1000.bam')
const MAIN = path.resolve(import.meta.dirname, '../../dist/src/cli/main.js')
const FAST = { timeoutMs: 400, retries: 2 }
type Behaviour = (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void

let server: http.Server
let base = ''
const behaviours = new Map<string, Behaviour>()
const hits = new Map<string, string[]>()

/** Sends BAM bytes from the Range start (if any) to `end`, then calls `after`. */
function send(req: http.IncomingMessage, res: http.ServerResponse, end = BAM.length, after?: () => void, headers: http.OutgoingHttpHeaders = {}): void {
  const from = Number(/bytes=(\d+)-/.exec(req.headers.range ?? '')?.[1] ?? 0)
  res.writeHead(from > 0 ? 206 : 200, {
    'content-length': BAM.length - from, 'accept-ranges': 'bytes',
    ...(from > 0 ? { 'content-range': `bytes ${from}-${BAM.length - 1}/${BAM.length}` } : {}), ...headers,
  })
  res.write(BAM.subarray(from, Math.max(from, end)), () => after?.())
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const name = req.url!.split('/')[1]!
    const list = hits.get(name) ?? []
    list.push(`${req.headers.range ?? 'all'} ${req.headers['accept-encoding']}`)
    hits.set(name, list)
    behaviours.get(name)!(req, res, list.length)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

async function failure(name: string, behaviour: Behaviour): Promise<{ error: BamError; ms: number }> {
  behaviours.set(name, behaviour)
  const t = Date.now()
  const error = await count(`${base}/${name}`, { threads: 1, http: FAST }).then(() => undefined, (e: unknown) => e)
  expect(error).toBeInstanceOf(BamError)
  return { error: error as BamError, ms: Date.now() - t }
}

describe('HTTP sources', () => {
  it('reads a BAM served as Content-Encoding: gzip without decoding it, asking for identity', async () => {
    behaviours.set('gzip', (req, res) => send(req, res, BAM.length, () => res.end(), { 'content-encoding': 'gzip' }))
    expect(await count(`${base}/gzip`, { threads: 1, http: FAST })).toBe(1000)
    expect(hits.get('gzip')).toEqual(['all identity'])
  })

  it('resumes with a Range request after a stall mid-body and after a dropped connection', async () => {
    behaviours.set('stall-once', (req, res, n) => (n === 1 ? send(req, res, 20_000) : send(req, res, BAM.length, () => res.end())))
    expect(await count(`${base}/stall-once`, { threads: 1, http: FAST })).toBe(1000)
    expect(hits.get('stall-once')).toEqual(['all identity', expect.stringMatching(/^bytes=\d+- identity$/)])
    behaviours.set('drop-once', (req, res, n) => (n === 1 ? send(req, res, 30_000, () => res.destroy()) : send(req, res, BAM.length, () => res.end())))
    expect(await count(`${base}/drop-once`, { threads: 1, http: FAST })).toBe(1000)
    expect(hits.get('drop-once')).toHaveLength(2)
  })

  it('fails, naming the cause, when the server stalls before headers or keeps stalling mid-body', async () => {
    const before = await failure('stall-headers', () => {})
    expect(before.error.describe()).toBe(`${base}/stall-headers: HTTP read failed: no response within 0.4 s (after 2 retries)`)
    expect(before.ms).toBeLessThan(4_000) // 3 × 0.4 s + backoff 0.25 + 0.5 s
    const body = await failure('stall-body', (req, res) => send(req, res, Number(/bytes=(\d+)-/.exec(req.headers.range ?? '')?.[1] ?? 0) + 10_000))
    expect(body.error.message).toBe('HTTP read failed: no data for 0.4 s (after 2 retries)')
    expect(body.error.offset).toBe(30_000)
    expect(hits.get('stall-body')).toEqual(['all identity', 'bytes=10000- identity', 'bytes=20000- identity'])
  })

  it('names refused connections, statuses, redirect loops and a server that cannot resume', async () => {
    const refused = await count('http://127.0.0.1:1/x.bam', { threads: 1, http: { ...FAST, retries: 0 } }).catch((e: BamError) => e)
    expect((refused as BamError).message).toBe('HTTP read failed: connection refused (ECONNREFUSED)')
    const missing = await failure('missing', (_req, res) => { res.writeHead(404); res.end() })
    expect(missing.error.message).toBe('HTTP read failed: HTTP 404 Not Found')
    expect(hits.get('missing')).toHaveLength(1) // not retried
    const loop = await failure('loop', (_req, res) => { res.writeHead(302, { location: '/loop' }); res.end() })
    expect(loop.error.message).toBe('HTTP read failed: more than 10 redirects (a redirect loop?)')
    const noRange = await failure('no-range', (_req, res, n) => {
      if (n > 1) { res.writeHead(200, { 'content-length': BAM.length }); res.end(BAM); return }
      res.writeHead(200, { 'content-length': BAM.length, 'accept-ranges': 'none' })
      res.write(BAM.subarray(0, 20_000), () => res.destroy())
    })
    expect(noRange.error.code).toBe('ERR_HTTP')
    expect(noRange.error.offset).toBe(20_000)
  })

  it('the CLI takes --http-timeout and fails with one line', () => {
    behaviours.set('cli-stall', () => {})
    const t = Date.now()
    const r = spawnSync(process.execPath, [MAIN, 'count', '-@', '1', '--http-timeout', '0.3', `${base}/cli-stall`], { encoding: 'utf8' })
    expect(r.status).toBe(1)
    expect(r.stderr).toBe(`bamstream count: ${base}/cli-stall: HTTP read failed: no response within 0.3 s (after 2 retries)\n`)
    expect(Date.now() - t).toBeLessThan(10_000)
  })
})
