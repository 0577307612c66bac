/**
 * Jobs: what running an op on one file means for the daemon. A small table
 * maps an op name to its option checks and to the result files it writes,
 * exactly as the CLI would print them:
 *
 * | op | options | files in the out directory |
 * |---|---|---|
 * | `flagstat` | none | `<name>.flagstat.json` (`flagstat --json`), `<name>.flagstat.txt` (`flagstat`) |
 * | `count` | `requiredFlags`, `excludedFlags`, `minMapq` (-f/-F/-q) | `<name>.count.txt` (`count`) |
 * | `idxstats` | none | `<name>.idxstats.txt` (`idxstats`) |
 * | `view` | filters, `format`, `header`, `region`, `level` | `<name>.view.sam` or `<name>.view.bam` (`view [-b] -o`) |
 * | any other op (built-in or module path) | passed to the op as given | `<name>.<op>.json` (the result as JSON) |
 *
 * Any other op with ordered output (one with `drain`) also streams its bytes to
 * `<name>.<op>.out`. Every file is written atomically (see engine/atomic.ts).
 */
import fs from 'node:fs'
import path from 'node:path'
import { Writable } from 'node:stream'
import type { Piscina } from 'piscina'
import { run, type Progress } from '../engine/run.js'
import { view, type ViewCallOptions } from '../engine/view.js'
import { formatFlagstat, formatFlagstatJson, type FlagstatResult } from '../ops/flagstat.js'
import { formatIdxstats, type IdxstatsLine } from '../ops/idxstats.js'
import { loadOp, opReference, resolveOp, type ResolvedOp } from '../ops/registry.js'
import { createAtomicFile, writeFileAtomic, type AtomicFile } from '../engine/atomic.js'
import { SensorError, outputError } from './errors.js'
import { countOptions, noOptions, viewOptions } from './job-options.js'

/** One result file: a suffix appended to the run's output base, and its content. */
export interface JobOutput {
  suffix: string
  content: string
}

/** How the daemon runs one op: option checks and result files. */
export interface JobKind {
  /** Checks options (at config time) and returns them as the op takes them. Throw {@link SensorError} `ERR_CONFIG`. */
  options(raw: Record<string, unknown>): Record<string, unknown>
  /** The files to write from the op's result. */
  outputs(result: unknown, options: Record<string, unknown>, label: string): JobOutput[]
  /** Runs the job itself instead of `run()` + `outputs()` (ops with their own writer, like view). */
  execute?(job: JobRequest, ctx: JobContext): Promise<JobResult>
}

const genericJob: JobKind = {
  options: (raw) => raw,
  outputs: (result, _options, label) => [{ suffix: `.${label}.json`, content: `${toJson(result, 2)}\n` }],
}

const JOBS = new Map<string, JobKind>([
  ['flagstat', {
    options: (raw) => noOptions(raw, 'flagstat'),
    outputs: (r) => [
      { suffix: '.flagstat.json', content: formatFlagstatJson(r as FlagstatResult) },
      { suffix: '.flagstat.txt', content: formatFlagstat(r as FlagstatResult) },
    ],
  }],
  ['count', {
    options: countOptions,
    outputs: (n) => [{ suffix: '.count.txt', content: `${n as number}\n` }],
  }],
  ['idxstats', {
    options: (raw) => noOptions(raw, 'idxstats'),
    outputs: (lines) => [{ suffix: '.idxstats.txt', content: formatIdxstats(lines as IdxstatsLine[]) }],
  }],
  ['view', { options: viewOptions, outputs: () => [], execute: executeView }],
])

/**
 * Checks an op and its options at config time, resolving the name as the CLI
 * does (`resolveOp`). A module path is made absolute (relative to `baseDir`)
 * and must exist.
 *
 * @example
 * ```ts
 * normaliseJob('count', { excludedFlags: '0x904' }, '.') // { op: 'count', options: { excludedFlags: 2308 } }
 * ```
 */
export function normaliseJob(op: string, options: Record<string, unknown>, baseDir: string): { op: string; options: Record<string, unknown> } {
  let resolved: ResolvedOp
  try {
    resolved = resolveOp(op, baseDir)
  } catch (e) {
    throw new SensorError('ERR_CONFIG', (e as Error).message)
  }
  if (resolved.kind === 'module' && !fs.existsSync(resolved.path)) throw new SensorError('ERR_CONFIG', `op module ${resolved.path} does not exist`)
  const name = resolved.kind === 'builtin' ? resolved.name : resolved.path
  return { op: name, options: jobKind(name).options(options) }
}

/**
 * The table entry of an op (the generic JSON entry for ops not in the table).
 *
 * @example
 * ```ts
 * jobKind('count').outputs(42, {}, 'count') // [{ suffix: '.count.txt', content: '42\n' }]
 * ```
 */
export function jobKind(op: string): JobKind {
  return JOBS.get(op) ?? genericJob
}

