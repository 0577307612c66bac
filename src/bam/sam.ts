/**
 * SAM text (SAMv1 §1.4) of BAM records (§4.2) and of the header, byte for byte what `samtools view --no-PG [-h]`
 * 1.16 prints. Lines go as ASCII bytes straight into a growable buffer: no string per field on the hot path.
 * Records are formatted by the C port of this code in the native addon (native/sam.c, about 3× faster) when it
 * is built, else here; `BAMSTREAM_SAM=js|native` picks one. Both give the same bytes (test/bam/sam-native.test.ts).
 */
import { BamError } from '../errors.js'
import { loadAddon, type Addon } from '../bgzf/native.js'
import {
  AUX_EXPANSION, B_ARRAY_HEAD_BYTES, B_COUNT_OFFSET, TAG_BYTES, TAG_HEAD_BYTES, auxFieldLength, textSink, writeAuxFields, writeInt, type TextSink,
} from './aux.js'
import { FUNMAP } from './flags.js'
import {
  BLOCK_SIZE_BYTES, FLAG_OFFSET, L_READ_NAME_OFFSET, L_SEQ_OFFSET, MAPQ_OFFSET, NEXT_POS_OFFSET,
  NEXT_REF_ID_OFFSET, N_CIGAR_OP_OFFSET, POS_OFFSET, READ_NAME_OFFSET, REF_ID_OFFSET, SEQ_CODES, TLEN_OFFSET,
  RecordView,
} from './record.js'

/** Bytes per CIGAR op: uint32 `op_len << 4 | op`, §4.2. */
const CIGAR_OP_BYTES = 4
/** qual[0] = 0xFF means "no qualities", printed `*`, §4.2. */
const QUAL_MISSING = 0xff
/** SAM quality characters are Phred + 33, §1.4.11. */
const QUAL_OFFSET = 33
/** Bit i set when op code i consumes the query: M I S = X, SAMv1 §1.4.6. */
const QUERY_OPS = 0b110010011
/** Op code of a soft clip (S), §4.2. */
const OP_SOFT_CLIP = 4
/** htslib moves a `CG:B:I` CIGAR only if it has fewer than 2^29 ops (`bam_tag2cigar`). */
const MAX_CG_OPS = 2 ** 29
/** Bound for the fixed fields of one line: FLAG, POS, MAPQ, RNEXT `=`, PNEXT, TLEN, tabs, `*`s, newline. */
const FIXED_TEXT_BYTES = 128
const INITIAL_CAPACITY = 64 * 1024
/** Pseudo refID for RNEXT printed `=`. */
const SAME_REF = -2
const TAB = 0x09, NEWLINE = 0x0a, STAR = 0x2a, EQUALS = 0x3d, AT = 0x40
/** The "CG" key (big-endian pair), aux type B and its subtypes I and i, §4.2.4. */
const CG_KEY = 0x4347, TYPE_B = 0x42, SUB_I = 0x49, SUB_i = 0x69
const NO_SEQ_QUAL = Uint8Array.of(STAR, TAB, STAR)
/** CIGAR characters by op code as htslib prints them (`BAM_CIGAR_STR`, then `?` for 10..15). */
const CIGAR_CODES = Uint8Array.from('MIDNSHP=XB??????', (c) => c.charCodeAt(0))
/** The two bases of a packed sequence byte (§4.2 "seq") as one little-endian uint16: first base in the low byte. */
const SEQ_PAIRS = Uint16Array.from({ length: 256 }, (_, b) => SEQ_CODES.charCodeAt(b >> 4) | (SEQ_CODES.charCodeAt(b & 0xf) << 8))
/** SWAR: adds 33 to each byte of a uint32 modulo 256, with no carry between bytes. */
const addQualOffset = (v: number): number => ((v & 0x7f7f7f7f) + QUAL_OFFSET * 0x01010101) ^ (v & 0x80808080)

