/**
 * Several regions at once: the region arguments of `view FILE r1 r2 …` and
 * the intervals of a `-L` BED file, merged into one set that a record is
 * tested against once. Output therefore keeps file order and holds each
 * record once, as `samtools view -M` (multi-region iterator) does.
 */
import type { Reference } from './header.js'
import type { RecordView } from './record.js'
import { endPosition, parseRegion } from './region.js'
import { BamError } from '../errors.js'

/**
 * A set of regions, plain data (it travels to the workers as JSON).
 * `ranges[refID]` holds sorted, disjoint `[beg0, end0, beg1, end1, …]`,
 * 0-based half-open; an interval may be empty (a BED line `chr 5 5` still
 * matches reads spanning position 5, as in samtools' `bed_overlap`).
 */
export interface RegionSet {
  /** `.` was given: every record. */
  all: boolean
  /** `*` was given: records without a reference (refID -1). */
  unplaced: boolean
  /** Intervals per refID (as a string key). */
  ranges: Record<string, number[]>
}

/**
 * Builds a set from intervals `[refID, beg, end]` (0-based, half-open), in any order.
 *
 * @example
 * ```ts
 * regionSet([[0, 10, 20], [0, 15, 30]]).ranges // { '0': [10, 30] }
 * ```
 */
export function regionSet(intervals: Iterable<readonly [number, number, number]>, all = false, unplaced = false): RegionSet {
  const byRef = new Map<number, [number, number][]>()
  for (const [refID, beg, end] of intervals) {
    let list = byRef.get(refID)
    if (!list) byRef.set(refID, list = [])
    list.push([beg, end])
  }
  const ranges: Record<string, number[]> = {}
  for (const [refID, list] of byRef) ranges[refID] = mergeIntervals(list)
  return { all, unplaced, ranges }
}

/** Sorts and merges overlapping or touching intervals (samtools `bed_unify`), flattened. */
function mergeIntervals(list: [number, number][]): number[] {
  list.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  const out: number[] = []
  for (const [beg, end] of list) {
    const last = out.length - 1
    if (last > 0 && beg <= out[last]!) out[last] = Math.max(out[last]!, end)
    else out.push(beg, end)
  }
  return out
}

/**
 * Resolves region arguments against the header. An invalid one (unknown
 * reference, reversed range, bad coordinates) is passed to `skip` with the
 * reason and left out, as samtools warns and continues; without `skip` it is
 * thrown. An empty region is always an error.
 *
 * @example
 * ```ts
 * resolveRegions(['chr2', 'chr1:1-100', 'chrZ'], refs, (e) => console.error(e.message))
 * ```
 */
export function resolveRegions(texts: readonly string[], refs: readonly Reference[], skip?: (e: BamError) => void): RegionSet {
  const intervals: [number, number, number][] = []
  let all = false, unplaced = false
  for (const text of texts) {
    let q
    try {
      q = parseRegion(text, refs)
    } catch (e) {
      if (!skip || text === '' || !(e instanceof BamError)) throw e
      skip(e)
      continue
    }
    if (q.kind === 'all') all = true
    else if (q.kind === 'unplaced') unplaced = true
    else intervals.push([q.refID, q.beg, Math.min(q.end, Number.MAX_SAFE_INTEGER)])
  }
  return regionSet(intervals, all, unplaced)
}

/**
 * True if the record belongs to the set: any record for `.`, a record without
 * a reference for `*`, else one overlapping an interval of its reference the
 * way htslib's iterator decides (`pos < end` and `endpos > beg`).
 *
 * @example
 * ```ts
 * if (inRegionSet(rec, set)) keep(rec)
 * ```
 */
export function inRegionSet(rec: RecordView, set: RegionSet): boolean {
  if (set.all) return true
  const refID = rec.refID
  if (refID < 0) return set.unplaced
  const r = set.ranges[refID]
  if (r === undefined) return false
  const pos = rec.pos
  // first interval whose end is past pos (ends ascend: the intervals are disjoint and sorted)
  let lo = 0, hi = r.length >> 1
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (r[2 * mid + 1]! > pos) hi = mid
    else lo = mid + 1
  }
  return lo < r.length >> 1 && r[2 * lo]! < endPosition(rec)
}

/**
 * True when the set selects nothing at all (every region given was skipped).
 *
 * @example
 * ```ts
 * isEmptySet(resolveRegions(['chrZ'], refs, () => {})) // true
 * ```
 */
export function isEmptySet(set: RegionSet): boolean {
  return !set.all && !set.unplaced && Object.keys(set.ranges).length === 0
}

/**
 * The intervals of a set, `[refID, beg, end]`, in reference then position order.
 *
 * @example
 * ```ts
 * for (const [refID, beg, end] of setIntervals(set)) queryChunks(index, { refID, beg, end })
 * ```
 */
export function* setIntervals(set: RegionSet): Generator<[number, number, number]> {
  const refIDs = Object.keys(set.ranges).map(Number).sort((a, b) => a - b)
  for (const refID of refIDs) {
    const r = set.ranges[refID]!
    for (let i = 0; i < r.length; i += 2) yield [refID, r[i]!, r[i + 1]!]
  }
}

/**
 * Reads a BED file's text (or the two-column `chr pos` form, 1-based) into a
 * set, as samtools' `bed_read` (bedidx.c) does: blank lines, `#` comments and
 * `browser`/`track` lines are skipped; fields are separated by whitespace;
 * references absent from the header are ignored. The text is taken as latin1
 * (raw bytes), as header names are. A line with no start, or an end before its
 * start, is an error naming the line (and `file` as its source).
 *
 * @example
 * ```ts
 * parseBed('chr1\t0\t100\nchr2\t50\n', refs) // chr1 [0,100), chr2 [49,50)
 * ```
 */
export function parseBed(text: string, refs: readonly Reference[], file = 'BED'): RegionSet {
  const ids = new Map<string, number>()
  for (let i = refs.length - 1; i >= 0; i--) ids.set(refs[i]!.name, i)
  const intervals: [number, number, number][] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const fields = lines[i]!.trim().split(/\s+/)
    const ref = fields[0]!
    if (ref === '' || ref.startsWith('#')) continue
    const interval = bedInterval(fields)
    if (!interval) {
      if (ref === 'browser' || ref === 'track') continue
      throw new BamError('ERR_OPTION', `parse error at line ${i + 1}: expected "name start end"`, -1, file)
    }
    const [beg, end] = interval
    if (end < beg) throw new BamError('ERR_OPTION', `parse error at line ${i + 1}: end (${end}) must not be less than start (${beg})`, -1, file)
    const refID = ids.get(ref)
    if (refID !== undefined) intervals.push([refID, beg, end])
  }
  return regionSet(intervals)
}

/** `[beg, end)` of a BED line's fields (`chr beg end`, 0-based; or `chr pos`, 1-based), undefined when there is no number. */
function bedInterval(fields: string[]): [number, number] | undefined {
  const beg = /^\+?\d+/.exec(fields[1] ?? '')
  if (!beg) return undefined
  const end = fields[1] === beg[0] ? /^\+?\d+/.exec(fields[2] ?? '') : null
  if (!end) return [Number(beg[0]) - 1, Number(beg[0])] // the VCF-style form counts from 1
  return [Number(beg[0]), Number(end[0])]
}
