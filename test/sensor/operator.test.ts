/**
 * The daemon as an operator meets it (issue 12), through the built CLI: runs
 * that no longer match their file, output outages, a damaged database, a lost
 * state folder, a missing watch folder; and the operator's commands (status,
 * sensor list/stop/start/ticks, runs show/reexecute/delete/bulk retry, engine
 * options and logs per run, maxRuntime) and the HTTP API and metrics.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RunStore } from '../../src/sensor/store.js'
import {
  CE_1000, FIXTURES, SLOW_OP, allRuns, daemonArgs, daemonDirs, makeReadOnly, removeTempDirs, requireBuild, runCli, sleep, stopDaemon,
  truncatedCopy, useDaemons, waitFor,
} from './helpers.js'

afterAll(removeTempDirs)
beforeAll(requireBuild)

const daemon = useDaemons()
const SAMPLE = path.join(FIXTURES, 'htslib_samples_sample.bam')
const CE_5 = path.join(FIXTURES, 'htslib_test_ce_5.bam')
const finished = (state: string, n: number): boolean => {
  const runs = allRuns(state)
  return runs.length >= n && runs.every((r) => r.status !== 'QUEUED' && r.status !== 'STARTED')
}

describe.sequential('issue 12 defects', () => {
  it('ends a run SKIPPED when its file was rewritten while QUEUED or replaced while running, and records a file removed while STARTED (12.3, 12.7)', async () => {
    const d = daemonDirs('bamstream-superseded-')
    const file = (n: string): string => path.join(d.watch, n)
    fs.copyFileSync(CE_1000, file('a.bam'))
    fs.copyFileSync(SAMPLE, file('b.bam'))
    const p = daemon(daemonArgs(d, ['--op', SLOW_OP, '--op-options', '{"msPerRecord":3}', '--max-concurrent', '1']))
    const started = await p.waitForEvent('run.started', 15_000)
    await waitFor(() => allRuns(d.state).length === 2, 10_000, 'b requested')
    const oldB = allRuns(d.state).find((r) => r.source === file('b.bam'))!
    expect([started.source, oldB.status]).toEqual([file('a.bam'), 'QUEUED'])
    fs.copyFileSync(CE_5, file('b.bam')) // rewritten while its run waits
    await waitFor(() => allRuns(d.state).filter((r) => r.source === file('b.bam') && r.status === 'SUCCESS').length === 1, 30_000, 'new b SUCCESS')
    const bRuns = allRuns(d.state).filter((r) => r.source === file('b.bam'))
    expect(bRuns.map((r) => r.status)).toEqual(['SKIPPED', 'SUCCESS'])
    expect(bRuns[0]!.error).toMatchObject({ code: 'ERR_SUPERSEDED', message: expect.stringContaining(`${file('b.bam')} changed since the run was requested (size 831 → `) })
    expect(bRuns[1]!.result).toEqual({ records: Number(fs.readFileSync(path.join(FIXTURES, 'htslib_test_ce_5.count'), 'utf8')) })

    fs.copyFileSync(CE_1000, file('c.bam'))
    const c = await p.waitForEvent('run.started', 15_000, (e) => e.source === file('c.bam'))
    truncatedCopy(CE_1000, file('c.bam')) // rewritten in place, shorter, while its run reads it
    const cEnd = await p.waitForEvent('run.skipped', 30_000, (e) => e.run === c.run)
    expect(JSON.stringify(cEnd.error)).toMatch(/ERR_SUPERSEDED.*changed since the run was requested.*while the run was reading it/)
    expect(allRuns(d.state).find((r) => r.id === c.run)).toMatchObject({ status: 'SKIPPED', failures: 0 })

    fs.copyFileSync(CE_1000, file('d.bam'))
    const dRun = await p.waitForEvent('run.started', 15_000, (e) => e.source === file('d.bam'))
    await sleep(500) // reading (1000 records × 3 ms)
    fs.rmSync(file('d.bam'))
    await p.waitForEvent('run.success', 30_000, (e) => e.run === dRun.run)
    const shown = await runCli(['runs', 'show', String(dRun.run), '--state', d.state])
    expect(shown.stdout, shown.stdout).toMatch(/WARN {2}#1 run\.source_removed message=the source was removed while the run was reading it/)
    expect(await stopDaemon(p)).toEqual({ code: 0, signal: null })
  }, 120_000)

  it('pauses through an output outage and finishes every run without using attempts or a manual retry (12.2)', async (ctx) => {
    const d = daemonDirs('bamstream-outage-')
    const undo = makeReadOnly(d.out)
    if (!undo) return ctx.skip()
    let restored = false
    try {
      for (let i = 0; i < 6; i++) fs.copyFileSync(SAMPLE, path.join(d.watch, `s${i}.bam`))
      const p = daemon(daemonArgs(d, ['--op', 'count', '--max-attempts', '2', '--backoff', '100ms']))
      await p.waitForEvent('daemon.output_unavailable', 20_000)
      await sleep(3000)
      expect(allRuns(d.state).every((r) => r.status === 'QUEUED' && r.failures === 0)).toBe(true)
      const status = await runCli(['status', '--state', d.state])
      expect(status.stdout).toMatch(/^outage {4}\S+ unavailable since .*claiming paused/m)
      undo()
      restored = true
      await waitFor(() => finished(d.state, 6), 30_000, `all runs done\n${p.log()}`, 200)
      const runs = allRuns(d.state)
      expect(runs.map((r) => r.status)).toEqual(Array(6).fill('SUCCESS'))
      expect(runs.every((r) => r.failures === 0)).toBe(true)
      expect(runs.flatMap((r) => r.history.map((a) => a.outcome)).filter((o) => o !== 'SUCCESS' && o !== 'PAUSED')).toEqual([])
      expect(p.named('daemon.output_unavailable')).toHaveLength(1) // logged once, not per run or per probe
      expect(p.named('daemon.output_available')).toHaveLength(1)
      expect(p.named('run.failure')).toEqual([])
      expect(fs.readFileSync(path.join(d.out, 's0.count.txt'), 'utf8')).toBe('16\n')
      expect(await stopDaemon(p)).toEqual({ code: 0, signal: null })
    } finally {
      if (!restored) undo()
    }
  }, 90_000)

  it('refuses to start on a damaged database, with a clear message (12.4)', async () => {
    const d = daemonDirs('bamstream-corrupt-')
    const s = RunStore.open(d.state)
    const requests = Array.from({ length: 300 }, (_, i) => ({
      sensor: 's', runKey: `k${i}`, source: `/in/${i}.bam`, size: 1, stamp: '1', op: 'flagstat', options: {}, engine: { chunkSize: 1, maxRuntime: 0 }, outBase: `/o/${i}`, maxAttempts: 3,
    }))
    s.commitTick('s', { requests, changed: [], removed: [], tick: { sensor: 's', startedAt: 0, ms: 0, candidates: 0, requested: 0, skipped: {}, error: null } }, 0)
    s.db.pragma('wal_checkpoint(TRUNCATE)')
    s.close()
    const fd = fs.openSync(path.join(d.state, 'runs.sqlite'), 'r+')
    fs.writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, 4096 * 25) // a page of the runs table
    fs.closeSync(fd)
    const r = await runCli(daemonArgs(d))
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/run storage \S+runs\.sqlite is damaged \(.*malformed.*\)/)
  }, 30_000)

  it('refuses an empty state folder when the output folder holds results, unless --reprocess (12.6)', async () => {
    const d = daemonDirs('bamstream-lost-state-')
    fs.mkdirSync(path.join(d.out, 'x'), { recursive: true })
    fs.writeFileSync(path.join(d.out, 'x', 'old.flagstat.json'), '{}')
    const refused = await runCli(daemonArgs(d))
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain(`the state folder ${d.state} holds no run history, but ${d.out} already holds results (e.g. ${path.join(d.out, 'x', 'old.flagstat.json')})`)
    expect(refused.stderr).toContain('--reprocess')
    const p = daemon(daemonArgs(d, ['--reprocess']))
    expect(await p.waitForEvent('daemon.reprocess', 15_000)).toMatchObject({ level: 'warn', out: d.out })
    await p.waitForEvent('daemon.start', 15_000)
    expect(await stopDaemon(p)).toEqual({ code: 0, signal: null })
    const again = daemon(daemonArgs(d)) // the state is no longer empty (the sensor has ticked)
    await again.waitForEvent('daemon.start', 15_000)
    expect(await stopDaemon(again)).toEqual({ code: 0, signal: null })
  }, 40_000)

  it('says a watched folder is missing at start and at each tick while it stays missing; --interval 0 is refused (12.7)', async () => {
    const d = daemonDirs('bamstream-missing-')
    const gone = path.join(d.root, 'not-there')
    const p = daemon(['daemon', '--watch', gone, '--out', d.out, '--state', d.state, '--interval', '100ms', '--threads', '1'])
    await waitFor(() => p.named('sensor.watch_missing').length >= 3, 15_000, 'three watch_missing events')
    expect(p.named('sensor.watch_missing')[0]).toMatchObject({ level: 'warn', sensor: 'default', dir: gone })
    expect(await stopDaemon(p)).toEqual({ code: 0, signal: null })
    const zero = await runCli(['daemon', '--watch', d.watch, '--state', d.state, '--interval', '0'])
    expect([zero.code, zero.stderr.trim()]).toEqual([1, 'bamstream daemon: interval: must be more than 0 (e.g. 2s)'])
  }, 30_000)
})

describe.sequential('operator commands', () => {
  it('status, sensor list/stop/start/ticks, engine options and logs per run, maxRuntime, reexecute, delete, bulk retry, the API and metrics', async () => {
    const d = daemonDirs('bamstream-ops-')
    fs.copyFileSync(CE_1000, path.join(d.watch, 'a.bam'))
    fs.copyFileSync(SAMPLE, path.join(d.watch, 'b.bam'))
    const config = path.join(d.root, 'config.json')
    fs.writeFileSync(config, JSON.stringify({
      state: 'state', out: 'out', interval: '100ms', maxConcurrent: 2, threads: 2,
      sensors: [
        { name: 'stats', watch: ['in'], op: 'flagstat', chunkSize: '64k' },
        { name: 'slow', watch: ['in'], op: SLOW_OP, options: { msPerRecord: 20 }, maxRuntime: '300ms', maxAttempts: 1 },
      ],
    }))
    const p = daemon(['daemon', '--config', config, '--http', '127.0.0.1:0', '--http-token', 'sesame', '--log-level', 'debug'])
    const base = String((await p.waitForEvent('http.listening', 15_000)).url)
    await waitFor(() => finished(d.state, 4), 30_000, `4 runs\n${p.log()}`, 200)
    const runs = allRuns(d.state)
    const stats = runs.filter((r) => r.sensor === 'stats')
    const slow = runs.filter((r) => r.sensor === 'slow')
    expect(stats.map((r) => [r.status, r.engine])).toEqual([['SUCCESS', { chunkSize: 65536, maxRuntime: 0 }], ['SUCCESS', { chunkSize: 65536, maxRuntime: 0 }]])
    const slowA = slow.find((r) => r.source.endsWith('a.bam'))!
    expect(slowA).toMatchObject({ status: 'FAILURE', error: { code: 'ERR_TIMEOUT', retryable: true }, engine: { maxRuntime: 300 } })

    const show = await runCli(['runs', 'show', String(stats[0]!.id), '--config', config])
    expect(show.stdout).toMatch(/^ {2}engine {4}chunkSize 65536, maxRuntime none$/m)
    expect(show.stdout).toMatch(/^ {2}log\n.* INFO {2}#1 run\.started op=flagstat attempt=1 .*\n.* INFO {2}#1 run\.success ms=\d+/m)
    expect((await runCli(['runs', 'show', String(slowA.id), '--config', config])).stdout).toMatch(/error {5}ERR_TIMEOUT: run still going after maxRuntime 300 ms: stopped/)

    const status = await runCli(['status', '--config', config])
    expect(status.stdout).toMatch(new RegExp(`^daemon {4}running, pid ${p.pid} on \\S+, since `, 'm'))
    expect(status.stdout).toMatch(/^backlog {3}QUEUED 0, STARTED 0, SUCCESS 2, FAILURE \d, CANCELED 0, SKIPPED 0$/m)
    expect(status.stdout).toMatch(/^lag {7}none/m)
    expect(status.stdout).toMatch(/^ {2}stats +RUNNING +\d+ /m)
    expect(JSON.parse((await runCli(['status', '--config', config, '--json'])).stdout)).toMatchObject({ alive: true, lease: { pid: p.pid } })

    expect((await runCli(['sensor', 'stop', 'stats', '--config', config])).stdout).toBe('sensor stats: STOPPED\n')
    expect((await runCli(['sensor', 'stop', 'nope', '--config', config])).stderr).toContain('no sensor named "nope"')
    await sleep(1500) // noticed within a second
    const ticksBefore = JSON.parse((await runCli(['sensor', 'ticks', '--sensor', 'stats', '--json', '--config', config])).stdout) as Array<{ startedAt: number }>
    fs.copyFileSync(CE_5, path.join(d.watch, 'c.bam'))
    await waitFor(() => allRuns(d.state).some((r) => r.sensor === 'slow' && r.source.endsWith('c.bam')), 10_000, 'slow requests c')
    await sleep(500)
    expect(allRuns(d.state).filter((r) => r.sensor === 'stats' && r.source.endsWith('c.bam'))).toEqual([])
    const ticksAfter = JSON.parse((await runCli(['sensor', 'ticks', '--sensor', 'stats', '--json', '--config', config])).stdout) as Array<{ startedAt: number }>
    expect(ticksAfter[0]!.startedAt).toBe(ticksBefore[0]!.startedAt) // no tick while stopped
    expect((await runCli(['sensor', 'list', '--config', config])).stdout).toMatch(/^stats +STOPPED /m)
    expect((await runCli(['sensor', 'ticks', '--config', config, '--limit', '3'])).stdout).toMatch(/^TIME +SENSOR +TOOK +CANDIDATES +REQUESTED +SKIPPED +ERROR\n/)
    await runCli(['sensor', 'start', 'stats', '--config', config])
    await waitFor(() => allRuns(d.state).some((r) => r.sensor === 'stats' && r.source.endsWith('c.bam') && r.status === 'SUCCESS'), 15_000, 'stats runs c after start')

    expect((await runCli(['runs', 'reexecute', String(stats[0]!.id), '--config', config])).stdout).toBe(`run ${stats[0]!.id}: QUEUED\n`)
    await waitFor(() => allRuns(d.state).find((r) => r.id === stats[0]!.id)?.history.length === 2 && finished(d.state, 6), 15_000, 're-executed')
    expect(allRuns(d.state).find((r) => r.id === stats[0]!.id)).toMatchObject({ status: 'SUCCESS', attempts: 2, runKey: stats[0]!.runKey })

    const retried = await runCli(['runs', 'retry', '--status', 'FAILURE', '--sensor', 'slow', '--config', config])
    expect(retried.stdout).toMatch(/^\d run\(s\) re-queued: /)
    expect((await runCli(['runs', 'retry', '--config', config])).stderr).toContain('give a run id, or --status')
    await waitFor(() => finished(d.state, 6), 20_000, 'retried runs done')
    expect((await runCli(['runs', 'delete', String(slowA.id), '--config', config])).stdout).toBe(`run ${slowA.id}: deleted\n`)
    const total = allRuns(d.state).length
    expect((await runCli(['runs', '--limit', '2', '--config', config])).stdout).toMatch(new RegExp(`\\(2 newest of ${total} runs shown; --limit ${total} for all\\)\\n$`))

    const api = async (u: string, init?: RequestInit): Promise<{ status: number; body: any }> => {
      const r = await fetch(new URL(u, base), init)
      const text = await r.text()
      return { status: r.status, body: r.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text }
    }
    expect((await api('/api/runs?status=SUCCESS')).body).toMatchObject({ total: expect.any(Number), runs: expect.arrayContaining([expect.objectContaining({ status: 'SUCCESS' })]) })
    expect((await api(`/api/runs/${stats[1]!.id}`)).body).toMatchObject({ id: stats[1]!.id, engine: { chunkSize: 65536 }, history: [{ outcome: 'SUCCESS' }], log: expect.any(Array) })
    expect((await api('/api/runs/99999')).status).toBe(404)
    expect((await api('/api/status')).body).toMatchObject({ alive: true, daemon: { pid: p.pid, running: expect.any(Array) } })
    expect((await api('/api/sensors')).body.map((s: { name: string }) => s.name)).toEqual(['stats', 'slow'])
    const metrics = (await api('/metrics')).body as string
    expect(metrics).toMatch(/^bamstream_runs\{status="SUCCESS"\} \d+$/m)
    expect(metrics).toMatch(/^bamstream_processed_records_total \d+$/m)
    expect(metrics).toMatch(/^bamstream_tick_duration_seconds_count\{sensor="stats"\} \d+$/m)
    expect(metrics).toMatch(/^bamstream_queue_lag_seconds 0$/m)
    expect((await api(`/api/runs/${stats[1]!.id}/reexecute`, { method: 'POST' })).status).toBe(401)
    expect((await api('/api/runs', { method: 'DELETE' })).status).toBe(405)
    const ok = await api(`/api/runs/${stats[1]!.id}/reexecute`, { method: 'POST', headers: { authorization: 'Bearer sesame' } })
    expect([ok.status, ok.body.status]).toEqual([200, 'QUEUED'])
    expect(await stopDaemon(p)).toEqual({ code: 0, signal: null })
    expect((await runCli(['status', '--config', config])).stdout).toMatch(/^daemon {4}not running$/m)
  }, 150_000)
})
