/**
 * Writing BGZF, SAMv1 §4.1 "The BGZF compression format": each block is a gzip
 * member (RFC 1952) whose FEXTRA field holds one `BC` subfield with BSIZE (the
 * total block size minus 1), raw deflate data, then CRC32 and ISIZE. A file ends
 * with the 28-byte EOF marker block (§4.1.2).
 */
import zlib from 'node:zlib'
import { joinBytes } from '../bytes.js'
import { BamError } from '../errors.js'
import {
  BC_SI1, BC_SI2, BC_SLEN, CM_OFFSET, EOF_BLOCK, EXTRA_OFFSET, FLG_OFFSET, GZIP_CM_DEFLATE,
  GZIP_FLG_FEXTRA, GZIP_ID1, GZIP_ID2, ID1_OFFSET, ID2_OFFSET, MAX_BLOCK_SIZE, TRAILER_BYTES, XLEN_OFFSET,
} from './block.js'

/**
 * Most uncompressed bytes put in one block: 0xff00, as htslib's BGZF_BLOCK_SIZE,
 * so that even incompressible data stored by deflate fits the 64 KiB limit on a
 * whole block (BSIZE is a uint16, §4.1).
 */
export const MAX_BLOCK_DATA = 0xff00
/** XLEN = 6: exactly one extra subfield, `BC`, with SLEN = 2, §4.1 */
export const BGZF_XLEN = 6
/** Bytes before CDATA: the fixed gzip header and the BC subfield, §4.1 */
export const BGZF_HEADER_BYTES = EXTRA_OFFSET + BGZF_XLEN
/** MTIME: uint32, 0 = no time stamp, §4.1 */
const MTIME_OFFSET = 4
/** XFL: uint8, 0, §4.1 */
const XFL_OFFSET = 8
/** OS: uint8, 255 = unknown, §4.1 */
const OS_OFFSET = 9
const OS_UNKNOWN = 255
/** SI1, SI2: uint8 each, the subfield identifier `BC`, §4.1 */
const SI1_OFFSET = EXTRA_OFFSET
const SI2_OFFSET = EXTRA_OFFSET + 1
/** SLEN: uint16, §4.1 */
const SLEN_OFFSET = EXTRA_OFFSET + 2
/** BSIZE: uint16, total block size minus 1, §4.1 */
export const BSIZE_OFFSET = EXTRA_OFFSET + 4
/** CRC32: uint32, first field of the trailer, §4.1 */
const CRC32_IN_TRAILER = 0
/** ISIZE: uint32, uncompressed length, second field of the trailer, §4.1 */
const ISIZE_IN_TRAILER = 4
/** zlib's default compression level, as samtools writes by default. */
export const DEFAULT_LEVEL = 6
/** Deflate level 0: stored, never bigger than the input plus a few bytes. */
const STORED_LEVEL = 0

/** Options of {@link BgzfWriter} and {@link bgzfCompress}. */
export interface BgzfWriterOptions {
  /** zlib level, -1 to 9 (default 6). */
  level?: number
  /** Uncompressed bytes per full block, 1 to {@link MAX_BLOCK_DATA} (default: the maximum). Small values force many blocks. */
  blockSize?: number
}

const NO_BLOCKS: readonly Uint8Array[] = Object.freeze([])

/**
 * Compresses `data` (at most {@link MAX_BLOCK_DATA} bytes) into one whole BGZF block.
 * If the deflated data would not fit in a block it is stored (level 0) instead.
 *
 * @example
 * ```ts
 * const block = compressBlock(new TextEncoder().encode('hello'))
 * block[0] === 0x1f // gzip ID1
 * ```
 */
export function compressBlock(data: Uint8Array, level: number = DEFAULT_LEVEL): Uint8Array {
  if (data.length > MAX_BLOCK_DATA) {
    throw new BamError('ERR_OPTION', `BGZF block data is ${data.length} bytes, expected at most ${MAX_BLOCK_DATA}`)
  }
  checkLevel(level)
  let cdata = zlib.deflateRawSync(data, { level })
  if (BGZF_HEADER_BYTES + cdata.length + TRAILER_BYTES > MAX_BLOCK_SIZE) {
    cdata = zlib.deflateRawSync(data, { level: STORED_LEVEL })
  }
  const size = BGZF_HEADER_BYTES + cdata.length + TRAILER_BYTES
  if (size > MAX_BLOCK_SIZE) {
    throw new BamError('ERR_OUTPUT', `BGZF block would be ${size} bytes, expected at most ${MAX_BLOCK_SIZE}`)
  }
  return assembleBlock(cdata, zlib.crc32(data) >>> 0, data.length)
}

function checkLevel(level: number): void {
  if (!Number.isInteger(level) || level < -1 || level > 9) {
    throw new BamError('ERR_OPTION', `compression level must be an integer from -1 to 9, got ${level}`)
  }
}

