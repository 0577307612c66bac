/**
 * Inflating BGZF blocks with their CRC32 and ISIZE verified (SAMv1 §4.1).
 * The {@link Inflater} interface hides which decompressor does the work:
 * node:zlib here, libdeflate's native addon in `inflate-native.ts`;
 * `inflate-select.ts` picks one. (The WebAssembly and pako candidates the
 * benchmarks compare live in bench/inflaters/.)
 */
import { createRequire } from 'node:module'
import { BamError } from '../errors.js'
import { EXTRA_OFFSET, MAX_BLOCK_ISIZE, TRAILER_BYTES, XLEN_OFFSET } from './block.js'

/** node:zlib, loaded on first use: with the native inflater built it is never needed, and loading it costs start-up time. */
let zlibModule: typeof import('node:zlib') | undefined
const zlib = (): typeof import('node:zlib') => (zlibModule ??= createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib'))

/** A decompressor for runs of whole BGZF blocks. */
export interface Inflater {
  /** Short name shown by benchmarks. */
  readonly name: string
  /**
   * Inflates the consecutive whole BGZF blocks in `compressed` into one buffer
   * of exactly `isize` bytes, verifying each block's CRC32 and ISIZE.
   *
   * @param blockSizes - on-disk size of each block, in order.
   * @param coffset - file offset of `compressed[0]`, for error messages.
   * @param out - optional scratch buffer of at least `isize` bytes. An inflater
   *   may write into it and return a view of its first `isize` bytes (so the
   *   result is valid only until the caller reuses `out`), or ignore it.
   */
  inflate(compressed: Uint8Array, blockSizes: ArrayLike<number>, isize: number, coffset: number, out?: Uint8Array): Uint8Array
}

/**
 * node:zlib, whole chunk at once: gunzip walks every gzip member in one native
 * call and checks each member's CRC32 and ISIZE itself. On failure the chunk is
 * inflated again block by block to name the bad block's offset.
 *
 * @example
 * ```ts
 * const data = zlibInflater.inflate(bytes, [bytes.length], isize, 0)
 * ```
 */
export const zlibInflater: Inflater = {
  name: 'node:zlib',
  inflate(compressed, blockSizes, isize, coffset) {
    if (isize === 0) {
      inflateBlocks(compressed, blockSizes, 0, coffset)
      return new Uint8Array(0)
    }
    let out: Uint8Array
    try {
      out = zlib().gunzipSync(compressed, { chunkSize: Math.max(isize + 64, 1024), maxOutputLength: isize + 1 })
    } catch {
      return inflateBlocks(compressed, blockSizes, isize, coffset) // throws the precise error
    }
    if (out.length !== isize) return inflateBlocks(compressed, blockSizes, isize, coffset)
    return out
  },
}

/** node:zlib, one block per call, CRC32 checked with `zlib.crc32`. Slower; used to locate errors. */
export const blockwiseInflater: Inflater = {
  name: 'node:zlib blockwise',
  inflate: inflateBlocks,
}

function inflateBlocks(compressed: Uint8Array, blockSizes: ArrayLike<number>, isize: number, coffset: number, scratch?: Uint8Array): Uint8Array {
  const out = scratch && scratch.length >= isize ? scratch.subarray(0, isize) : new Uint8Array(isize)
  let src = 0
  let dst = 0
  for (let i = 0; i < blockSizes.length; i++) {
    const size = blockSizes[i]!
    const block = compressed.subarray(src, src + size)
    dst += inflateBlock(block, out, dst, coffset + src)
    src += size
  }
  if (dst !== isize) {
    throw new BamError('ERR_BGZF_ISIZE', `chunk inflated to ${dst} bytes, expected ${isize}`, coffset)
  }
  return out
}

/**
 * Inflates one whole BGZF block into `out` at `at`, verifying CRC32 and ISIZE.
 * Returns the number of bytes written.
 */
export function inflateBlock(block: Uint8Array, out: Uint8Array, at: number, coffset: number): number {
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength)
  const xlen = view.getUint16(XLEN_OFFSET, true)
  const trailer = block.length - TRAILER_BYTES
  const crc = view.getUint32(trailer, true)
  const isize = view.getUint32(trailer + 4, true)
  let data: Uint8Array
  try {
    data = zlib().inflateRawSync(block.subarray(EXTRA_OFFSET + xlen, trailer))
  } catch (e) {
    throw new BamError('ERR_BGZF_INFLATE', `corrupt deflate data in BGZF block: ${(e as Error).message}`, coffset)
  }
  if (data.length !== isize) {
    throw new BamError('ERR_BGZF_ISIZE', `BGZF block inflated to ${data.length} bytes, but its ISIZE says ${isize}`, coffset)
  }
  const actual = zlib().crc32(data) >>> 0
  if (actual !== crc) {
    throw new BamError('ERR_BGZF_CRC', `CRC32 mismatch in BGZF block: stored ${hex(crc)}, computed ${hex(actual)}`, coffset)
  }
  if (at + isize > out.length) {
    throw new BamError('ERR_BGZF_ISIZE', `BGZF block ISIZE ${isize} overruns the chunk`, coffset)
  }
  out.set(data, at)
  return isize
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`
}

/**
 * Inflates one whole BGZF block as htslib does (bgzf.c `inflate_block`): the
 * CRC32 is checked, the ISIZE field is not (the data's own length is used),
 * and no block may inflate to more than 65536 bytes.
 *
 * @example
 * ```ts
 * const data = inflateBlockIgnoringIsize(block, coffset)
 * ```
 */
export function inflateBlockIgnoringIsize(block: Uint8Array, coffset: number): Uint8Array {
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength)
  const xlen = view.getUint16(XLEN_OFFSET, true)
  const trailer = block.length - TRAILER_BYTES
  let data: Uint8Array
  try {
    data = zlib().inflateRawSync(block.subarray(EXTRA_OFFSET + xlen, trailer), { maxOutputLength: MAX_BLOCK_ISIZE })
  } catch (e) {
    throw new BamError('ERR_BGZF_INFLATE', `corrupt deflate data in BGZF block: ${(e as Error).message}`, coffset)
  }
  const crc = view.getUint32(trailer, true)
  const actual = zlib().crc32(data) >>> 0
  if (actual !== crc) throw new BamError('ERR_BGZF_CRC', `CRC32 mismatch in BGZF block: stored ${hex(crc)}, computed ${hex(actual)}`, coffset)
  return data
}

/**
 * Inflates a run of whole BGZF blocks ignoring their ISIZE fields, as htslib
 * does: used when a chunk's inflated size differs from the sum of its ISIZEs
 * but every block's data and CRC32 are sound.
 *
 * @example
 * ```ts
 * const data = inflateIgnoringIsize(compressed, blockSizes, coffset)
 * ```
 */
export function inflateIgnoringIsize(compressed: Uint8Array, blockSizes: ArrayLike<number>, coffset: number): Uint8Array {
  const parts: Uint8Array[] = []
  let total = 0
  for (let i = 0, src = 0; i < blockSizes.length; src += blockSizes[i]!, i++) {
    const data = inflateBlockIgnoringIsize(compressed.subarray(src, src + blockSizes[i]!), coffset + src)
    parts.push(data)
    total += data.length
  }
  const out = new Uint8Array(total)
  for (let i = 0, at = 0; i < parts.length; at += parts[i]!.length, i++) out.set(parts[i]!, at)
  return out
}
