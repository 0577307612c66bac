/**
 * Templates of the synthetic BAM generator (`synthetic.ts`): single reads,
 * pairs (proper, far apart, mate on another reference, mate unmapped),
 * supplementary and secondary alignments and unplaced unmapped reads, with
 * their FLAG bits (SAMv1 §1.4.2), tags, and a queue that releases them in
 * coordinate order. Positions are 0-based.
 */
import { encodeRecord, type AuxField } from './record-encoder.js'
import {
  FDUP, FMREVERSE, FMUNMAP, FPAIRED, FPROPER_PAIR, FQCFAIL, FREAD1, FREAD2, FREVERSE, FSECONDARY, FSUPPLEMENTARY, FUNMAP,
} from '../../src/bam/flags.js'
import type { Reference } from '../../src/bam/header.js'
import { CIGAR_OPS } from '../../src/bam/record.js'
import { MAX_READ, type ReadSimulator, type Rng, type SimRead, type Slab } from './reads.js'

/** Shortest synthetic contig, in bases. */
export const MIN_CONTIG = 200_000
/** Bases kept free at a reference's end so the longest template fits. */
export const MARGIN = 2 * MAX_READ
/** Sort key of a record: refID * KEY_REF + pos (0-based). */
export const KEY_REF = 2 ** 31
/** Read group IDs used in RG:Z and the header's @RG lines. */
export const READ_GROUPS = ['rg1', 'rg2']
const NO_SEQ = { packed: new Uint8Array(0), length: 0 }

/** Where a record goes: its reference and 0-based position, its mate's, and TLEN. */
interface Placed { ref: number; pos: number; mateRef: number; matePos: number; tlen: number }
const UNPLACED: Placed = { ref: -1, pos: -1, mateRef: -1, matePos: -1, tlen: 0 }

/** An encoded record waiting for its turn in coordinate order. */
export interface Pending { key: number; bytes: Uint8Array }

/** What templates read and update: options, randomness, the current 0-based start, the queue. */
export interface TemplateState {
  o: { seed: number; readLength: readonly [number, number]; longReadLength: readonly [number, number]; longReadEvery: number; pairedFraction: number }
  rng: Rng
  sim: ReadSimulator
  /** Where encoded records are carved from. */
  slab: Slab
  refs: Reference[]
  ref: number
  pos: number
  template: number
  /** Records not yet released, in descending key order (pop() gives the next). */
  pending: Pending[]
}

/**
 * Queues the records of one template that starts at (s.ref, s.pos), at most
 * `room` of them: a long read every `longReadEvery`-th template, else a pair or a single read.
 *
 * @example
 * ```ts
 * addTemplate(state, Infinity) // then release state.pending records whose key <= the start's key
 * ```
 */
export function addTemplate(s: TemplateState, room: number): void {
  const t = s.template++
  const name = templateName(s, t)
  const every = s.o.longReadEvery
  const flag = (s.rng.chance(0.03) ? FDUP : 0) | (s.rng.chance(0.005) ? FQCFAIL : 0)
  if (every > 0 && t % every === every - 1) single(s, name, flag, true)
  else if (room >= 2 && s.rng.chance(s.o.pairedFraction)) pair(s, name, flag | FPAIRED, room)
  else single(s, name, flag, false)
}

function templateName(s: TemplateState, t: number): string {
  return `SYN${s.o.seed}:8:HSYNTHXX:${1 + (t & 3)}:${1101 + ((t >> 2) % 60)}:${s.rng.int(1000, 32000)}:${t}`
}

function readLen(s: TemplateState, long = false): number {
  const [lo, hi] = long ? s.o.longReadLength : s.o.readLength
  return s.rng.int(lo, hi)
}

function single(s: TemplateState, name: string, flag: number, long: boolean): void {
  const { ref, pos } = s
  const read = s.sim.align(ref, pos, readLen(s, long), long)
  queue(s, record(s, name, flag | (s.rng.chance(0.5) ? FREVERSE : 0), read, { ref, pos, mateRef: -1, matePos: -1, tlen: 0 }))
}

/** A pair: mostly proper (FR, close), some far apart, some with the mate on the next reference or unmapped. */
function pair(s: TemplateState, name: string, flag: number, room: number): void {
  const { rng, ref, pos } = s
  const first = rng.chance(0.5) ? FREAD1 : FREAD2
  const [f1, f2] = [flag | first, flag | (first ^ (FREAD1 | FREAD2))]
  const a = s.sim.align(ref, pos, readLen(s))
  const kind = rng.next()
  if (kind < 0.03) return mateUnmapped(s, name, f1, f2, a)
  const other = kind < 0.05 && ref + 1 < s.refs.length
  const mateRef = other ? ref + 1 : ref
  const matePos = other ? rng.int(0, MIN_CONTIG - MARGIN) : pos + (kind < 0.08 ? rng.int(1000, 20000) : rng.int(0, 400))
  const b = s.sim.align(mateRef, matePos, readLen(s))
  const proper = kind >= 0.08 ? FPROPER_PAIR : 0
  const tlen = other ? 0 : Math.max(pos + a.refLen, matePos + b.refLen) - pos
  const placeA = { ref, pos, mateRef, matePos, tlen }
  queue(s, record(s, name, f1 | proper | FMREVERSE, a, placeA))
  queue(s, record(s, name, f2 | proper | FREVERSE, b, { ref: mateRef, pos: matePos, mateRef: ref, matePos: pos, tlen: -tlen }))
  if (room >= 3) extra(s, name, f1 | proper | FMREVERSE, a, placeA)
}

