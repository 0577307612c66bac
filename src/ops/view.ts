/**
 * `view`: records passing samtools-style filters, as SAM text or as BGZF
 * compressed BAM records, formatted in the workers and written in file order.
 * SAM lines are byte-identical to `samtools view --no-PG`.
 */
import type { Reference } from '../bam/header.js'
import { SamWriter } from '../bam/sam.js'
import { BgzfWriter } from '../bgzf/writer.js'
import { joinBytes } from '../bytes.js'
import { keeps, type RecordFilter } from './count.js'
import type { Op, OpContext } from './op.js'
import { registerOp } from './registry.js'

/** Options of the view op. */
export interface ViewOptions extends RecordFilter {
  /** `sam` (text) or `bam` (records BGZF-compressed, without header or EOF block). Default `sam`. */
  format?: 'sam' | 'bam'
  /** zlib level for `bam` (default 6, as samtools). */
  level?: number
}

/** Output bytes in file order, ready to write. */
export interface ViewPartial {
  parts: Uint8Array[]
  records: number
}

/** Per-thread formatter state, one per run context (workers run one chunk at a time). */
interface Formatter {
  sam?: SamWriter
  bgzf?: BgzfWriter
  blocks: Uint8Array[]
}
const formatters = new WeakMap<OpContext, Formatter>()

function formatterOf(ctx: OpContext<ViewOptions>): Formatter {
  let f = formatters.get(ctx as OpContext)
  if (!f) {
    f = ctx.options.format === 'bam'
      ? { bgzf: new BgzfWriter({ level: ctx.options.level }), blocks: [] }
      : { sam: new SamWriter(ctx.references.map((r: Reference) => r.name)), blocks: [] }
    formatters.set(ctx as OpContext, f)
  }
  return f
}

/**
 * The view op. Its partial carries formatted bytes; `drain` hands them to the writer in order.
 *
 * @example
 * ```ts
 * await run('in.bam', 'view', { excludedFlags: 4 }, { onOutput: (parts) => parts.forEach((p) => process.stdout.write(p)) })
 * ```
 */
export const viewOp: Op<ViewPartial, number, ViewOptions> = {
  name: 'view',
  init: () => ({ parts: [], records: 0 }),
  record(p, rec, ctx) {
    if (!keeps(rec, ctx.options)) return
    const f = formatterOf(ctx)
    if (f.sam) f.sam.append(rec)
    else for (const b of f.bgzf!.write(rec.bytes.subarray(rec.offset, rec.end))) f.blocks.push(b)
    p.records++
  },
  seal(p, ctx) {
    const f = formatterOf(ctx)
    if (f.sam) {
      if (f.sam.length > 0) p.parts.push(f.sam.take())
    } else {
      for (const b of f.bgzf!.flush()) f.blocks.push(b)
      if (f.blocks.length > 0) p.parts.push(joinBytes(f.blocks.splice(0)))
    }
    return p
  },
  merge(a, b) {
    for (const part of b.parts) a.parts.push(part)
    a.records += b.records
    return a
  },
  drain(p) {
    return p.parts.splice(0)
  },
  finish: (p) => p.records,
}
registerOp(viewOp)