/** native/sam.c's return codes: the output buffer may be too small; the record is one samtools refuses. */
const NATIVE_E_ROOM = -1
const NATIVE_E_RECORD = -2

/** Names accepted by `BAMSTREAM_SAM`. */
export const SAM_FORMATTER_NAMES = ['native', 'js'] as const

/**
 * The addon when SAM is to be formatted natively: built, and not turned off by `BAMSTREAM_SAM=js`.
 *
 * @example
 * ```ts
 * console.log(nativeSamFormatter() ? 'native' : 'JavaScript')
 * ```
 */
export function nativeSamFormatter(): Addon | null {
  const want = process.env.BAMSTREAM_SAM || undefined
  if (want !== undefined && !(SAM_FORMATTER_NAMES as readonly string[]).includes(want)) {
    throw new BamError('ERR_OPTION', `unknown SAM formatter "${want}" (expected one of ${SAM_FORMATTER_NAMES.join(', ')})`)
  }
  const addon = want === 'js' ? null : loadAddon()
  if (want === 'native' && !addon) throw new BamError('ERR_OPTION', 'SAM formatter "native" is not available here (addon not built)')
  return addon
}

/** Where the CIGAR is read: `n` uint32 ops at `at`; `skip` is the offset of a moved `CG` field to leave out, or -1. */
interface CigarSource { at: number, n: number, skip: number }

/**
 * Where a {@link SamWriter} gets its output buffers, and gives back one it outgrew
 * (ops/output.ts's `OutputPool`, for buffers recycled across threads).
 */
export interface OutputBuffers {
  /** A buffer of at least `bytes` bytes. */
  take(bytes: number): Uint8Array
  /** A buffer taken but never handed out: free for reuse. */
  give(buffer: Uint8Array): void
}

/** Plain buffers, left to the garbage collector. */
const FRESH_BUFFERS: OutputBuffers = { take: (bytes) => new Uint8Array(bytes), give: () => {} }

/**
 * Appends SAM lines for records to one growable byte buffer.
 *
 * @example
 * ```ts
 * const sam = new SamWriter(header.references.map((r) => r.name))
 * walkRecords(new RecordView(data), 0, (rec) => sam.append(rec))
 * process.stdout.write(sam.take()) // the lines so far; the writer is empty again
 * ```
 */
export class SamWriter {
  private readonly names: Uint8Array[]
  private readonly longestName: number
  private readonly buffers: OutputBuffers
  private readonly sink: TextSink
  private readonly addon: Addon | null
  private readonly native: unknown
  /** samAppendMany's out-parameters: index reached, position reached. */
  private readonly state = new Float64Array(2)

  /**
   * @param refNames reference names by refID, Latin-1 (one char per byte) as the header parser decodes them.
   * @param formatter `native` (the addon's formatter when built), `js`; default from {@link nativeSamFormatter}.
   * @param buffers where output buffers come from (default: fresh ones); see {@link SamWriter.detach}.
   */
  constructor(refNames: readonly string[], formatter?: 'native' | 'js', buffers: OutputBuffers = FRESH_BUFFERS) {
    this.names = refNames.map(encodeName)
    this.longestName = this.names.reduce((m, b) => Math.max(m, b.length), 1)
    this.buffers = buffers
    this.sink = textSink(buffers.take(INITIAL_CAPACITY))
    this.addon = formatter === 'js' ? null : formatter === 'native' ? loadAddon() : nativeSamFormatter()
    if (formatter === 'native' && !this.addon) throw new BamError('ERR_OPTION', 'SAM formatter "native" is not available here (addon not built)')
    const ends = new Uint32Array(this.names.length)
    this.names.forEach((n, i) => { ends[i] = (i > 0 ? ends[i - 1]! : 0) + n.length })
    this.native = this.addon?.samFormatter(joinNames(this.names), ends, this.sink.out)
  }

  /** Which formatter this writer uses: `native` or `js`. */
  get formatter(): 'native' | 'js' { return this.addon ? 'native' : 'js' }

