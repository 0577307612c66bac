/**
 * The daemon: evaluates each sensor at its interval, stores the run requests,
 * and launches QUEUED runs, at most `maxConcurrent` at a time, all on one
 * shared worker pool.
 *
 * Ticks never hold up launching: a sensor's directory scan runs in a worker
 * thread (lister.ts) and reports only what changed; its cursor is kept in
 * memory and stored as rows, only the changed ones written per tick.
 *
 * Start: check the database (`quick_check`; a damaged database stops the
 * daemon with `ERR_CORRUPT`, here or at any later moment), take the state
 * directory's lease (one live daemon per directory), refuse an empty state
 * directory when the output folders already hold results (unless
 * `reprocess`), re-queue runs a dead daemon left STARTED, remove its
 * temporary files.
 *
 * Output outages: when a run's results cannot be written because the storage
 * is full, read-only or failing (runner.ts), the run goes back to QUEUED
 * without using an attempt and the daemon pauses claiming; it probes the
 * output folder with a backoff (1 s doubling to {@link MAX_OUTAGE_PROBE_MS})
 * and resumes by itself when a write succeeds. Logged once each way.
 *
 * Stop ({@link Daemon.stop}, wired to SIGINT/SIGTERM by the CLI): tick no more,
 * claim no more, let running work finish for up to `grace` ms, then abort what
 * is left and re-queue it. A second stop aborts and re-queues at once.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { Piscina } from 'piscina'
import { createPool } from '../engine/pool.js'
import { removeStaleTemps } from '../engine/atomic.js'
import type { DaemonConfig, SensorConfig } from './config.js'
import { SensorError, storedError, type StoredError } from './errors.js'
import { acquireLease, heartbeat, releaseLease } from './lease.js'
import { workerLister, type Lister } from './lister.js'
import type { Logger } from './log.js'
import { backoffDelay, startRun, stop, type ActiveRun, type RunnerContext, type StopReason } from './runner.js'
import { evaluateSensor, type Cursor, type Skip, type TickResult } from './sensor.js'
import { RunStore, isCorruptionError, type TickRecord } from './store.js'

/** Longest sleep of the main loop: cancel requests, `runs retry` and `sensor stop` are noticed within this. */
const MAX_SLEEP_MS = 1000
/** Heartbeat period. */
const HEARTBEAT_MS = 1000
/** Consecutive failed loop iterations after which the daemon gives up (and exits non-zero). */
const MAX_ERROR_STREAK = 10
/** First and longest wait between two probes of an unavailable output folder. */
const FIRST_OUTAGE_PROBE_MS = 1000
const MAX_OUTAGE_PROBE_MS = 8000
/** How often retention is applied. */
const PRUNE_EVERY_MS = 60_000

/** An output outage in progress. */
export interface Outage {
  since: number
  /** Folder probed before resuming. */
  dir: string
  error: StoredError
  nextProbe: number
  delay: number
}

/** What the daemon knows beyond the store (for `status` and the web page). */
export interface DaemonSnapshot {
  pid: number
  startedAt: number
  running: Array<{ id: number; bytes: number; records: number; totalBytes?: number }>
  outage?: Outage
  /** Per sensor: the last tick's duration and the total over all ticks. */
  ticks: Record<string, { last: number; count: number; sumMs: number; maxMs: number }>
  sensors: SensorConfig[]
}

/**
 * A running daemon.
 *
 * @example
 * ```ts
 * const daemon = await Daemon.start(config, createLogger(process.stderr))
 * process.once('SIGTERM', () => daemon.stop())
 * await daemon.finished
 * ```
 */
export class Daemon {
  /** Settles when the daemon has stopped and released everything. */
  readonly finished: Promise<void>
  readonly startedAt = Date.now()
  private readonly running = new Map<number, ActiveRun>()
  private readonly due = new Map<string, number>()
  private readonly ticking = new Set<string>()
  private readonly needsReset = new Set<string>()
  private readonly cursors = new Map<string, Cursor>()
  private readonly lastSkips = new Map<string, Map<string, string>>()
  private readonly tickStats: DaemonSnapshot['ticks'] = {}
  private stopped = new Set<string>()
  private outage: Outage | undefined
  private stopping: 'no' | 'graceful' | 'now' = 'no'
  private fatal: unknown
  private wakeUp: () => void = () => {}
  private readonly beatTimer: NodeJS.Timeout
  private graceTimer: NodeJS.Timeout | undefined
  private nextPrune = 0
  private readonly ctx: RunnerContext
  private readonly lister: Lister

