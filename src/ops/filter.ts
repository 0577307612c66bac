/**
 * The record filter shared by the ops (count, view) and the engine, with
 * samtools view's meanings (sam_view.c `process_aln`): a record is dropped
 * when `mapq < q`, when `(flag & f) != f`, when `flag & F`, when
 * `(flag & G) == G`, when `--rf` is given and `flag & rf` is 0, when it
 * overlaps none of the regions or none of the `-L` BED intervals, when `-e`
 * is false for it, or when `-s` subsampling leaves it out.
 */
import { compileExpr, readGroupLibraries, type CompiledExpr } from '../bam/expr.js'
import type { BamHeader, Reference } from '../bam/header.js'
import type { RecordView } from '../bam/record.js'
import { inRegionSet, parseBed, resolveRegions, type RegionSet } from '../bam/region-set.js'
import { keepsSample, subsample, type Subsample } from '../bam/subsample.js'
import type { BamError } from '../errors.js'

/** Filters shared by `count`, `view` and `records`, with samtools view's meanings. */
export interface FilterOptions {
  /** `-f`: only records with all these FLAG bits set. */
  requiredFlags?: number
  /** `-F`: only records with none of these FLAG bits set. */
  excludedFlags?: number
  /** `-G`: drop records with all of these FLAG bits set. */
  excludedAllFlags?: number
  /** `--rf`/`--incl-flags`: only records with at least one of these FLAG bits set. */
  anyFlags?: number
  /** `-q`: only records with MAPQ ≥ this. */
  minMapq?: number
  /** `-e`: only records for which this samtools filter expression is true (see `bam/expr.ts`). */
  expression?: string
  /** `--subsample`: keep this fraction of templates, chosen by read name as samtools does. */
  subsample?: number
  /** `--subsample-seed` (`-s SEED.FRACTION`): the seed of `subsample` (default 0). */
  subsampleSeed?: number
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
 * The CLI's `view` and `count` add samtools' other filters with the same
 * scheme (`cli/filter-options.ts`: `-G, --excluded-all-flags`, `-e, --expression` …).
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

/** Which records by position: regions as samtools takes them, and a BED file's intervals (`-L`). */
export interface RegionOptions {
  /** One region, e.g. `chr1:100-200` (1-based, inclusive), `*` or `.`. */
  region?: string
  /** Several regions; a record overlapping any of them is kept, once, in file order. */
  regions?: readonly string[]
  /** Text of a BED file (`-L`): only records overlapping one of its intervals. */
  targetsBed?: string
  /** The BED file's name, for its parse errors. */
  targetsBedName?: string
  /**
   * Called for each region that cannot be used (unknown reference, reversed
   * range, bad coordinates), which is then skipped, as samtools warns and
   * continues. Without it such a region is an `ERR_OPTION` error. An empty
   * region is always an error.
   */
  onRegionWarning?: (message: string) => void
}

/** The filters as the ops receive them: plain data, the regions resolved against the header. */
export interface RecordFilter extends Omit<FilterOptions, 'subsample' | 'subsampleSeed'> {
  /** `@RG` ID → LB, when the expression names `library`. */
  libraries?: Record<string, string>
  subsample?: Subsample
  /** Regions (the positional arguments of `view`). */
  regions?: RegionSet
  /** BED intervals (`-L`). */
  targets?: RegionSet
}

/**
 * The ops' filter for a header: the samtools filters, the regions resolved
 * against the header's references (names compared as raw bytes) and the BED
 * intervals. Checks an expression before any record is read.
 *
 * @example
 * ```ts
 * run(path, 'count', recordFilter({ excludedFlags: 4, regions: ['chr1:1-1000', 'chr2'] }))
 * ```
 */
export function recordFilter(o: FilterOptions & RegionOptions): (h: BamHeader) => RecordFilter {
  const usesLibrary = o.expression !== undefined && compileExpr(o.expression).usesLibrary // a bad expression is refused now, not in every worker
  const sample = o.subsample === undefined ? undefined : subsample(o.subsample, o.subsampleSeed)
  const texts = [...(o.region === undefined ? [] : [o.region]), ...(o.regions ?? [])]
  const warn = o.onRegionWarning
  return (h) => ({
    requiredFlags: o.requiredFlags, excludedFlags: o.excludedFlags, excludedAllFlags: o.excludedAllFlags, anyFlags: o.anyFlags,
    minMapq: o.minMapq, expression: o.expression, subsample: sample, libraries: usesLibrary ? readGroupLibraries(h.text) : undefined,
    regions: texts.length > 0 ? resolveRegions(texts, h.references, warn && ((e: BamError) => warn(e.message))) : undefined,
    targets: o.targetsBed === undefined ? undefined : parseBed(o.targetsBed, h.references, o.targetsBedName),
  })
}

/**
 * Returns true if a record with this flag and mapq passes the flag and MAPQ filters.
 *
 * @example
 * ```ts
 * passes(0x10, 30, { excludedFlags: 4, minMapq: 20 }) // true
 * ```
 */
export function passes(flag: number, mapq: number, o: RecordFilter): boolean {
  const f = o.requiredFlags ?? 0
  const g = o.excludedAllFlags ?? 0
  return mapq >= (o.minMapq ?? 0) && (flag & f) === f && (flag & (o.excludedFlags ?? 0)) === 0
    && (g === 0 || (flag & g) !== g) && (!o.anyFlags || (flag & o.anyFlags) !== 0)
}

/** Compiled expressions by text, per thread. */
const compiled = new Map<string, CompiledExpr>()

function expressionOf(text: string): CompiledExpr {
  let e = compiled.get(text)
  if (!e) compiled.set(text, e = compileExpr(text))
  return e
}

/**
 * Returns true if the record passes every filter; `refs` (the header's
 * references) serve `rname`-like names in an expression.
 *
 * @example
 * ```ts
 * if (keeps(rec, ctx.options, ctx.references)) p.records++
 * ```
 */
export function keeps(rec: RecordView, o: RecordFilter, refs: readonly Reference[] = []): boolean {
  return passes(rec.flag, rec.mapq, o)
    && (o.regions === undefined || inRegionSet(rec, o.regions))
    && (o.targets === undefined || inRegionSet(rec, o.targets))
    && (o.subsample === undefined || keepsSample(rec, o.subsample))
    && (o.expression === undefined || expressionOf(o.expression).test(rec, refs, o.libraries))
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
  return !o.requiredFlags && !o.excludedFlags && !o.excludedAllFlags && !o.anyFlags && !(o.minMapq! > 0)
    && o.regions === undefined && o.targets === undefined && o.subsample === undefined && o.expression === undefined
}

/**
 * The set an index can read for this filter: the regions, else the BED
 * intervals; undefined when the whole file must be read (no position filter,
 * or `.` among the regions).
 *
 * @example
 * ```ts
 * const set = indexedSet(filter) // then read only its chunks
 * ```
 */
export function indexedSet(o: RecordFilter): RegionSet | undefined {
  const set = o.regions ?? o.targets
  return set === undefined || set.all ? undefined : set
}
