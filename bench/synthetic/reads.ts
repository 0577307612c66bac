/**
 * The read simulator behind `synthetic.ts`: a seeded PRNG, a pseudo-genome the
 * reads are cut from, and alignments with clips, indels, splices and
 * mismatches whose MD and NM tags agree with the CIGAR (SAMv1 §1.4.6, SAMtags §1).
 * Positions are 0-based.
 */
import type { PackedSeq } from './record-encoder.js'
import { SEQ_CODES } from '../../src/bam/record.js'

/** Longest read the simulator makes, in bases. */
export const MAX_READ = 50_000
const GENOME_MASK = (1 << 22) - 1 // pseudo-genome of 4 Mi bases, shared by all references
const REF_STRIDE = 1_000_003 // where each reference starts in the pseudo-genome
const QUAL_POOL = 1 << 20
const BASES = [1, 2, 4, 8] // A, C, G, T codes in SEQ_CODES
const N_CODE = 15
const MISMATCH_RATE = 0.004
const CLIP_RATE = 0.08
const SHORT_INDEL_RATE = 0.12
const LONG_SEGMENT_RATE = 1 / 60
/** CIGAR op codes, §4.2 "MIDNSHP=X" */
const [OP_M, OP_I, OP_D, OP_N, OP_S, OP_H] = [0, 1, 2, 3, 4, 5]
const CIGAR_SHIFT = 4

/**
 * mulberry32: a small, fast, seeded PRNG.
 *
 * @example
 * ```ts
 * new Rng(1).int(1, 6) // the same die roll for seed 1, every time
 * ```
 */
