/**
 * `bamstream runs`, `runs show|cancel|retry`, `sensor preview`, the daemon
 * lease, and retries of a URL source, all through the built CLI.
 */
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { beforeAll, describe, expect, it, afterAll } from 'vitest'
import { CE_1000, FIXTURES, SLOW_OP, allRuns, corruptCopy, daemonArgs, requireBuild, runCli, stopDaemon, waitFor, removeTempDirs, daemonDirs, useDaemons, type DaemonDirs } from './helpers.js'

afterAll(removeTempDirs)

const daemon = useDaemons()
beforeAll(requireBuild)

const dirs = (): DaemonDirs => daemonDirs('bamstream-cli-')

describe.sequential('bamstream runs / sensor preview', () => {
  it('previews without launching or storing anything, lists and shows runs, and refuses a second daemon', async () => {
    const d = dirs()
    fs.copyFileSync(CE_1000, path.join(d.watch, 'good.bam'))
    corruptCopy(CE_1000, path.join(d.watch, 'bad.bam'))
    const flags = ['--watch', d.watch, '--out', d.out, '--state', d.state, '--interval', '100ms']

    const fresh = await runCli(['sensor', 'preview', ...flags, '--wait', '--json'])
    expect(fresh.code).toBe(0)
    const [tick] = JSON.parse(fresh.stdout) as Array<{ sensor: string; requests: Array<{ source: string }>; skips: unknown[] }>
    expect(tick!.sensor).toBe('default')
    expect(tick!.requests.map((r) => path.basename(r.source))).toEqual(['bad.bam', 'good.bam'])
    expect(fs.existsSync(d.state)).toBe(false)

    const p = daemon([...daemonArgs(d), '--log-format', 'text'])
    await waitFor(() => p.text.some((l) => / INFO {2}daemon\.start pid=\d+ /.test(l)), 10_000, 'a text log line')
    await waitFor(() => allRuns(d.state).filter((r) => r.status === 'SUCCESS' || r.status === 'FAILURE').length === 2, 10_000, 'two runs')

    const second = await runCli(['daemon', ...flags])
    expect(second.code).toBe(1)
    expect(second.stderr).toContain(`another daemon (pid ${p.pid}`)

    const before = allRuns(d.state)
    const again = await runCli(['sensor', 'preview', ...flags])
    expect(again.stdout).toMatch(/^sensor default: would request 0 run\(s\), skip 2\n/)
    expect(again.stdout).toMatch(/SKIP {5}\S+good\.bam {2}already-requested/)
    expect(allRuns(d.state)).toEqual(before)

    const list = await runCli(['runs', '--state', d.state])
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+STATUS\s+SENSOR\s+OP\s+TRIES\s+CREATED\s+TIME\s+SOURCE\s+ERROR$/)
    expect(list.stdout).toMatch(/FAILURE\s+default\s+flagstat\s+1 .*bad\.bam\s+ERR_BGZF_CRC: CRC32 mismatch/)
    const failures = JSON.parse((await runCli(['runs', '--state', d.state, '--status', 'FAILURE', '--json'])).stdout) as Array<{ id: number }>
    expect(failures).toHaveLength(1)
    const show = await runCli(['runs', 'show', String(failures[0]!.id), '--state', d.state])
    expect(show.stdout).toMatch(new RegExp(`^run ${failures[0]!.id}: FAILURE\\n`))
    expect(show.stdout).toMatch(/error {5}ERR_BGZF_CRC: .* \(at byte \d+\) \[not retried\]/)
    expect(show.stdout).toMatch(/#1 pid \d+ .* FAILURE/)
    const missing = await runCli(['runs', 'show', '999', '--state', d.state])
    expect([missing.code, missing.stderr.trim()]).toEqual([1, 'bamstream runs: no run with id 999'])
    expect(await stopDaemon(p)).toEqual({ code: 0, signal: null })
  }, 40_000)

  it('cancels a QUEUED run at once and a STARTED one through its daemon; retry queues it again', async () => {
    const d = dirs()
    fs.copyFileSync(CE_1000, path.join(d.watch, 'a.bam')) // claimed first: 1000 records × 5 ms
    fs.copyFileSync(path.join(FIXTURES, 'htslib_samples_sample.bam'), path.join(d.watch, 'b.bam')) // queued behind it: a few records
    const p = daemon(daemonArgs(d, ['--op', SLOW_OP, '--op-options', '{"msPerRecord":5}', '--max-concurrent', '1']))
    const start = await p.waitForEvent('run.started', 10_000)
    await waitFor(() => allRuns(d.state).length === 2, 5000, 'two runs')
    const other = allRuns(d.state).find((r) => r.id !== start.run)!
    expect((await runCli(['runs', 'cancel', String(other.id), '--state', d.state])).stdout).toBe(`run ${other.id}: CANCELED\n`)
    expect((await runCli(['runs', 'cancel', String(start.run), '--state', d.state])).stdout).toBe(`run ${start.run}: STARTED (cancel requested)\n`)
    await p.waitForEvent('run.canceled', 5000)
    expect(allRuns(d.state).map((r) => r.status)).toEqual(['CANCELED', 'CANCELED'])
    expect((await runCli(['runs', 'retry', String(other.id), '--state', d.state])).stdout).toBe(`run ${other.id}: QUEUED\n`)
    await p.waitForEvent('run.started', 5000, (e) => e.run === other.id)
    expect(await stopDaemon(p)).toEqual({ code: 0, signal: null }) // graceful: lets it finish
    expect(allRuns(d.state).find((r) => r.id === other.id)).toMatchObject({ status: 'SUCCESS', attempts: 1 })
  }, 40_000)

  it('has full help texts', async () => {
    const help = await runCli(['daemon', '--help'])
    for (const s of ['--watch <dir>', '--pattern <glob>', '--op <name|module>', '--out <dir>', '--state <dir>', '--interval <duration>', '--max-concurrent <n>', 'QUEUED → STARTED', '"sensors"']) {
      expect(help.stdout).toContain(s)
    }
    for (const op of ['flagstat', 'count', 'idxstats', 'view', 'sam|bam', 'region']) expect(help.stdout).toContain(op) // issue 12.7: --op listed only flagstat and count
    expect(help.stdout).not.toContain('--buffered')
    for (const s of ['--http <[host:]port>', '--max-runtime', '--retention', '--reprocess', 'bamstream status', '--redis <url>']) expect(help.stdout).toContain(s)
    expect((await runCli(['sensor', 'preview', '--help'])).stdout).toContain('launches and stores nothing')
    expect((await runCli(['runs', 'retry', '--help'])).stdout).toContain('--status (required), --sensor and --since')
    expect((await runCli(['runs', 'show', '--help'])).stdout).toContain('--state <dir>')
  })
})

