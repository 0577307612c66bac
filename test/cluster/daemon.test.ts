/**
 * `bamstream daemon --redis`: the daemon (still the one scheduler, runs in its
 * SQLite store) submits each run as a cluster flow taken by worker processes;
 * its result files equal those of a daemon running the same runs locally.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allRuns, CE_1000, CliProcess, FIXTURES, listFiles, stopDaemon, tempDir, removeTempDirs, waitFor } from '../sensor/helpers.js'
import { HAVE_REDIS, startRedis, startWorker, type TestRedis, type TestWorker } from './harness.js'

let redis: TestRedis
let workers: TestWorker[] = []

beforeAll(async () => {
  if (!HAVE_REDIS) return
  redis = await startRedis()
  workers = await Promise.all([startWorker(redis.url), startWorker(redis.url)])
}, 60_000)

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()))
  await redis?.stop()
  removeTempDirs()
})

const SOURCES = [CE_1000, path.join(FIXTURES, 'htslib_test_auxf_values.bam')]

/** Runs a daemon with two sensors (flagstat, view to SAM with the header) over SOURCES until every run has settled; returns its out folder. */
async function daemonResults(tag: string, extra: string[]): Promise<{ out: string; state: string }> {
  const root = tempDir(`bamstream-cluster-daemon-${tag}-`)
  const watch = path.join(root, 'in')
  fs.mkdirSync(watch)
  for (const s of SOURCES) fs.copyFileSync(s, path.join(watch, path.basename(s)))
  const config = path.join(root, 'config.json')
  fs.writeFileSync(config, JSON.stringify({
    state: 'state', out: 'out', interval: '100ms', threads: 1, sensors: [
      { name: 'stats', watch: ['in'], op: 'flagstat', out: 'out/stats' },
      { name: 'sam', watch: ['in'], op: 'view', options: { header: 'include' }, out: 'out/sam' },
    ],
  }))
  const p = new CliProcess(['daemon', '--config', config, ...extra])
  const state = path.join(root, 'state')
  const total = SOURCES.length * 2
  try {
    await waitFor(() => {
      const runs = fs.existsSync(path.join(state, 'runs.sqlite')) ? allRuns(state) : []
      return runs.length === total && runs.every((r) => r.status !== 'QUEUED' && r.status !== 'STARTED')
    }, 60_000, `${total} runs settled\n${p.log()}`, 200)
  } finally {
    expect(await stopDaemon(p)).toEqual({ code: 0, signal: null })
  }
  return { out: path.join(root, 'out'), state }
}

function contents(dir: string): Record<string, string> {
  return Object.fromEntries(listFiles(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), 'latin1')]))
}

describe.runIf(HAVE_REDIS)('bamstream daemon --redis', () => {
  it('runs flagstat and view of each file on the workers; the results equal a local daemon\'s', async () => {
    const local = await daemonResults('local', [])
    const cluster = await daemonResults('redis', ['--redis', redis.url])
    for (const d of [local, cluster]) expect(allRuns(d.state).map((r) => r.status)).toEqual(Array(SOURCES.length * 2).fill('SUCCESS'))
    const expected = contents(local.out)
    expect(Object.keys(expected).sort()).toEqual([
      'sam/htslib_test_auxf_values.view.sam', 'sam/htslib_test_ce_1000.view.sam',
      'stats/htslib_test_auxf_values.flagstat.json', 'stats/htslib_test_auxf_values.flagstat.txt',
      'stats/htslib_test_ce_1000.flagstat.json', 'stats/htslib_test_ce_1000.flagstat.txt',
    ])
    expect(contents(cluster.out)).toEqual(expected) // no part folders left beside the results either
    const logs = workers.map((w) => w.log()).join('\n')
    for (const s of SOURCES) expect(logs.match(new RegExp(`merged \\d+ splits of [^\\n]*${path.basename(s)}`, 'g'))).toHaveLength(2) // flagstat and view
  }, 120_000)
})
