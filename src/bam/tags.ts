/**
 * Typed values of a record's auxiliary fields (SAMv1 §1.5, §4.2.4), as pysam's
 * `get_tags(with_value_type=True)` and @gmod/bam expose them, and the real
 * CIGAR that htslib's `bam_tag2cigar` reads from a `CG` tag.
 */
import { B_ARRAY_HEAD_BYTES, B_COUNT_OFFSET, MIN_TAG_BYTES, TAG_BYTES, TAG_HEAD_BYTES, auxFieldLength } from './aux.js'
import type { RecordView } from './record.js'

/** A tag's value: `A`, `Z`, `H` as strings (latin1, one char per byte); integers, `f` and `d` as numbers; `B` arrays as typed arrays (copies). */
export type TagValue = string | number | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array

/** One aux field: its two-letter key, its BAM type character (`A c C s S i I f d Z H B`) and its value. */
export interface Tag {
  tag: string
  type: string
  value: TagValue
}

/** The "CG" key, §4.2.4. */
const CG = 'CG'
/** Op code of a soft clip (S), §4.2. */
const OP_SOFT_CLIP = 4
/** htslib moves a `CG:B:I` CIGAR only if it has fewer than 2^29 ops (`bam_tag2cigar`). */
const MAX_CG_OPS = 2 ** 29

/** Where a record's CIGAR is read: `n` uint32 ops at byte `at`; `cgAt` is the offset of the `CG` field it came from, or -1. */
export interface CigarLocation {
  at: number
  n: number
  cgAt: number
}

/**
 * Where the CIGAR htslib reports is: the record's own, or, for a placed
 * record (refID ≥ 0, pos ≥ 0) whose CIGAR starts with a soft clip of the
 * whole read (the `<l_seq>S<ref_len>N` placeholder SAMv1 §4.2.2 prescribes for
 * more than 65,535 ops), the first `CG:B:I`/`CG:B:i` tag if it holds at least
 * as many ops (htslib 1.16 `bam_tag2cigar`). That tag is then hidden from the
 * aux fields, as htslib removes it.
 *
 * @example
 * ```ts
 * const { at, n } = cigarLocation(rec) // n may exceed 65535
 * ```
 */
export function cigarLocation(rec: RecordView): CigarLocation {
  const own = { at: rec.cigarOffset, n: rec.nCigarOp, cgAt: -1 }
  if (own.n === 0 || rec.refID < 0 || rec.pos < 0) return own
  const first = rec.cigarOp(0)
  if ((first & 0xf) !== OP_SOFT_CLIP || first >>> 4 !== rec.lSeq) return own
  const cg = findTag(rec, CG, -1)
  if (cg < 0) return own
  const { bytes, view } = rec
  const v = cg + TAG_HEAD_BYTES
  if (bytes[cg + TAG_BYTES] !== 0x42 || (bytes[v] !== 0x49 && bytes[v] !== 0x69)) return own // not B:I or B:i
  const count = view.getUint32(v + B_COUNT_OFFSET, true)
  return count >= own.n && count < MAX_CG_OPS ? { at: v + B_ARRAY_HEAD_BYTES, n: count, cgAt: cg } : own
}

/** Offset of the first field with this key, skipping the one at `skip`; -1 when absent. Throws ERR_BAD_RECORD on malformed aux data. */
function findTag(rec: RecordView, key: string, skip: number): number {
  const { bytes, view } = rec
  const end = rec.end
  const k0 = key.charCodeAt(0), k1 = key.charCodeAt(1)
  for (let p = rec.auxOffset; end - p >= MIN_TAG_BYTES;) {
    const len = auxFieldLength(bytes, view, p, end)
    if (p !== skip && bytes[p] === k0 && bytes[p + 1] === k1) return p
    p += len
  }
  return -1
}

/**
 * The value of the first aux field with this key, or undefined (a `CG` tag
 * holding the real CIGAR is hidden, as in htslib).
 *
 * @example
 * ```ts
 * readTag(rec, 'NM') // 3
 * readTag(rec, 'XB') // Int16Array [ … ]
 * ```
 */
export function readTag(rec: RecordView, key: string): TagValue | undefined {
  const hidden = key === CG ? cigarLocation(rec).cgAt : -1
  const at = findTag(rec, key, hidden)
  return at < 0 ? undefined : tagValue(rec, at)
}

/**
 * Every aux field in record order, typed (a `CG` tag holding the real CIGAR is hidden).
 *
 * @example
 * ```ts
 * for (const { tag, type, value } of readTags(rec)) console.log(tag, type, value)
 * ```
 */
export function readTags(rec: RecordView): Tag[] {
  const { bytes, view } = rec
  const end = rec.end
  const hidden = cigarLocation(rec).cgAt
  const tags: Tag[] = []
  for (let p = rec.auxOffset; end - p >= MIN_TAG_BYTES;) {
    const len = auxFieldLength(bytes, view, p, end)
    if (p !== hidden) tags.push({ tag: String.fromCharCode(bytes[p]!, bytes[p + 1]!), type: String.fromCharCode(bytes[p + TAG_BYTES]!), value: tagValue(rec, p) })
    p += len
  }
  return tags
}

/** Decodes the (validated) field at `at`. */
function tagValue(rec: RecordView, at: number): TagValue {
  const { bytes, view } = rec
  const v = at + TAG_HEAD_BYTES
  switch (String.fromCharCode(bytes[at + TAG_BYTES]!)) {
    case 'A': return String.fromCharCode(bytes[v]!)
    case 'c': return view.getInt8(v)
    case 'C': return view.getUint8(v)
    case 's': return view.getInt16(v, true)
    case 'S': return view.getUint16(v, true)
    case 'i': return view.getInt32(v, true)
    case 'I': return view.getUint32(v, true)
    case 'f': return view.getFloat32(v, true)
    case 'd': return view.getFloat64(v, true)
    case 'B': return arrayValue(view, v)
    default: { // Z and H: up to the NUL
      let q = v
      while (bytes[q] !== 0) q++
      return Buffer.from(bytes.buffer, bytes.byteOffset + v, q - v).toString('latin1')
    }
  }
}

/** A B array (subtype, uint32 count, elements) as a fresh typed array. */
function arrayValue(view: DataView, at: number): TagValue {
  const sub = String.fromCharCode(view.getUint8(at))
  const n = view.getUint32(at + B_COUNT_OFFSET, true)
  const p = at + B_ARRAY_HEAD_BYTES
  const fill = <T extends { [i: number]: number }>(out: T, size: number, get: (q: number) => number): T => {
    for (let i = 0; i < n; i++) out[i] = get(p + i * size)
    return out
  }
  switch (sub) {
    case 'c': return fill(new Int8Array(n), 1, (q) => view.getInt8(q))
    case 'C': return fill(new Uint8Array(n), 1, (q) => view.getUint8(q))
    case 's': return fill(new Int16Array(n), 2, (q) => view.getInt16(q, true))
    case 'S': return fill(new Uint16Array(n), 2, (q) => view.getUint16(q, true))
    case 'i': return fill(new Int32Array(n), 4, (q) => view.getInt32(q, true))
    case 'I': return fill(new Uint32Array(n), 4, (q) => view.getUint32(q, true))
    default: return fill(new Float32Array(n), 4, (q) => view.getFloat32(q, true))
  }
}
