/**
 * Encoding records for tests and benchmarks, SAMv1 §4.2 "The BAM format":
 * alignment records with their auxiliary fields, from a plain description.
 * Positions are BAM's: 0-based, -1 when absent. (The product only re-encodes
 * headers, src/bam/encoder.ts: `view -b` copies record bytes as they are.)
 */
import { BamError } from '../../src/errors.js'
import { writeLatin1 } from '../../src/bam/encoder.js'
import {
  BIN_OFFSET, BLOCK_SIZE_BYTES, BLOCK_SIZE_OFFSET, CIGAR_OPS, FLAG_OFFSET, L_READ_NAME_OFFSET, L_SEQ_OFFSET,
  MAPQ_OFFSET, NEXT_POS_OFFSET, NEXT_REF_ID_OFFSET, N_CIGAR_OP_OFFSET, POS_OFFSET, READ_NAME_OFFSET,
  REF_ID_OFFSET, SEQ_CODES, TLEN_OFFSET,
} from '../../src/bam/record.js'

const INT32_BYTES = 4 // a CIGAR op, a B array's count: int32/uint32, §4.2
const TAG_BYTES = 2 // tag: char[2], §4.2.4
const AUX_HEAD_BYTES = 3 // tag: char[2], val_type: char, §4.2.4
const B_SUBTYPE_BYTES = 1 // B arrays: subtype char, then count: uint32, §4.2.4
const MAX_L_READ_NAME = 255 // l_read_name: uint8, NUL included, §4.2
const MAX_CIGAR_OPS = 0xffff // n_cigar_op: uint16, §4.2
const CIGAR_SHIFT = 4 // each op is op_len << 4 | op, §4.2
const QUAL_MISSING = 0xff // qual: 0xFF per base when absent, §4.2
const CIGAR_RE = new RegExp(`^(\\d+[${CIGAR_OPS}])+$`) // SAMv1 §1.4.6
const CIGAR_OP_RE = new RegExp(`\\d+[${CIGAR_OPS}]`, 'g')
const REF_CONSUMING = 0b110001101 // op codes 0 M, 2 D, 3 N, 7 =, 8 X consume the reference, §1.4.6
const EMPTY = new Uint8Array(0)

/** A 4-bit packed sequence as stored in BAM (§4.2 `seq`), with its length in bases. */
export interface PackedSeq { packed: Uint8Array; length: number }

type AuxNumberType = 'c' | 'C' | 's' | 'S' | 'i' | 'I' | 'f'
/** One auxiliary field (SAMv1 §1.5, §4.2.4); `value` for `B` holds the array elements. */
export type AuxField =
  | { tag: string; type: 'A' | 'Z' | 'H'; value: string }
  | { tag: string; type: AuxNumberType; value: number }
  | { tag: string; type: 'B'; subtype: AuxNumberType; value: ArrayLike<number> }

/** What one alignment record holds, in BAM's terms (SAMv1 §4.2). */
export interface RecordSpec {
  /** read_name without its NUL. */
  name: string
  flag: number; refID: number; mapq: number; nextRefID: number; tlen: number
  /** Leftmost position (`pos`) and the mate's (`nextPos`): 0-based, -1 when absent. */
  pos: number; nextPos: number
  /** `*`, a CIGAR string such as `5S10M2I3D20M`, or ops already packed as `op_len << 4 | op`. */
  cigar: string | Uint32Array
  /** `*`, bases from `=ACMGRSVTWYHKDBN`, or an already packed sequence. */
  seq: string | PackedSeq
  /** Phred qualities, one per base; null stores 0xFF for each base. */
  qual: Uint8Array | null
  /** Auxiliary data: already encoded bytes or a list of fields. */
  tags?: Uint8Array | readonly AuxField[]
  /** BAI bin; computed with {@link reg2bin} when omitted. */
  bin?: number
}

/** Aux numeric types: size in bytes, range, and how to store one little-endian, §4.2.4 */
const NUMBER_TYPES: Record<AuxNumberType, { bytes: number; min: number; max: number; set: (v: DataView, p: number, x: number) => void }> = {
  c: { bytes: 1, min: -0x80, max: 0x7f, set: (v, p, x) => v.setInt8(p, x) },
  C: { bytes: 1, min: 0, max: 0xff, set: (v, p, x) => v.setUint8(p, x) },
  s: { bytes: 2, min: -0x8000, max: 0x7fff, set: (v, p, x) => v.setInt16(p, x, true) },
  S: { bytes: 2, min: 0, max: 0xffff, set: (v, p, x) => v.setUint16(p, x, true) },
  i: { bytes: 4, min: -0x80000000, max: 0x7fffffff, set: (v, p, x) => v.setInt32(p, x, true) },
  I: { bytes: 4, min: 0, max: 0xffffffff, set: (v, p, x) => v.setUint32(p, x, true) },
  f: { bytes: 4, min: -Infinity, max: Infinity, set: (v, p, x) => v.setFloat32(p, x, true) },
}
/** 4-bit code of each base letter (either case), -1 when invalid. */
const BASE_CODE = new Int8Array(128).fill(-1)
for (let i = 0; i < SEQ_CODES.length; i++) BASE_CODE[SEQ_CODES.charCodeAt(i)] = BASE_CODE[SEQ_CODES.toLowerCase().charCodeAt(i)] = i