  /** Bytes written since the last {@link SamWriter.take} or {@link SamWriter.detach}. */
  get length(): number { return this.sink.pos }

  /** Returns a copy of the bytes written so far (it owns its ArrayBuffer, so it can be transferred) and empties the writer. */
  take(): Uint8Array {
    const bytes = this.sink.out.slice(0, this.sink.pos)
    this.sink.pos = 0
    return bytes
  }

  /**
   * Returns the bytes written so far without a copy (a view of the writer's
   * buffer, which it lets go of) and goes on in a buffer of at least
   * `nextBytes` bytes from its {@link OutputBuffers}.
   */
  detach(nextBytes = INITIAL_CAPACITY): Uint8Array {
    const bytes = this.sink.out.subarray(0, this.sink.pos)
    this.bind(this.buffers.take(nextBytes), 0)
    return bytes
  }

  /**
   * Appends the record's SAM line and a newline. Throws `ERR_BAD_RECORD` where samtools 1.16 fails instead of printing
   * (bad sizes, refID out of range, CIGAR/SEQ length mismatch, corrupt aux data); nothing is appended then.
   */
  append(rec: RecordView): void {
    if (this.addon) {
      for (;;) {
        const r = this.addon.samAppend(this.native, rec.bytes, rec.offset, this.sink.pos)
        if (r >= 0) {
          this.sink.pos = r
          return
        }
        if (r === NATIVE_E_RECORD || r !== NATIVE_E_ROOM) break // the code below names the error (or, were the ports to disagree, prints the line)
        this.reserve(this.sink.out.length - this.sink.pos + 1) // at least doubles it
      }
    }
    this.appendJs(rec)
  }

  /**
   * {@link SamWriter.append} for the records at `offsets[from..to)` of `data`,
   * in order: one native call for all of them with the native formatter.
   * Returns `to`, or the index in `offsets` of the first record that samtools
   * refuses; the lines before it are kept, and `append` of that record
   * throws the error that names it.
   */
  appendMany(data: Uint8Array, offsets: Int32Array, from: number, to: number): number {
    if (!this.addon) return this.appendManyJs(data, offsets, from, to)
    const state = this.state
    for (let i = from; i < to;) {
      const r = this.addon.samAppendMany(this.native, data, offsets, i, to, this.sink.pos, state)
      this.sink.pos = state[1]!
      if (r === 0) return to
      i = state[0]!
      if (r !== NATIVE_E_ROOM) return i
      this.reserve(this.sink.out.length - this.sink.pos + 1) // at least doubles it
    }
    return to
  }

  private appendManyJs(data: Uint8Array, offsets: Int32Array, from: number, to: number): number {
    const rec = new RecordView(data)
    for (let i = from; i < to; i++) {
      try {
        this.appendJs(rec.moveTo(offsets[i]!))
      } catch {
        return i
      }
    }
    return to
  }

  /** {@link SamWriter.append} in JavaScript. */
  private appendJs(rec: RecordView): void {
    const { view, offset: o } = rec
    const lName = view.getUint8(o + L_READ_NAME_OFFSET)
    const lSeq = view.getInt32(o + L_SEQ_OFFSET, true)
    const nCigar = view.getUint16(o + N_CIGAR_OP_OFFSET, true)
    const cigarAt = o + READ_NAME_OFFSET + lName
    const seqAt = cigarAt + CIGAR_OP_BYTES * nCigar
    const auxAt = seqAt + ((lSeq + 1) >> 1) + lSeq
    const end = o + BLOCK_SIZE_BYTES + rec.blockSize
    if (lName < 1 || lSeq < 0 || auxAt > end || end > rec.bytes.length) {
      throw new BamError('ERR_BAD_RECORD', 'corrupt BAM record: field sizes are inconsistent with block_size')
    }
    const start = this.sink.pos
    try {
      const cigar = cigarSource(rec, cigarAt, nCigar, lSeq, auxAt, end)
      this.reserve(lName + 2 * lSeq + 10 * cigar.n + AUX_EXPANSION * (end - auxAt) + 2 * this.longestName + FIXED_TEXT_BYTES)
      this.writeCore(rec, cigar, lSeq)
      writeSeqQual(this.sink, rec, seqAt, lSeq)
      writeAuxFields(this.sink, rec.bytes, view, auxAt, end, cigar.skip)
    } catch (e) {
      this.sink.pos = start
      throw e // the run gives it the file offset of the record's block: one number per offset
    }
    this.sink.out[this.sink.pos++] = NEWLINE
  }