export class Rng {
  private a: number
  constructor(seed: number) { this.a = seed >>> 0 }
  /** 32 random bits. */
  u32(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0
    let t = Math.imul(this.a ^ (this.a >>> 15), this.a | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
  /** A float in [0, 1). */
  next(): number { return this.u32() / 4294967296 }
  /** An integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number { return lo + Math.floor(this.next() * (hi - lo + 1)) }
  /** True with probability p. */
  chance(p: number): boolean { return this.next() < p }
  /** Failures before the first success at rate p (geometric, mean (1-p)/p). */
  geo(p: number): number { return Math.floor(Math.log(1 - this.next()) / Math.log(1 - p)) }
}

/** A simulated read: packed CIGAR ops (empty when unaligned), bases, qualities, MD text and NM count. */
export interface SimRead {
  cigar: Uint32Array
  seq: PackedSeq
  qual: Uint8Array
  md: string
  nm: number
  /** Reference bases covered (M, D, N). */
  refLen: number
}

const SLAB_BYTES = 1 << 20

/**
 * Hands out zero-filled byte ranges carved from 1 MiB buffers, so that many
 * small records do not each cost an ArrayBuffer. Space is never reused: a
 * range stays valid as long as it is referenced.
 *
 * @example
 * ```ts
 * const slab = new Slab()
 * encodeRecord(spec, { alloc: slab.alloc })
 * ```
 */
export class Slab {
  private buf = new Uint8Array(SLAB_BYTES)
  private at = 0

  /** `size` zero bytes (a view into a shared buffer, or a buffer of its own when large). */
  readonly alloc = (size: number): Uint8Array => {
    if (size > SLAB_BYTES >> 4) return new Uint8Array(size)
    if (this.at + size > SLAB_BYTES) {
      this.buf = new Uint8Array(SLAB_BYTES)
      this.at = 0
    }
    this.at += size
    return this.buf.subarray(this.at - size, this.at)
  }
}

interface Walk { ops: number[]; q: number; g: number; md: string; run: number; nm: number }

/**
 * Cuts reads from a seeded pseudo-genome. Bases and qualities are copied from
 * pre-built pools, never built base by base as strings.
 *
 * @example
 * ```ts
 * const sim = new ReadSimulator(new Rng(1))
 * const read = sim.align(0, 1000, 150) // cigar, seq, qual, md, nm, refLen
 * ```
 */
export class ReadSimulator {
  private readonly genome = new Uint8Array(GENOME_MASK + 1)
  private readonly quals = new Uint8Array(QUAL_POOL)
  private readonly codes = new Uint8Array(MAX_READ)
  private readonly slab = new Slab()

  constructor(private readonly rng: Rng) {
    for (let i = 0; i < this.genome.length; i += 16) {
      const bits = rng.u32()
      for (let k = 0; k < 16; k++) this.genome[i + k] = BASES[(bits >>> (2 * k)) & 3]!
    }
    for (let i = 0; i < QUAL_POOL;) { // Illumina-binned qualities, in runs
      const r = rng.next()
      const q = r < 0.8 ? 37 : r < 0.9 ? 25 : r < 0.97 ? 12 : 2
      const n = Math.min(QUAL_POOL - i, 1 + rng.geo(q === 37 ? 0.05 : 0.3))
      this.quals.fill(q, i, (i += n))
    }
  }

  /**
   * A read of `len` bases aligned at 0-based `pos` of reference `refID`. Long
   * reads get many short indels; short ones sometimes one indel or splice (N).
   * `hardClip` bases are hard-clipped (H) at the start, as supplementary reads are.
   */
  align(refID: number, pos: number, len: number, long = false, hardClip = 0): SimRead {
    const rng = this.rng
    const start = refID * REF_STRIDE + pos
    const w: Walk = { ops: [], q: 0, g: start, md: '', run: 0, nm: 0 }
    if (hardClip > 0) w.ops.push((hardClip << CIGAR_SHIFT) | OP_H)
    const clip = (): number => (rng.chance(CLIP_RATE) ? rng.int(1, len >> 3) : 0)
    const [clipL, clipR] = len >= 16 ? [clip(), clip()] : [0, 0]
    if (clipL > 0) this.insertBases(w, clipL, OP_S)
    const end = len - clipR
    while (w.q < end) {
      const left = end - w.q
      const m = long ? Math.min(left, 1 + rng.geo(LONG_SEGMENT_RATE))
        : rng.chance(SHORT_INDEL_RATE) && left > 8 ? rng.int(4, left - 4) : left
      this.matchRun(w, m)
      if (w.q < end) this.indel(w, end - w.q, long)
    }
    if (clipR > 0) this.insertBases(w, clipR, OP_S)
    const md = `${w.md}${w.run}`
    return { cigar: Uint32Array.from(w.ops), seq: this.pack(len), qual: this.qual(len), md, nm: w.nm, refLen: w.g - start }
  }

  /** A read of `len` random bases with no alignment (empty CIGAR). */
  unaligned(len: number): SimRead {
    const w: Walk = { ops: [], q: 0, g: 0, md: '', run: 0, nm: 0 }
    this.insertBases(w, len, OP_S)
    return { cigar: new Uint32Array(0), seq: this.pack(len), qual: this.qual(len), md: '', nm: 0, refLen: 0 }
  }

  /** M: reference bases, with sparse substitutions (some to N) recorded in MD and NM. */
  private matchRun(w: Walk, m: number): void {
    const { codes, genome, rng } = this
    for (let i = 0; i < m; i++) codes[w.q + i] = genome[(w.g + i) & GENOME_MASK]!
    let prev = 0
    for (let i = rng.geo(MISMATCH_RATE); i < m; i += 1 + rng.geo(MISMATCH_RATE)) {
      const ref = codes[w.q + i]!
      w.md += `${w.run + i - prev}${SEQ_CODES[ref]}`
      w.run = 0
      prev = i + 1
      codes[w.q + i] = rng.chance(0.05) ? N_CODE : BASES[(31 - Math.clz32(ref) + rng.int(1, 3)) & 3]!
      w.nm++
    }
    w.run += m - prev
    w.ops.push((m << CIGAR_SHIFT) | OP_M)
    w.q += m
    w.g += m
  }

  /** One event between two M runs: an insertion, a deletion (`^` in MD) or, for short reads, a splice (N). */
  private indel(w: Walk, left: number, long: boolean): void {
    const r = this.rng.next()
    if (r < 0.4 && left >= 2) {
      const n = Math.min(this.rng.int(1, 4), left - 1)
      this.insertBases(w, n, OP_I)
      w.nm += n
    } else if (r < 0.85 || long) {
      const n = this.rng.int(1, 8)
      w.md += `${w.run}^`
      for (let k = 0; k < n; k++) w.md += SEQ_CODES[this.genome[(w.g + k) & GENOME_MASK]!]
      w.run = 0
      w.nm += n
      w.g += n
      w.ops.push((n << CIGAR_SHIFT) | OP_D)
    } else {
      const n = this.rng.int(50, 2000)
      w.g += n
      w.ops.push((n << CIGAR_SHIFT) | OP_N)
    }
  }

  /** S or I: bases from a random place in the pseudo-genome, not the aligned one. */
  private insertBases(w: Walk, n: number, op: number): void {
    const from = this.rng.u32()
    for (let i = 0; i < n; i++) this.codes[w.q + i] = this.genome[(from + i) & GENOME_MASK]!
    w.ops.push((n << CIGAR_SHIFT) | op)
    w.q += n
  }

  /** Packs the first `len` codes two per byte, first base in the high nibble, §4.2 */
  private pack(len: number): PackedSeq {
    const c = this.codes
    const packed = this.slab.alloc((len + 1) >> 1)
    for (let i = 0, j = 0; i + 1 < len; i += 2, j++) packed[j] = (c[i]! << 4) | c[i + 1]!
    if ((len & 1) === 1) packed[len >> 1] = c[len - 1]! << 4
    return { packed, length: len }
  }

  /** `len` qualities sliced (not copied) from the pool. */
  private qual(len: number): Uint8Array {
    const at = this.rng.int(0, QUAL_POOL - len)
    return this.quals.subarray(at, at + len)
  }
}
