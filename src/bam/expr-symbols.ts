/**
 * The record fields a filter expression can name, as htslib 1.16's
 * `bam_sym_lookup` (sam.c) reads them: names match as prefixes of the text,
 * in its order; `[XX]` reads an aux tag.
 */
import { FLAG_NAMES } from './flags.js'
import type { Reference } from './header.js'
import type { RecordView } from './record.js'
import { endPosition } from './region.js'
import { EvalError, num, str, type ExprInput, type Node } from './expr-values.js'

/** `[XX]`: present tags are true even when 0; absent ones are undefined strings. */
export function tagNode(key: string): Node {
  return (x) => {
    const v = x.rec.tag(key)
    if (v === undefined) return str(null)
    if (typeof v === 'number') return num(v, true)
    if (typeof v === 'string') return { ...str(v), t: true }
    throw new EvalError() // B arrays: "Aux type 'B' not yet supported by filters"
  }
}

/** Name of a reference, `*` for none. */
const refName = (refs: readonly Reference[], id: number): string => refs[id]?.name ?? '*'

/** CIGAR op lengths: M I S = X consume the query, M D N = X the reference (§1.4.6). */
function cigarLength(rec: RecordView, consumes: number): number {
  let n = 0
  for (const op of rec.cigarOps()) if ((consumes >> (op & 0xf)) & 1) n += op >>> 4
  return n
}
const QUERY_OPS = 0b110010011
const REF_OPS = 0b110001101

/** Soft-clipped bases at both ends, looking through an outer hard clip (htslib `sclen`). */
function softClipLength(rec: RecordView): number {
  const ops = rec.cigarOps()
  const n = ops.length
  const code = (i: number): number => ops[i]! & 0xf
  const len = (i: number): number => ops[i]! >>> 4
  let sclen = 0, left = 0
  if (n > 0 && code(0) === 4) sclen += len(0)
  else if (n > 1 && code(0) === 5 && code(1) === 4) { left = 1; sclen += len(1) }
  if (n - 1 > left && code(n - 1) === 4) sclen += len(n - 1)
  else if (n - 2 > left && code(n - 1) === 5 && code(n - 2) === 4) sclen += len(n - 2)
  return sclen
}

/** The raw quality bytes as a latin1 string (0xFF bytes when absent), as htslib copies them. */
function qualText(rec: RecordView): string {
  const n = Math.max(0, rec.lSeq), at = rec.qualOffset
  return Buffer.from(rec.bytes.buffer, rec.bytes.byteOffset + at, n).toString('latin1')
}

/** htslib's `bam_get_library`: the LB of the read group named by the record's RG tag, "" when there is none. */
function libraryOf(x: ExprInput): string {
  const rg = x.rec.tag('RG')
  return typeof rg === 'string' ? x.libraries?.[rg] ?? '' : ''
}

/**
 * The libraries of a header's read groups, `@RG` ID → LB (SAMv1 §1.3), for `library`.
 *
 * @example
 * ```ts
 * readGroupLibraries('@RG\tID:rg1\tLB:lib1\n') // { rg1: 'lib1' }
 * ```
 */
export function readGroupLibraries(headerText: string): Record<string, string> {
  const libraries: Record<string, string> = {}
  for (const line of headerText.split('\n')) {
    if (!line.startsWith('@RG\t')) continue
    const fields = line.split('\t')
    const id = fields.find((f) => f.startsWith('ID:'))?.slice(3)
    const lb = fields.find((f) => f.startsWith('LB:'))?.slice(3)
    if (id !== undefined && lb !== undefined && !(id in libraries)) libraries[id] = lb
  }
  return libraries
}

/** `flag.NAME` symbols, lower-case `samtools flags` names. */
export const FLAG_SYMBOLS: readonly (readonly [string, number])[] = FLAG_NAMES.map(([n, bit]) => [n.toLowerCase(), bit])

/** `bam_sym_lookup`'s names, in its matching order (a name matches as a prefix of the text). */
export const SYMBOLS: readonly (readonly [string, Node])[] = [
  ['cigar', (x) => str(x.rec.cigar)],
  ['endpos', (x) => num(endPosition(x.rec))],
  ['flag', (x) => num(x.rec.flag)],
  ['library', (x) => str(libraryOf(x))],
  ['mapq', (x) => num(x.rec.mapq)],
  ['mpos', (x) => num(x.rec.nextPos + 1)],
  ['mrname', (x) => str(refName(x.refs, x.rec.nextRefID))],
  ['mrefid', (x) => num(x.rec.nextRefID)],
  ['ncigar', (x) => num(x.rec.cigarOps().length)],
  ['pos', (x) => num(x.rec.pos + 1)],
  ['pnext', (x) => num(x.rec.nextPos + 1)],
  ['qlen', (x) => num(cigarLength(x.rec, QUERY_OPS))],
  ['qname', (x) => str(x.rec.name)],
  ['qual', (x) => str(qualText(x.rec))],
  ['rlen', (x) => num(cigarLength(x.rec, REF_OPS))],
  ['rname', (x) => str(refName(x.refs, x.rec.refID))],
  ['rnext', (x) => str(refName(x.refs, x.rec.nextRefID))],
  ['refid', (x) => num(x.rec.refID)],
  ['seq', (x) => str(x.rec.lSeq > 0 ? x.rec.seq : '')],
  ['sclen', (x) => num(softClipLength(x.rec))],
  ['tlen', (x) => num(x.rec.tlen)],
]
