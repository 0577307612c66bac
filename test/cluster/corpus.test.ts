/**
 * Cluster runs (a real redis-server, worker processes) against local runs on
 * every corpus file: byte-identical flagstat (text and JSON), count, idxstats
 * and view (SAM; BAM read back with samtools and with bamstream), with split
 * sizes that cut each file into several splits.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { count, flagstat, idxstats } from '../../src/engine/api.js'
import { view } from '../../src/engine/view.js'
import { createPool } from '../../src/engine/pool.js'
import type { InternalRunOptions } from '../../src/engine/run.js'
import { formatFlagstat, formatFlagstatJson } from '../../src/ops/flagstat.js'
import { formatIdxstats } from '../../src/ops/idxstats.js'
import { BamError } from '../../src/errors.js'
import { corpusBam, corpusNames, hasCommand } from '../helpers/corpus.js'
import { HAVE_REDIS, startRedis, startWorker, type TestRedis, type TestWorker } from './harness.js'
import type { Piscina } from 'piscina'

let redis: TestRedis
let workers: TestWorker[] = []
let pool: Piscina
let dir: string

beforeAll(async () => {
  if (!HAVE_REDIS) return
  redis = await startRedis()
  workers = await Promise.all([startWorker(redis.url), startWorker(redis.url)])
  pool = createPool(1)
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bamstream-cluster-'))
}, 60_000)

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()))
  await redis?.stop()
  await pool?.destroy()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

/** Corpus files compared at once. */
const FILES_AT_ONCE = 8

/** A split size that cuts the file into about five splits (most start inside a block, some hold no block start). */
function splitBytesFor(file: string): number {
  return Math.max(1, Math.floor(fs.statSync(file).size / 5))
}

/** The outcome of a call as comparable text: its value, or its error's code and offset. */
async function outcome(call: () => Promise<string>): Promise<string> {
  try {
    return await call()
  } catch (e) {
    if (e instanceof BamError) return `error ${e.code} at ${e.offset}`
    throw e
  }
}

async function readText(file: string): Promise<string> {
  return fs.promises.readFile(file, 'latin1')
}

/** All the outputs compared, for one file, locally or on the cluster. */
async function outputs(file: string, tag: string, cluster: { redis?: string; splitBytes?: number }): Promise<Record<string, string>> {
  const base = path.join(dir, `${path.basename(file)}.${tag}`)
  const o = { pool, chunkBytes: 4096, ...cluster }
  return {
    flagstat: await outcome(async () => formatFlagstat(await flagstat(file, o))),
    flagstatJson: await outcome(async () => formatFlagstatJson(await flagstat(file, o))),
    count: await outcome(async () => String(await count(file, o))),
    countFiltered: await outcome(async () => String(await count(file, { ...o, excludedFlags: 0x904, minMapq: 1 }))),
    idxstats: await outcome(async () => formatIdxstats(await idxstats(file, o))),
    sam: await outcome(async () => {
      await view(file, { ...o, output: `${base}.sam`, header: 'include' })
      return readText(`${base}.sam`)
    }),
    bam: await outcome(async () => {
      await view(file, { ...o, output: `${base}.bam`, format: 'bam' })
      // the BAM read back locally: header and every record
      await view(`${base}.bam`, { pool, output: `${base}.bam.sam`, header: 'include' })
      return readText(`${base}.bam.sam`)
    }),
  }
}

describe.runIf(HAVE_REDIS)('cluster results are identical to local ones on every corpus file', () => {
  const names = corpusNames()
  it(`${names.length} files × flagstat text/JSON, count, idxstats, view SAM and BAM`, async () => {
    const mismatches: string[] = []
    let splits = 0
    const compare = async (name: string): Promise<void> => {
      const file = corpusBam(name)
      const splitBytes = splitBytesFor(file)
      splits += Math.ceil(fs.statSync(file).size / splitBytes)
      const local = await outputs(file, 'local', {})
      const cluster = await outputs(file, 'cluster', { redis: redis.url, splitBytes })
      for (const key of Object.keys(local)) if (local[key] !== cluster[key]) mismatches.push(`${name} ${key}: ${cluster[key]!.slice(0, 200)} ≠ ${local[key]!.slice(0, 200)}`)
    }
    // several files at once: the queue's latency, not the CPU, bounds one small run
    const queue = [...names]
    await Promise.all(Array.from({ length: FILES_AT_ONCE }, async () => {
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) await compare(name)
    }))
    expect(mismatches).toEqual([])
    expect(splits).toBeGreaterThan(4 * names.length)
  }, 600_000)

  it.each(['misalign', 'skip'] as const)('forced %s guesses at split level (through Redis and the workers): still identical', async (guessHook) => {
    for (const name of ['htslib_test_ce_1000', 'htslib_test_ce_large_seq', 'htslib_test_range']) {
      const file = corpusBam(name)
      const local = formatFlagstat(await flagstat(file, { pool }))
      const wrong: InternalRunOptions = { redis: redis.url, splitBytes: 1500, guessHook }
      expect(formatFlagstat(await flagstat(file, wrong))).toBe(local)
      const sam = path.join(dir, `${name}.${guessHook}.sam`)
      await view(file, { ...wrong, output: sam })
      await view(file, { pool, output: `${sam}.local` })
      expect(await readText(sam)).toBe(await readText(`${sam}.local`))
    }
  })

  it.runIf(hasCommand('samtools'))('a cluster -b output reads back in samtools exactly like the input', async () => {
    for (const name of ['htslib_test_ce_1000', 'htslib_test_ce_large_seq', 'htslib_test_range']) {
      const file = corpusBam(name)
      const out = path.join(dir, `${name}.samtools.bam`)
      await view(file, { redis: redis.url, splitBytes: 2000, output: out, format: 'bam' })
      const mine = spawnSync('samtools', ['view', '--no-PG', '-h', out], { encoding: 'latin1', maxBuffer: 1 << 28 })
      const theirs = spawnSync('samtools', ['view', '--no-PG', '-h', file], { encoding: 'latin1', maxBuffer: 1 << 28 })
      expect(mine.status).toBe(0)
      expect(mine.stdout).toBe(theirs.stdout)
      expect(spawnSync('samtools', ['quickcheck', out]).status).toBe(0)
    }
  })
})
