/**
 * The coordinator side of a cluster run: read the header (and nothing else),
 * cut the file into splits from its size, submit one BullMQ flow (a merge job
 * whose children are the splits), and wait for the merge's result.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import type { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { FlowProducer, Queue, type Job } from 'bullmq'
import type { BamHeader } from '../bam/header.js'
import { DEFAULT_CHUNK_BYTES } from '../constants.js'
import { BamError } from '../errors.js'
import { opReference } from '../ops/registry.js'
import type { Progress } from '../engine/run.js'
import type { Source } from '../engine/source.js'
import type { GuessHook } from '../engine/task.js'
import { decodeValue, encodeValue } from './codec.js'
import { errorFromReason } from './failure.js'
import type { MergeJob, MergeOutcome, OutputSpec } from './merge.js'
import { openRange } from './range.js'
import { checkRedis, connectionFor, MERGE_QUEUE, SPLIT_QUEUE } from './redis.js'
import { DEFAULT_SPLIT_BYTES, planSplits, type Split } from './split.js'
import { readHeaderOnly, type SplitJob } from './task.js'

/** Options of a cluster run. */
export interface ClusterOptions {
  /** Redis URL. */
  redis: string
  /** Compressed bytes per split (`--split-size`). Default 256 MiB. */
  splitBytes?: number
  /** Uncompressed bytes per chunk on the workers' pools. */
  chunkBytes?: number
  /** Ordered output: a folder every worker and the merge can write (default: beside the output, or the temp folder for a stream). */
  partsDir?: string
  /** Called as splits finish (bytes: compressed bytes of the finished splits). */
  onProgress?: (p: Progress) => void
  /** Called once with the run's plan, before anything is queued. */
  onPlan?: (plan: ClusterPlan) => void
  /** Called when no split has been taken for a while: no worker is running. */
  onIdle?: (waitedMs: number) => void
  /** Aborts waiting (the jobs already queued are removed when possible). */
  signal?: AbortSignal
  /** Test hook: wrong guesses on purpose. */
  guessHook?: GuessHook
  /** Ordered ops (a user op with `drain`): receives the joined output in file order. */
  onOutput?: (bytes: Uint8Array[]) => void | Promise<void>
}

/** What the coordinator learned before submitting. */
export interface ClusterPlan {
  runId: string
  splits: Split[]
  /** Bytes the coordinator read from the source (the header's blocks only). */
  bytesRead: number
  /** Milliseconds from the start until the flow was queued. */
  submitMs: number
  size: number
}

/** Poll period while waiting for a run's merge: short at first (small runs), then longer (big ones). */
const POLL_MS = 25
const SLOW_POLL_MS = 250
/** How long the short poll period lasts. */
const FAST_POLL_FOR_MS = 2000
/** After this long without a split taken, `onIdle` is called (once). */
const IDLE_NOTICE_MS = 10_000
/** Tries of a split whose worker failed for a reason a retry may fix (I/O); bad data fails at once. */
const SPLIT_ATTEMPTS = 3
/** First backoff of such a retry. */
const RETRY_BACKOFF_MS = 1000

/**
 * Runs `op` over `source` on the cluster and returns the op's result, exactly
 * as `run()` would on this machine.
 *
 * @example
 * ```ts
 * const stats = await runOnCluster('/shared/big.bam', 'flagstat', {}, { redis: 'redis://queue:6379' })
 * ```
 */
export async function runOnCluster<R>(source: Source, op: string, opOptions: object | ((h: BamHeader) => object), options: ClusterOptions): Promise<R> {
  if (!options.onOutput) return decodeValue((await submitAndWait(source, op, opOptions, options)).result) as R
  // an ordered op's output: joined by the merge into a file in the parts folder, then handed over in order
  const partsDir = await fs.promises.mkdtemp(path.join(options.partsDir ?? os.tmpdir(), '.bamstream-parts-'))
  const file = path.join(partsDir, 'joined')
  try {
    const outcome = await submitAndWait(source, op, opOptions, { ...options, partsDir }, { file, format: 'sam', header: 'none' })
    if (fs.existsSync(file)) {
      for await (const bytes of fs.createReadStream(file, { highWaterMark: HANDOVER_BYTES })) await options.onOutput([bytes as Buffer])
    }
    return decodeValue(outcome.result) as R
  } finally {
    await fs.promises.rm(partsDir, { recursive: true, force: true })
  }
}

