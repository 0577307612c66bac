/**
 * Genomic regions as samtools takes them (`chr`, `chr:beg`, `chr:beg-end`,
 * 1-based inclusive, commas allowed), held 0-based half-open.
 */
import { FUNMAP } from './flags.js'
import type { Reference } from './header.js'
import type { RecordView } from './record.js'
import { BamError } from '../errors.js'

/** A region: refID and 0-based, half-open [beg, end). */
export interface Region {
  refID: number
  beg: number
  end: number
}

/** End of an unbounded region (htslib's HTS_POS_MAX is larger; positions are int32 in BAM). */
const REGION_MAX = 2 ** 31

/**
 * Parses `chr1:1,000-2,000` (1-based, inclusive) into a 0-based half-open region.
 * A name that exists whole in the header wins over a `:` split (names may contain colons).
 *
 * @example
 * ```ts
 * parseRegion('chr1:101-200', [{ name: 'chr1', length: 1000 }]) // { refID: 0, beg: 100, end: 200 }
 * ```
 */
export function parseRegion(text: string, refs: readonly Reference[]): Region {
  const whole = refs.findIndex((r) => r.name === text)
  if (whole >= 0) return { refID: whole, beg: 0, end: REGION_MAX }
  const m = /^(.+):([\d,]+)(?:-([\d,]*))?$/.exec(text)
  if (!m) throw new BamError('ERR_OPTION', `unknown reference in region "${text}"`)
  const refID = refs.findIndex((r) => r.name === m[1])
  if (refID < 0) throw new BamError('ERR_OPTION', `unknown reference "${m[1]}" in region "${text}"`)
  const beg = Math.max(0, Number(m[2]!.replace(/,/g, '')) - 1)
  const end = m[3] ? Number(m[3].replace(/,/g, '')) : REGION_MAX
  if (!(end > beg)) throw new BamError('ERR_OPTION', `empty region "${text}"`)
  return { refID, beg, end }
}

/**
 * True if the record overlaps the region the way htslib's iterator decides it:
 * same reference, `pos < end` and `endpos > beg`, where endpos is pos plus the
 * CIGAR's reference length (1 for unmapped reads or reads without one).
 */
export function overlaps(rec: RecordView, region: Region): boolean {
  if (rec.refID !== region.refID) return false
  const pos = rec.pos
  if (pos >= region.end) return false
  const len = (rec.flag & FUNMAP) === 0 ? rec.referenceLength : 0
  return pos + (len > 0 ? len : 1) > region.beg
}
