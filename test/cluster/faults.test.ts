/**
 * Cluster runs under faults, with a real redis-server and worker processes:
 * a worker killed with SIGKILL mid-split, Redis restarted mid-run, a corrupt
 * block, Redis unreachable; and the CLI printing exactly what it prints locally.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { spawnSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { flagstat } from '../../src/engine/api.js'
import { formatFlagstat } from '../../src/ops/flagstat.js'
import { BamError } from '../../src/errors.js'
import { corpusBam } from '../helpers/corpus.js'
import { freePort, HAVE_REDIS, MAIN, startRedis, startWorker, type TestRedis, type TestWorker } from './harness.js'

let redis: TestRedis
let dir: string
let big: string
let bigLocal: string
const workers: TestWorker[] = []

/** A generated file of a few MiB, cut into about 24 splits. */
const BIG_SPLIT = 256 * 1024

beforeAll(async () => {
  if (!HAVE_REDIS) return
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bamstream-faults-'))
  big = path.join(dir, 'big.bam')
  const gen = spawnSync(process.execPath, [path.resolve(import.meta.dirname, '../../dist/bench/generate.js'), '--out', big, '--size', '6M', '--level', '1', '--seed', '7'], { encoding: 'utf8' })
  expect(gen.status, gen.stderr).toBe(0)
  bigLocal = formatFlagstat(await flagstat(big, { threads: 1 }))
  redis = await startRedis()
}, 120_000)

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()))
  await redis?.stop()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'latin1', maxBuffer: 1 << 28, timeout: 120_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** Resolves once `check()` is true, polling. */
async function until(check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe.runIf(HAVE_REDIS)('cluster faults', () => {
  it('a worker killed with SIGKILL mid-split: its split is handed over, the result is identical', async () => {
    workers.push(await startWorker(redis.url), await startWorker(redis.url), await startWorker(redis.url))
    const victim = workers[0]!
    const running = flagstat(big, { redis: redis.url, splitBytes: BIG_SPLIT })
    await until(() => /started/.test(victim.log()))
    victim.proc.kill('SIGKILL')
    const started = [...victim.log().matchAll(/split (\d+) of .*: started/g)].map((m) => m[1])
    const finished = new Set([...victim.log().matchAll(/split (\d+) of .*: \d+ records/g)].map((m) => m[1]))
    const lost = started.filter((i) => !finished.has(i))
    expect(lost.length).toBeGreaterThan(0)
    expect(formatFlagstat(await running)).toBe(bigLocal)
    const others = workers.slice(1).map((w) => w.log()).join('')
    for (const i of lost) expect(others).toMatch(new RegExp(`split ${i} of .*: \\d+ records`))
    workers.shift()
  }, 120_000)

  it('Redis restarted mid-run (append-only file): identical result or a clear failure, never a wrong one', async () => {
    const running = flagstat(big, { redis: redis.url, splitBytes: BIG_SPLIT }).then(formatFlagstat, (e: unknown) => e)
    await until(() => workers.some((w) => /started/.test(w.log().split('merged').pop()!)))
    await redis.restart()
    const outcome = await running
    if (outcome instanceof Error) {
      expect(outcome).toBeInstanceOf(BamError)
      expect((outcome as BamError).code).toBe('ERR_REDIS')
    } else {
      expect(outcome).toBe(bigLocal)
    }
    // and the next run goes through as usual
    expect(formatFlagstat(await flagstat(big, { redis: redis.url, splitBytes: BIG_SPLIT }))).toBe(bigLocal)
  }, 120_000)

  it('an http(s) source is read by every worker with Range requests: identical result', async () => {
    const file = corpusBam('htslib_test_ce_1000')
    const bytes = fs.readFileSync(file)
    const server = http.createServer((req, res) => {
      const m = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? '')
      if (!m) {
        res.writeHead(200, { 'content-length': bytes.length }).end(bytes)
      } else {
        const a = Number(m[1])
        const b = Math.min(Number(m[2]), bytes.length - 1)
        res.writeHead(206, { 'content-range': `bytes ${a}-${b}/${bytes.length}` }).end(bytes.subarray(a, b + 1))
      }
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ce.bam`
      expect(formatFlagstat(await flagstat(url, { redis: redis.url, splitBytes: 5000 }))).toBe(formatFlagstat(await flagstat(file, { threads: 1 })))
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('a corrupt block fails the run with the file and offset a local run reports', async () => {
    const bytes = fs.readFileSync(corpusBam('htslib_test_ce_1000'))
    bytes[30_000] = bytes[30_000]! ^ 0xff // inside the deflate data of a middle block
    const bad = path.join(dir, 'corrupt.bam')
    fs.writeFileSync(bad, bytes)
    const local = await flagstat(bad, { threads: 1 }).catch((e: unknown) => e as BamError)
    const cluster = await flagstat(bad, { redis: redis.url, splitBytes: 4096 }).catch((e: unknown) => e as BamError)
    expect(local).toBeInstanceOf(BamError)
    expect(cluster).toBeInstanceOf(BamError)
    expect([(cluster as BamError).code, (cluster as BamError).offset]).toEqual([(local as BamError).code, (local as BamError).offset])
    expect((cluster as BamError).describe()).toContain(bad)
  })

  it('the CLI with --redis prints exactly what it prints locally', () => {
    const file = corpusBam('htslib_test_ce_1000')
    const remote = ['--redis', redis.url, '--split-size', '3k']
    for (const args of [['flagstat'], ['flagstat', '--json'], ['idxstats'], ['view', '-h'], ['view', '-c', '-q', '10']]) {
      const local = cli([...args, file])
      const cluster = cli([...args, ...remote, file])
      expect(cluster.stderr).toBe('')
      expect(cluster.status).toBe(0)
      expect(cluster.stdout).toBe(local.stdout)
    }
    const out = path.join(dir, 'cli.bam')
    expect(cli(['view', '-b', '-o', out, ...remote, file]).status).toBe(0)
    expect(cli(['view', '-h', out]).stdout).toBe(cli(['view', '-h', file]).stdout)
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]) // no part files or temporary outputs left
  }, 120_000)

  it('Redis unreachable at start: one clear line and a non-zero exit', async () => {
    const port = await freePort()
    const r = cli(['flagstat', '--redis', `redis://127.0.0.1:${port}`, corpusBam('htslib_test_ce_1000')])
    expect(r.status).not.toBe(0)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(new RegExp(`^bamstream flagstat: cannot reach Redis at redis://127\\.0\\.0\\.1:${port}/?: .*ECONNREFUSED.*\\n$`))
    const w = spawnSync(process.execPath, [MAIN, 'worker', '--redis', `redis://127.0.0.1:${port}`], { encoding: 'utf8', timeout: 30_000 })
    expect(w.status).not.toBe(0)
    expect(w.stderr).toMatch(/^bamstream worker: cannot reach Redis at .*\n$/)
  })
})
