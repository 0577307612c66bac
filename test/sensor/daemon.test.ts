/**
 * The daemon as a real process (`node dist/src/cli/main.js daemon`), with real
 * files, real SQLite, signals and `kill -9`.
 */
import fs from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it, afterAll } from 'vitest'
import {
  CE_1000, FIXTURES, SLOW_OP, allRuns, copySlowly, corruptCopy, daemonArgs, listFiles, requireBuild,
  sleep, stopDaemon, truncatedCopy, waitFor, removeTempDirs, daemonDirs, useDaemons, type DaemonDirs } from './helpers.js'

afterAll(removeTempDirs)

const SMALL = ['htslib_samples_sample', 'htslib_test_xx_pair', 'htslib_test_ce_5', 'htslib_test_c1_pad1', 'htslib_test_ce_supp', 'htslib_test_range']
const daemon = useDaemons()

beforeAll(requireBuild)

const dirs = (): DaemonDirs => daemonDirs('bamstream-daemon-')

const expected = (name: string, ext: string): string => fs.readFileSync(path.join(FIXTURES, `${name}${ext}`), 'utf8')
const temps = (dir: string): string[] => listFiles(dir).filter((f) => f.includes('.bamstream-tmp-'))

/** Largest number of attempts running at the same time, from the stored timings. */
function maxOverlap(intervals: Array<[number, number]>): number {
  const edges = intervals.flatMap(([a, b]) => [[a, 1], [b, -1]] as Array<[number, number]>).sort((x, y) => x[0] - y[0] || x[1] - y[1])
  let now = 0
  let max = 0
  for (const [, d] of edges) max = Math.max(max, (now += d))
  return max
}

function settled(state: string, total: number): boolean {
  const runs = allRuns(state)
  return runs.length === total && runs.every((r) => r.status !== 'QUEUED' && r.status !== 'STARTED')
}

