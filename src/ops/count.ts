/**
 * `count`: the number of records passing samtools-style filters (see filter.ts).
 * Matches `samtools view -c [-f INT] [-F INT] [-q INT]`.
 */
import { filtersNothing, keeps, type RecordFilter } from './filter.js'
import { SCAN_COUNT, nativeScan } from '../bam/scan.js'
import type { Op } from './op.js'

/** The native kernel's counter and filter, reused. */
const counter = new Float64Array(1)
const scanFilter = new Int32Array(5)

/** Puts [f, F, G, rf, q] in {@link scanFilter}; false when the filter is one the native kernel does not do (or not as int32s). */
function simpleFilter(o: RecordFilter): boolean {
  if (o.regions !== undefined || o.targets !== undefined || o.subsample !== undefined || o.expression !== undefined) return false
  const values = [o.requiredFlags, o.excludedFlags, o.excludedAllFlags, o.anyFlags, o.minMapq]
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? 0
    if (!Number.isInteger(v) || (v | 0) !== v || (i === 4 && v < 0)) return false
    scanFilter[i] = v
  }
  return true
}

/**
 * The count op. Its partial is a one-element array so that it clones cheaply.
 *
 * @example
 * ```ts
 * const n = await run('test/fixtures/htslib/htslib_test_ce_1000.bam', countOp, { excludedFlags: 4 })
 * ```
 */
export const countOp: Op<number[], number, RecordFilter> = {
  name: 'count',
  init: () => [0],
  record(p, rec, ctx) {
    if (filtersNothing(ctx.options) || keeps(rec, ctx.options, ctx.references)) p[0]!++
  },
  scan(p, data, from, ctx, out) {
    if (!simpleFilter(ctx.options)) return false
    counter[0] = 0
    if (!nativeScan(SCAN_COUNT, data, from, ctx.references.length, scanFilter, counter, out)) return false
    p[0]! += counter[0]!
    return true
  },
  merge(a, b) {
    a[0]! += b[0]!
    return a
  },
  finish: (p) => p[0]!,
}
