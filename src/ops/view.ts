/**
 * `view`: records passing samtools-style filters, formatted in the workers and
 * handed out in file order, in one of three formats: SAM text (byte-identical
 * to `samtools view --no-PG`), BGZF-compressed BAM records, or the raw record
 * bytes (for the `records()` iterator).
 */
import type { Reference } from '../bam/header.js'
import { RecordView } from '../bam/record.js'
import { SamWriter } from '../bam/sam.js'
import { defaultDeflater } from '../bgzf/deflate.js'
import { keeps, type RecordFilter } from './filter.js'
import { isMainThread } from 'node:worker_threads'
import { DEFAULT_POOL_BUFFERS, OutputPool } from './output.js'
import type { DeferredFailure, Op, OpContext } from './op.js'

/** Options of the view op. */
export interface ViewOptions extends RecordFilter {
  /**
   * `sam` (text, the default), `bam` (records BGZF-compressed, without header
   * or EOF block) or `records` (the records' own bytes, each with its
   * block_size, uncompressed).
   */
  format?: 'sam' | 'bam' | 'records'
  /** Level 0..9 for `bam`, as samtools -l (default -1: the deflater's default, see bgzf/deflate.ts). */
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
  /** Formats what `append` deferred, while the records' bytes are valid; a record's failure is returned (see `Op.flush`). */
  flush?(): DeferredFailure | undefined
  /** The bytes appended since the last take (movable, or a shared buffer), or undefined if none. Throws a deferred record's failure. */
  take(): Uint8Array | undefined
}

/** This thread's output buffers, shared by its runs, and in a pool worker with the other workers (see ops/output.ts). */
let pool: OutputPool | undefined

/**
 * SAM: lines formatted into a recycled shared buffer, handed out without a copy
 * (release each part with `releaseOutput`, ops/output.ts, once written). The next
 * buffer is sized from the largest part so far, so that it seldom grows.
 */
function samFormatter(refs: Reference[]): Formatter {
  pool ??= new OutputPool(DEFAULT_POOL_BUFFERS, !isMainThread)
  const sam = new SamWriter(refs.map((r) => r.name), undefined, pool)
  const pending = new PendingRecords()
  let largest = 0
  const flush = (): DeferredFailure | undefined => {
    // the first chunk: room for its lines at once (SAM is about 1.3× the BAM records; more is grown into) instead of doubling up to it
    if (largest === 0 && sam.length === 0) sam.reserve(pending.span() + (pending.span() >> 1))
    return pending.flush(sam)
  }
  return {
    append(rec) {
      if (pending.add(rec)) return
      const failure = flush() // another buffer: the records deferred so far first (a driver flushes before that happens)
      if (failure) throw failure.error
      pending.add(rec)
    },
    flush,
    take() {
      const failure = flush()
      if (failure) throw failure.error
      if (sam.length === 0) return undefined
      largest = Math.max(largest, sam.length)
      return sam.detach(largest + (largest >> 3))
    },
  }
}

/** First capacity of the deferred record offsets; they double as needed and are reused. */
const INITIAL_PENDING = 1 << 12

/**
 * Kept records not yet formatted: their offsets in one data buffer, formatted
 * in one `SamWriter.appendMany` call (one native call) when flushed.
 */
class PendingRecords {
  private offsets = new Int32Array(INITIAL_PENDING)
  private count = 0
  private data: Uint8Array | null = null

  /** Defers `rec`; false (and nothing deferred) when it is in another buffer than those deferred: flush first. */
  add(rec: RecordView): boolean {
    if (rec.bytes !== this.data) {
      if (this.count > 0) return false
      this.data = rec.bytes
    }
    if (this.count === this.offsets.length) {
      const grown = new Int32Array(2 * this.count)
      grown.set(this.offsets)
      this.offsets = grown
    }
    this.offsets[this.count++] = rec.offset
    return true
  }

  /** Bytes from the first deferred record to the end of their buffer. */
  span(): number {
    return this.count === 0 || this.data === null ? 0 : this.data.length - this.offsets[0]!
  }

