/**
 * `count`: the number of records passing samtools-style filters (see filter.ts).
 * Matches `samtools view -c [-f INT] [-F INT] [-q INT]`.
 */
import { filtersNothing, keeps, type RecordFilter } from './filter.js'
import type { Op } from './op.js'

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
  merge(a, b) {
    a[0]! += b[0]!
    return a
  },
  finish: (p) => p[0]!,
}
