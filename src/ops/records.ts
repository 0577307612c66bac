/**
 * `records`: the raw bytes of the records passing the filters, in file order,
 * for the `records()` iterator. Workers filter and copy; the main thread hands
 * each chunk's records to the caller as one batch of lazy views.
 */
import { keeps } from './count.js'
import type { Op } from './op.js'
import { registerOp } from './registry.js'
import type { ViewOptions } from './view.js'

/** Raw record bytes (each with its block_size field), in file order. */
export interface RecordsPartial {
  parts: Uint8Array[]
  records: number
}

interface Buffered {
  bytes: Uint8Array
  fill: number
}
const INITIAL_BYTES = 1 << 20
let buffer: Buffered = { bytes: new Uint8Array(INITIAL_BYTES), fill: 0 }

function append(src: Uint8Array, start: number, end: number): void {
  const n = end - start
  if (buffer.fill + n > buffer.bytes.length) {
    const grown = new Uint8Array(Math.max(buffer.bytes.length * 2, buffer.fill + n))
    grown.set(buffer.bytes.subarray(0, buffer.fill))
    buffer = { bytes: grown, fill: buffer.fill }
  }
  buffer.bytes.set(src.subarray(start, end), buffer.fill)
  buffer.fill += n
}

/**
 * The records op (filters as in `view`; `format` and `level` are ignored).
 *
 * @example
 * ```ts
 * for await (const batch of records('in.bam', { excludedFlags: 4 })) for (const rec of batch) console.log(rec.name)
 * ```
 */
export const recordsOp: Op<RecordsPartial, number, ViewOptions> = {
  name: 'records',
  init: () => ({ parts: [], records: 0 }),
  record(p, rec, ctx) {
    if (!keeps(rec, ctx.options)) return
    append(rec.bytes, rec.offset, rec.end)
    p.records++
  },
  seal(p) {
    if (buffer.fill > 0) p.parts.push(buffer.bytes.slice(0, buffer.fill))
    buffer.fill = 0
    return p
  },
  merge(a, b) {
    for (const part of b.parts) a.parts.push(part)
    a.records += b.records
    return a
  },
  drain: (p) => p.parts.splice(0),
  finish: (p) => p.records,
}
registerOp(recordsOp)
