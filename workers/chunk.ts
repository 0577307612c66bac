/**
 * The pool's worker entry: one default export, `(task: ChunkTask) => ChunkResult`,
 * with the result's buffers moved back to the main thread, not copied.
 */
import { createRequire } from 'node:module'
import { runChunkTask } from '../src/engine/chunk-job.js'
import type { ChunkResult, ChunkTask } from '../src/engine/task.js'

// piscina's ESM wrapper, imported from a worker that piscina itself loads with require(),
// forms a cycle that crashes Node 20's require(esm); the CommonJS entry does not.
const { Piscina } = createRequire(import.meta.url)('piscina') as typeof import('piscina')

/** Inflates and walks one chunk; see `runChunkTask` and `processChunk`. */
export default async function chunkWorker(task: ChunkTask): Promise<unknown> {
  const result = await runChunkTask(task)
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