  /** QNAME … TLEN, each followed by a tab. */
  private writeCore(rec: RecordView, cigar: CigarSource, lSeq: number): void {
    const { view, bytes, offset: o } = rec
    const sink = this.sink
    const refID = view.getInt32(o + REF_ID_OFFSET, true)
    const nextRefID = view.getInt32(o + NEXT_REF_ID_OFFSET, true)
    const n = this.names.length // samtools rejects ids outside [-1, n_ref) when reading (ERANGE)
    if (refID < -1 || refID >= n || nextRefID < -1 || nextRefID >= n) {
      throw new BamError('ERR_BAD_RECORD', `refID ${refID} or next_refID ${nextRefID} is outside [-1, ${n})`)
    }
    const nameAt = o + READ_NAME_OFFSET
    let nameEnd = nameAt + view.getUint8(o + L_READ_NAME_OFFSET)
    if (bytes[nameEnd - 1] === 0) nameEnd-- // htslib appends a NUL to a name stored without one
    copyBytes(sink, bytes, nameAt, nameEnd)
    sink.out[sink.pos++] = TAB
    writeInt(sink, view.getUint16(o + FLAG_OFFSET, true))
    sink.out[sink.pos++] = TAB
    this.writeRef(refID)
    writeInt(sink, view.getInt32(o + POS_OFFSET, true) + 1)
    sink.out[sink.pos++] = TAB
    writeInt(sink, view.getUint8(o + MAPQ_OFFSET))
    sink.out[sink.pos++] = TAB
    const unmapped = (view.getUint16(o + FLAG_OFFSET, true) & FUNMAP) !== 0
    writeCigar(sink, view, cigar, unmapped ? 0 : lSeq)
    this.writeRef(nextRefID >= 0 && nextRefID === refID ? SAME_REF : nextRefID)
    writeInt(sink, view.getInt32(o + NEXT_POS_OFFSET, true) + 1)
    sink.out[sink.pos++] = TAB
    writeInt(sink, view.getInt32(o + TLEN_OFFSET, true))
    sink.out[sink.pos++] = TAB
  }

  /** RNAME or RNEXT (`*` for -1, `=` for {@link SAME_REF}) and a tab. */
  private writeRef(refID: number): void {
    const sink = this.sink
    if (refID < 0) sink.out[sink.pos++] = refID === SAME_REF ? EQUALS : STAR
    else copyBytes(sink, this.names[refID]!, 0, this.names[refID]!.length)
    sink.out[sink.pos++] = TAB
  }

  /**
   * Makes room for `extra` more bytes, doubling the buffer (the outgrown one goes back to the buffer source).
   * Lines make their own room; a caller may make it up front when it knows about how much is coming.
   */
  reserve(extra: number): void {
    const need = this.sink.pos + extra
    if (need <= this.sink.out.length) return
    let size = this.sink.out.length * 2
    while (size < need) size *= 2
    const old = this.sink.out
    const out = this.buffers.take(size)
    out.set(old.subarray(0, this.sink.pos))
    this.bind(out, this.sink.pos)
    this.buffers.give(old)
  }

  /** Writes on into `out` from `pos`. */
  private bind(out: Uint8Array, pos: number): void {
    Object.assign(this.sink, textSink(out), { pos })
    if (this.addon) this.addon.samRebind(this.native, out)
  }
}