/**
 * BAI bin of the 0-based, half-open region [beg, end), SAMv1 §5.3 `reg2bin`.
 *
 * @example
 * ```ts
 * reg2bin(-1, 0) // 4680, the bin of an unplaced unmapped read
 * reg2bin(0, 100) // 4681
 * ```
 */
export function reg2bin(beg: number, end: number): number {
  end--
  for (let shift = 14; shift <= 26; shift += 3) { // bins of 16 Kib, 128 Kib, 1 Mib, 8 Mib, 64 Mib
    if (beg >> shift === end >> shift) return ((1 << (29 - shift)) - 1) / 7 + (beg >> shift)
  }
  return 0
}
/**
 * Encodes one alignment record, `block_size` included, §4.2. `opts.alloc` may
 * hand out zero-filled space from a larger buffer (a slab) to avoid one ArrayBuffer per record.
 *
 * @example
 * ```ts
 * const rec = encodeRecord({ name: 'r1', flag: 0, refID: 0, pos: 99, mapq: 60, cigar: '4M',
 *   nextRefID: -1, nextPos: -1, tlen: 0, seq: 'ACGT', qual: null, tags: [{ tag: 'NM', type: 'i', value: 0 }] })
 * new RecordView(rec).pos // 99
 * ```
 */
export function encodeRecord(r: RecordSpec, opts: { alloc?: (size: number) => Uint8Array } = {}): Uint8Array {
  const cigar = typeof r.cigar === 'string' ? packCigar(r.cigar) : r.cigar
  const seq = typeof r.seq === 'string' ? packSeq(r.seq) : r.seq
  const tags = r.tags ?? EMPTY
  const auxSize = tags instanceof Uint8Array ? tags.length : auxBytes(tags)
  const lName = r.name.length + 1
  if (lName > MAX_L_READ_NAME) throw new BamError('ERR_OPTION', `read name is ${r.name.length} characters, expected at most 254`)
  if (cigar.length > MAX_CIGAR_OPS) throw new BamError('ERR_OPTION', `${cigar.length} CIGAR operations, expected at most ${MAX_CIGAR_OPS}`)
  if (r.qual !== null && r.qual.length < seq.length) throw new BamError('ERR_OPTION', `${r.qual.length} qualities for ${seq.length} bases`)
  const cigarAt = READ_NAME_OFFSET + lName
  const seqAt = cigarAt + INT32_BYTES * cigar.length
  const qualAt = seqAt + ((seq.length + 1) >> 1)
  const auxAt = qualAt + seq.length
  const out = opts.alloc?.(auxAt + auxSize) ?? new Uint8Array(auxAt + auxSize)
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength)
  const bin = r.bin ?? reg2bin(r.pos, r.pos + Math.max(1, cigarReferenceLength(cigar)))
  writeFixedFields(view, r, out.length, lName, bin, cigar.length, seq.length)
  writeLatin1(out, READ_NAME_OFFSET, r.name)
  for (let i = 0; i < cigar.length; i++) view.setUint32(cigarAt + INT32_BYTES * i, cigar[i]!, true)
  out.set(seq.packed.subarray(0, qualAt - seqAt), seqAt)
  if (r.qual === null) out.fill(QUAL_MISSING, qualAt, auxAt)
  else out.set(r.qual.subarray(0, seq.length), qualAt)
  if (tags instanceof Uint8Array) out.set(tags, auxAt)
  else writeAux(out, view, auxAt, tags)
  return out
}

function writeFixedFields(view: DataView, r: RecordSpec, size: number, lName: number, bin: number, nCigar: number, lSeq: number): void {
  view.setInt32(BLOCK_SIZE_OFFSET, size - BLOCK_SIZE_BYTES, true)
  view.setInt32(REF_ID_OFFSET, r.refID, true)
  view.setInt32(POS_OFFSET, r.pos, true)
  view.setUint8(L_READ_NAME_OFFSET, lName)
  view.setUint8(MAPQ_OFFSET, r.mapq)
  view.setUint16(BIN_OFFSET, bin, true)
  view.setUint16(N_CIGAR_OP_OFFSET, nCigar, true)
  view.setUint16(FLAG_OFFSET, r.flag, true)
  view.setInt32(L_SEQ_OFFSET, lSeq, true)
  view.setInt32(NEXT_REF_ID_OFFSET, r.nextRefID, true)
  view.setInt32(NEXT_POS_OFFSET, r.nextPos, true)
  view.setInt32(TLEN_OFFSET, r.tlen, true)
}

/**
 * Packs a CIGAR string into BAM ops (`op_len << 4 | op`, op in `MIDNSHP=X`), §4.2. `*` gives none.
 *
 * @example
 * ```ts
 * packCigar('5S10M') // Uint32Array [0x54, 0xa0]
 * ```
 */