  private constructor(private readonly config: DaemonConfig, readonly store: RunStore, pool: Piscina, private readonly logger: Logger) {
    this.ctx = {
      store, pool, logger, owner: process.pid, chunkBytes: config.chunkBytes, redis: config.redis,
      backoff: backoffDelay(config.backoff, config.maxBackoff),
      onOutage: (error, dir) => this.enterOutage(error, dir),
    }
    this.lister = workerLister()
    for (const s of config.sensors) this.cursors.set(s.name, store.cursor(s.name))
    this.beatTimer = setInterval(() => this.beat(), HEARTBEAT_MS) // a timer, so that nothing on the main thread can starve it
    this.finished = this.loop()
  }

  /** Opens the store, checks it, takes the lease, recovers, and starts the loop. Throws `ERR_LOCKED` when another daemon is live. */
  static async start(config: DaemonConfig, logger: Logger): Promise<Daemon> {
    const store = RunStore.open(config.state)
    try {
      checkIntegrity(store, config.state)
      const now = Date.now()
      const previous = acquireLease(store.db, process.pid, now, Math.max(60_000, 10 * config.interval))
      store.setMeta('outage', undefined) // a dead daemon's outage is no longer known to be true
      if (store.isEmpty()) await checkNoResults(config, logger)
      const recovered = store.recover(now)
      if (recovered.length > 0 || previous) {
        logger.log(recovered.length > 0 ? 'warn' : 'info', 'daemon.recovered', { previousPid: previous?.pid, requeued: recovered.map((r) => r.id) })
      }
      for (const dir of new Set(config.sensors.map((s) => s.out))) {
        const removed = await removeStaleTemps(dir)
        if (removed.length > 0) logger.log('warn', 'daemon.temps_removed', { files: removed })
      }
    } catch (e) {
      store.close()
      throw isCorrupt(e) ? corruptError(e, config.state) : e
    }
    const pool = createPool(config.threads)
    logger.log('info', 'daemon.start', {
      pid: process.pid, state: config.state, threads: config.threads, maxConcurrent: config.maxConcurrent,
      sensors: config.sensors.map((s) => ({ name: s.name, op: s.op, watch: s.watch, urls: s.urls.length, out: s.out, interval: s.interval, engine: s.engine })),
    })
    for (const s of config.sensors) {
      for (const dir of s.watch) if (!isDirectory(dir)) logger.log('warn', 'sensor.watch_missing', { sensor: s.name, dir })
    }
    return new Daemon(config, store, pool, logger)
  }

  /** Asks the daemon to stop: the first call is graceful (see the module doc), the second immediate. */
  stop(): void {
    if (this.stopping === 'no') {
      this.stopping = 'graceful'
      this.logger.log('info', 'daemon.stopping', { running: [...this.running.keys()], graceMs: this.config.grace })
      this.graceTimer = setTimeout(() => this.abortAll('shutdown'), this.config.grace)
      this.graceTimer.unref()
    } else if (this.stopping === 'graceful') {
      this.stopping = 'now'
      this.abortAll('shutdown')
    }
    this.wakeUp()
  }

  /** The state directory. */
  get stateDir(): string {
    return this.config.state
  }

  /** Ids of the runs in progress. */
  runningIds(): number[] {
    return [...this.running.keys()]
  }

  /** What the daemon knows beyond the store. */
  snapshot(): DaemonSnapshot {
    return {
      pid: process.pid, startedAt: this.startedAt, outage: this.outage, ticks: this.tickStats, sensors: this.config.sensors,
      running: [...this.running.values()].map((a) => ({ id: a.run.id, bytes: a.progress?.bytes ?? 0, records: a.progress?.records ?? 0, totalBytes: a.progress?.totalBytes })),
    }
  }

