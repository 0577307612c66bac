/**
 * Running one claimed run to its end and recording how it ended: SUCCESS with
 * its result and files; a failure retried after a backoff or left FAILURE;
 * SKIPPED when its source no longer matches its run key (rewritten or removed
 * since it was requested, or replaced while running); re-queued without
 * counting a failure when the daemon stopped it (shutdown) or when its results
 * could not be written because the output storage is unavailable (an outage:
 * the daemon pauses, see daemon.ts); CANCELED on request; a failure
 * `ERR_TIMEOUT` after the sensor's `maxRuntime`.
 *
 * This is the one place a run is executed: {@link RunnerContext.execute}
 * (default: {@link executeJob} on the shared pool) is the hook for running it
 * elsewhere.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { Piscina } from 'piscina'
import type { Progress } from '../engine/run.js'
import { SensorError, isOutputOutage, isRetryable, storedError, type StoredError } from './errors.js'
import { executeJob, type JobContext, type JobResult } from './job.js'
import type { Logger, LogLevel } from './log.js'
import { observeUrl } from './probe.js'
import type { Run } from './schema.js'
import type { RunStore } from './store.js'

/** Why the daemon aborted a run. */
export type StopReason = 'cancel' | 'shutdown' | 'timeout'

/** A run in progress in this daemon. */
export interface ActiveRun {
  run: Run
  controller: AbortController
  /** Set before aborting: what to record when the run stops. */
  reason?: StopReason
  /** Settles (never rejects) once the outcome is recorded. */
  done: Promise<void>
  /** Latest progress (for the status page). */
  progress?: Progress
}

/** What a run needs from its daemon. */
export interface RunnerContext {
  store: RunStore
  pool: Piscina
  logger: Logger
  /** This daemon's pid (the owner of its STARTED runs). */
  owner: number
  /** Chunk size of runs stored without one (made before engine options were stored). */
  chunkBytes: number
  /** Run on the cluster through this Redis instead of `pool` (see cluster/submit.ts). */
  redis?: string
  /** Delay before attempt n+1 after `failures` failures, in ms. */
  backoff: (failures: number) => number
  /** Told when a run met an output outage in folder `dir` (the run is already re-queued). */
  onOutage?: (error: StoredError, dir: string) => void
  /** Runs the job; default {@link executeJob}. */
  execute?: (run: Run, job: JobContext) => Promise<JobResult>
}

/** Minimum ms between two progress writes of one run. */
const PROGRESS_EVERY_MS = 1000

/**
 * Starts a claimed run; `done` settles once its outcome is stored.
 *
 * @example
 * ```ts
 * const active = startRun(ctx, store.claim(process.pid, Date.now())!)
 * await active.done
 * ```
 */
export function startRun(ctx: RunnerContext, run: Run): ActiveRun {
  const active: ActiveRun = { run, controller: new AbortController(), done: Promise.resolve() }
  active.done = execute(ctx, active).catch((e: unknown) => {
    ctx.logger.log('error', 'store.error', { run: run.id, error: storedError(e) })
  })
  return active
}

/**
 * Exponential backoff: `base`, 2 × `base`, 4 × `base`, …, at most `max`.
 *
 * @example
 * ```ts
 * backoffDelay(1000, 60_000)(3) // 4000
 * ```
 */
export function backoffDelay(base: number, max: number): (failures: number) => number {
  return (failures) => Math.min(max, base * 2 ** Math.max(0, failures - 1))
}

/** Logs an event of a run to the daemon's log and to the run's own log. */
function runLog(ctx: RunnerContext, run: Run, level: LogLevel, event: string, fields: Record<string, unknown>): void {
  ctx.logger.log(level, event, { run: run.id, sensor: run.sensor, source: run.source, ...fields })
  try {
    ctx.store.logEvent(run.id, run.attempts, level, event, fields, Date.now())
  } catch (e) {
    ctx.logger.log('warn', 'store.error', { during: 'run log', run: run.id, error: storedError(e) })
  }
}

async function execute(ctx: RunnerContext, active: ActiveRun): Promise<void> {
  const { run } = active
  const started = Date.now()
  const before = await sourceMismatch(run)
  runLog(ctx, run, 'info', 'run.started', { op: run.op, attempt: run.attempts, engine: run.engine })
  if (before) {
    ctx.store.skip(run.id, ctx.owner, before.error, Date.now())
    runLog(ctx, run, 'warn', 'run.skipped', { error: before.error })
    return
  }
  const timer = run.engine.maxRuntime > 0
    ? setTimeout(() => stop(active, 'timeout', `run still going after maxRuntime ${run.engine.maxRuntime} ms`), run.engine.maxRuntime)
    : undefined
  let last = 0
  const onProgress = (p: Progress): void => {
    active.progress = p
    const now = Date.now()
    if (now - last < PROGRESS_EVERY_MS && !p.done) return
    last = now
    try { ctx.store.progress(run.id, ctx.owner, p.bytes, now, p.records) } catch { /* progress is best effort */ }
  }
  let outcome: JobResult
  try {
    const job: JobContext = { pool: ctx.pool, chunkBytes: run.engine.chunkSize || ctx.chunkBytes, redis: ctx.redis, signal: active.controller.signal, onProgress }
    outcome = await (ctx.execute ?? executeJob)(run, job)
  } catch (e) {
    await recordStop(ctx, active, e, started)
    return
  } finally {
    clearTimeout(timer)
  }
  await recordSuccess(ctx, active, outcome, started)
}

