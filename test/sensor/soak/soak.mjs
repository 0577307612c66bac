#!/usr/bin/env node
// Soak run of `bamstream daemon` (not part of the vitest suite; run after `npx tsc`):
//
//   node test/sensor/soak/soak.mjs [--seconds 150] [--dir /tmp/bamstream-soak] [--big g1.bam,g2.bam,...]
//
// A daemon with two sensors (flagstat, count -F 0x904) watches <dir>/in while
// this script copies files in for --seconds: real fixtures in batches, big
// synthetic BAMs (from dist/bench/generate.js, in <dir>/gen) copied slowly in
// 4 MiB pieces, a corrupt and a truncated BAM, and one file rewritten in place.
// The daemon is killed with SIGKILL three times (while a big file's run is
// STARTED, at an arbitrary moment, and during a big run again) and restarted
// each time; at the end it is stopped with SIGTERM and started once more with
// nothing new. Then every run and output file is checked against the library's
// own results, and a JSON report is printed (exit code 1 if anything is wrong).
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const { RunStore } = await import(path.join(ROOT, 'dist/src/sensor/store.js'))
const { count, flagstat } = await import(path.join(ROOT, 'dist/src/engine/api.js'))
const { formatFlagstatJson } = await import(path.join(ROOT, 'dist/src/ops/flagstat.js'))
const { createPool } = await import(path.join(ROOT, 'dist/src/engine/pool.js'))

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '150' }, dir: { type: 'string', default: '/tmp/bamstream-soak' }, big: { type: 'string' } } })
const SECONDS = Number(args.seconds)
const DIR = path.resolve(args.dir)
const IN = path.join(DIR, 'in'); const OUT = path.join(DIR, 'out'); const STATE = path.join(DIR, 'state'); const GEN = path.join(DIR, 'gen')
const FIXTURES = path.join(ROOT, 'test/fixtures/htslib')
const CLI = path.join(ROOT, 'dist/src/cli/main.js')
const T0 = Date.now()
const t = () => ((Date.now() - T0) / 1000).toFixed(1)
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const note = (s) => process.stderr.write(`[soak ${t()}s] ${s}\n`)

for (const d of [IN, OUT, STATE]) fs.rmSync(d, { recursive: true, force: true })
fs.mkdirSync(IN, { recursive: true })
const config = path.join(DIR, 'bamstream.config.json')
fs.writeFileSync(config, JSON.stringify({
  state: 'state', out: 'out', interval: '500ms', maxConcurrent: 2, threads: 2, incompleteAfter: '20s', maxAttempts: 3, backoff: '1s',
  sensors: [
    { name: 'stats', watch: ['in'], pattern: ['**/*.bam'], op: 'flagstat' },
    { name: 'mapped', watch: ['in'], pattern: ['**/*.bam'], op: 'count', options: { F: '0x904' }, out: 'out/mapped' },
  ],
}, null, 2))

// ---- the daemon -------------------------------------------------------------
const daemons = []
function startDaemon() {
  const n = daemons.length + 1
  const log = fs.openSync(path.join(DIR, `daemon-${n}.log`), 'w')
  const child = spawn(process.execPath, [CLI, 'daemon', '--config', config], { stdio: ['ignore', 'ignore', log] })
  const d = { n, child, pid: child.pid, startedAt: t(), exit: new Promise((r) => child.on('exit', (code, signal) => r({ code, signal }))) }
  daemons.push(d)
  note(`daemon #${n} started, pid ${child.pid}`)
  return d
}
function readStore(f) {
  const s = RunStore.open(STATE, { mustExist: true })
  try { return f(s) } finally { s.close() }
}
const runsNow = () => (fs.existsSync(path.join(STATE, 'runs.sqlite')) ? readStore((s) => s.list({ limit: 1e6 })) : [])

