/**
 * `bamstream worker`: takes split and merge jobs from Redis and runs them on
 * this machine's pool. Start one per machine; each runs `concurrency` splits at
 * a time, all sharing one pool of `threads` workers.
 */
import { Worker, type Job } from 'bullmq'
import type { Piscina } from 'piscina'
import { createPool, defaultThreads } from '../engine/pool.js'
import { jobError } from './failure.js'
import { mergeSplits, type MergeJob, type MergeOutcome } from './merge.js'
import { checkRedis, connectionFor, MERGE_QUEUE, redact, SPLIT_QUEUE } from './redis.js'
import { runSplit, type SplitJob, type SplitResult } from './task.js'

/** Options of {@link startWorker}. */
export interface WorkerOptions {
  /** Redis URL, e.g. `redis://10.0.0.5:6379`. */
  redis: string
  /** Pool threads. Default: every core. */
  threads?: number
  /** Splits run at once by this process. Default 2. */
  concurrency?: number
  /**
   * How long a split's lock lasts without renewal (ms): after a worker dies,
   * its split goes to another worker within about this time. Default 30 s.
   */
  lockDuration?: number
  /** How often this worker looks for stalled splits (ms). Default 15 s. */
  stalledInterval?: number
  /** Receives one line per event (started, split done, failure). */
  log?: (line: string) => void
}

/** A running worker. */
export interface ClusterWorker {
  /** Stops taking jobs, lets running ones finish, and releases the pool. */
  close(): Promise<void>
  /** Its pool (shared by its splits and merges). */
  pool: Piscina
}

/** Default splits run at once per worker process. */
export const DEFAULT_CONCURRENCY = 2
/** Default lock duration and stalled-check interval. */
export const DEFAULT_LOCK_MS = 30_000
/** Times a split may stall (its worker died) before it fails. */
export const MAX_STALLED = 3

/**
 * Starts taking jobs. Throws `ERR_REDIS` at once when Redis cannot be reached.
 *
 * @example
 * ```ts
 * const w = await startWorker({ redis: 'redis://127.0.0.1:6379', threads: 4 })
 * process.on('SIGTERM', () => w.close())
 * ```
 */
export async function startWorker(o: WorkerOptions): Promise<ClusterWorker> {
  await checkRedis(o.redis)
  const connection = connectionFor(o.redis)
  const log = o.log ?? (() => {})
  const pool = createPool(o.threads ?? defaultThreads())
  const lockDuration = o.lockDuration ?? DEFAULT_LOCK_MS
  const common = { connection, lockDuration, stalledInterval: o.stalledInterval ?? lockDuration / 2, maxStalledCount: MAX_STALLED }
  const splits = new Worker<SplitJob, SplitResult>(SPLIT_QUEUE, async (job: Job<SplitJob>) => {
    try {
      const started = Date.now()
      log(`split ${job.data.split.index} of ${job.data.source}: started (attempt ${job.attemptsStarted})`)
      const result = await runSplit(job.data, pool)
      log(`split ${job.data.split.index} of ${job.data.source}: ${result.records} records in ${Date.now() - started} ms`)
      return result
    } catch (e) {
      log(`split ${job.data.split.index} of ${job.data.source} failed: ${(e as Error).message}`)
      throw jobError(e)
    }
  }, { ...common, concurrency: o.concurrency ?? DEFAULT_CONCURRENCY })
  const merges = new Worker<MergeJob, MergeOutcome>(MERGE_QUEUE, async (job: Job<MergeJob>) => {
    try {
      const started = Date.now()
      const values = await job.getChildrenValues<SplitResult>()
      const results = new Map<number, SplitResult>()
      for (const r of Object.values(values)) results.set(r.index, r)
      const outcome = await mergeSplits(job.data, results, pool)
      log(`merged ${job.data.splits.length} splits of ${job.data.task.source}: ${outcome.records} records, ${outcome.redone} redone, in ${Date.now() - started} ms`)
      return outcome
    } catch (e) {
      log(`merge of ${job.data.task.source} failed: ${(e as Error).message}`)
      throw jobError(e)
    }
  }, { ...common, concurrency: o.concurrency ?? DEFAULT_CONCURRENCY })
  for (const w of [splits, merges]) w.on('error', (e) => log(`redis: ${e.message}`))
  await Promise.all([splits.waitUntilReady(), merges.waitUntilReady()])
  log(`worker ${process.pid} ready on ${redact(o.redis)}: ${pool.options.maxThreads} threads, ${o.concurrency ?? DEFAULT_CONCURRENCY} splits at a time`)
  return {
    pool,
    async close() {
      await Promise.all([splits.close(), merges.close()])
      await pool.destroy()
    },
  }
}