/** Bytes per piece when a joined output is handed to `onOutput`. */
const HANDOVER_BYTES = 4 * 1024 * 1024

/** Ordered output of {@link viewOnCluster}. */
export interface ClusterViewOutput {
  /** A file path (joined by the merge and renamed into place) or a stream (the joined file is copied to it). */
  output: Writable | string
  format: 'sam' | 'bam'
  header: 'none' | 'include'
}

/**
 * `view` on the cluster: each split writes a part file, the merge joins them.
 *
 * @example
 * ```ts
 * await viewOnCluster('/shared/x.bam', 'view', () => ({}), { output: '/shared/x.sam', format: 'sam', header: 'include' }, { redis })
 * ```
 */
export async function viewOnCluster(source: Source, op: string, opOptions: (h: BamHeader) => object, out: ClusterViewOutput, options: ClusterOptions): Promise<number> {
  const toFile = typeof out.output === 'string'
  const partsRoot = options.partsDir ?? (toFile ? path.dirname(path.resolve(out.output as string)) : os.tmpdir())
  const partsDir = await fs.promises.mkdtemp(path.join(partsRoot, '.bamstream-parts-'))
  const file = toFile ? path.resolve(out.output as string) : path.join(partsDir, 'joined')
  try {
    const outcome = await submitAndWait(source, op, opOptions, { ...options, partsDir }, { file, format: out.format, header: out.header })
    if (!toFile) await pipeline(fs.createReadStream(file), out.output as Writable, { end: false })
    return decodeValue(outcome.result) as number
  } finally {
    await fs.promises.rm(partsDir, { recursive: true, force: true })
  }
}

async function submitAndWait(source: Source, op: string, opOptions: object | ((h: BamHeader) => object), options: ClusterOptions, output?: OutputSpec): Promise<MergeOutcome> {
  const started = Date.now()
  if (typeof source !== 'string' && !(source instanceof URL)) {
    throw new BamError('ERR_OPTION', 'a cluster run needs a path or an http(s) URL that every worker can read, not a stream')
  }
  const name = source.toString()
  const shared = /^https?:\/\//i.test(name) ? name : path.resolve(name)
  const ref = opReference(op)
  const conn = await acquire(options.redis) // Redis unreachable: one clear error before anything else
  try {
    return await submitOn(conn, shared, name, ref, opOptions, options, started, output)
  } finally {
    release(options.redis, conn)
  }
}

async function submitOn(conn: Connections, shared: string, name: string, ref: string, opOptions: object | ((h: BamHeader) => object), options: ClusterOptions, started: number, output?: OutputSpec): Promise<MergeOutcome> {
  const src = await openRange(shared)
  let header: BamHeader
  let splits: Split[]
  try {
    const bam = await readHeaderOnly(src)
    header = bam.header
    splits = planSplits(src.size, bam.recordsCoffset, bam.first?.start ?? 0, options.splitBytes ?? DEFAULT_SPLIT_BYTES)
  } catch (e) {
    throw e instanceof BamError ? e.withSource(name) : e
  } finally {
    await src.close()
  }
  const resolved = typeof opOptions === 'function' ? opOptions(header) : opOptions
  const runId = randomUUID()
  const task: Omit<SplitJob, 'split' | 'carry'> = {
    runId, source: shared, op: ref, options: encodeValue(resolved), chunkBytes: options.chunkBytes ?? DEFAULT_CHUNK_BYTES,
    partsDir: options.partsDir, guessHook: options.guessHook,
  }
  const data: MergeJob = { task, splits, output }
  await conn.flows.add({
    name: 'merge', queueName: MERGE_QUEUE, data, opts: { jobId: runId, attempts: SPLIT_ATTEMPTS, backoff: { type: 'exponential', delay: RETRY_BACKOFF_MS } },
    children: splits.map((split) => ({
      name: 'split', queueName: SPLIT_QUEUE, data: { ...task, split } satisfies SplitJob,
      opts: { jobId: `${runId}-${split.index}`, attempts: SPLIT_ATTEMPTS, backoff: { type: 'exponential', delay: RETRY_BACKOFF_MS }, failParentOnFailure: true },
    })),
  })
  options.onPlan?.({ runId, splits, bytesRead: src.bytesRead(), submitMs: Date.now() - started, size: src.size })
  return waitForMerge(conn, runId, name, splits, src.size, started, options)
}