  /** Formats the deferred records, in order; the first that samtools refuses ends it, with its error and offset. */
  flush(sam: SamWriter): DeferredFailure | undefined {
    const { data, offsets } = this
    const n = this.count
    this.count = 0
    this.data = null // not kept past the walk: a worker reuses its inflate buffer for the next chunk
    if (n === 0 || data === null) return undefined
    const rec = new RecordView(data)
    for (let i = sam.appendMany(data, offsets, 0, n); i < n; i = sam.appendMany(data, offsets, i + 1, n)) {
      try {
        sam.append(rec.moveTo(offsets[i]!)) // throws the error that names the record (or, were the ports to disagree, prints it)
      } catch (error) {
        return { error, at: offsets[i]! }
      }
    }
    return undefined
  }
}

/** First size of the raw record buffer; it doubles as needed and is reused from chunk to chunk. */
const INITIAL_RECORD_BYTES = 1 << 16

/**
 * Collects the kept records' own bytes. Runs of consecutive records are copied
 * once per run (without a filter, once per chunk), not once per record.
 */
class RecordCollector {
  private bytes = new Uint8Array(INITIAL_RECORD_BYTES)
  private fill = 0
  private run: Uint8Array | null = null
  private runStart = 0
  private runEnd = 0

  add(rec: RecordView): void {
    if (rec.bytes === this.run && rec.offset === this.runEnd) {
      this.runEnd = rec.end
      return
    }
    this.endRun()
    this.run = rec.bytes
    this.runStart = rec.offset
    this.runEnd = rec.end
  }

  /** The bytes collected since the last take (a view, valid until the next add), or undefined if none. */
  take(): Uint8Array | undefined {
    this.endRun()
    if (this.fill === 0) return undefined
    const out = this.bytes.subarray(0, this.fill)
    this.fill = 0
    return out
  }

  private endRun(): void {
    if (!this.run) return
    const n = this.runEnd - this.runStart
    if (this.fill + n > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.fill + n))
      grown.set(this.bytes.subarray(0, this.fill))
      this.bytes = grown
    }
    this.bytes.set(this.run.subarray(this.runStart, this.runEnd), this.fill)
    this.fill += n
    this.run = null
  }
}

/** BAM: the chunk's records compressed into BGZF blocks in one call at `take` (libdeflate when built). */
function bamFormatter(level: number | undefined): Formatter {
  const records = new RecordCollector()
  return {
    append: (rec) => records.add(rec),
    take() {
      const bytes = records.take()
      return bytes && defaultDeflater().compress(bytes, level)
    },
  }
}

function recordsFormatter(): Formatter {
  const records = new RecordCollector()
  return { append: (rec) => records.add(rec), take: () => records.take()?.slice() }
}

const formatters = new WeakMap<OpContext, Formatter>()
/** The last context asked for, and its formatter: one comparison per record instead of a WeakMap lookup. */
let lastContext: OpContext | undefined
let lastFormatter: Formatter | undefined

function formatterOf(ctx: OpContext<ViewOptions>): Formatter {
  if (ctx === lastContext) return lastFormatter!
  let f = formatters.get(ctx as OpContext)
  if (!f) {
    const format = ctx.options.format ?? 'sam'
    f = format === 'bam' ? bamFormatter(ctx.options.level) : format === 'records' ? recordsFormatter() : samFormatter(ctx.references)
    formatters.set(ctx as OpContext, f)
  }
  lastContext = ctx as OpContext
  lastFormatter = f
  return f
}

/**
 * The view op. Its partial carries formatted bytes; `drain` hands them to the writer in order.
 * SAM parts are views of recycled shared buffers: once a part is written, hand it back with
 * `releaseOutput` (ops/output.ts); a part never released is not reused, which only costs memory churn.
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
    if (!keeps(rec, ctx.options, ctx.references)) return
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
  flush: (_, ctx) => formatterOf(ctx).flush?.(),
  finish: (p) => p.records,
}
