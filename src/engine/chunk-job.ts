/**
 * One chunk task, start to end, as a worker runs it: the op loaded, the run's
 * context decoded (and cached per run), the inflater chosen, `processChunk`,
 * and any failure turned into a result the stitcher reports. The pool's worker
 * (workers/chunk.ts) and the in-process runner for small inputs
 * ({@link inlinePool} in pool.ts) both run chunks through here.
 */
import type { Inflater } from '../bgzf/inflate.js'
import { requireInflater } from '../bgzf/inflate-select.js'
import { BamError, serializeThrown } from '../errors.js'
import type { AnyOp, OpContext } from '../ops/op.js'
import { loadOp } from '../ops/registry.js'
import { decodeContext } from './context.js'
import { processChunk } from './kernel.js'
import type { ChunkResult, ChunkTask } from './task.js'

const contexts = new Map<string, OpContext>()
/** The decompressor: `BAMSTREAM_INFLATE` if set, else the fastest available (see inflate-select.ts). */
let inflater: Promise<Inflater> | undefined
const MAX_CACHED_RUNS = 64

function contextOf(task: ChunkTask): OpContext {
  let ctx = contexts.get(task.run.runId)
  if (!ctx) {
    ctx = decodeContext(task.run.context)
    if (contexts.size >= MAX_CACHED_RUNS) contexts.delete(contexts.keys().next().value!)
    contexts.set(task.run.runId, ctx)
  }
  return ctx
}

/**
 * Inflates and walks one chunk (see `processChunk`); never rejects: a failure
 * is carried in the result (`error` for a BamError, `crash` for anything else).
 *
 * @example
 * ```ts
 * const result = await runChunkTask(task)
 * ```
 */
export async function runChunkTask(task: ChunkTask): Promise<ChunkResult> {
  try {
    const op: AnyOp = await loadOp(task.run.op) // built-in op modules load on first use (see builtins.ts)
    inflater ??= requireInflater()
    return processChunk(task, op, contextOf(task), await inflater)
  } catch (e) {
    // An op's exceptions are BamErrors by now (ERR_OP with its stack, see ops/lifecycle.ts); anything else is the engine's own.
    const failure = e instanceof BamError ? { error: e.toJSON() } : { crash: serializeThrown(e) }
    return { index: task.index, start: -1, exact: true, invalid: false, head: new Uint8Array(0), tail: new Uint8Array(0), partial: null, records: 0, compressed: task.compressed, ...failure }
  }
}
