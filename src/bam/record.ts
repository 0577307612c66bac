/**
 * A lazy view of one BAM alignment record (SAMv1 §4.2 "The BAM format").
 * Offsets below are relative to the start of the record, i.e. to its
 * `block_size` field. Nothing is decoded until a getter is called, and one view
 * is moved along a buffer with {@link RecordView.moveTo} instead of allocating
 * an object per record.
 */

import { cigarLocation, readTag, readTags, type Tag, type TagValue } from './tags.js'

/** block_size: int32, length of the rest of the record, §4.2 */
export const BLOCK_SIZE_OFFSET = 0
/** refID: int32, -1 when unmapped, §4.2 */
export const REF_ID_OFFSET = 4
/** pos: int32, 0-based leftmost coordinate, -1 when absent, §4.2 */
export const POS_OFFSET = 8
/** l_read_name: uint8, length of read_name including its NUL, §4.2 */
export const L_READ_NAME_OFFSET = 12
/** mapq: uint8, §4.2 */
export const MAPQ_OFFSET = 13
/** bin: uint16, §4.2 */
export const BIN_OFFSET = 14
/** n_cigar_op: uint16, §4.2 */
export const N_CIGAR_OP_OFFSET = 16
/** flag: uint16, §4.2 */
export const FLAG_OFFSET = 18
/** l_seq: int32, §4.2 */
export const L_SEQ_OFFSET = 20
/** next_refID: int32, §4.2 */
export const NEXT_REF_ID_OFFSET = 24
/** next_pos: int32, 0-based, §4.2 */
export const NEXT_POS_OFFSET = 28
/** tlen: int32, §4.2 */
export const TLEN_OFFSET = 32
/** read_name: char[l_read_name], NUL-terminated, §4.2 */
export const READ_NAME_OFFSET = 36
/** Size of the block_size field itself. */
export const BLOCK_SIZE_BYTES = 4
/** Fixed-length part after block_size: refID … tlen, §4.2 */
export const FIXED_BYTES = READ_NAME_OFFSET - BLOCK_SIZE_BYTES

/** qual[0] = 0xFF: the qualities are absent (SAM `*`), §4.2. */
const QUAL_ABSENT = 0xff

/** CIGAR operation characters by op code, §4.2 ("op_len<<4|op", op in "MIDNSHP=X"). */
export const CIGAR_OPS = 'MIDNSHP=X'
/** Nucleotide characters by 4-bit code, §4.2 ("=ACMGRSVTWYHKDBN"). */
export const SEQ_CODES = '=ACMGRSVTWYHKDBN'

/**
 * A movable, lazy view of one record.
 *
 * @example
 * ```ts
 * const rec = new RecordView(data)
 * rec.moveTo(0)
 * console.log(rec.name, rec.flag, rec.pos) // pos is 0-based
 * ```
 */
export class RecordView {
  /** The bytes the view reads from. */
  readonly bytes: Uint8Array
  /** A DataView over exactly `bytes` (its byteOffset honoured). */
  readonly view: DataView
  /** Offset of the record's `block_size` field in `bytes`. */
  offset = 0

