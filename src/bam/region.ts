/**
 * Genomic regions as samtools takes them, parsed exactly as htslib 1.16's
 * `hts_itr_querys` / `hts_parse_region` / `hts_parse_decimal` (hts.c) do:
 * `.` (every record), `*` (records without a reference), `chr`, `chr:beg`,
 * `chr:beg-end`, `chr:-end`, `chr:`, `{name}:beg-end` for names holding `:`,
 * numbers with commas, decimals, exponents and k/M/G suffixes (`1,000`,
 * `1.5k`, `1e3`). Text is 1-based and inclusive; a parsed range is held
 * 0-based and half-open.
 */
import { FUNMAP } from './flags.js'
import type { Reference } from './header.js'
import type { RecordView } from './record.js'
import { BamError } from '../errors.js'

/** A range: refID and 0-based, half-open [beg, end). */
export interface Region {
  refID: number
  beg: number
  end: number
}

/** What one region argument selects. */
export type RegionQuery =
  | { kind: 'all' } // `.`: every record (htslib HTS_IDX_START)
  | { kind: 'unplaced' } // `*`: records without a reference (htslib HTS_IDX_NOCOOR)
  | ({ kind: 'range' } & Region)

/** End of an unbounded range (htslib's HTS_POS_MAX, far past any int32 BAM position). */
export const REGION_MAX = Number.MAX_SAFE_INTEGER

