/**
 * BGZF block layout, SAMv1 §4.1 "The BGZF compression format":
 * a gzip member (RFC 1952) whose FEXTRA field holds a `BC` subfield giving BSIZE,
 * the total block size minus 1.
 */
import { BamError } from '../errors.js'

/** ID1, ID2: gzip magic, §4.1 */
export const GZIP_ID1 = 31
export const GZIP_ID2 = 139
/** CM = 8 (deflate), §4.1 */
export const GZIP_CM_DEFLATE = 8
/** FLG.FEXTRA bit, RFC 1952 §2.3.1 */
export const GZIP_FLG_FEXTRA = 4

/** Offsets within the fixed gzip header, §4.1 */
export const ID1_OFFSET = 0
export const ID2_OFFSET = 1
export const CM_OFFSET = 2
export const FLG_OFFSET = 3
/** XLEN: uint16, §4.1 */
export const XLEN_OFFSET = 10
/** First extra subfield, §4.1 */
export const EXTRA_OFFSET = 12
/** Subfield identifiers SI1 = 66 ('B'), SI2 = 67 ('C'), SLEN = 2, §4.1 */
export const BC_SI1 = 66
export const BC_SI2 = 67
export const BC_SLEN = 2
/** Bytes after the compressed data: CRC32 then ISIZE, both uint32, §4.1 */
export const TRAILER_BYTES = 8
/** A BGZF block never inflates to more than 65536 bytes, §4.1 */
export const MAX_BLOCK_ISIZE = 65536
/** Largest block: BSIZE is uint16, so BSIZE + 1 ≤ 65536, §4.1 */
export const MAX_BLOCK_SIZE = 65536

/** The 28-byte end-of-file marker block, §4.1.2 */
export const EOF_BLOCK = new Uint8Array([
  0x1f, 0x8b, 0x08, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x06, 0x00, 0x42, 0x43, 0x02, 0x00,
  0x1b, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
])

/** Bytes needed to read XLEN. */
export const FIXED_HEADER_BYTES = EXTRA_OFFSET

/**
 * Reads the total size of the BGZF block starting at `pos` in `buf`
 * (BSIZE + 1), or returns -1 if more bytes are needed to know it.
 * Throws `ERR_NOT_BGZF` when the bytes are not a BGZF block header.
 *
 * @param fileOffset - the file offset of `buf[pos]`, for the error message.
 * @example
 * ```ts
 * blockSize(EOF_BLOCK, 0, 0) // 28
 * ```
 */
export function blockSize(buf: Uint8Array, pos: number, fileOffset: number): number {
  const avail = buf.length - pos
  checkFixedHeader(buf, pos, Math.min(avail, FIXED_HEADER_BYTES), fileOffset)
  if (avail < FIXED_HEADER_BYTES) return -1
  const xlen = buf[pos + XLEN_OFFSET]! | (buf[pos + XLEN_OFFSET + 1]! << 8)
  if (avail < EXTRA_OFFSET + xlen) return -1
  const bsize = findBsize(buf, pos + EXTRA_OFFSET, xlen)
  if (bsize < 0) throw new BamError('ERR_NOT_BGZF', 'not a BGZF file: no BC extra subfield', fileOffset)
  const size = bsize + 1
  if (size < EXTRA_OFFSET + xlen + TRAILER_BYTES) {
    throw new BamError('ERR_NOT_BGZF', `BGZF block size ${size} is smaller than its own header`, fileOffset)
  }
  return size
}

/** Checks as much of the fixed gzip header as is present (`avail` bytes), so that non-BGZF input fails at once. */
function checkFixedHeader(buf: Uint8Array, pos: number, avail: number, fileOffset: number): void {
  if ((avail > ID1_OFFSET && buf[pos + ID1_OFFSET] !== GZIP_ID1) || (avail > ID2_OFFSET && buf[pos + ID2_OFFSET] !== GZIP_ID2)) {
    throw new BamError('ERR_NOT_BGZF', 'not a BGZF file: bad gzip magic', fileOffset)
  }
  if ((avail > CM_OFFSET && buf[pos + CM_OFFSET] !== GZIP_CM_DEFLATE) || (avail > FLG_OFFSET && (buf[pos + FLG_OFFSET]! & GZIP_FLG_FEXTRA) === 0)) {
    throw new BamError('ERR_NOT_BGZF', 'not a BGZF file: gzip member without the FEXTRA field', fileOffset)
  }
}

/** Walks the extra subfields (SI1, SI2, SLEN, data) looking for `BC`; returns BSIZE or -1. */
function findBsize(buf: Uint8Array, start: number, xlen: number): number {
  let p = start
  const end = start + xlen
  while (p + 4 <= end) {
    const slen = buf[p + 2]! | (buf[p + 3]! << 8)
    if (buf[p] === BC_SI1 && buf[p + 1] === BC_SI2 && slen === BC_SLEN && p + 6 <= end) {
      return buf[p + 4]! | (buf[p + 5]! << 8)
    }
    p += 4 + slen
  }
  return -1
}

/** ISIZE of a complete block: its last 4 bytes, little-endian uint32, §4.1 */
export function blockIsize(buf: Uint8Array, pos: number, size: number): number {
  const p = pos + size - 4
  return (buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24)) >>> 0
}

/** True if the `size` bytes at `pos` are exactly the EOF marker block. */
export function isEofBlock(buf: Uint8Array, pos: number, size: number): boolean {
  if (size !== EOF_BLOCK.length) return false
  for (let i = 0; i < size; i++) if (buf[pos + i] !== EOF_BLOCK[i]) return false
  return true
}

/**
 * Offset, within a run of whole blocks, of the block holding decompressed byte
 * `u` of the run (clamped to the first and last block).
 *
 * @example
 * ```ts
 * blockOffsetOf(chunkBytes, blockSizes, 70000) // offset of the second block when the first inflates to 65280 bytes
 * ```
 */
export function blockOffsetOf(bytes: Uint8Array, blockSizes: ArrayLike<number>, u: number): number {
  let src = 0
  let dst = 0
  for (let i = 0; i < blockSizes.length; i++) {
    const size = blockSizes[i]!
    if (src + size > bytes.length) break
    dst += blockIsize(bytes, src, size)
    if (u < dst || i === blockSizes.length - 1) return src
    src += size
  }
  return 0
}

/**
 * {@link blockOffsetOf} from the blocks' ISIZE fields instead of their bytes:
 * offset, within a run of whole blocks, of the block holding decompressed
 * byte `u` of the run (clamped to the first and last block).
 *
 * @example
 * ```ts
 * blockOffsetAt([65280, 65280], [20000, 21000], 70000) // 20000: the second block
 * ```
 */
export function blockOffsetAt(isizes: ArrayLike<number>, blockSizes: ArrayLike<number>, u: number): number {
  let src = 0
  let dst = 0
  for (let i = 0; i < blockSizes.length; i++) {
    dst += isizes[i]!
    if (u < dst || i === blockSizes.length - 1) return src
    src += blockSizes[i]!
  }
  return 0
}