// ---- the copier ---------------------------------------------------------------
const fixtures = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.bam')).sort()
const bigs = (args.big ? args.big.split(',') : fs.readdirSync(GEN).filter((f) => f.endsWith('.bam')).sort()).map((f) => path.join(GEN, f))
const copied = [] // { dest, from, kind }
async function copySlowly(src, dest, piece = 4 << 20, pauseMs = 150) {
  const fd = fs.openSync(src, 'r'); const out = fs.openSync(dest, 'w')
  const buf = Buffer.allocUnsafe(piece)
  for (let n; (n = fs.readSync(fd, buf, 0, piece, null)) > 0;) { fs.writeSync(out, buf, 0, n); await sleep(pauseMs) }
  fs.closeSync(fd); fs.closeSync(out)
}
async function copier() {
  const events = [
    [5, async () => { for (const [i, b] of bigs.entries()) { await bigCopy(b, `big/${i}-${path.basename(b)}`); await sleep(12_000) } }],
    [20, async () => { corrupt('bad/corrupt.bam') }],
    [25, async () => { truncated('bad/truncated.bam') }],
    [70, async () => { rewrite() }],
    [Math.min(110, SECONDS - 30), async () => { if (bigs[0]) await bigCopy(bigs[0], `big/again-${path.basename(bigs[0])}`) }],
  ]
  const jobs = events.map(([at, f]) => sleep(at * 1000).then(f))
  let batch = 0
  while (Date.now() - T0 < SECONDS * 1000) {
    const dir = path.join(IN, `batch${String(++batch).padStart(3, '0')}`)
    fs.mkdirSync(dir, { recursive: true })
    for (let k = 0; k < 3; k++) {
      const name = fixtures[(batch * 3 + k) % fixtures.length]
      fs.copyFileSync(path.join(FIXTURES, name), path.join(dir, name))
      copied.push({ dest: path.join(dir, name), from: path.join(FIXTURES, name), kind: 'fixture' })
    }
    await sleep(1000)
  }
  await Promise.all(jobs)
  note(`copier done: ${copied.length} files`)
}
async function bigCopy(src, rel) {
  const dest = path.join(IN, rel)
  fs.mkdirSync(path.dirname(dest), { recursive: true })
  note(`slow copy of ${path.basename(src)} (${(fs.statSync(src).size / 1e6).toFixed(1)} MB) to ${rel} begins`)
  await copySlowly(src, dest)
  copied.push({ dest, from: src, kind: 'big' })
  note(`slow copy to ${rel} done`)
}
function corrupt(rel) {
  const b = fs.readFileSync(path.join(FIXTURES, 'htslib_test_ce_1000.bam')); b[b.length >> 1] ^= 0xff
  fs.mkdirSync(path.join(IN, 'bad'), { recursive: true }); fs.writeFileSync(path.join(IN, rel), b)
  copied.push({ dest: path.join(IN, rel), kind: 'corrupt' })
}
function truncated(rel) {
  const b = fs.readFileSync(path.join(FIXTURES, 'htslib_test_ce_1000.bam'))
  fs.writeFileSync(path.join(IN, rel), b.subarray(0, b.length >> 1))
  copied.push({ dest: path.join(IN, rel), kind: 'truncated' })
}
function rewrite() {
  const first = copied.find((c) => c.kind === 'fixture')
  const other = path.join(FIXTURES, 'htslib_test_ce_1000.bam')
  fs.copyFileSync(other, first.dest) // same path, new content: a new run key
  note(`rewrote ${first.dest} in place`)
  first.from = other; first.rewritten = true
}

// ---- the killer ---------------------------------------------------------------
const kills = []
async function kill(d, why) {
  const started = runsNow().filter((r) => r.status === 'STARTED')
  d.child.kill('SIGKILL'); await d.exit
  kills.push({ at: `${t()}s`, daemon: d.n, pid: d.pid, why, startedRunsLeft: started.map((r) => ({ id: r.id, sensor: r.sensor, source: path.relative(IN, r.source), progressBytes: r.progressBytes })) })
  note(`kill -9 of daemon #${d.n} (${why}); STARTED runs left: ${started.map((r) => r.id).join(', ') || 'none'}`)
}
async function waitForStarted(sinceSeconds, what, deadlineMs = 60_000) {
  await sleep(Math.max(0, sinceSeconds * 1000 - (Date.now() - T0)))
  const deadline = Date.now() + deadlineMs
  while (Date.now() < deadline && !runsNow().some((r) => r.status === 'STARTED' && what(r))) await sleep(100)
}
const bigRun = (r) => r.source.includes(`${path.sep}big${path.sep}`) && (r.progressBytes ?? 0) > 0
async function killer() {
  let d = startDaemon()
  await waitForStarted(40, bigRun)
  await kill(d, 'while a big file\'s run was STARTED')
  await sleep(1000)
  d = startDaemon()
  await sleep(Math.min(25_000, SECONDS * 100) + Math.random() * 10_000)
  await kill(d, 'at an arbitrary moment')
  await sleep(1000)
  d = startDaemon()
  await waitForStarted(Math.min(111, SECONDS - 29), bigRun)
  await kill(d, 'while a big file\'s run was STARTED')
  await sleep(1000)
  return startDaemon()
}

