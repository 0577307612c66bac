/**
 * The record filter shared by the ops (count, view) and the engine: samtools
 * view's flag and MAPQ filters (sam_view.c process_aln: a record is dropped when
 * `mapq < q`, when `(flag & f) != f`, or when `flag & F`) and a region.
 */
import type { RecordView } from '../bam/record.js'
import type { BamHeader } from '../bam/header.js'
import { overlaps, parseRegion, type Region } from '../bam/region.js'

/** Filters shared by `count` and `view`, with samtools view's meanings. */
export interface FilterOptions {
  /** `-f`: only records with all these FLAG bits set. */
  requiredFlags?: number
  /** `-F`: only records with none of these FLAG bits set. */
  excludedFlags?: number
  /** `-q`: only records with MAPQ ≥ this. */
  minMapq?: number
}

/** One filter's names: its key in the API, the config and `--op-options`, and samtools' letter on the command line. */
export interface FilterName {
  key: keyof FilterOptions
  /** samtools view's short option (`-f`, `-F`, `-q`); the config accepts it too. */
  letter: string
  /** The CLI's long option: the key in kebab case. */
  long: string
  /** What it keeps, for help texts. */
  help: string
}

/**
 * The filters' names, the one set used by the CLI (`-f/--required-flags`, …),
 * the API ({@link FilterOptions}) and the daemon's config (`requiredFlags` or `f`).
 *
 * @example
 * ```ts
 * FILTER_NAMES.map((f) => `-${f.letter}, --${f.long}`) // ['-f, --required-flags', '-F, --excluded-flags', '-q, --min-mapq']
 * ```
 */
export const FILTER_NAMES: readonly FilterName[] = [
  { key: 'requiredFlags', letter: 'f', long: 'required-flags', help: 'only records with all of these FLAG bits set' },
  { key: 'excludedFlags', letter: 'F', long: 'excluded-flags', help: 'only records with none of these FLAG bits set' },
  { key: 'minMapq', letter: 'q', long: 'min-mapq', help: 'only records with MAPQ at least this' },
]

/** The filters as the ops receive them: samtools' flag and MAPQ filters, and a resolved region. */
export interface RecordFilter extends FilterOptions {
  /** Only records overlapping this region (0-based, half-open), as htslib's iterator decides. */
  region?: Region
}

/**
 * The ops' filter for a header: samtools' flag and MAPQ filters, and a region
 * (`chr:beg-end`, 1-based inclusive) resolved against the header's references.
 *
 * @example
 * ```ts
 * run(path, 'count', recordFilter({ excludedFlags: 4, region: 'chr1:1-1000' }))
 * ```
 */
export function recordFilter(o: FilterOptions & { region?: string }): (h: BamHeader) => RecordFilter {
  return (h) => ({
    requiredFlags: o.requiredFlags, excludedFlags: o.excludedFlags, minMapq: o.minMapq,
    region: o.region ? parseRegion(o.region, h.references) : undefined,
  })
}

/**
 * Returns true if a record with this flag and mapq passes the filters.
 *
 * @example
 * ```ts
 * passes(0x10, 30, { excludedFlags: 4, minMapq: 20 }) // true
 * ```
 */
export function passes(flag: number, mapq: number, o: FilterOptions): boolean {
  const f = o.requiredFlags ?? 0
  return mapq >= (o.minMapq ?? 0) && (flag & f) === f && (flag & (o.excludedFlags ?? 0)) === 0
}

/**
 * Returns true if the record passes the flag, MAPQ and region filters.
 *
 * @example
 * ```ts
 * if (keeps(rec, ctx.options)) p.records++
 * ```
 */
export function keeps(rec: RecordView, o: RecordFilter): boolean {
  return passes(rec.flag, rec.mapq, o) && (o.region === undefined || overlaps(rec, o.region))
}

/**
 * True when the options filter nothing.
 *
 * @example
 * ```ts
 * filtersNothing({}) // true
 * ```
 */
export function filtersNothing(o: RecordFilter): boolean {
  return !o.requiredFlags && !o.excludedFlags && !o.minMapq && o.region === undefined
}