/** Result of {@link parseDecimal}: the value and the index just past the number (its start when there were no digits). */
interface Decimal {
  value: number
  end: number
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9'
const isSpace = (c: string | undefined): boolean => c !== undefined && ' \t\n\v\f\r'.includes(c)

/** Exponent added by a k/M/G suffix. */
const SUFFIX_EXPONENT: Record<string, number> = { k: 3, K: 3, m: 6, M: 6, g: 9, G: 9 }

/**
 * htslib's `hts_parse_decimal(str, &end, HTS_PARSE_THOUSANDS_SEP)`: optional
 * sign, digits with `,` separators, a fraction, then `e±N` or a k/M/G suffix;
 * fractional parts left after scaling are truncated.
 *
 * @example
 * ```ts
 * parseDecimal('1.5k-2k', 0) // { value: 1500, end: 4 }
 * ```
 */
export function parseDecimal(s: string, start: number): Decimal {
  let p = start
  while (isSpace(s[p])) p++
  let negative = false
  if (s[p] === '+' || s[p] === '-') negative = s[p++] === '-'
  let n = 0, digits = 0, decimals = 0, e = 0
  for (;;) {
    if (isDigit(s[p])) { n = 10 * n + Number(s[p++]); digits++ } else if (s[p] === ',') p++
    else break
  }
  if (s[p] === '.') {
    p++
    while (isDigit(s[p])) { n = 10 * n + Number(s[p++]); digits++; decimals++ }
  }
  const c = s[p]
  if (c === 'e' || c === 'E') {
    p++
    let eNegative = false
    if (s[p] === '+' || s[p] === '-') eNegative = s[p++] === '-'
    while (isDigit(s[p])) e = 10 * e + Number(s[p++])
    if (eNegative) e = -e
  } else if (c !== undefined && c in SUFFIX_EXPONENT) {
    e += SUFFIX_EXPONENT[c]!
    p++
  }
  for (e -= decimals; e > 0; e--) n *= 10
  for (; e < 0; e++) n = Math.floor(n / 10)
  return { value: negative ? -n : n, end: digits > 0 ? p : start }
}

/** An ERR_OPTION error about one region argument, naming it as the user gave it. */
function regionError(text: string, why: string): BamError {
  return new BamError('ERR_OPTION', `region "${text}": ${why}`)
}

/**
 * The user's region text as the header holds names: UTF-8 bytes as latin1
 * characters, one per byte (names with bytes ≥ 0x80 then compare as raw bytes).
 *
 * @example
 * ```ts
 * toLatin1('chrä') // 'chr\u00c3\u00a4', the two UTF-8 bytes of ä
 * ```
 */
export function toLatin1(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1')
}

/**
 * Parses one region as `samtools view` does (htslib `hts_itr_querys` with
 * `hts_parse_region`), against the header's references. `text` is a
 * JavaScript string as typed by the user (UTF-8 names are matched as raw bytes).
 * Refuses, with a message saying why: an empty text, mismatched braces, an
 * unknown reference, an ambiguous name (`chr1:100-200` when both `chr1` and
 * `chr1:100-200` are references), a zero or negative start, text after the
 * coordinates, and an empty or reversed range.
 *
 * @example
 * ```ts
 * parseRegion('chr1:1,001-2k', [{ name: 'chr1', length: 5000 }]) // { kind: 'range', refID: 0, beg: 1000, end: 2000 }
 * parseRegion('*', refs) // { kind: 'unplaced' }
 * ```
 */
export function parseRegion(text: string, refs: readonly Reference[]): RegionQuery {
  if (text === '.') return { kind: 'all' }
  if (text === '*') return { kind: 'unplaced' }
  if (text === '') throw regionError(text, 'empty region')
  const s = toLatin1(text)
  const ids = nameIndex(refs)
  const { name, colon, quoted } = splitName(text, s)
  if (colon < 0) return { kind: 'range', refID: lookup(ids, name, text), beg: 0, end: REGION_MAX }
  if (!quoted) {
    const whole = ids.get(s)
    if (whole !== undefined) {
      if (ids.has(name)) throw regionError(text, `range is ambiguous: use {${text}} or {${text.slice(0, text.lastIndexOf(':'))}}${text.slice(text.lastIndexOf(':'))} instead`)
      return { kind: 'range', refID: whole, beg: 0, end: REGION_MAX }
    }
  }
  const refID = lookup(ids, name, text)
  return { kind: 'range', refID, ...parseCoordinates(s, colon, text) }
}

/** Name → refID, cached per reference list. */
const NAME_INDEX = new WeakMap<readonly Reference[], Map<string, number>>()

function nameIndex(refs: readonly Reference[]): Map<string, number> {
  let ids = NAME_INDEX.get(refs)
  if (!ids) {
    ids = new Map()
    for (let i = refs.length - 1; i >= 0; i--) ids.set(refs[i]!.name, i) // first of duplicate names wins, as in htslib
    NAME_INDEX.set(refs, ids)
  }
  return ids
}

function lookup(ids: Map<string, number>, name: string, text: string): number {
  const refID = ids.get(name)
  if (refID === undefined) throw regionError(text, `unknown reference "${Buffer.from(name, 'latin1').toString('utf8')}"`)
  return refID
}

/** The name part of a region (braces removed) and the index in `s` of the colon before the coordinates, -1 for none. */
function splitName(text: string, s: string): { name: string; colon: number; quoted: boolean } {
  if (s.startsWith('{')) {
    const close = s.indexOf('}')
    if (close < 0) throw regionError(text, 'mismatching braces')
    const colon = s[close + 1] === ':' ? close + 1 : -1
    if (colon < 0 && close !== s.length - 1) throw regionError(text, `unexpected "${s.slice(close + 1)}" after "}"`)
    return { name: s.slice(1, close), colon, quoted: true }
  }
  const colon = s.lastIndexOf(':')
  return { name: colon < 0 ? s : s.slice(0, colon), colon, quoted: false }
}

/** `beg-end` after the colon, as `hts_parse_region` reads it (without HTS_PARSE_ONE_COORD). */
function parseCoordinates(s: string, colon: number, text: string): { beg: number; end: number } {
  const first = parseDecimal(s, colon + 1)
  let beg = first.value - 1
  let p = first.end
  if (beg < 0) {
    if (beg !== -1 && s[p] === '-' && colon + 1 < s.length) throw regionError(text, 'coordinates must be > 0')
    if (p === s.length || isDigit(s[p]) || s[p] === ',') return { beg: 0, end: beg === -1 ? REGION_MAX : -(beg + 1) } // chr:-100 is chr:1-100
    if (beg < -1) throw regionError(text, `unexpected "${s.slice(p)}" after the coordinates`)
  }
  let end = REGION_MAX
  if (s[p] === '-') {
    const second = parseDecimal(s, p + 1)
    p = second.end
    if (p < s.length && s[p] !== ',') throw regionError(text, `unexpected "${s.slice(p)}" after the coordinates`)
    end = second.value === 0 ? REGION_MAX : second.value // chr:100- is chr:100-<end>
  } else if (p < s.length) {
    throw regionError(text, `unexpected "${s.slice(p)}" after the coordinates`)
  }
  beg = Math.max(beg, 0) // chr:0-100 is accepted and starts at the first base, as in htslib's iterator
  if (beg >= end) throw regionError(text, `empty or reversed range (${beg + 1} > ${end})`)
  return { beg, end }
}

/**
 * The end of a record on its reference, as htslib's `bam_endpos`: pos plus
 * the CIGAR's reference length, or pos + 1 for unmapped reads and reads that
 * cover no reference bases. 0-based, exclusive.
 *
 * @example
 * ```ts
 * endPosition(rec) // rec.pos + 100 for a 100M read
 * ```
 */
export function endPosition(rec: RecordView): number {
  const len = (rec.flag & FUNMAP) === 0 ? rec.referenceLength : 0
  return rec.pos + (len > 0 ? len : 1)
}

/**
 * True if the record overlaps the range the way htslib's iterator decides it:
 * same reference, `pos < end` and `endpos > beg` (see {@link endPosition}).
 *
 * @example
 * ```ts
 * overlaps(rec, { refID: 0, beg: 99, end: 200 })
 * ```
 */
export function overlaps(rec: RecordView, region: Region): boolean {
  if (rec.refID !== region.refID) return false
  return rec.pos < region.end && endPosition(rec) > region.beg
}
