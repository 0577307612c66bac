/**
 * pako: portable, pure-JavaScript inflate (no native code, no WebAssembly).
 * Slowest of the inflaters; kept for comparison and for runtimes without
 * node:zlib. Loaded only if the `pako` package is installed.
 */
import zlib from 'node:zlib'
import { createRequire } from 'node:module'
import { BamError } from '../../src/errors.js'
import { EXTRA_OFFSET, TRAILER_BYTES, XLEN_OFFSET } from '../../src/bgzf/block.js'
import type { Inflater } from '../../src/bgzf/inflate.js'

/** The part of pako's API used here. */
interface Pako {
  inflateRaw(data: Uint8Array): Uint8Array
}

/**
 * The pako inflater, or null when pako is not installed.
 *
 * @example
 * ```ts
 * const pako = loadPakoInflater()
 * if (pako) pako.inflate(bytes, blockSizes, isize, coffset)
 * ```
 */
export function loadPakoInflater(): Inflater | null {
  let pako: Pako
  try {
    pako = createRequire(import.meta.url)('pako') as Pako
  } catch {
    return null
  }
  return {
    name: 'pako',
    inflate(compressed, blockSizes, isize, coffset, scratch) {
      const out = scratch && scratch.length >= isize ? scratch.subarray(0, isize) : new Uint8Array(isize)
      const view = new DataView(compressed.buffer, compressed.byteOffset, compressed.byteLength)
      let src = 0
      let dst = 0
      for (let i = 0; i < blockSizes.length; i++) {
        const size = blockSizes[i]!
        dst += inflateOne(pako, compressed, view, src, size, out, dst, coffset + src)
        src += size
      }
      if (dst !== isize) throw new BamError('ERR_BGZF_ISIZE', `chunk inflated to ${dst} bytes, expected ${isize}`, coffset)
      return out
    },
  }
}

function inflateOne(pako: Pako, bytes: Uint8Array, view: DataView, pos: number, size: number, out: Uint8Array, at: number, coffset: number): number {
  const xlen = view.getUint16(pos + XLEN_OFFSET, true)
  const trailer = pos + size - TRAILER_BYTES
  const crc = view.getUint32(trailer, true)
  const isize = view.getUint32(trailer + 4, true)
  let data: Uint8Array | undefined
  try {
    data = pako.inflateRaw(bytes.subarray(pos + EXTRA_OFFSET + xlen, trailer))
  } catch (e) {
    throw new BamError('ERR_BGZF_INFLATE', `corrupt deflate data in BGZF block: ${String(e)}`, coffset)
  }
  if (!data) throw new BamError('ERR_BGZF_INFLATE', 'corrupt deflate data in BGZF block: the stream ends early', coffset)
  if (data.length !== isize) {
    throw new BamError('ERR_BGZF_ISIZE', `BGZF block inflated to ${data.length} bytes, but its ISIZE says ${isize}`, coffset)
  }
  if ((zlib.crc32(data) >>> 0) !== crc) throw new BamError('ERR_BGZF_CRC', 'CRC32 mismatch in BGZF block', coffset)
  if (at + isize > out.length) throw new BamError('ERR_BGZF_ISIZE', `BGZF block ISIZE ${isize} overruns the chunk`, coffset)
  out.set(data, at)
  return isize
}
