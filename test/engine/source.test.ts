import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Piscina } from 'piscina'
import { count, flagstat } from '../../src/engine/api.js'
import { testPool } from '../helpers/pool.js'
import { formatFlagstat } from '../../src/ops/flagstat.js'
import { BamError } from '../../src/errors.js'
import { corpusBam, expected } from '../helpers/corpus.js'

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
