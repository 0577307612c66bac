/**
 * `samtools view -s`/`--subsample`: keeps a record when a hash of its read
 * name falls below the fraction, so both reads of a pair are kept or dropped
 * together and the same seed keeps the same records as samtools 1.16
 * (sam_view.c `process_aln`: `__ac_Wang_hash(__ac_X31_hash_string(qname) ^ seed)`,
 * the seed first replaced by glibc's `srand(seed); rand()` when it is not 0).
 */
import { L_READ_NAME_OFFSET, READ_NAME_OFFSET, type RecordView } from './record.js'
import { BamError } from '../errors.js'

/** The sampled hash bits: `k & 0xffffff`, compared with `fraction * 0x1000000`. */
const HASH_MASK = 0xffffff
const HASH_SPAN = 0x1000000

/** A subsampling setting: the fraction in [0, 1] and the seed as samtools hashes with it (after `srand`/`rand`). */
export interface Subsample {
  fraction: number
  seed: number
}

/**
 * Parses samtools' `-s SEED.FRACTION` (`-s 42.1`: seed 42, fraction 0.1;
 * `-s 0.25`: seed 0) into the user's seed and the fraction.
 *
 * @example
 * ```ts
 * parseSampleArgument('42.1') // { fraction: 0.1, seed: 42 }
 * ```
 */
export function parseSampleArgument(text: string): { fraction: number; seed: number } {
  const m = /^\s*([+-]?\d*)(\.\d+(?:e[+-]?\d+)?)$/i.exec(text)
  if (!m || m[1] === '+' || m[1] === '-') throw new BamError('ERR_OPTION', `incorrect sampling argument "${text}" (expected SEED.FRACTION, e.g. 42.1)`)
  return { fraction: Number(`0${m[2]}`), seed: Number(m[1] || 0) }
}

/**
 * The setting samtools uses for `--subsample FRACTION --subsample-seed SEED`
 * (or `-s SEED.FRACTION`): the seed is replaced by glibc's `srand(seed); rand()`
 * when it is not 0, as sam_view.c does.
 *
 * @example
 * ```ts
 * subsample(0.1, 42) // { fraction: 0.1, seed: 71876166 }
 * ```
 */
export function subsample(fraction: number, seed = 0): Subsample {
  if (!(fraction >= 0 && fraction <= 1)) throw new BamError('ERR_OPTION', `incorrect sampling fraction ${fraction} (expected a number in [0, 1])`)
  if (!Number.isInteger(seed)) throw new BamError('ERR_OPTION', `incorrect sampling seed ${seed} (expected an integer)`)
  const s = seed >>> 0 // srand takes an unsigned int
  return { fraction, seed: s === 0 ? 0 : glibcRand(s) }
}

/**
 * The first value of glibc's `rand()` after `srand(seed)` (the TYPE_3
 * additive feedback generator, random_r.c): x[i] = x[i-31] + x[i-3], the
 * first 310 outputs discarded.
 *
 * @example
 * ```ts
 * glibcRand(1) // 1804289383, glibc's well-known first rand()
 * ```
 */
export function glibcRand(seed: number): number {
  const r = new Int32Array(344 + 1)
  r[0] = seed === 0 ? 1 : seed | 0
  for (let i = 1; i < 31; i++) {
    const word = r[i - 1]!
    const hi = Math.trunc(word / 127773), lo = word % 127773
    let next = 16807 * lo - 2836 * hi
    if (next < 0) next += 2147483647
    r[i] = next
  }
  for (let i = 31; i < 34; i++) r[i] = r[i - 31]!
  for (let i = 34; i <= 344; i++) r[i] = (r[i - 31]! + r[i - 3]!) | 0
  return (r[344]! >>> 1)
}

/**
 * True if samtools' subsampling keeps this record.
 *
 * @example
 * ```ts
 * const s = subsample(0.5, 7)
 * if (keepsSample(rec, s)) count++
 * ```
 */
export function keepsSample(rec: RecordView, s: Subsample): boolean {
  const k = wangHash((x31Hash(rec) ^ s.seed) >>> 0)
  return (k & HASH_MASK) / HASH_SPAN < s.fraction
}

/** khash `__ac_X31_hash_string` of the read name; its `char` is signed, so bytes ≥ 0x80 count as negative. */
function x31Hash(rec: RecordView): number {
  const bytes = rec.bytes
  const start = rec.offset + READ_NAME_OFFSET
  const end = start + rec.view.getUint8(rec.offset + L_READ_NAME_OFFSET)
  let h = 0
  for (let i = start; i < end; i++) {
    const c = bytes[i]!
    if (c === 0) break
    h = (Math.imul(h, 31) + (c < 0x80 ? c : c - 0x100)) >>> 0
  }
  return h
}

/** khash `__ac_Wang_hash` on a uint32. */
function wangHash(key: number): number {
  key = (key + ~(key << 15)) >>> 0
  key = (key ^ (key >>> 10)) >>> 0
  key = (key + (key << 3)) >>> 0
  key = (key ^ (key >>> 6)) >>> 0
  key = (key + ~(key << 11)) >>> 0
  key = (key ^ (key >>> 16)) >>> 0
  return key
}