  constructor(bytes: Uint8Array) {
    this.bytes = bytes
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  /** Points the view at the record whose `block_size` field is at `offset`. Returns `this`. */
  moveTo(offset: number): this {
    this.offset = offset
    return this
  }

  /** `block_size`: bytes in the record after this field. */
  get blockSize(): number { return this.view.getInt32(this.offset + BLOCK_SIZE_OFFSET, true) }
  /** Total bytes of the record, `block_size` field included. */
  get byteLength(): number { return this.blockSize + BLOCK_SIZE_BYTES }
  /** Reference index, -1 for none. */
  get refID(): number { return this.view.getInt32(this.offset + REF_ID_OFFSET, true) }
  /** Leftmost position, 0-based (SAM POS is this + 1); -1 for none. */
  get pos(): number { return this.view.getInt32(this.offset + POS_OFFSET, true) }
  /** Length of the read name including its NUL. */
  get lReadName(): number { return this.view.getUint8(this.offset + L_READ_NAME_OFFSET) }
  /** Mapping quality (255: unavailable). */
  get mapq(): number { return this.view.getUint8(this.offset + MAPQ_OFFSET) }
  /** BAI bin. */
  get bin(): number { return this.view.getUint16(this.offset + BIN_OFFSET, true) }
  /** Number of CIGAR operations. */
  get nCigarOp(): number { return this.view.getUint16(this.offset + N_CIGAR_OP_OFFSET, true) }
  /** FLAG bits (see `flags.ts`). */
  get flag(): number { return this.view.getUint16(this.offset + FLAG_OFFSET, true) }
  /** Sequence length. */
  get lSeq(): number { return this.view.getInt32(this.offset + L_SEQ_OFFSET, true) }
  /** Mate's reference index, -1 for none. */
  get nextRefID(): number { return this.view.getInt32(this.offset + NEXT_REF_ID_OFFSET, true) }
  /** Mate's position, 0-based (SAM PNEXT is this + 1); -1 for none. */
  get nextPos(): number { return this.view.getInt32(this.offset + NEXT_POS_OFFSET, true) }
  /** Template length. */
  get tlen(): number { return this.view.getInt32(this.offset + TLEN_OFFSET, true) }

  /** Offset in `bytes` of the CIGAR array. */
  get cigarOffset(): number { return this.offset + READ_NAME_OFFSET + this.lReadName }
  /** Offset in `bytes` of the 4-bit packed sequence. */
  get seqOffset(): number { return this.cigarOffset + 4 * this.nCigarOp }
  /** Offset in `bytes` of the base qualities. */
  get qualOffset(): number { return this.seqOffset + ((this.lSeq + 1) >> 1) }
  /** Offset in `bytes` of the first auxiliary field. */
  get auxOffset(): number { return this.qualOffset + this.lSeq }
  /** Offset in `bytes` just past the record. */
  get end(): number { return this.offset + this.byteLength }

  /** Read name, decoded on each call. */
  get name(): string {
    const start = this.offset + READ_NAME_OFFSET
    return latin1(this.bytes, start, start + Math.max(0, this.lReadName - 1))
  }

  /** The i-th op of the record's own CIGAR field as `op_len << 4 | op` (see {@link RecordView.cigarOps} for the real one). */
  cigarOp(i: number): number {
    return this.view.getUint32(this.cigarOffset + 4 * i, true)
  }

  /**
   * The real CIGAR as `op_len << 4 | op` values (a copy). For a read with more
   * than 65,535 ops, whose CIGAR field holds the placeholder `<l_seq>S<ref_len>N`,
   * these are the ops of its `CG` tag, as htslib's `bam_tag2cigar` reads them.
   */
  cigarOps(): Uint32Array {
    const { at, n } = cigarLocation(this)
    const ops = new Uint32Array(n)
    for (let i = 0; i < n; i++) ops[i] = this.view.getUint32(at + 4 * i, true)
    return ops
  }

  /** The real CIGAR string (a `CG` tag's CIGAR for long reads, as samtools prints it), `*` when there are no operations. */
  get cigar(): string {
    const { at, n } = cigarLocation(this)
    if (n === 0) return '*'
    let s = ''
    for (let i = 0; i < n; i++) {
      const op = this.view.getUint32(at + 4 * i, true)
      s += `${op >>> 4}${CIGAR_OPS[op & 0xf] ?? '?'}`
    }
    return s
  }

  /**
   * Base qualities, Phred scale (not +33), one per base, as a copy; null when
   * the record has none (no sequence, or qual[0] = 0xFF, SAM `*`), as pysam's
   * `query_qualities` is None.
   */
  get qualities(): Uint8Array | null {
    const n = this.lSeq
    const at = this.qualOffset
    if (n <= 0 || this.bytes[at] === QUAL_ABSENT) return null
    return this.bytes.slice(at, at + n)
  }

  /** The value of aux tag `key` (e.g. `'NM'`), typed (see {@link TagValue}), or undefined when absent. */
  tag(key: string): TagValue | undefined {
    return readTag(this, key)
  }

  /** Every aux field in record order, with its BAM type character and typed value. */
  tags(): Tag[] {
    return readTags(this)
  }

  /** Sequence as letters, `*` when absent. */
  get seq(): string {
    const n = this.lSeq
    if (n === 0) return '*'
    const at = this.seqOffset
    let s = ''
    for (let i = 0; i < n; i++) {
      const b = this.bytes[at + (i >> 1)]!
      s += SEQ_CODES[(i & 1) === 0 ? b >> 4 : b & 0xf]
    }
    return s
  }

  /**
   * Reference bases covered by the alignment: the sum of M, D, N, = and X
   * lengths (SAMv1 §1.4.6) of the CIGAR field. 0 when there is no CIGAR. The
   * `<l_seq>S<ref_len>N` placeholder of a long read has its real CIGAR's
   * reference length, so this equals the real one whenever htslib uses it.
   */
  get referenceLength(): number {
    let len = 0
    const n = this.nCigarOp
    for (let i = 0; i < n; i++) {
      const op = this.cigarOp(i)
      const code = op & 0xf
      if (code === 0 || code === 2 || code === 3 || code === 7 || code === 8) len += op >>> 4
    }
    return len
  }

  /**
   * A plain object with every decoded field, for tests and debugging (not for
   * hot loops). `pos` and `nextPos` are 0-based, as in BAM.
   */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name, flag: this.flag, refID: this.refID, pos: this.pos, mapq: this.mapq,
      cigar: this.cigar, nextRefID: this.nextRefID, nextPos: this.nextPos, tlen: this.tlen, seq: this.seq,
      qualities: this.qualities, tags: this.tags(),
    }
  }
}

/** Decodes bytes [start, end) as Latin-1 (byte = code point). */
export function latin1(bytes: Uint8Array, start: number, end: number): string {
  let s = ''
  for (let i = start; i < end; i += 4096) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + 4096)) as unknown as number[])
  }
  return s
}