// ---- run it -------------------------------------------------------------------
const [, last] = await Promise.all([copier(), killer()])
const currentKey = (dest) => { const s = fs.statSync(dest, { bigint: true }); return `${dest}|size=${s.size}|mtime=${s.mtimeNs}` }
const settleDeadline = Date.now() + 600_000
while (Date.now() < settleDeadline) {
  const runs = runsNow()
  const keys = new Set(runs.map((r) => `${r.sensor} ${r.runKey}`))
  const allRequested = copied.every((c) => ['stats', 'mapped'].every((s) => keys.has(`${s} ${currentKey(c.dest)}`)))
  if (allRequested && runs.every((r) => r.status !== 'QUEUED' && r.status !== 'STARTED')) break
  await sleep(500)
}
const settledAt = t()
last.child.kill('SIGTERM')
const lastExit = await last.exit
note(`daemon #${last.n} stopped with SIGTERM: ${JSON.stringify(lastExit)}`)
const idle = startDaemon()
await sleep(5000)
idle.child.kill('SIGTERM')
const idleExit = await idle.exit
const idleLog = fs.readFileSync(path.join(DIR, `daemon-${idle.n}.log`), 'utf8')

// ---- check and report -------------------------------------------------------------
const pool = createPool(2)
const problems = []
const db = readStore((s) => ({ runs: s.list({ limit: 1e6 }).reverse().map((r) => ({ ...r, history: s.attempts(r.id) })), counts: s.counts(), ticks: s.db.prepare('SELECT name, ticks FROM sensors').all() }))
const refs = new Map()
async function reference(from) {
  if (!refs.has(from)) refs.set(from, { flagstat: formatFlagstatJson(await flagstat(from, { pool })), mapped: `${await count(from, { excludedFlags: 0x904, pool })}\n` })
  return refs.get(from)
}
for (const c of copied) {
  const key = currentKey(c.dest)
  for (const sensor of ['stats', 'mapped']) {
    const mine = db.runs.filter((r) => r.sensor === sensor && r.runKey === key)
    if (mine.length !== 1) { problems.push(`${sensor} ${c.dest}: ${mine.length} runs for the current key`); continue }
    const r = mine[0]
    const wins = r.history.filter((a) => a.outcome === 'SUCCESS').length
    const want = c.kind === 'corrupt' || c.kind === 'truncated' ? 'FAILURE' : 'SUCCESS'
    if (r.status !== want || wins !== (want === 'SUCCESS' ? 1 : 0)) problems.push(`${sensor} run ${r.id} ${c.dest}: ${r.status}, ${wins} SUCCESS attempts`)
    if (want === 'SUCCESS') {
      const ref = await reference(c.from)
      const got = fs.readFileSync(r.outputs[0], 'utf8')
      if (got !== (sensor === 'stats' ? ref.flagstat : ref.mapped)) problems.push(`${sensor} run ${r.id}: output differs from the CLI's`)
    }
  }
}
await pool.destroy()
const temps = fs.readdirSync(OUT, { recursive: true }).filter((f) => String(f).includes('.bamstream-tmp-'))
if (temps.length) problems.push(`temporary files left: ${temps.join(', ')}`)
const success = db.runs.filter((r) => r.status === 'SUCCESS')
const files = new Set(success.map((r) => r.runKey))
const byKey = new Map(success.map((r) => [r.runKey, r.size]))
const attemptsOf = (o) => db.runs.flatMap((r) => r.history).filter((a) => a.outcome === o).length
const report = {
  machine: `${(await import('node:os')).cpus().length} CPUs, node ${process.version}`,
  seconds: { copying: SECONDS, settledAt: Number(settledAt), total: Number(t()) },
  copiedFiles: copied.length,
  copiedBytes: copied.reduce((n, c) => n + fs.statSync(c.dest).size, 0),
  daemons: daemons.map((d) => ({ n: d.n, pid: d.pid, startedAt: `${d.startedAt}s` })),
  kills,
  runs: db.counts,
  successfulRuns: success.length,
  distinctFilesProcessed: files.size,
  bytesProcessed: success.reduce((n, r) => n + r.size, 0),
  distinctBytesProcessed: [...byKey.values()].reduce((n, s) => n + s, 0),
  attempts: { SUCCESS: attemptsOf('SUCCESS'), FAILURE: attemptsOf('FAILURE'), RETRY: attemptsOf('RETRY'), INTERRUPTED: attemptsOf('INTERRUPTED') },
  interruptedRuns: db.runs.filter((r) => r.history.some((a) => a.outcome === 'INTERRUPTED')).map((r) => ({ id: r.id, sensor: r.sensor, source: path.relative(IN, r.source), size: r.size, history: r.history.map((a) => `${a.outcome}@pid${a.owner}`) })),
  failures: db.runs.filter((r) => r.status === 'FAILURE').map((r) => ({ id: r.id, sensor: r.sensor, source: path.relative(IN, r.source), error: `${r.error.code}: ${r.error.message}` })),
  sensorTicks: db.ticks,
  lastStop: lastExit,
  idleRestart: { exit: idleExit, runsQueued: (idleLog.match(/"run\.queued"/g) ?? []).length, runsStarted: (idleLog.match(/"run\.started"/g) ?? []).length },
  problems,
}
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
process.exitCode = problems.length ? 1 : 0