/** The unmapped mate takes its mapped mate's reference and position (SAMv1 §2.4.1). */
function mateUnmapped(s: TemplateState, name: string, f1: number, f2: number, a: SimRead): void {
  const place = { ref: s.ref, pos: s.pos, mateRef: s.ref, matePos: s.pos, tlen: 0 }
  const rev = s.rng.chance(0.5)
  queue(s, record(s, name, f1 | FMUNMAP | (rev ? FREVERSE : 0), a, place))
  queue(s, record(s, name, f2 | FUNMAP | (rev ? FMREVERSE : 0), s.sim.unaligned(readLen(s)), place))
}

/** Sometimes a supplementary (hard-clipped, with SA:Z) or secondary (SEQ `*`) alignment of the same read. */
function extra(s: TemplateState, name: string, flag: number, a: SimRead, at: Placed): void {
  const r = s.rng.next()
  if (r >= 0.03 || a.seq.length < 40) return
  const place = { ...at, pos: at.pos + s.rng.int(2000, 20000) }
  if (r < 0.02) {
    const clip = s.rng.int(20, a.seq.length >> 1)
    const b = s.sim.align(at.ref, place.pos, a.seq.length - clip, false, clip)
    const sa = `${s.refs[at.ref]!.name},${at.pos + 1},${flag & FREVERSE ? '-' : '+'},${cigarText(a.cigar)},60,${a.nm};`
    queue(s, record(s, name, flag | FSUPPLEMENTARY, b, place, [{ tag: 'SA', type: 'Z', value: sa }]))
  } else {
    const b = s.sim.align(at.ref, place.pos, a.seq.length)
    queue(s, record(s, name, flag | FSECONDARY, { ...b, seq: NO_SEQ, qual: NO_SEQ.packed }, place))
  }
}

function cigarText(ops: Uint32Array): string {
  let t = ''
  for (const op of ops) t += `${op >>> 4}${CIGAR_OPS[op & 0xf]}`
  return t
}

function record(s: TemplateState, name: string, flag: number, read: SimRead, at: Placed, more: AuxField[] = []): Pending {
  const unmapped = (flag & FUNMAP) !== 0
  const rg: AuxField = { tag: 'RG', type: 'Z', value: READ_GROUPS[s.template & 1]! }
  const bytes = encodeRecord({
    name, flag, refID: at.ref, pos: at.pos, mapq: unmapped ? 0 : mapq(s, flag), cigar: read.cigar,
    nextRefID: at.mateRef, nextPos: at.matePos, tlen: at.tlen, seq: read.seq, qual: read.qual,
    tags: unmapped ? [rg] : [...alignmentTags(s, read), ...more, rg],
  }, { alloc: at.ref === s.ref || at.ref < 0 ? s.slab.alloc : undefined }) // a mate held for a later reference must not pin a slab
  return { key: at.ref * KEY_REF + at.pos, bytes }
}

function mapq(s: TemplateState, flag: number): number {
  if (flag & FSECONDARY) return 0
  const r = s.rng.next()
  return r < 0.05 ? s.rng.int(0, 4) : r < 0.15 ? s.rng.int(5, 59) : 60
}

/** NM, MD, AS, sometimes XS, a B:s array (ZB) or a float (XF). */
function alignmentTags(s: TemplateState, read: SimRead): AuxField[] {
  const rng = s.rng
  const score = Math.max(0, read.seq.length - 6 * read.nm)
  const tags: AuxField[] = [
    { tag: 'NM', type: 'i', value: read.nm }, { tag: 'MD', type: 'Z', value: read.md }, { tag: 'AS', type: 'i', value: score },
  ]
  if (rng.chance(0.3)) tags.push({ tag: 'XS', type: 'i', value: rng.int(0, score) })
  if (rng.chance(0.03)) {
    tags.push({ tag: 'ZB', type: 'B', subtype: 's', value: Int16Array.from({ length: rng.int(1, 8) }, () => rng.int(-999, 999)) })
  }
  if (rng.chance(0.03)) tags.push({ tag: 'XF', type: 'f', value: Math.fround(rng.int(0, 99999) / 1000) })
  return tags
}

/** Queues a record; `pending` is kept in descending key order, equal keys first-in first-out, so pop() is next. */
function queue(s: TemplateState, p: Pending): void {
  const q = s.pending
  let i = q.length
  while (i > 0 && q[i - 1]!.key <= p.key) i--
  q.splice(i, 0, p)
}

/**
 * One template of unplaced unmapped reads (refID -1, pos -1): a pair, or a single read when `room` < 2.
 *
 * @example
 * ```ts
 * for (const p of unmappedTemplate(state, 2)) write(p.bytes)
 * ```
 */
export function unmappedTemplate(s: TemplateState, room: number): Pending[] {
  const name = templateName(s, s.template++)
  const qc = s.rng.chance(0.01) ? FQCFAIL : 0
  const flags = room >= 2 && s.rng.chance(s.o.pairedFraction)
    ? [FPAIRED | FMUNMAP | FREAD1, FPAIRED | FMUNMAP | FREAD2] : [0]
  return flags.map((f) => record(s, name, f | FUNMAP | qc, s.sim.unaligned(readLen(s)), UNPLACED))
}