/**
 * Stops a run: `reason` says what to record once it has stopped.
 *
 * @example
 * ```ts
 * stop(active, 'cancel', 'run canceled')
 * ```
 */
export function stop(active: ActiveRun, reason: StopReason, message: string): void {
  if (active.reason) return
  active.reason = reason
  active.controller.abort(new SensorError(reason === 'timeout' ? 'ERR_TIMEOUT' : 'ERR_INTERRUPTED', message))
}

async function recordSuccess(ctx: RunnerContext, active: ActiveRun, outcome: JobResult, started: number): Promise<void> {
  const { run } = active
  const after = await sourceMismatch(run)
  if (after && !after.removed) {
    // results of a mix of two versions: not a result of either
    const error = { ...after.error, message: `${after.error.message}, while the run was reading it; its results are not kept as this run's` }
    ctx.store.skip(run.id, ctx.owner, error, Date.now())
    runLog(ctx, run, 'warn', 'run.skipped', { error })
    return
  }
  if (after) runLog(ctx, run, 'warn', 'run.source_removed', { message: 'the source was removed while the run was reading it (the run had read it whole)' })
  const p = active.progress
  const ok = ctx.store.succeed(run.id, ctx.owner, outcome.result, outcome.outputs, Date.now(), { bytes: p?.bytes, records: p?.records })
  runLog(ctx, run, ok ? 'info' : 'warn', ok ? 'run.success' : 'run.lost', { ms: Date.now() - started, outputs: outcome.outputs })
}

async function recordStop(ctx: RunnerContext, active: ActiveRun, e: unknown, started: number): Promise<void> {
  const { run } = active
  const now = Date.now()
  const base = { ms: now - started }
  if (active.reason === 'cancel') {
    ctx.store.cancelStarted(run.id, ctx.owner, now)
    runLog(ctx, run, 'info', 'run.canceled', base)
    return
  }
  if (active.reason === 'shutdown') {
    ctx.store.requeue(run.id, ctx.owner, 'daemon stopped before the run finished', now)
    runLog(ctx, run, 'info', 'run.requeued', base)
    return
  }
  const changed = await sourceMismatch(run)
  if (changed) {
    const error = { ...changed.error, message: `${changed.error.message} while the run was reading it (it failed with ${storedError(e).code ?? 'an error'}: ${storedError(e).message})` }
    ctx.store.skip(run.id, ctx.owner, error, now)
    runLog(ctx, run, 'warn', 'run.skipped', { ...base, error })
    return
  }
  const failure = active.reason === 'timeout' ? new SensorError('ERR_TIMEOUT', `run still going after maxRuntime ${run.engine.maxRuntime} ms: stopped`) : e
  const error = storedError(failure)
  if (isOutputOutage(failure)) {
    ctx.store.pause(run.id, ctx.owner, error, now)
    runLog(ctx, run, 'warn', 'run.paused', { ...base, error })
    ctx.onOutage?.(error, path.dirname(run.outBase))
    return
  }
  const retry = isRetryable(failure)
  const out = ctx.store.fail(run.id, ctx.owner, error, retry, ctx.backoff, now)
  if (out?.status === 'QUEUED') runLog(ctx, run, 'warn', 'run.retry', { ...base, error, failures: out.failures, retryInMs: out.notBefore - now })
  else runLog(ctx, run, 'error', 'run.failure', { ...base, error, failures: out?.failures, retryable: retry })
}

/**
 * Why a run's source no longer matches the look it was requested for
 * (`ERR_SUPERSEDED`: removed, or a different size or stamp), or undefined
 * when it still matches (or cannot be checked: a URL that does not answer
 * fails the run itself).
 *
 * @example
 * ```ts
 * const changed = await sourceMismatch(run) // { error: { code: 'ERR_SUPERSEDED', message: '/in/a.bam changed since …' }, removed: false }
 * ```
 */
export async function sourceMismatch(run: Pick<Run, 'source' | 'size' | 'stamp'>): Promise<{ error: StoredError; removed: boolean } | undefined> {
  let now: { size: number; stamp: string }
  if (/^https?:\/\//i.test(run.source)) {
    try {
      const o = await observeUrl(run.source)
      now = { size: o.size, stamp: o.mtime }
    } catch {
      return undefined
    }
  } else {
    const s = await fs.promises.stat(run.source, { bigint: true }).catch(() => undefined)
    if (!s) return { error: superseded(`${run.source} was removed since the run was requested`), removed: true }
    now = { size: Number(s.size), stamp: s.mtimeNs.toString() }
  }
  const what: string[] = []
  if (run.size !== null && run.size !== now.size) what.push(`size ${run.size} → ${now.size}`)
  if (run.stamp !== null && run.stamp !== now.stamp) what.push(`stamp ${run.stamp} → ${now.stamp}`)
  if (what.length === 0) return undefined
  return { error: superseded(`${run.source} changed since the run was requested (${what.join(', ')}); a new run is requested for the new content`), removed: false }
}

function superseded(message: string): StoredError {
  return { name: 'SensorError', code: 'ERR_SUPERSEDED', message }
}