  private async loop(): Promise<void> {
    await Promise.resolve() // let start() return first
    let errors = 0
    while (this.stopping === 'no') {
      let delay = MAX_SLEEP_MS
      try {
        this.stopped = this.store.stoppedSensors()
        this.startDueTicks()
        this.applyCancels()
        await this.probeOutage()
        this.launch()
        this.prune()
        delay = this.nextWakeDelay()
        errors = 0
      } catch (e) {
        // e.g. the database stayed locked past busy_timeout: log, wait, try again; give up after a streak
        this.logger.log('error', 'daemon.error', { error: storedError(e), streak: ++errors })
        if (isCorrupt(e)) this.fail(corruptError(e, this.config.state))
        else if (errors >= MAX_ERROR_STREAK) this.fail(e)
      }
      if (this.stopping !== 'no') break
      await this.sleep(delay)
    }
    await this.shutdown()
    if (this.fatal !== undefined) throw this.fatal
  }

  /** Stops at once and makes `finished` reject with `e`. */
  private fail(e: unknown): void {
    this.fatal ??= e
    this.stopping = 'now'
    this.abortAll('shutdown')
    this.wakeUp()
  }

  private startDueTicks(): void {
    for (const sensor of this.config.sensors) {
      if (this.ticking.has(sensor.name) || this.stopped.has(sensor.name) || (this.due.get(sensor.name) ?? 0) > Date.now()) continue
      this.ticking.add(sensor.name)
      void this.tick(sensor).finally(() => {
        this.ticking.delete(sensor.name)
        this.due.set(sensor.name, Date.now() + sensor.interval)
        this.wakeUp()
      })
    }
  }

  private async tick(sensor: SensorConfig): Promise<void> {
    const started = Date.now()
    const record: TickRecord = { sensor: sensor.name, startedAt: started, ms: 0, candidates: 0, requested: 0, skipped: {}, error: null }
    try {
      const cursor = this.cursors.get(sensor.name)!
      const reset = this.needsReset.delete(sensor.name)
      const result = await evaluateSensor(sensor, cursor, {
        known: (key) => this.store.findByKey(sensor.name, key), owners: (o) => this.store.outputOwner(o), lister: this.lister, reset,
      })
      if (this.stopping !== 'no') return
      record.ms = Date.now() - started
      record.candidates = result.candidates
      for (const s of result.skips) record.skipped[s.reason] = (record.skipped[s.reason] ?? 0) + 1
      const { created, collisions } = this.store.commitTick(sensor.name, { ...result, tick: { ...record, requested: result.requests.length } }, Date.now())
      record.requested = created.length
      applyToCursor(cursor, result, new Set(collisions.map((c) => c.request.source)))
      this.report(sensor, result, created.length, record.ms)
      for (const run of created) this.logger.log('info', 'run.queued', { run: run.id, sensor: sensor.name, source: run.source, size: run.size, key: run.runKey })
      for (const c of collisions) this.logger.log('error', 'sensor.output_collision', { sensor: sensor.name, source: c.request.source, outBase: c.request.outBase, owner: c.owner })
    } catch (e) {
      this.needsReset.add(sensor.name) // the scan's report was not stored: the next one must report everything
      if (isCorrupt(e)) return this.fail(corruptError(e, this.config.state))
      this.logger.log('error', 'sensor.error', { sensor: sensor.name, error: storedError(e) })
      try {
        this.store.recordTick({ ...record, ms: Date.now() - started, error: storedError(e) }, Date.now())
      } catch { /* already reported */ }
    }
  }

  private report(sensor: SensorConfig, result: TickResult, requested: number, ms: number): void {
    for (const dir of result.missingRoots) this.logger.log('warn', 'sensor.watch_missing', { sensor: sensor.name, dir })
    this.logSkips(sensor.name, result.skips)
    const stats = (this.tickStats[sensor.name] ??= { last: 0, count: 0, sumMs: 0, maxMs: 0 })
    stats.last = ms
    stats.count++
    stats.sumMs += ms
    stats.maxMs = Math.max(stats.maxMs, ms)
    this.logger.log('debug', 'sensor.tick', {
      sensor: sensor.name, ms, scanMs: result.scanMs, candidates: result.candidates, changed: result.changed.length, requested, skipped: result.skips.length,
    })
  }