describe.sequential('bamstream daemon', () => {
  it('does not pick up a file while it is being copied in slowly, then runs it once', async () => {
    const d = dirs()
    const p = daemon(daemonArgs(d))
    await p.waitForEvent('daemon.start', 10_000)
    await copySlowly(CE_1000, path.join(d.watch, 'slow.bam'), 5, 400) // pauses of 4 intervals: stable size, no EOF yet
    const copiedAt = Date.now()
    await p.waitForEvent('run.success', 10_000)
    const runs = allRuns(d.state)
    expect(runs).toHaveLength(1)
    expect(runs[0]).toMatchObject({ status: 'SUCCESS', size: 46639, attempts: 1 })
    expect(runs[0]!.createdAt).toBeGreaterThanOrEqual(copiedAt)
    expect(p.named('sensor.skip', (e) => e.reason === 'no-eof').length).toBeGreaterThan(0)
    expect(p.named('sensor.skip', (e) => e.reason === 'changing').length).toBeGreaterThan(0)
    expect(fs.readFileSync(path.join(d.out, 'slow.flagstat.json'), 'utf8')).toBe(expected('htslib_test_ce_1000', '.flagstat.json'))
    expect(await stopDaemon(p)).toEqual({ code: 0, signal: null })
  }, 30_000)

  it('runs many files from two sensors within the concurrency limit; bad files fail on record and the daemon carries on', async () => {
    const d = dirs()
    const names: string[] = []
    for (let i = 0; i < 8; i++) { fs.copyFileSync(CE_1000, path.join(d.watch, `big${i}.bam`)); names.push(`big${i}`) }
    fs.mkdirSync(path.join(d.watch, 'small'))
    for (const n of SMALL) fs.copyFileSync(path.join(FIXTURES, `${n}.bam`), path.join(d.watch, 'small', `${n}.bam`))
    corruptCopy(CE_1000, path.join(d.watch, 'bad.bam'))
    truncatedCopy(CE_1000, path.join(d.watch, 'cut.bam'))
    const config = path.join(d.root, 'bamstream.config.json')
    fs.writeFileSync(config, JSON.stringify({
      state: 'state', out: 'out', interval: '100ms', maxConcurrent: 3, threads: 2, chunkSize: '64k', incompleteAfter: '600ms',
      sensors: [
        { name: 'stats', watch: ['in'], pattern: ['**/*.bam'], op: 'flagstat' },
        { name: 'slow', watch: ['in'], pattern: ['**/*.bam'], op: SLOW_OP, options: { msPerRecord: 0.3 }, out: 'out/slow' },
      ],
    }))
    const p = daemon(['daemon', '--config', config, '--log-level', 'debug'])
    const total = 2 * (names.length + SMALL.length + 2)
    await waitFor(() => settled(d.state, total), 40_000, `${total} runs settled\n${p.log()}`, 200)
    const runs = allRuns(d.state)
    const failed = runs.filter((r) => r.status === 'FAILURE')
    expect(failed.map((r) => `${r.sensor}:${path.basename(r.source)}:${r.error?.code}:${r.attempts}`).sort()).toEqual([
      'slow:bad.bam:ERR_BGZF_CRC:1', 'slow:cut.bam:ERR_TRUNCATED:1', 'stats:bad.bam:ERR_BGZF_CRC:1', 'stats:cut.bam:ERR_TRUNCATED:1',
    ])
    expect(failed.find((r) => r.error?.code === 'ERR_BGZF_CRC')!.error).toMatchObject({ offset: expect.any(Number), retryable: false })
    expect(runs.filter((r) => r.status === 'SUCCESS')).toHaveLength(total - 4)
    for (const n of names) {
      // a config sensor without its own "out" writes into <out>/<sensor name>
      expect(fs.readFileSync(path.join(d.out, 'stats', `${n}.flagstat.json`), 'utf8')).toBe(expected('htslib_test_ce_1000', '.flagstat.json'))
      expect(JSON.parse(fs.readFileSync(path.join(d.out, 'slow', `${n}.slow-op.json`), 'utf8'))).toEqual({ records: 1000 })
    }
    for (const n of SMALL) expect(fs.readFileSync(path.join(d.out, 'stats', 'small', `${n}.flagstat.txt`), 'utf8')).toBe(expected(n, '.flagstat.txt'))
    const overlap = maxOverlap(runs.flatMap((r) => r.history.map((a): [number, number] => [a.startedAt, a.endedAt!])))
    expect(overlap).toBeLessThanOrEqual(3)
    expect(overlap).toBeGreaterThanOrEqual(2)
    expect(p.named('sensor.skip', (e) => e.reason === 'no-eof' && String(e.source).endsWith('cut.bam')).length).toBeGreaterThan(0)
    expect(p.named('run.failure')).toHaveLength(4)
    expect(temps(d.out)).toEqual([])
    expect(await stopDaemon(p)).toEqual({ code: 0, signal: null })
  }, 60_000)

  it('after kill -9 mid-run, the next start re-queues the STARTED runs; a restart with nothing new runs nothing', async () => {
    const d = dirs()
    for (let i = 0; i < 4; i++) fs.copyFileSync(CE_1000, path.join(d.watch, `f${i}.bam`))
    const args = daemonArgs(d, ['--op', SLOW_OP, '--op-options', '{"msPerRecord":1}', '--max-concurrent', '2', '--chunk-size', '64k'])
    const first = daemon(args)
    await first.waitForEvent('run.started', 10_000)
    await sleep(300)
    first.kill('SIGKILL')
    expect((await first.exited).signal).toBe('SIGKILL')
    const orphaned = allRuns(d.state).filter((r) => r.status === 'STARTED')
    expect(orphaned.length).toBeGreaterThan(0)
    expect(orphaned.every((r) => r.owner === first.pid)).toBe(true)

    const second = daemon(args)
    const recovered = await second.waitForEvent('daemon.recovered', 10_000)
    expect((recovered.requeued as number[]).sort()).toEqual(orphaned.map((r) => r.id).sort())
    expect(recovered.previousPid).toBe(first.pid)
    await waitFor(() => settled(d.state, 4), 30_000, `4 runs settled\n${second.log()}`, 100)
    const runs = allRuns(d.state)
    expect(runs.map((r) => r.status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS'])
    for (const r of runs) {
      expect(r.history.filter((a) => a.outcome === 'SUCCESS')).toHaveLength(1)
      expect(JSON.parse(fs.readFileSync(r.outputs[0]!, 'utf8'))).toEqual({ records: 1000 })
    }
    for (const r of runs.filter((x) => orphaned.some((o) => o.id === x.id))) {
      expect(r.history.map((a) => a.outcome)).toEqual(['INTERRUPTED', 'SUCCESS'])
    }
    expect(temps(d.out)).toEqual([])
    expect(await stopDaemon(second)).toEqual({ code: 0, signal: null })

    const third = daemon(args)
    await waitFor(() => third.named('sensor.tick').length >= 5, 10_000, 'five ticks')
    expect(await stopDaemon(third)).toEqual({ code: 0, signal: null })
    expect(third.named('run.queued')).toEqual([])
    expect(third.named('run.started')).toEqual([])
    expect(third.named('sensor.skip', (e) => e.reason === 'already-requested')).toHaveLength(4)
    expect(allRuns(d.state)).toEqual(runs)
  }, 60_000)

  it('survives kill -9 at random moments: every file ends with exactly one SUCCESS run and whole output files', async () => {
    const d = dirs()
    const files = ['a', 'b', 'c', 'd'].map((n) => { fs.copyFileSync(CE_1000, path.join(d.watch, `${n}.bam`)); return n })
    for (const n of SMALL.slice(0, 4)) { fs.copyFileSync(path.join(FIXTURES, `${n}.bam`), path.join(d.watch, `${n}.bam`)); files.push(n) }
    const args = daemonArgs(d, ['--op', SLOW_OP, '--op-options', '{"msPerRecord":0.4}', '--max-concurrent', '2', '--chunk-size', '64k'])
    const kills: string[] = []
    for (let i = 0; i < 4; i++) {
      const p = daemon(args)
      await p.waitForEvent('daemon.start', 10_000)
      const delay = 100 + Math.floor(Math.random() * 700)
      await sleep(delay)
      p.kill('SIGKILL')
      await p.exited
      kills.push(`${delay}ms:${allRuns(d.state).filter((r) => r.status === 'STARTED').length} STARTED`)
    }
    const last = daemon(args)
    await last.waitForEvent('daemon.start', 10_000)
    await waitFor(() => settled(d.state, files.length), 30_000, `all settled\n${last.log()}`, 100)
    expect(await stopDaemon(last)).toEqual({ code: 0, signal: null })
    const runs = allRuns(d.state)
    expect(runs.map((r) => path.basename(r.source, '.bam')).sort()).toEqual([...files].sort())
    expect(runs.every((r) => r.status === 'SUCCESS' && r.history.filter((a) => a.outcome === 'SUCCESS').length === 1)).toBe(true)
    for (const r of runs) expect(JSON.parse(fs.readFileSync(r.outputs[0]!, 'utf8')).records).toBe(Number(expected(r.source.includes('htslib') ? path.basename(r.source, '.bam') : 'htslib_test_ce_1000', '.count')))
    expect(temps(d.out)).toEqual([])
    expect(listFiles(d.out)).toEqual(files.map((f) => `${f}.slow-op.json`).sort())
    console.log(`kill -9 storm: ${kills.join(', ')}; interrupted attempts: ${runs.flatMap((r) => r.history).filter((a) => a.outcome === 'INTERRUPTED').length}`)
  }, 60_000)

  it('on SIGTERM lets running work finish, or re-queues it when the grace period is over', async () => {
    const d = dirs()
    fs.copyFileSync(CE_1000, path.join(d.watch, 'a.bam'))
    const args = (grace: string): string[] => daemonArgs(d, ['--op', SLOW_OP, '--op-options', '{"msPerRecord":1}', '--grace', grace])
    const impatient = daemon(args('0'))
    await impatient.waitForEvent('run.started', 10_000)
    expect(await stopDaemon(impatient)).toEqual({ code: 0, signal: null })
    expect(impatient.named('run.requeued')).toHaveLength(1)
    expect(allRuns(d.state)[0]).toMatchObject({ status: 'QUEUED', failures: 0, history: [{ outcome: 'INTERRUPTED' }] })

    const patient = daemon(args('30s'))
    await patient.waitForEvent('run.started', 10_000)
    expect(await stopDaemon(patient)).toEqual({ code: 0, signal: null })
    expect(patient.named('daemon.recovered')).toEqual([]) // the first stop left nothing STARTED
    expect(allRuns(d.state)[0]).toMatchObject({ status: 'SUCCESS', attempts: 2 })
  }, 30_000)
})
