/**
 * The pool's worker entry: one default export, `(task: ChunkTask) => ChunkResult`,
 * with the result's buffers moved back to the main thread, not copied.
 */
import { createRequire } from 'node:module'
import { runChunkTask } from '../src/engine/chunk-job.js'
import type { ChunkResult, ChunkTask } from '../src/engine/task.js'

/**
 * piscina's keys of a transferable value (`Piscina.transferableSymbol` and
 * `Piscina.valueSymbol`: registered symbols, the same in every module).
 */
const TRANSFERABLE = Symbol.for('Piscina.transferable')
const VALUE = Symbol.for('Piscina.valueOf')

/** What `Piscina.move` does to a transferable value: marks it as to be moved. */
type MarkMovable = (value: object) => void

/** The common module piscina's worker.js loaded in this thread: it owns the (unregistered) symbol that marks a value movable. */
interface PiscinaCommon {
  markMovable(value: object): void
  isMovable(value: unknown): boolean
}

/**
 * How to mark a result movable (exported for tests). In a pool worker, `require.main` is piscina's
 * worker.js, which checks results with `isMovable` from its own `common`
 * module: the `markMovable` of that very module instance, taken from the
 * modules worker.js has already loaded, costs no module loading, where
 * `require('piscina')` for `Piscina.move` loads piscina's whole main module
 * (the pool, its queues, histograms: ~15 modules) in every worker. It is used
 * only if it does what `isMovable` then checks; otherwise (another piscina
 * version, or this module loaded outside a pool) `Piscina.move` is.
 *
 * @example
 * ```ts
 * const buffer = new ArrayBuffer(16)
 * const value = { [Symbol.for('Piscina.transferable')]: [buffer], [Symbol.for('Piscina.valueOf')]: { buffer } }
 * movableMarker()(value) // returned from a task, `buffer` moves to the main thread
 * ```
 */
export function movableMarker(): MarkMovable {
  const require = createRequire(import.meta.url)
  // piscina's worker.js from node_modules has its `common` among its children; the bundled one
  // (dist/bundle/piscina-worker.cjs, see scripts/bundle.mjs) exports those two functions itself
  const main = require.main
  const candidates = main ? [main, ...main.children] : []
  const common = candidates.map((m) => m.exports as Partial<PiscinaCommon>).find((e) => typeof e.markMovable === 'function' && typeof e.isMovable === 'function')
  if (common) {
    const probe = { [TRANSFERABLE]: [], [VALUE]: null }
    common.markMovable!(probe)
    if (common.isMovable!(probe)) return (value) => common.markMovable!(value)
  }
  // piscina's ESM wrapper, imported from a worker that piscina itself loads with require(),
  // forms a cycle that crashes Node 20's require(esm); the CommonJS entry does not.
  const { Piscina } = require('piscina') as typeof import('piscina')
  return (value) => Piscina.move(value as never)
}

let markMovable: MarkMovable | undefined

/** Inflates and walks one chunk; see `runChunkTask` and `processChunk`. */
export default async function chunkWorker(task: ChunkTask): Promise<unknown> {
  const result = await runChunkTask(task)
  const moved = { [TRANSFERABLE]: transferables(result), [VALUE]: result }
  ;(markMovable ??= movableMarker())(moved)
  return moved
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
