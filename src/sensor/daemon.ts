/**
 * The daemon: evaluates each sensor at its interval, stores the run requests,
 * and launches QUEUED runs, at most `maxConcurrent` at a time, all on one
 * shared worker pool.
 *
 * Start: take the state directory's lease (one live daemon per directory),
 * re-queue runs a dead daemon left STARTED, remove its temporary files.
 * Stop ({@link Daemon.stop}, wired to SIGINT/SIGTERM by the CLI): tick no more,
 * claim no more, let running work finish for up to `grace` ms, then abort what
 * is left and re-queue it. A second stop aborts and re-queues at once.
 */
import type { Piscina } from 'piscina'
import { createPool } from '../engine/pool.js'
import { removeStaleTemps } from '../engine/atomic.js'
import type { DaemonConfig, SensorConfig } from './config.js'
import { SensorError, storedError } from './errors.js'
import { acquireLease, heartbeat, releaseLease } from './lease.js'
import type { Logger } from './log.js'
import { backoffDelay, startRun, type ActiveRun, type RunnerContext, type StopReason } from './runner.js'
import { evaluateSensor, parseCursor, type Skip } from './sensor.js'
import { RunStore } from './store.js'

/** Longest sleep of the main loop: cancel requests and `runs retry` are noticed within this. */
const MAX_SLEEP_MS = 1000
/** Heartbeat period. */
const HEARTBEAT_MS = 1000
/** Consecutive failed loop iterations after which the daemon gives up (and exits non-zero). */
const MAX_ERROR_STREAK = 10

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
  private readonly running = new Map<number, ActiveRun>()
  private readonly due = new Map<string, number>()
  private readonly lastSkips = new Map<string, Map<string, string>>()
  private stopping: 'no' | 'graceful' | 'now' = 'no'
  private wakeUp: () => void = () => {}
  private readonly beatTimer: NodeJS.Timeout
  private graceTimer: NodeJS.Timeout | undefined
  private readonly ctx: RunnerContext

  private constructor(private readonly config: DaemonConfig, private readonly store: RunStore, pool: Piscina, private readonly logger: Logger) {
    this.ctx = {
      store, pool, logger, owner: process.pid, chunkBytes: config.chunkBytes,
      backoff: backoffDelay(config.backoff, config.maxBackoff),
    }
    this.beatTimer = setInterval(() => this.beat(), HEARTBEAT_MS) // a timer, so that a long sensor tick cannot starve it
    this.finished = this.loop()
  }

  /** Opens the store, takes the lease, recovers, and starts the loop. Throws `ERR_LOCKED` when another daemon is live. */
  static async start(config: DaemonConfig, logger: Logger): Promise<Daemon> {
    const store = RunStore.open(config.state)
    try {
      const now = Date.now()
      const previous = acquireLease(store.db, process.pid, now, Math.max(60_000, 10 * config.interval))
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
      throw e
    }
    const pool = createPool(config.threads)
    logger.log('info', 'daemon.start', {
      pid: process.pid, state: config.state, threads: config.threads, maxConcurrent: config.maxConcurrent,
      sensors: config.sensors.map((s) => ({ name: s.name, op: s.op, watch: s.watch, urls: s.urls.length, out: s.out, interval: s.interval })),
    })
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

  /** Ids of the runs in progress. */
  runningIds(): number[] {
    return [...this.running.keys()]
  }

  private async loop(): Promise<void> {
    await Promise.resolve() // let start() return first
    let errors = 0
    let fatal: unknown
    while (this.stopping === 'no') {
      let delay = MAX_SLEEP_MS
      try {
        await this.tickDueSensors()
        if (this.stopping !== 'no') break
        this.applyCancels()
        this.launch()
        delay = this.nextWakeDelay()
        errors = 0
      } catch (e) {
        // e.g. the database stayed locked past busy_timeout: log, wait, try again; give up after a streak
        this.logger.log('error', 'daemon.error', { error: storedError(e), streak: ++errors })
        if (errors >= MAX_ERROR_STREAK) {
          fatal = e
          this.stopping = 'now'
          this.abortAll('shutdown')
          break
        }
      }
      await this.sleep(delay)
    }
    await this.shutdown()
    if (fatal !== undefined) throw fatal
  }

  private async tickDueSensors(): Promise<void> {
    for (const sensor of this.config.sensors) {
      if (this.stopping !== 'no') return
      if ((this.due.get(sensor.name) ?? 0) > Date.now()) continue
      try {
        await this.tick(sensor)
      } catch (e) {
        this.logger.log('error', 'sensor.error', { sensor: sensor.name, error: storedError(e) })
      }
      this.due.set(sensor.name, Date.now() + sensor.interval)
    }
  }

  private async tick(sensor: SensorConfig): Promise<void> {
    const started = Date.now()
    const cursor = parseCursor(this.store.cursor(sensor.name))
    const result = await evaluateSensor(sensor, cursor, (key) => this.store.findByKey(sensor.name, key))
    const created = this.store.enqueue(sensor.name, result.requests, JSON.stringify(result.cursor), Date.now())
    for (const run of created) {
      this.logger.log('info', 'run.queued', { run: run.id, sensor: sensor.name, source: run.source, size: run.size, key: run.runKey })
    }
    this.logSkips(sensor.name, result.skips)
    this.logger.log('debug', 'sensor.tick', {
      sensor: sensor.name, ms: Date.now() - started, candidates: Object.keys(result.cursor.seen).length,
      requested: created.length, skipped: result.skips.length,
    })
  }

  /** Logs a skip when a source's reason changes (`already-requested` only at debug level). */
  private logSkips(sensor: string, skips: Skip[]): void {
    const before = this.lastSkips.get(sensor) ?? new Map<string, string>()
    const now = new Map<string, string>()
    for (const s of skips) {
      now.set(s.source, s.reason)
      if (before.get(s.source) === s.reason) continue
      this.logger.log(s.reason === 'already-requested' ? 'debug' : 'info', 'sensor.skip', { sensor, source: s.source, reason: s.reason, detail: s.detail })
    }
    this.lastSkips.set(sensor, now)
  }

  private launch(): void {
    while (this.stopping === 'no' && this.running.size < this.config.maxConcurrent) {
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

  private applyCancels(): void {
    for (const id of this.store.cancelRequested(process.pid)) {
      const active = this.running.get(id)
      if (active && !active.reason) this.abort(active, 'cancel')
    }
  }

  private abortAll(reason: StopReason): void {
    for (const active of this.running.values()) if (!active.reason) this.abort(active, reason)
  }

  private abort(active: ActiveRun, reason: StopReason): void {
    active.reason = reason
    active.controller.abort(new SensorError('ERR_INTERRUPTED', reason === 'cancel' ? 'run canceled' : 'daemon stopping'))
  }

  private beat(): void {
    let held: boolean
    try {
      held = heartbeat(this.store.db, process.pid, Date.now())
    } catch (e) {
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
    for (const t of this.due.values()) next = Math.min(next, t)
    if (this.running.size < this.config.maxConcurrent) {
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
    await this.ctx.pool.destroy().catch(() => {})
    try {
      releaseLease(this.store.db, process.pid)
      this.logger.log('info', 'daemon.stop', { pid: process.pid, runs: this.store.counts() })
    } finally {
      this.store.close()
    }
  }
}
