/**
 * `count`: the number of records passing samtools-style filters.
 * Matches `samtools view -c [-f INT] [-F INT] [-q INT]` (sam_view.c process_aln:
 * a record is dropped when `mapq < q`, when `(flag & f) != f`, or when `flag & F`).
 */
import type { Op } from './op.js'

/** Filters shared by `count` and `view`, with samtools view's meanings. */
export interface FilterOptions {
  /** `-f`: only records with all these FLAG bits set. */
  requiredFlags?: number
  /** `-F`: only records with none of these FLAG bits set. */
  excludedFlags?: number
  /** `-q`: only records with MAPQ ≥ this. */
  minMapq?: number
}

/** Returns true if a record with this flag and mapq passes the filters. */
export function passes(flag: number, mapq: number, o: FilterOptions): boolean {
  const f = o.requiredFlags ?? 0
  return mapq >= (o.minMapq ?? 0) && (flag & f) === f && (flag & (o.excludedFlags ?? 0)) === 0
}

/** True when the options filter nothing. */
export function filtersNothing(o: FilterOptions): boolean {
  return !o.requiredFlags && !o.excludedFlags && !o.minMapq
}

/**
 * The count op. Its partial is a one-element array so that it clones cheaply.
 *
 * @example
 * ```ts
 * const n = await run('test/fixtures/htslib/htslib_test_ce_1000.bam', countOp, { excludedFlags: 4 })
 * ```
 */
export const countOp: Op<number[], number, FilterOptions> = {
  name: 'count',
  init: () => [0],
  record(p, rec, ctx) {
    if (filtersNothing(ctx.options) || passes(rec.flag, rec.mapq, ctx.options)) p[0]!++
  },
  merge(a, b) {
    a[0]! += b[0]!
    return a
  },
  finish: (p) => p[0]!,
}