/** The names back to back. */
function joinNames(names: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(names.reduce((n, b) => n + b.length, 0))
  let at = 0
  for (const b of names) { out.set(b, at); at += b.length }
  return out
}

/** Reference name as bytes, up to its first NUL (htslib prints it with `kputs`). */
function encodeName(name: string): Uint8Array {
  const s = name.split('\0', 1)[0]!
  return /[^\x00-\xff]/.test(s) ? new TextEncoder().encode(s) : encodeLatin1(s)
}

/** SEQ, tab, QUAL (no tab after); a sink view and SWAR make these, the longest fields, 2 and 4 bytes per step. */
function writeSeqQual(sink: TextSink, rec: RecordView, seqAt: number, lSeq: number): void {
  if (lSeq === 0) return copyBytes(sink, NO_SEQ_QUAL, 0, NO_SEQ_QUAL.length)
  const { bytes, view } = rec
  const { out, view: outView } = sink
  const pairs = lSeq >> 1
  let p = sink.pos
  for (let i = 0; i < pairs; i++, p += 2) outView.setUint16(p, SEQ_PAIRS[bytes[seqAt + i]!]!, true)
  if (lSeq & 1) out[p++] = SEQ_PAIRS[bytes[seqAt + pairs]!]! & 0xff
  out[p++] = TAB
  const qualAt = seqAt + ((lSeq + 1) >> 1)
  if (bytes[qualAt] === QUAL_MISSING) out[p++] = STAR
  else {
    let i = 0
    for (; i + 4 <= lSeq; i += 4, p += 4) outView.setUint32(p, addQualOffset(view.getUint32(qualAt + i, true)), true)
    for (; i < lSeq; i++) out[p++] = bytes[qualAt + i]! + QUAL_OFFSET // wraps mod 256, as htslib's uint8_t add
  }
  sink.pos = p
}

/** Copies bytes[from, to) into the sink. */
function copyBytes(sink: TextSink, bytes: Uint8Array, from: number, to: number): void {
  const out = sink.out
  let p = sink.pos
  for (let i = from; i < to; i++) out[p++] = bytes[i]!
  sink.pos = p
}

/**
 * CIGAR (`*` when empty) and a tab. Like samtools, fails when `lSeq` > 0 (pass 0
 * for an unmapped record) and the ops consuming the query (M I S = X) do not sum to it.
 */
function writeCigar(sink: TextSink, view: DataView, cigar: CigarSource, lSeq: number): void {
  if (cigar.n === 0) sink.out[sink.pos++] = STAR
  let qlen = 0
  for (let i = 0; i < cigar.n; i++) {
    const op = view.getUint32(cigar.at + CIGAR_OP_BYTES * i, true)
    writeInt(sink, op >>> 4)
    sink.out[sink.pos++] = CIGAR_CODES[op & 0xf]!
    qlen += ((QUERY_OPS >> (op & 0xf)) & 1) * (op >>> 4)
  }
  sink.out[sink.pos++] = TAB
  if (lSeq > 0 && cigar.n > 0 && qlen !== lSeq) {
    throw new BamError('ERR_BAD_RECORD', `CIGAR and query sequence lengths differ (${qlen} vs ${lSeq})`)
  }
}

/**
 * The CIGAR samtools prints. Like htslib's `bam_tag2cigar` (run by every
 * BAM read), a placeholder CIGAR `<l_seq>S<ref_len>N` on a placed record
 * (refID ≥ 0, pos ≥ 0) is replaced by the first `CG:B:I`/`CG:B:i` tag holding
 * at least as many ops, and that tag is then left out of the aux fields.
 */