/** This process's connections to one Redis, shared by its runs and closed soon after the last one ends. */
interface Connections {
  flows: FlowProducer
  merges: Queue
  splits: Queue
  users: number
  idle?: NodeJS.Timeout
}

const connections = new Map<string, Promise<Connections>>()

/** How long unused connections stay open for the next run (a library caller running many files). */
const LINGER_MS = 200

async function acquire(url: string): Promise<Connections> {
  let pending = connections.get(url)
  if (!pending) {
    pending = (async () => {
      await checkRedis(url)
      const connection = connectionFor(url)
      const conn = { flows: new FlowProducer({ connection }), merges: new Queue(MERGE_QUEUE, { connection }), splits: new Queue(SPLIT_QUEUE, { connection }), users: 0 }
      // a lost connection is retried (Redis restarting); waiting calls resume once it is back
      conn.flows.on('error', () => {})
      for (const q of [conn.merges, conn.splits]) q.on('error', () => {})
      return conn
    })()
    connections.set(url, pending)
    pending.catch(() => connections.delete(url))
  }
  const conn = await pending
  conn.users++
  clearTimeout(conn.idle)
  return conn
}

function release(url: string, conn: Connections): void {
  if (--conn.users > 0) return
  conn.idle = setTimeout(() => {
    if (conn.users > 0) return
    connections.delete(url)
    Promise.all([conn.flows.close(), conn.merges.close(), conn.splits.close()]).catch(() => {})
  }, LINGER_MS)
}

async function waitForMerge(conn: Connections, runId: string, name: string, splits: Split[], size: number, started: number, options: ClusterOptions): Promise<MergeOutcome> {
  const { merges } = conn
  let idleNoticed = false
  let lastDone = -1
  for (;;) {
    if (options.signal?.aborted) {
      await removeRun(merges, runId)
      throw new BamError('ERR_REDIS', 'the cluster run was aborted', -1, name)
    }
    const job = await merges.getJob(runId) as Job<MergeJob, MergeOutcome> | undefined
    if (!job) throw new BamError('ERR_REDIS', 'the run vanished from Redis (was Redis restarted without its append-only file?)', -1, name)
    const state = await job.getState()
    if (state === 'completed') {
      // the job read above may predate its completion: read it again for its return value
      const outcome = (await merges.getJob(runId) as Job<MergeJob, MergeOutcome> | undefined)?.returnvalue
      if (!outcome) throw new BamError('ERR_REDIS', 'the run completed without a result in Redis', -1, name)
      await job.remove().catch(() => {})
      options.onProgress?.({ bytes: size, totalBytes: size, records: outcome.records, elapsedMs: Date.now() - started, done: true })
      return outcome
    }
    if (state === 'failed') throw await failureOf((await merges.getJob(runId)) ?? job, name, conn.splits)
    const counts = await job.getDependenciesCount({ processed: true })
    const done = counts.processed ?? 0
    if (done !== lastDone) {
      lastDone = done
      options.onProgress?.({ bytes: Math.round((size * done) / splits.length), totalBytes: size, records: 0, elapsedMs: Date.now() - started })
    }
    if (done === 0 && !idleNoticed && Date.now() - started > IDLE_NOTICE_MS && (await conn.splits.getActiveCount()) === 0) {
      idleNoticed = true
      options.onIdle?.(Date.now() - started)
    }
    await new Promise((resolve) => setTimeout(resolve, Date.now() - started < FAST_POLL_FOR_MS ? POLL_MS : SLOW_POLL_MS))
  }
}

/** The error of a failed run: the merge's own, or that of the split that failed it. */
async function failureOf(job: Job<MergeJob, MergeOutcome>, name: string, splits: Queue): Promise<BamError> {
  const reason = job.failedReason
  const child = /child (\S+) failed/.exec(reason ?? '')?.[1]
  if (child) {
    const failed = await splits.getJob(child.split(':').pop()!)
    if (failed) return errorFromReason(failed.failedReason, name)
  }
  return errorFromReason(reason, name)
}

async function removeRun(merges: Queue, runId: string): Promise<void> {
  const job = await merges.getJob(runId)
  await job?.remove().catch(() => {})
}
