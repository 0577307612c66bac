#!/usr/bin/env node
// Output outage recovery of `bamstream daemon` (issue 12.2; not part of the
// vitest suite; run after `npx tsc`, as root or as a user who can chmod):
//
//   node test/sensor/soak/outage.mjs [--runs 40] [--outage 30] [--dir /tmp/bamstream-outage]
//
// --runs BAMs wait in <dir>/in while the output folder is read-only (as root a
// read-only bind mount, giving EROFS; otherwise chmod 555, giving EACCES); the
// daemon is started, the folder stays read-only for --outage seconds, then
// becomes writable. Reported: how each run ended, its failures, attempts by
// outcome, how many outage events were logged, and the time from "writable"
// to the last SUCCESS. Nothing is retried by hand.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const { RunStore } = await import(path.join(ROOT, 'dist/src/sensor/store.js'))
const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '40' }, outage: { type: 'string', default: '30' }, dir: { type: 'string', default: '/tmp/bamstream-outage' } } })
const RUNS = Number(args.runs)
const DIR = path.resolve(args.dir)
const IN = path.join(DIR, 'in'); const OUT = path.join(DIR, 'out'); const STATE = path.join(DIR, 'state')
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
for (const d of [IN, OUT, STATE]) fs.rmSync(d, { recursive: true, force: true })
fs.mkdirSync(IN, { recursive: true })
fs.mkdirSync(OUT, { recursive: true })
const fixtures = fs.readdirSync(path.join(ROOT, 'test/fixtures/htslib')).filter((f) => f.endsWith('.bam') && !/bad|trunc|corrupt/i.test(f)).sort()
for (let i = 0; i < RUNS; i++) fs.copyFileSync(path.join(ROOT, 'test/fixtures/htslib', fixtures[i % fixtures.length]), path.join(IN, `f${String(i).padStart(3, '0')}.bam`))

const root = process.getuid() === 0
let undo
if (root) {
  spawnSync('mount', ['--bind', OUT, OUT])
  spawnSync('mount', ['-o', 'remount,bind,ro', OUT, OUT])
  undo = () => spawnSync('umount', [OUT])
} else {
  fs.chmodSync(OUT, 0o555)
  undo = () => fs.chmodSync(OUT, 0o755)
}
const log = path.join(DIR, 'daemon.log')
const child = spawn(process.execPath, [path.join(ROOT, 'dist/src/cli/main.js'), 'daemon', '--watch', IN, '--out', OUT, '--state', STATE, '--op', 'flagstat',
  '--interval', '500ms', '--max-concurrent', '2', '--threads', '2', '--max-attempts', '3', '--backoff', '1s'], { stdio: ['ignore', 'ignore', fs.openSync(log, 'w')] })
const t0 = Date.now()
await sleep(Number(args.outage) * 1000)
undo()
const writable = Date.now()
process.stderr.write(`[outage] writable again after ${((writable - t0) / 1000).toFixed(1)} s\n`)
const runsNow = () => { const s = RunStore.open(STATE, { mustExist: true }); try { return s.list({ limit: 1e6 }).map((r) => ({ ...r, history: s.attempts(r.id) })) } finally { s.close() } }
let runs
while ((runs = runsNow()).length < RUNS || runs.some((r) => r.status === 'QUEUED' || r.status === 'STARTED')) {
  if (Date.now() - writable > 300_000) break
  await sleep(200)
}
const lastEnd = Math.max(...runs.map((r) => r.endedAt ?? 0))
child.kill('SIGTERM')
await new Promise((r) => child.on('exit', r))
const events = fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
const count = (o) => runs.flatMap((r) => r.history).filter((a) => a.outcome === o).length
const report = {
  runs: runs.length, outageSeconds: Number(args.outage), mode: root ? 'read-only bind mount (EROFS)' : 'chmod 555 (EACCES)',
  statuses: runs.reduce((m, r) => ({ ...m, [r.status]: (m[r.status] ?? 0) + 1 }), {}),
  failures: runs.reduce((n, r) => n + r.failures, 0),
  attempts: { SUCCESS: count('SUCCESS'), PAUSED: count('PAUSED'), RETRY: count('RETRY'), FAILURE: count('FAILURE') },
  outageEvents: { unavailable: events.filter((e) => e.event === 'daemon.output_unavailable').length, available: events.filter((e) => e.event === 'daemon.output_available').map((e) => e.downMs) },
  errorSeen: events.find((e) => e.event === 'daemon.output_unavailable')?.error?.message,
  writableToAllDoneS: Number(((lastEnd - writable) / 1000).toFixed(1)),
  manualRetries: 0,
}
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
process.exitCode = report.statuses.SUCCESS === RUNS && report.failures === 0 ? 0 : 1
