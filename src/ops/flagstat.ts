/**
 * `flagstat`: FLAG statistics, matching `samtools flagstat` (bam_stat.c,
 * samtools 1.16) byte for byte, and `samtools flagstat -O json` for `--json`.
 */
import { FDUP, FMUNMAP, FPAIRED, FPROPER_PAIR, FQCFAIL, FREAD1, FREAD2, FSECONDARY, FSUPPLEMENTARY, FUNMAP } from '../bam/flags.js'
import { NO_SCAN_FILTER, SCAN_FLAGSTAT, nativeScan } from '../bam/scan.js'
import type { Op } from './op.js'

/** Counter indices; each counter has a QC-passed and a QC-failed slot. */
const enum C {
  reads, primary, secondary, supp, dup, pdup, mapped, pmapped,
  pairAll, read1, read2, pairGood, pairMap, sgltn, diffchr, diffhigh, N,
}

/** One side (QC-passed or QC-failed) of the flagstat result. */
export interface FlagstatCounts {
  total: number
  primary: number
  secondary: number
  supplementary: number
  duplicates: number
  primaryDuplicates: number
  mapped: number
  primaryMapped: number
  pairedInSequencing: number
  read1: number
  read2: number
  properlyPaired: number
  withItselfAndMateMapped: number
  singletons: number
  mateOnDifferentChr: number
  mateOnDifferentChrMapq5: number
}

/** The flagstat result: QC-passed and QC-failed counts. */
export interface FlagstatResult {
  passed: FlagstatCounts
  failed: FlagstatCounts
}

/** Folds one record's fields into the counters (bam_stat.c flagstat_loop). */
export function tally(s: Float64Array, flag: number, mapq: number, refID: number, nextRefID: number): void {
  const w = (flag & FQCFAIL) !== 0 ? 1 : 0
  s[C.reads * 2 + w]!++
  if ((flag & FSECONDARY) !== 0) s[C.secondary * 2 + w]!++
  else if ((flag & FSUPPLEMENTARY) !== 0) s[C.supp * 2 + w]!++
  else tallyPrimary(s, w, flag, mapq, refID, nextRefID)
  if ((flag & FUNMAP) === 0) s[C.mapped * 2 + w]!++
  if ((flag & FDUP) !== 0) s[C.dup * 2 + w]!++
}

function tallyPrimary(s: Float64Array, w: number, flag: number, mapq: number, refID: number, nextRefID: number): void {
  s[C.primary * 2 + w]!++
  if ((flag & FPAIRED) !== 0) {
    s[C.pairAll * 2 + w]!++
    if ((flag & FPROPER_PAIR) !== 0 && (flag & FUNMAP) === 0) s[C.pairGood * 2 + w]!++
    if ((flag & FREAD1) !== 0) s[C.read1 * 2 + w]!++
    if ((flag & FREAD2) !== 0) s[C.read2 * 2 + w]!++
    if ((flag & FMUNMAP) !== 0 && (flag & FUNMAP) === 0) s[C.sgltn * 2 + w]!++
    if ((flag & FUNMAP) === 0 && (flag & FMUNMAP) === 0) {
      s[C.pairMap * 2 + w]!++
      if (nextRefID !== refID) {
        s[C.diffchr * 2 + w]!++
        if (mapq >= 5) s[C.diffhigh * 2 + w]!++
      }
    }
  }
  if ((flag & FUNMAP) === 0) s[C.pmapped * 2 + w]!++
  if ((flag & FDUP) !== 0) s[C.pdup * 2 + w]!++
}

/**
 * The flagstat op.
 *
 * @example
 * ```ts
 * const result = await run('x.bam', flagstatOp, {})
 * process.stdout.write(formatFlagstat(result))
 * ```
 */
export const flagstatOp: Op<Float64Array, FlagstatResult, Record<string, never>> = {
  name: 'flagstat',
  init: () => new Float64Array(C.N * 2),
  record(p, rec) {
    tally(p, rec.flag, rec.mapq, rec.refID, rec.nextRefID)
  },
  scan: (p, data, from, ctx, out) => nativeScan(SCAN_FLAGSTAT, data, from, ctx.references.length, NO_SCAN_FILTER, p, out),
  merge(a, b) {
    for (let i = 0; i < a.length; i++) a[i]! += b[i]!
    return a
  },
  finish: (p) => ({ passed: side(p, 0), failed: side(p, 1) }),
}

function side(s: Float64Array, w: number): FlagstatCounts {
  const g = (c: C): number => s[c * 2 + w]!
  return {
    total: g(C.reads), primary: g(C.primary), secondary: g(C.secondary), supplementary: g(C.supp),
    duplicates: g(C.dup), primaryDuplicates: g(C.pdup), mapped: g(C.mapped), primaryMapped: g(C.pmapped),
    pairedInSequencing: g(C.pairAll), read1: g(C.read1), read2: g(C.read2), properlyPaired: g(C.pairGood),
    withItselfAndMateMapped: g(C.pairMap), singletons: g(C.sgltn), mateOnDifferentChr: g(C.diffchr),
    mateOnDifferentChrMapq5: g(C.diffhigh),
  }
}

