/**
 * `records()`: an ordered async iterator of record batches, each a run of
 * records from one chunk read through one lazy, movable view.
 */
import { RecordView } from '../bam/record.js'
import { recordFilter, type FilterOptions, type RegionOptions } from '../ops/filter.js'
import type { ViewOptions } from '../ops/view.js'
import { checkFilters } from './check.js'
import { run, type RunOptions } from './run.js'
import type { Source } from './source.js'

/** Options of {@link records}: the samtools filters, and regions (found by a full scan). */
export interface RecordsOptions extends FilterOptions, Omit<RegionOptions, 'targetsBed' | 'targetsBedName'>, Omit<RunOptions, 'onOutput'> {}

/**
 * A batch of records in file order. Iterating it yields the same {@link RecordView}
 * moved from record to record: read what you need inside the loop.
 */
export class RecordBatch implements Iterable<RecordView> {
  /** Records in the batch. */
  readonly length: number
  constructor(
    /** The records' bytes, back to back, each starting with its block_size. */
    readonly bytes: Uint8Array,
    length: number,
  ) {
    this.length = length
  }

  *[Symbol.iterator](): Iterator<RecordView> {
    const rec = new RecordView(this.bytes)
    let p = 0
    while (p < this.bytes.length) {
      yield rec.moveTo(p)
      p = rec.end
    }
  }
}

/** Counts records in raw record bytes (already validated in the workers). */
function countRecords(bytes: Uint8Array): number {
  const rec = new RecordView(bytes)
  let n = 0
  for (let p = 0; p < bytes.length; p = rec.moveTo(p).end) n++
  return n
}

/**
 * Streams the records of `source` that pass the filters, in file order, as
 * batches. Parsing and filtering run on the worker pool; a batch is produced
 * only as fast as the caller consumes them (at most two wait). Breaking out of
 * the loop, throwing in it, or aborting `signal` stops the run: chunks in
 * flight are dropped by their workers and the pool stays usable. An abort
 * makes the loop throw the signal's reason.
 *
 * @example
 * ```ts
 * import { records } from 'bamstream'
 * let bases = 0
 * for await (const batch of records('test/fixtures/htslib/htslib_test_ce_1000.bam', { excludedFlags: 4 })) {
 *   for (const rec of batch) bases += rec.lSeq
 * }
 * ```
 */
export async function* records(source: Source, options: RecordsOptions = {}): AsyncGenerator<RecordBatch> {
  const {
    requiredFlags, excludedFlags, excludedAllFlags, anyFlags, minMapq, expression, subsample, subsampleSeed, region, regions, onRegionWarning, signal, ...runOptions
  } = options
  checkFilters({ requiredFlags, excludedFlags, excludedAllFlags, anyFlags, minMapq, expression, subsample, subsampleSeed })
  const controller = new AbortController()
  const stop = (): void => controller.abort(signal?.reason)
  signal?.addEventListener('abort', stop, { once: true })
  if (signal?.aborted) stop()
  const channel = new Channel<RecordBatch>(2)
  const filter = recordFilter({ requiredFlags, excludedFlags, excludedAllFlags, anyFlags, minMapq, expression, subsample, subsampleSeed, region, regions, onRegionWarning })
  const done = run(source, 'view', (h): ViewOptions => ({ ...filter(h), format: 'records' }), {
    ...runOptions,
    signal: controller.signal,
    onOutput: async (parts) => {
      for (const bytes of parts) await channel.put(new RecordBatch(bytes, countRecords(bytes)))
    },
  }).then(() => channel.close(), (e: unknown) => channel.fail(e))
  try {
    for (;;) {
      const next = await channel.take()
      signal?.throwIfAborted()
      if (next === undefined) break
      yield next
    }
  } finally {
    signal?.removeEventListener('abort', stop)
    controller.abort()
    channel.close()
    await done
  }
}

/** A bounded hand-off between the run (producer) and the iterator (consumer). */
class Channel<T> {
  private readonly items: T[] = []
  private closed = false
  private error: unknown
  private wakeTaker?: () => void
  private wakePutter?: () => void

  constructor(private readonly capacity: number) {}

  async put(item: T): Promise<void> {
    while (this.items.length >= this.capacity && !this.closed) await new Promise<void>((r) => { this.wakePutter = r })
    if (this.closed) throw new DOMException('records() consumer stopped', 'AbortError')
    this.items.push(item)
    this.wakeTaker?.()
  }

  async take(): Promise<T | undefined> {
    while (this.items.length === 0) {
      if (this.error !== undefined) throw this.error
      if (this.closed) return undefined
      await new Promise<void>((r) => { this.wakeTaker = r })
    }
    const item = this.items.shift()
    this.wakePutter?.()
    return item
  }

  close(): void {
    this.closed = true
    this.wakeTaker?.()
    this.wakePutter?.()
  }

  fail(e: unknown): void {
    this.error = e
    this.close()
  }
}
