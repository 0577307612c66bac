/**
 * Running one claimed run to its end and recording how it ended: SUCCESS with
 * its result and files; a failure retried after a backoff or left FAILURE; or,
 * when the daemon stopped it, re-queued (shutdown) or CANCELED (on request).
 */
import type { Piscina } from 'piscina'
import { isRetryable, storedError } from './errors.js'
import { executeJob } from './job.js'
import type { Logger } from './log.js'
import type { Run } from './schema.js'
import type { RunStore } from './store.js'

/** Why the daemon aborted a run. */
export type StopReason = 'cancel' | 'shutdown'

/** A run in progress in this daemon. */
export interface ActiveRun {
  run: Run
  controller: AbortController
  /** Set before aborting: what to record when the run stops. */
  reason?: StopReason
  /** Settles (never rejects) once the outcome is recorded. */
  done: Promise<void>
}

/** What a run needs from its daemon. */
export interface RunnerContext {
  store: RunStore
  pool: Piscina
  logger: Logger
  /** This daemon's pid (the owner of its STARTED runs). */
  owner: number
  chunkBytes: number
  /** Delay before attempt n+1 after `failures` failures, in ms. */
  backoff: (failures: number) => number
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

async function execute(ctx: RunnerContext, active: ActiveRun): Promise<void> {
  const { run } = active
  const started = Date.now()
  ctx.logger.log('info', 'run.started', { run: run.id, sensor: run.sensor, source: run.source, op: run.op, attempt: run.attempts })
  let last = 0
  const onProgress = (p: { bytes: number }): void => {
    const now = Date.now()
    if (now - last < PROGRESS_EVERY_MS) return
    last = now
    try { ctx.store.progress(run.id, ctx.owner, p.bytes, now) } catch { /* progress is best effort */ }
  }
  let outcome: { result: unknown; outputs: string[] }
  try {
    outcome = await executeJob(run, { pool: ctx.pool, chunkBytes: ctx.chunkBytes, signal: active.controller.signal, onProgress })
  } catch (e) {
    recordStop(ctx, active, e, started)
    return
  }
  const ok = ctx.store.succeed(run.id, ctx.owner, outcome.result, outcome.outputs, Date.now())
  ctx.logger.log(ok ? 'info' : 'warn', ok ? 'run.success' : 'run.lost', {
    run: run.id, sensor: run.sensor, source: run.source, ms: Date.now() - started, outputs: outcome.outputs,
  })
}

function recordStop(ctx: RunnerContext, active: ActiveRun, e: unknown, started: number): void {
  const { run } = active
  const now = Date.now()
  const base = { run: run.id, sensor: run.sensor, source: run.source, ms: now - started }
  if (active.reason === 'cancel') {
    ctx.store.cancelStarted(run.id, ctx.owner, now)
    ctx.logger.log('info', 'run.canceled', base)
    return
  }
  if (active.reason === 'shutdown') {
    ctx.store.requeue(run.id, ctx.owner, 'daemon stopped before the run finished', now)
    ctx.logger.log('info', 'run.requeued', base)
    return
  }
  const error = storedError(e)
  const retry = isRetryable(e)
  const out = ctx.store.fail(run.id, ctx.owner, error, retry, ctx.backoff, now)
  if (out?.status === 'QUEUED') ctx.logger.log('warn', 'run.retry', { ...base, error, failures: out.failures, retryInMs: out.notBefore - now })
  else ctx.logger.log('error', 'run.failure', { ...base, error, failures: out?.failures, retryable: retry })
}
