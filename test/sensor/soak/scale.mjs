#!/usr/bin/env node
// Tick durations and launch throughput of `bamstream daemon` with many watched
// files (issue 12.5; not part of the vitest suite; run after `npx tsc`):
//
//   node test/sensor/soak/scale.mjs [--files 100000] [--new 200] [--dir /tmp/bamstream-scale] [--interval 1s] [--remove-seeded]
//
// <dir>/in holds --files small BAMs (1,000 per folder, hard links of one copy
// of a fixture) that the daemon has already processed: the state is seeded with a
// SUCCESS run and a cursor row for each, as a daemon that had run for a long
// time would have. The daemon (op count, 2 at a time) is started, left to
// tick, then --new fresh files are dropped in at once; the script measures
// each tick's duration (from the daemon's sensor.tick events) and the launch
// throughput (runs/s from the first start to the last success of the new
// files), and prints a JSON report.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const { RunStore } = await import(path.join(ROOT, 'dist/src/sensor/store.js'))
const { resolveConfig } = await import(path.join(ROOT, 'dist/src/sensor/config.js'))
const { evaluateSensor } = await import(path.join(ROOT, 'dist/src/sensor/sensor.js'))
const { inProcessLister } = await import(path.join(ROOT, 'dist/src/sensor/lister.js'))
const { values: args } = parseArgs({ options: {
  files: { type: 'string', default: '100000' }, new: { type: 'string', default: '200' }, dir: { type: 'string', default: '/tmp/bamstream-scale' },
  interval: { type: 'string', default: '1s' }, 'remove-seeded': { type: 'boolean', default: false }, threads: { type: 'string', default: '2' }, 'max-concurrent': { type: 'string', default: '2' },
} })
const FILES = Number(args.files)
const NEW = Number(args.new)
const DIR = path.resolve(args.dir)
const IN = path.join(DIR, 'in'); const OUT = path.join(DIR, 'out'); const STATE = path.join(DIR, 'state')
const FIXTURE = path.join(ROOT, 'test/fixtures/htslib/htslib_samples_sample.bam')
const CLI = path.join(ROOT, 'dist/src/cli/main.js')
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const note = (s) => process.stderr.write(`[scale] ${s}\n`)
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const q = (p) => s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : null
  return { n: s.length, p50: q(0.5), p90: q(0.9), max: s.length ? s[s.length - 1] : null }
}

for (const d of [IN, OUT, STATE]) fs.rmSync(d, { recursive: true, force: true })
fs.mkdirSync(IN, { recursive: true })
let t0 = Date.now()
for (let i = 0; i < FILES; i++) {
  const sub = path.join(IN, `d${String(Math.floor(i / 1000)).padStart(3, '0')}`)
  const file = path.join(sub, `f${i}.bam`)
  if (i % 1000 === 0) {
    fs.mkdirSync(sub)
    fs.copyFileSync(FIXTURE, file) // one copy per folder, the folder's other files are links to it (a file has at most 65,000 links)
  } else fs.linkSync(path.join(sub, `f${i - (i % 1000)}.bam`), file)
}
note(`${FILES} files made in ${Date.now() - t0} ms`)

// seed the state: every file already requested and SUCCESS, as after a long life
const flags = ['--watch', IN, '--out', OUT, '--state', STATE, '--op', 'count', '--interval', args.interval, '--threads', args.threads, '--max-concurrent', args['max-concurrent']]
const config = resolveConfig([{ raw: { state: STATE, out: OUT, interval: args.interval, sensors: [{ name: 'default', watch: [IN], op: 'count', $ownOut: true }] }, baseDir: ROOT }])
t0 = Date.now()
if (FILES > 0) {
  const sensor = config.sensors[0]
  const store = RunStore.open(STATE)
  const lister = inProcessLister()
  const cursor = new Map()
  const ctx = { known: () => undefined, lister }
  const apply = (t) => { for (const [s, row] of t.changed) cursor.set(s, row) }
  apply(await evaluateSensor(sensor, cursor, ctx, 0))
  const tick = await evaluateSensor(sensor, cursor, ctx)
  store.commitTick('default', { ...tick, tick: { sensor: 'default', startedAt: Date.now(), ms: 0, candidates: tick.candidates, requested: tick.requests.length, skipped: {}, error: null } }, Date.now())
  store.db.prepare("UPDATE runs SET status = 'SUCCESS', attempts = 1, started_at = created_at, ended_at = created_at, result = '16', outputs = '[]'").run()
  store.db.pragma('wal_checkpoint(TRUNCATE)')
  store.close()
  fs.mkdirSync(OUT, { recursive: true })
  fs.writeFileSync(path.join(OUT, 'seeded.txt'), 'results of the seeded runs would be here\n')
  note(`state seeded with ${tick.requests.length} SUCCESS runs in ${Date.now() - t0} ms`)
  if (args['remove-seeded']) {
    // control experiment: the same store, but nothing left to watch (separates the store's size from the ticks' cost)
    for (const d of fs.readdirSync(IN)) fs.rmSync(path.join(IN, d), { recursive: true })
    note('seeded files removed (--remove-seeded)')
  }
}

const log = path.join(DIR, 'daemon.log')
const child = spawn(process.execPath, [CLI, 'daemon', ...flags, '--log-level', 'debug'], { stdio: ['ignore', 'ignore', fs.openSync(log, 'w')] })
const events = () => fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l) } catch { return {} } })
const ticks = () => events().filter((e) => e.event === 'sensor.tick')
const started = Date.now()
while (ticks().length < 2) { if (Date.now() - started > 600_000) throw new Error('no ticks'); await sleep(200) }
const firstTick = ticks()[0]
note(`first tick ${firstTick.ms} ms (a full scan: ${firstTick.candidates} candidates)`)
await sleep(8000)
const steady = ticks().slice(1)
note(`steady ticks: ${JSON.stringify(stats(steady.map((e) => e.ms)))}`)

// drop NEW fresh files in at once (copies: distinct inodes, sizes as the fixture)
const before = ticks().length
const fresh = path.join(IN, 'zz-new')
fs.mkdirSync(fresh)
for (let i = 0; i < NEW; i++) fs.copyFileSync(FIXTURE, path.join(fresh, `n${i}.bam`))
const dropped = Date.now()
let done = []
while ((done = events().filter((e) => e.event === 'run.success')).length < NEW) {
  if (Date.now() - dropped > 600_000) throw new Error(`only ${done.length} of ${NEW} runs done`)
  await sleep(200)
}
const all = events()
const starts = all.filter((e) => e.event === 'run.started').map((e) => Date.parse(e.time))
const ends = done.map((e) => Date.parse(e.time))
const busyTicks = ticks().slice(before)
child.kill('SIGTERM')
await new Promise((r) => child.on('exit', r))
const report = {
  files: FILES, newFiles: NEW, interval: args.interval, threads: Number(args.threads), maxConcurrent: Number(args['max-concurrent']),
  firstTickMs: firstTick.ms,
  steadyTickMs: stats(steady.map((e) => e.ms)),
  ticksWhileLaunchingMs: stats(busyTicks.map((e) => e.ms)),
  runsPerSecond: Number((NEW / ((Math.max(...ends) - Math.min(...starts)) / 1000)).toFixed(1)),
  droppedToAllDoneS: Number(((Math.max(...ends) - dropped) / 1000).toFixed(1)),
  stateDbBytes: fs.statSync(path.join(STATE, 'runs.sqlite')).size,
}
process.stdout.write(`${JSON.stringify(report)}\n`)