export function packCigar(cigar: string): Uint32Array {
  if (cigar === '*') return new Uint32Array(0)
  const invalid = (): never => { throw new BamError('ERR_OPTION', `invalid CIGAR ${JSON.stringify(cigar)}`) }
  if (!CIGAR_RE.test(cigar)) invalid()
  return Uint32Array.from(cigar.match(CIGAR_OP_RE) ?? [], (op) => {
    const len = Number(op.slice(0, -1))
    return len < 1 << 28 ? ((len << CIGAR_SHIFT) | CIGAR_OPS.indexOf(op.at(-1)!)) >>> 0 : invalid()
  })
}

/**
 * Reference bases covered by packed CIGAR ops: the sum of M, D, N, = and X lengths (SAMv1 §1.4.6).
 *
 * @example
 * ```ts
 * cigarReferenceLength(packCigar('5S10M2I3D20M')) // 33
 * ```
 */
export function cigarReferenceLength(ops: ArrayLike<number>): number {
  let len = 0
  for (let i = 0; i < ops.length; i++) if ((REF_CONSUMING >> (ops[i]! & 0xf)) & 1) len += ops[i]! >>> CIGAR_SHIFT
  return len
}

/**
 * Packs bases (`=ACMGRSVTWYHKDBN`, either case) 4 bits each, first base in the high nibble, §4.2. `*` gives none.
 *
 * @example
 * ```ts
 * packSeq('ACG') // { packed: Uint8Array [0x12, 0x40], length: 3 }
 * ```
 */
export function packSeq(seq: string): PackedSeq {
  if (seq === '*') return { packed: EMPTY, length: 0 }
  const packed = new Uint8Array((seq.length + 1) >> 1)
  for (let i = 0; i < seq.length; i++) {
    const code = BASE_CODE[seq.charCodeAt(i)] ?? -1
    if (code < 0) throw new BamError('ERR_OPTION', `invalid base ${JSON.stringify(seq[i])} at ${i} of the sequence`)
    packed[i >> 1]! |= (i & 1) === 0 ? code << 4 : code
  }
  return { packed, length: seq.length }
}

/**
 * Encodes auxiliary fields (tag, val_type, value), §4.2.4.
 *
 * @example
 * ```ts
 * encodeAux([{ tag: 'NM', type: 'i', value: 3 }]) // 'N' 'M' 'i' 03 00 00 00
 * ```
 */
export function encodeAux(fields: readonly AuxField[]): Uint8Array {
  const out = new Uint8Array(auxBytes(fields))
  writeAux(out, new DataView(out.buffer, out.byteOffset, out.byteLength), 0, fields)
  return out
}

function auxBytes(fields: readonly AuxField[]): number {
  let size = 0
  for (const f of fields) size += AUX_HEAD_BYTES + auxValueBytes(f)
  return size
}

function writeAux(out: Uint8Array, view: DataView, p: number, fields: readonly AuxField[]): void {
  for (const f of fields) {
    if (f.tag.length !== 2) throw new BamError('ERR_OPTION', `aux tag must be 2 characters, got ${JSON.stringify(f.tag)}`)
    writeLatin1(out, p, f.tag)
    writeLatin1(out, p + TAG_BYTES, f.type)
    p = writeAuxValue(out, view, p + AUX_HEAD_BYTES, f)
  }
}

function auxValueBytes(f: AuxField): number {
  switch (f.type) {
    case 'A': return 1
    case 'Z': case 'H': return f.value.length + 1
    case 'B': return B_SUBTYPE_BYTES + INT32_BYTES + NUMBER_TYPES[f.subtype].bytes * f.value.length
    default: return NUMBER_TYPES[f.type].bytes
  }
}

function writeAuxValue(out: Uint8Array, view: DataView, p: number, f: AuxField): number {
  switch (f.type) {
    case 'A': case 'Z': case 'H':
      if (f.type === 'A' && f.value.length !== 1) throw new BamError('ERR_OPTION', `aux ${f.tag}:A needs one character`)
      if (f.type === 'H' && !/^([0-9A-Fa-f]{2})*$/.test(f.value)) throw new BamError('ERR_OPTION', `aux ${f.tag}:H is not hex`)
      writeLatin1(out, p, f.value) // the NUL after Z and H is already 0
      return p + auxValueBytes(f)
    case 'B':
      writeLatin1(out, p, f.subtype)
      view.setInt32(p + B_SUBTYPE_BYTES, f.value.length, true) // count: uint32 after the subtype
      p += B_SUBTYPE_BYTES + INT32_BYTES
      for (let i = 0; i < f.value.length; i++) p = writeNumber(view, p, f.subtype, f.value[i]!, f.tag)
      return p
    default:
      return writeNumber(view, p, f.type, f.value, f.tag)
  }
}

function writeNumber(view: DataView, p: number, type: AuxNumberType, v: number, tag: string): number {
  const t = NUMBER_TYPES[type]
  if (type !== 'f' && (!Number.isInteger(v) || v < t.min || v > t.max)) {
    throw new BamError('ERR_OPTION', `aux ${tag}: ${v} does not fit type ${type}`)
  }
  t.set(view, p, v)
  return p + t.bytes
}