/**
 * `printf("%.2f", (float)n / total * 100.0)` as glibc prints it: the quotient is
 * rounded to float first, and exact ties round half to even (JS `toFixed` rounds
 * them up, so ties are handled here). Returns null when `total` is 0.
 */
export function percent(n: number, total: number): string | null {
  if (total === 0) return null
  const x = Math.fround(n / total) * 100
  const fixed = x.toFixed(2)
  const exact = x.toFixed(30)
  const dot = exact.indexOf('.')
  const rest = exact.slice(dot + 3)
  if (/^50*$/.test(rest)) {
    const down = exact.slice(0, dot + 3)
    const lastDigit = Number(down[down.length - 1])
    return lastDigit % 2 === 0 ? down : fixed
  }
  return fixed
}

/**
 * Text exactly as `samtools flagstat` prints it.
 *
 * @example
 * ```ts
 * formatFlagstat(result).split('\n')[0] // '1000 + 0 in total (QC-passed reads + QC-failed reads)'
 * ```
 */
export function formatFlagstat(r: FlagstatResult): string {
  const p = r.passed
  const f = r.failed
  const pct = (a: number, b: number): string => `${percent(a, b) ?? 'N/A'}${percent(a, b) === null ? '' : '%'}`
  const line = (a: number, b: number, what: string): string => `${a} + ${b} ${what}\n`
  return line(p.total, f.total, 'in total (QC-passed reads + QC-failed reads)') +
    line(p.primary, f.primary, 'primary') +
    line(p.secondary, f.secondary, 'secondary') +
    line(p.supplementary, f.supplementary, 'supplementary') +
    line(p.duplicates, f.duplicates, 'duplicates') +
    line(p.primaryDuplicates, f.primaryDuplicates, 'primary duplicates') +
    line(p.mapped, f.mapped, `mapped (${pct(p.mapped, p.total)} : ${pct(f.mapped, f.total)})`) +
    line(p.primaryMapped, f.primaryMapped, `primary mapped (${pct(p.primaryMapped, p.primary)} : ${pct(f.primaryMapped, f.primary)})`) +
    line(p.pairedInSequencing, f.pairedInSequencing, 'paired in sequencing') +
    line(p.read1, f.read1, 'read1') +
    line(p.read2, f.read2, 'read2') +
    line(p.properlyPaired, f.properlyPaired,
      `properly paired (${pct(p.properlyPaired, p.pairedInSequencing)} : ${pct(f.properlyPaired, f.pairedInSequencing)})`) +
    line(p.withItselfAndMateMapped, f.withItselfAndMateMapped, 'with itself and mate mapped') +
    line(p.singletons, f.singletons,
      `singletons (${pct(p.singletons, p.pairedInSequencing)} : ${pct(f.singletons, f.pairedInSequencing)})`) +
    line(p.mateOnDifferentChr, f.mateOnDifferentChr, 'with mate mapped to a different chr') +
    line(p.mateOnDifferentChrMapq5, f.mateOnDifferentChrMapq5, 'with mate mapped to a different chr (mapQ>=5)')
}

/**
 * JSON exactly as `samtools flagstat -O json` prints it (same keys, order,
 * spacing and `null` for undefined percentages).
 */
export function formatFlagstatJson(r: FlagstatResult): string {
  return `{\n "QC-passed reads": ${jsonSide(r.passed)},\n "QC-failed reads": ${jsonSide(r.failed)}\n}\n`
}

function jsonSide(c: FlagstatCounts): string {
  const entries: [string, number | string | null][] = [
    ['total', c.total], ['primary', c.primary], ['secondary', c.secondary], ['supplementary', c.supplementary],
    ['duplicates', c.duplicates], ['primary duplicates', c.primaryDuplicates],
    ['mapped', c.mapped], ['mapped %', percent(c.mapped, c.total)],
    ['primary mapped', c.primaryMapped], ['primary mapped %', percent(c.primaryMapped, c.primary)],
    ['paired in sequencing', c.pairedInSequencing], ['read1', c.read1], ['read2', c.read2],
    ['properly paired', c.properlyPaired], ['properly paired %', percent(c.properlyPaired, c.pairedInSequencing)],
    ['with itself and mate mapped', c.withItselfAndMateMapped],
    ['singletons', c.singletons], ['singletons %', percent(c.singletons, c.pairedInSequencing)],
    ['with mate mapped to a different chr', c.mateOnDifferentChr],
    ['with mate mapped to a different chr (mapQ >= 5)', c.mateOnDifferentChrMapq5],
  ]
  const body = entries.map(([k, v]) => `  "${k}": ${v === null ? 'null' : v}`).join(', \n')
  return `{ \n${body} \n }`
}