  /** Logs a skip when a source's reason changes (`already-requested` only at debug level). */
  private logSkips(sensor: string, skips: Skip[]): void {
    const before = this.lastSkips.get(sensor) ?? new Map<string, string>()
    const now = new Map<string, string>()
    for (const s of skips) {
      now.set(s.source, s.reason)
      if (before.get(s.source) === s.reason) continue
      const level = s.reason === 'already-requested' ? 'debug' : s.reason === 'output-collision' ? 'error' : 'info'
      this.logger.log(level, 'sensor.skip', { sensor, source: s.source, reason: s.reason, detail: s.detail })
    }
    this.lastSkips.set(sensor, now)
  }

  private launch(): void {
    while (this.stopping === 'no' && !this.outage && this.running.size < this.config.maxConcurrent) {
      const run = this.store.claim(process.pid, Date.now())
      if (!run) return
      const active = startRun(this.ctx, run)
      this.running.set(run.id, active)
      void active.done.then(() => {
        this.running.delete(run.id)
        this.wakeUp()
      })
    }
  }

  private enterOutage(error: StoredError, dir: string): void {
    if (this.outage) return
    const now = Date.now()
    this.outage = { since: now, dir, error, delay: FIRST_OUTAGE_PROBE_MS, nextProbe: now + FIRST_OUTAGE_PROBE_MS }
    this.saveOutage()
    this.logger.log('error', 'daemon.output_unavailable', { dir, error, message: 'results cannot be written: claiming paused, runs re-queued without using an attempt; resuming by itself once the folder is writable' })
  }

  /** While paused by an outage: at the probe time, tries a write in the folder; resumes when it works. */
  private async probeOutage(): Promise<void> {
    const o = this.outage
    if (!o || Date.now() < o.nextProbe) return
    const probe = path.join(o.dir, `.bamstream-probe-${process.pid}`)
    try {
      await fs.promises.mkdir(o.dir, { recursive: true })
      await fs.promises.writeFile(probe, 'probe')
      await fs.promises.rm(probe, { force: true })
    } catch {
      o.delay = Math.min(MAX_OUTAGE_PROBE_MS, o.delay * 2)
      o.nextProbe = Date.now() + o.delay
      return
    }
    this.outage = undefined
    this.saveOutage()
    this.logger.log('info', 'daemon.output_available', { dir: o.dir, downMs: Date.now() - o.since })
  }

  /** Keeps the outage in the store, for `bamstream status`. */
  private saveOutage(): void {
    try {
      this.store.setMeta('outage', this.outage && { since: this.outage.since, dir: this.outage.dir, error: this.outage.error })
    } catch (e) {
      this.logger.log('warn', 'store.error', { during: 'outage', error: storedError(e) })
    }
  }

  private prune(): void {
    const now = Date.now()
    if (this.config.retention <= 0 || now < this.nextPrune) return
    this.nextPrune = now + PRUNE_EVERY_MS
    const n = this.store.prune(now - this.config.retention)
    if (n > 0) this.logger.log('info', 'daemon.pruned', { runs: n, olderThanMs: this.config.retention })
  }

  private applyCancels(): void {
    for (const id of this.store.cancelRequested(process.pid)) {
      const active = this.running.get(id)
      if (active && !active.reason) stop(active, 'cancel', 'run canceled')
    }
  }

  private abortAll(reason: StopReason): void {
    for (const active of this.running.values()) stop(active, reason, 'daemon stopping')
  }

  private beat(): void {
    let held: boolean
    try {
      held = heartbeat(this.store.db, process.pid, Date.now())
    } catch (e) {
      if (isCorrupt(e)) return this.fail(corruptError(e, this.config.state))
      this.logger.log('warn', 'store.error', { during: 'heartbeat', error: storedError(e) })
      return
    }
    if (!held) {
      this.logger.log('error', 'daemon.lease_lost', { pid: process.pid })
      this.stopping = 'now'
      this.abortAll('shutdown')
      this.wakeUp()
    }
  }

