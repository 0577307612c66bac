/**
 * `view`: records passing samtools-style filters, formatted in the workers and
 * handed out in file order, in one of three formats: SAM text (byte-identical
 * to `samtools view --no-PG`), BGZF-compressed BAM records, or the raw record
 * bytes (for the `records()` iterator).
 */
import type { Reference } from '../bam/header.js'
import type { RecordView } from '../bam/record.js'
import { SamWriter } from '../bam/sam.js'
import { BgzfWriter } from '../bgzf/writer.js'
import { joinBytes } from '../bytes.js'
import { keeps, type RecordFilter } from './filter.js'
import type { Op, OpContext } from './op.js'

/** Options of the view op. */
export interface ViewOptions extends RecordFilter {
  /**
   * `sam` (text, the default), `bam` (records BGZF-compressed, without header
   * or EOF block) or `records` (the records' own bytes, each with its
   * block_size, uncompressed).
   */
  format?: 'sam' | 'bam' | 'records'
  /** zlib level for `bam` (default 6, as samtools). */
  level?: number
}

/** Output bytes in file order, ready to write. */
export interface ViewPartial {
  parts: Uint8Array[]
  records: number
}

/** Per-run, per-thread output state: records go in, whole parts come out at `seal`. */
interface Formatter {
  append(rec: RecordView): void
  /** The bytes appended since the last take (a buffer of their own, so movable), or undefined if none. */
  take(): Uint8Array | undefined
}

function samFormatter(refs: Reference[]): Formatter {
  const sam = new SamWriter(refs.map((r) => r.name))
  return { append: (rec) => sam.append(rec), take: () => (sam.length > 0 ? sam.take() : undefined) }
}

function bamFormatter(level: number | undefined): Formatter {
  const bgzf = new BgzfWriter({ level })
  const blocks: Uint8Array[] = []
  return {
    append(rec) {
      for (const b of bgzf.write(rec.bytes.subarray(rec.offset, rec.end))) blocks.push(b)
    },
    take() {
      for (const b of bgzf.flush()) blocks.push(b)
      return blocks.length > 0 ? joinBytes(blocks.splice(0)) : undefined
    },
  }
}

/** First size of the raw record buffer; it doubles as needed and is reused from chunk to chunk. */
const INITIAL_RECORD_BYTES = 1 << 16

function recordsFormatter(): Formatter {
  let bytes = new Uint8Array(INITIAL_RECORD_BYTES)
  let fill = 0
  return {
    append(rec) {
      const n = rec.end - rec.offset
      if (fill + n > bytes.length) {
        const grown = new Uint8Array(Math.max(bytes.length * 2, fill + n))
        grown.set(bytes.subarray(0, fill))
        bytes = grown
      }
      bytes.set(rec.bytes.subarray(rec.offset, rec.end), fill)
      fill += n
    },
    take() {
      if (fill === 0) return undefined
      const out = bytes.slice(0, fill)
      fill = 0
      return out
    },
  }
}

const formatters = new WeakMap<OpContext, Formatter>()

function formatterOf(ctx: OpContext<ViewOptions>): Formatter {
  let f = formatters.get(ctx as OpContext)
  if (!f) {
    const format = ctx.options.format ?? 'sam'
    f = format === 'bam' ? bamFormatter(ctx.options.level) : format === 'records' ? recordsFormatter() : samFormatter(ctx.references)
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
 * await run('in.bam', 'view', { format: 'records' }, { onOutput: (parts) => parts.forEach(walkTheRecords) })
 * ```
 */
export const viewOp: Op<ViewPartial, number, ViewOptions> = {
  name: 'view',
  init: () => ({ parts: [], records: 0 }),
  record(p, rec, ctx) {
    if (!keeps(rec, ctx.options)) return
    formatterOf(ctx).append(rec)
    p.records++
  },
  seal(p, ctx) {
    const part = formatterOf(ctx).take()
    if (part) p.parts.push(part)
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