function cigarSource(rec: RecordView, at: number, n: number, lSeq: number, auxAt: number, end: number): CigarSource {
  const own = { at, n, skip: -1 }
  const { view, bytes, offset: o } = rec
  if (n === 0 || view.getInt32(o + REF_ID_OFFSET, true) < 0 || view.getInt32(o + POS_OFFSET, true) < 0) return own
  const first = view.getUint32(at, true)
  if ((first & 0xf) !== OP_SOFT_CLIP || first >>> 4 !== lSeq) return own
  for (let p = auxAt, len = 0; end - p >= TAG_HEAD_BYTES; p += len) {
    len = auxFieldLength(bytes, view, p, end) // validates the field before its count is trusted
    if (((bytes[p]! << 8) | bytes[p + 1]!) !== CG_KEY) continue
    const v = p + TAG_HEAD_BYTES
    const isUint32Array = bytes[p + TAG_BYTES] === TYPE_B && (bytes[v] === SUB_I || bytes[v] === SUB_i)
    const count = isUint32Array ? view.getUint32(v + B_COUNT_OFFSET, true) : 0
    return isUint32Array && count >= n && count < MAX_CG_OPS ? { at: v + B_ARRAY_HEAD_BYTES, n: count, skip: p } : own
  }
  return own
}

/**
 * Encodes a string one byte per character (Latin-1), the inverse of how the
 * header text and names are decoded, so header bytes round-trip exactly.
 *
 * @example
 * ```ts
 * process.stdout.write(encodeLatin1(formatHeader(header.text, header.references)))
 * ```
 */
export function encodeLatin1(s: string): Uint8Array {
  const bytes = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i)
  return bytes
}

/** A reference sequence of the binary header: name and `l_ref` (uint32, as stored). */
export interface SamReference { readonly name: string, readonly length: number }

/**
 * The header text as htslib 1.16 keeps it after reading a BAM
 * (`sam_hdr_sanitise`): up to the first NUL every line must start with `@`
 * (samtools refuses the file otherwise: `ERR_NOT_BAM` here); if that part does
 * not end with a newline, one is added, replacing the first NUL when there is
 * one. NUL padding is otherwise kept, and printed, as samtools prints it.
 *
 * @example
 * ```ts
 * sanitiseHeaderText('@HD\tVN:1.6') // '@HD\tVN:1.6\n'
 * ```
 */
export function sanitiseHeaderText(text: string): string {
  const nul = text.indexOf('\0')
  const stop = nul < 0 ? text.length : nul
  for (let i = 0, line = 1; i < stop; i++) {
    if (i > 0 && text.charCodeAt(i - 1) !== NEWLINE) continue
    if (text.charCodeAt(i) !== AT) throw new BamError('ERR_NOT_BAM', `malformed SAM header at line ${line}: it does not start with '@'`)
    line++
  }
  if (stop === 0 || text.charCodeAt(stop - 1) === NEWLINE) return text
  return `${text.slice(0, stop)}\n${text.slice(stop + 1)}`
}

/**
 * What `samtools view -h --no-PG` prints before the records: the sanitised
 * header text as stored (not normalised: order, spacing, CRLF and NUL padding
 * kept), plus `@SQ\tSN:<name>\tLN:<l_ref>` lines for all references when the
 * text (up to its first NUL) has no line starting `@SQ\t`. LN is printed as a
 * signed 32-bit integer, as htslib does. `text` and the result are Latin-1
 * (one char per byte): write the result with {@link encodeLatin1}.
 *
 * @example
 * ```ts
 * formatHeader('@CO\tx\n', [{ name: 'chr1', length: 1000 }])
 * // '@CO\tx\n@SQ\tSN:chr1\tLN:1000\n'
 * ```
 */
export function formatHeader(text: string, refs: readonly SamReference[]): string {
  const clean = sanitiseHeaderText(text)
  const nul = clean.indexOf('\0')
  const visible = nul < 0 ? clean : clean.slice(0, nul)
  if (visible.startsWith('@SQ\t') || visible.includes('\n@SQ\t')) return clean
  const lines = refs.map((r) => `@SQ\tSN:${r.name.split('\0', 1)[0]}\tLN:${r.length | 0}\n`)
  return clean + lines.join('')
}