  private nextWakeDelay(): number {
    const now = Date.now()
    let next = now + MAX_SLEEP_MS
    for (const [name, t] of this.due) if (!this.ticking.has(name)) next = Math.min(next, t)
    if (this.outage) next = Math.min(next, this.outage.nextProbe)
    else if (this.running.size < this.config.maxConcurrent) {
      const queued = this.store.nextDue()
      if (queued !== undefined) next = Math.min(next, Math.max(queued, now + 5))
    }
    return Math.max(0, next - now)
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      function done(): void {
        clearTimeout(timer)
        resolve()
      }
      this.wakeUp = done
    })
  }

  private async shutdown(): Promise<void> {
    await Promise.all([...this.running.values()].map((a) => a.done))
    clearInterval(this.beatTimer)
    if (this.graceTimer) clearTimeout(this.graceTimer)
    await this.lister.close().catch(() => {})
    await this.ctx.pool.destroy().catch(() => {})
    try {
      if (this.fatal === undefined || !isCorrupt(this.fatal)) {
        if (this.outage) this.store.setMeta('outage', undefined)
        releaseLease(this.store.db, process.pid)
        this.logger.log('info', 'daemon.stop', { pid: process.pid, runs: this.store.counts() })
      }
    } finally {
      this.store.close()
    }
  }
}

/** Updates the in-memory cursor with what the tick stored. */
function applyToCursor(cursor: Cursor, result: TickResult, refused: Set<string>): void {
  for (const [source, row] of result.changed) cursor.set(source, refused.has(source) ? { ...row, key: undefined } : row)
  for (const source of result.removed) cursor.delete(source)
}

/** Throws `ERR_CORRUPT` when SQLite's quick_check finds damage. */
function checkIntegrity(store: RunStore, state: string): void {
  const problems = store.quickCheck()
  if (problems.length > 0) {
    throw new SensorError('ERR_CORRUPT', `run storage ${path.join(state, 'runs.sqlite')} is damaged (${problems.slice(0, 3).join('; ')}): ` +
      'stop, restore it from a backup or move it aside (the next start then refuses to reprocess without --reprocess)')
  }
}

const isCorrupt = isCorruptionError

function corruptError(e: unknown, state: string): SensorError {
  if (e instanceof SensorError && e.code === 'ERR_CORRUPT') return e
  return new SensorError('ERR_CORRUPT', `run storage ${path.join(state, 'runs.sqlite')} is damaged (${(e as Error).message}): ` +
    'the daemon stops; restore it from a backup or move it aside', { cause: e })
}

/** Refuses to start on an empty state folder while an output folder already holds results (the history was lost), unless `reprocess`. */
async function checkNoResults(config: DaemonConfig, logger: Logger): Promise<void> {
  for (const out of new Set(config.sensors.map((s) => s.out))) {
    const file = firstFile(out)
    if (!file) continue
    if (config.reprocess) {
      logger.log('warn', 'daemon.reprocess', { state: config.state, out, example: file, message: 'empty state folder, results present: every file is processed again (--reprocess)' })
      continue
    }
    throw new SensorError('ERR_STATE', `the state folder ${config.state} holds no run history, but ${out} already holds results (e.g. ${file}): ` +
      'the state was lost or --state points elsewhere, and starting would process every file again. Give the right --state, ' +
      'or --reprocess to process everything again')
  }
}

/** Some non-hidden file under `dir` (depth first), or undefined. */
function firstFile(dir: string): string | undefined {
  let entries: fs.Dirent[]
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true })
  } catch {
    return undefined
  }
  for (const e of entries) {
    if (e.name.startsWith('.')) continue
    const full = path.join(dir, e.name)
    if (e.isFile()) return full
    if (e.isDirectory()) {
      const inner = firstFile(full)
      if (inner) return inner
    }
  }
  return undefined
}

function isDirectory(dir: string): boolean {
  return fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory() ?? false
}