/** Lays out header, BC subfield, CDATA and trailer, §4.1 */
function assembleBlock(cdata: Uint8Array, crc: number, isize: number): Uint8Array {
  const size = BGZF_HEADER_BYTES + cdata.length + TRAILER_BYTES
  const block = new Uint8Array(size)
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength)
  view.setUint8(ID1_OFFSET, GZIP_ID1)
  view.setUint8(ID2_OFFSET, GZIP_ID2)
  view.setUint8(CM_OFFSET, GZIP_CM_DEFLATE)
  view.setUint8(FLG_OFFSET, GZIP_FLG_FEXTRA)
  view.setUint32(MTIME_OFFSET, 0, true)
  view.setUint8(XFL_OFFSET, 0)
  view.setUint8(OS_OFFSET, OS_UNKNOWN)
  view.setUint16(XLEN_OFFSET, BGZF_XLEN, true)
  view.setUint8(SI1_OFFSET, BC_SI1)
  view.setUint8(SI2_OFFSET, BC_SI2)
  view.setUint16(SLEN_OFFSET, BC_SLEN, true)
  view.setUint16(BSIZE_OFFSET, size - 1, true)
  block.set(cdata, BGZF_HEADER_BYTES)
  const trailer = size - TRAILER_BYTES
  view.setUint32(trailer + CRC32_IN_TRAILER, crc, true)
  view.setUint32(trailer + ISIZE_IN_TRAILER, isize, true)
  return block
}

/**
 * Cuts a byte stream into BGZF blocks. `write` returns the blocks it completed;
 * `end` returns the last partial block followed by the EOF marker block.
 * Records may straddle blocks, as the format allows; use {@link BgzfWriter.room}
 * and {@link BgzfWriter.flush} to keep a record in one block, as htslib does.
 *
 * @example
 * ```ts
 * const w = new BgzfWriter({ level: 1 })
 * const blocks = [...w.write(bytes), w.end()] // write each to the file in order
 * ```
 */
export class BgzfWriter {
  /** zlib level used for every block. */
  readonly level: number
  /** Uncompressed bytes per full block. */
  readonly blockSize: number
  /** Uncompressed bytes accepted so far. */
  bytesIn = 0
  /** Compressed bytes returned so far, EOF block included. */
  bytesOut = 0
  /** Blocks returned so far, EOF block included. */
  blocks = 0
  private readonly buf: Uint8Array
  private fill = 0
  private ended = false

  constructor(opts: BgzfWriterOptions = {}) {
    this.level = opts.level ?? DEFAULT_LEVEL
    this.blockSize = opts.blockSize ?? MAX_BLOCK_DATA
    checkLevel(this.level)
    if (!Number.isInteger(this.blockSize) || this.blockSize < 1 || this.blockSize > MAX_BLOCK_DATA) {
      throw new BamError('ERR_OPTION', `BGZF block size must be an integer from 1 to ${MAX_BLOCK_DATA}, got ${this.blockSize}`)
    }
    this.buf = new Uint8Array(this.blockSize)
  }

  /** Bytes buffered for the current, not yet emitted block. */
  get pending(): number { return this.fill }

  /** Bytes that still fit in the current block before it is emitted. */
  get room(): number { return this.blockSize - this.fill }

  /** Buffers `bytes`; returns the blocks it completed (often none), to be written in order. */
  write(bytes: Uint8Array): readonly Uint8Array[] {
    this.assertOpen()
    let out = NO_BLOCKS as Uint8Array[]
    let p = 0
    while (p < bytes.length) {
      const n = Math.min(this.blockSize - this.fill, bytes.length - p)
      if (this.fill === 0 && n === this.blockSize) {
        out = append(out, this.emit(bytes.subarray(p, p + n))) // whole block straight from the input
      } else {
        this.buf.set(bytes.subarray(p, p + n), this.fill)
        this.fill += n
        if (this.fill === this.blockSize) out = append(out, this.emitBuffered())
      }
      p += n
    }
    this.bytesIn += bytes.length
    return out
  }

  /** Ends the current block early (a forced block boundary): returns it, or nothing if it is empty. */
  flush(): readonly Uint8Array[] {
    this.assertOpen()
    return this.fill > 0 ? [this.emitBuffered()] : NO_BLOCKS
  }

  /** Flushes, then returns a block holding zero bytes (identical to the EOF marker), as some writers leave mid-file. */
  emptyBlock(): readonly Uint8Array[] {
    const out = [...this.flush()]
    out.push(this.emit(new Uint8Array(0)))
    return out
  }

  /** Returns the last partial block (if any) followed by the EOF marker block, as one buffer. No writes after this. */
  end(): Uint8Array {
    const last = this.flush()
    this.ended = true
    this.bytesOut += EOF_BLOCK.length
    this.blocks++
    return joinBytes([...last, EOF_BLOCK])
  }

  private emitBuffered(): Uint8Array {
    const block = this.emit(this.buf.subarray(0, this.fill))
    this.fill = 0
    return block
  }

  private emit(data: Uint8Array): Uint8Array {
    const block = compressBlock(data, this.level)
    this.bytesOut += block.length
    this.blocks++
    return block
  }

  private assertOpen(): void {
    if (this.ended) throw new BamError('ERR_OUTPUT', 'BGZF writer already ended')
  }
}

function append(list: Uint8Array[], block: Uint8Array): Uint8Array[] {
  if (list === NO_BLOCKS) return [block]
  list.push(block)
  return list
}

/**
 * Compresses `data` into a complete BGZF stream: full blocks, the last partial
 * block and the EOF marker block.
 *
 * @example
 * ```ts
 * const bgzf = bgzfCompress(new Uint8Array(200_000), { blockSize: 1000 })
 * zlib.gunzipSync(bgzf).length // 200000
 * ```
 */
export function bgzfCompress(data: Uint8Array, opts: BgzfWriterOptions = {}): Uint8Array {
  const w = new BgzfWriter(opts)
  const blocks = w.write(data)
  return joinBytes([...blocks, w.end()])
}