/**
 * The label of an op in file names: its name, or a module's base name.
 *
 * @example
 * ```ts
 * opLabel('/ops/mapq-hist.js') // 'mapq-hist'
 * ```
 */
export function opLabel(op: string): string {
  const resolved = resolveOp(op)
  return resolved.kind === 'builtin' ? resolved.name : resolved.label
}

/** One job: an op over one source, results written next to `outBase`. */
export interface JobRequest {
  source: string
  op: string
  options: Record<string, unknown>
  /** Output path without suffix, e.g. `/out/run1/sample`. */
  outBase: string
}

/** What a job runs with. */
export interface JobContext {
  pool: Piscina
  chunkBytes: number
  /** Run on the cluster (a BullMQ flow on this Redis URL) instead of on `pool`. */
  redis?: string
  signal?: AbortSignal
  onProgress?: (p: Progress) => void
}

/** A finished job. */
export interface JobResult {
  /** The op's result, JSON-safe. */
  result: unknown
  /** Files written, absolute paths. */
  outputs: string[]
}

/**
 * Runs an op over one source on the shared pool and writes its result files.
 *
 * @example
 * ```ts
 * const pool = createPool(4)
 * const { result, outputs } = await executeJob({ source: 'a.bam', op: 'flagstat', options: {}, outBase: '/out/a' }, { pool, chunkBytes: 4 << 20 })
 * ```
 */
export async function executeJob(job: JobRequest, ctx: JobContext): Promise<JobResult> {
  const kind = jobKind(job.op)
  if (kind.execute) return kind.execute(job, ctx)
  const label = opLabel(job.op)
  const op = await loadOp(opReference(job.op))
  let stream: AtomicFile | undefined
  try {
    const streamPath = `${job.outBase}.${label}.out`
    if (op.drain) stream = await writing(streamPath, () => createAtomicFile(streamPath))
    const onOutput = stream ? async (parts: Uint8Array[]) => { for (const p of parts) await writing(streamPath, () => stream!.write(p)) } : undefined
    const result = await run(job.source, job.op, job.options, {
      pool: ctx.pool, chunkBytes: ctx.chunkBytes, signal: ctx.signal, onProgress: ctx.onProgress, onOutput, ...cluster(job, ctx),
    })
    const outputs: string[] = []
    for (const o of kind.outputs(result, job.options, label)) {
      const dest = `${job.outBase}${o.suffix}`
      await writing(dest, () => writeFileAtomic(dest, o.content))
      outputs.push(dest)
    }
    if (stream) {
      await writing(streamPath, () => stream!.commit())
      outputs.push(stream.path)
    }
    return { result: JSON.parse(toJson(result)) as unknown, outputs }
  } finally {
    await stream?.abort()
  }
}

/** `view`, as `bamstream view [-b] -o <name>.view.sam|bam` would write it; the result is the number of records. */
async function executeView(job: JobRequest, ctx: JobContext): Promise<JobResult> {
  const options = job.options as Omit<ViewCallOptions, 'output'>
  const dest = `${job.outBase}.view.${options.format === 'bam' ? 'bam' : 'sam'}`
  const file = await writing(dest, () => createAtomicFile(dest))
  let failedWrite: unknown
  try {
    const output = new Writable({ write: (chunk: Uint8Array, _enc, done) => { file.write(chunk).then(() => done(), (e: unknown) => { failedWrite ??= e; done(e as Error) }) } })
    let records: number
    try {
      records = await view(job.source, {
        ...options, output, pool: ctx.pool, chunkBytes: ctx.chunkBytes, signal: ctx.signal, onProgress: ctx.onProgress, ...cluster(job, ctx),
      })
    } catch (e) {
      throw failedWrite === undefined ? e : outputError(dest, failedWrite) // the output side failed, whatever the engine calls it
    }
    await writing(dest, () => file.commit())
    return { result: records, outputs: [file.path] }
  } finally {
    await file.abort()
  }
}

/** With `ctx.redis`: the cluster options of a job; its split parts go beside its results (a folder the workers share), not the daemon's temp folder. */
function cluster(job: JobRequest, ctx: JobContext): { redis?: string; partsDir?: string } {
  return ctx.redis ? { redis: ctx.redis, partsDir: path.dirname(job.outBase) } : {}
}

/** Runs a step that writes `dest`, reporting its failure as `ERR_OUTPUT` (see errors.ts: output outages pause the daemon). */
async function writing<T>(dest: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step()
  } catch (e) {
    throw outputError(dest, e)
  }
}

/**
 * JSON text of a result; bigints become strings, typed arrays become arrays.
 *
 * @example
 * ```ts
 * toJson({ n: 1n, a: new Float64Array([1, 2]) }) // '{"n":"1","a":[1,2]}'
 * ```
 */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(value ?? null, (_k, v: unknown) => {
    if (typeof v === 'bigint') return v.toString()
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>)
    return v
  }, indent)
}
