/**
 * The pool's worker entry: one default export, `(task: ChunkTask) => ChunkResult`,
 * with the result's buffers moved back to the main thread, not copied.
 */
import { createRequire } from 'node:module'
import { decodeContext } from '../src/engine/context.js'
import { processChunk } from '../src/engine/kernel.js'
import type { ChunkResult, ChunkTask } from '../src/engine/task.js'
import { BamError, serializeThrown } from '../src/errors.js'
import type { Inflater } from '../src/bgzf/inflate.js'
import { requireInflater } from '../src/bgzf/inflate-select.js'
import type { AnyOp, OpContext } from '../src/ops/op.js'
import { loadOp } from '../src/ops/registry.js'

// piscina's ESM wrapper, imported from a worker that piscina itself loads with require(),
// forms a cycle that crashes Node 20's require(esm); the CommonJS entry does not.
const { Piscina } = createRequire(import.meta.url)('piscina') as typeof import('piscina')

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

/** Inflates and walks one chunk; see `processChunk`. */
export default async function chunkWorker(task: ChunkTask): Promise<unknown> {
  let result: ChunkResult
  try {
    const op: AnyOp = await loadOp(task.run.op) // built-in op modules load on first use (see builtins.ts)
    inflater ??= requireInflater()
    result = processChunk(task, op, contextOf(task), await inflater)
  } catch (e) {
    // An op's exceptions are BamErrors by now (ERR_OP with its stack, see ops/lifecycle.ts); anything else is the engine's own.
    const failure = e instanceof BamError ? { error: e.toJSON() } : { crash: serializeThrown(e) }
    result = { index: task.index, start: -1, exact: true, invalid: false, head: new Uint8Array(0), tail: new Uint8Array(0), partial: null, records: 0, compressed: task.compressed, ...failure }
  }
  return Piscina.move({
    [Piscina.transferableSymbol]: transferables(result),
    [Piscina.valueSymbol]: result,
  } as never)
}

function transferables(r: ChunkResult): ArrayBuffer[] {
  const list: ArrayBuffer[] = []
  const add = (b: unknown): void => {
    if (ArrayBuffer.isView(b) && ownsBuffer(b) && !list.includes(b.buffer as ArrayBuffer)) list.push(b.buffer as ArrayBuffer)
  }
  add(r.head)
  add(r.tail)
  partialBuffers(r.partial, add)
  if (r.compressed.byteLength > 0 && !list.includes(r.compressed)) list.push(r.compressed)
  return list
}

/**
 * The typed arrays of a partial, one level deep: the partial itself (flagstat),
 * its fields, and arrays in its fields (view's and records' output parts).
 * Output can be larger than the input chunk: it must move, not be copied.
 */
function partialBuffers(partial: unknown, add: (b: unknown) => void): void {
  if (partial === null || typeof partial !== 'object') return
  if (ArrayBuffer.isView(partial)) return add(partial)
  for (const value of Object.values(partial)) {
    if (Array.isArray(value)) value.forEach(add)
    else add(value)
  }
}

/** Only a view that owns its whole buffer may be moved (moving detaches the whole ArrayBuffer). */
function ownsBuffer(b: ArrayBufferView): boolean {
  return b.byteLength > 0 && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && !(b.buffer instanceof SharedArrayBuffer)
}