describe('a URL source', () => {
  it('is retried with backoff after a transient HTTP error, then succeeds', async () => {
    const bytes = fs.readFileSync(path.join(FIXTURES, 'htslib_test_ce_1000.bam'))
    let fullGets = 0
    const server = http.createServer((req, res) => {
      const range = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? '')
      // 503 for the first run's request and its 2 retries in the engine (engine/http.ts): the run fails, the daemon retries it
      if (req.method === 'GET' && !range && ++fullGets <= 3) { res.writeHead(503).end(); return }
      const body = range ? bytes.subarray(Number(range[1]), Number(range[2]) + 1) : bytes
      res.writeHead(range ? 206 : 200, { 'content-length': body.length, 'last-modified': 'Mon, 01 Jan 2024 00:00:00 GMT' })
      res.end(req.method === 'HEAD' ? undefined : body)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const d = dirs()
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x/sample.bam`
      const p = daemon(['daemon', '--url', url, '--out', d.out, '--state', d.state, '--interval', '100ms', '--backoff', '200ms', '--threads', '2'])
      const retry = await p.waitForEvent('run.retry', 10_000)
      expect(retry).toMatchObject({ level: 'warn', failures: 1, error: { code: 'ERR_HTTP' } })
      await p.waitForEvent('run.success', 10_000)
      expect(await stopDaemon(p)).toEqual({ code: 0, signal: null })
      const [run] = allRuns(d.state)
      expect(run).toMatchObject({ source: url, status: 'SUCCESS', attempts: 2, failures: 1, history: [{ outcome: 'RETRY' }, { outcome: 'SUCCESS' }] })
      expect(run!.history[1]!.startedAt - run!.history[0]!.endedAt!).toBeGreaterThanOrEqual(200)
      const host = new URL(url).host.replace(':', '_') // results of a URL go under <host>/<path>: two URLs never share a name
      expect(fs.readFileSync(path.join(d.out, host, 'x', 'sample.flagstat.json'), 'utf8')).toBe(fs.readFileSync(path.join(FIXTURES, 'htslib_test_ce_1000.flagstat.json'), 'utf8'))
    } finally {
      await new Promise<void>((r) => server.close(() => r()))
    }
  }, 30_000)
})
