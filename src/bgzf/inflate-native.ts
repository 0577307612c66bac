/**
 * libdeflate in C (and Intel's ISA-L, where its headers were present at build
 * time), through the optional N-API addon in `native/` (built at install time
 * when Debian's libdeflate-dev headers are present). One call
 * inflates a whole chunk into one buffer and checks every block's CRC32 and
 * ISIZE (SAMv1 §4.1). When the addon is absent, {@link loadNativeInflater}
 * returns null and callers fall back to node:zlib.
 */
import { BamError, type BamErrorCode } from '../errors.js'
import type { Inflater } from './inflate.js'
import { loadAddon } from './native.js'

export { nativeAddonPath } from './native.js'

/** Error codes of native/bgzf.c (BGZF_E_*). */
const E_INFLATE = 1
const E_ISIZE = 2
const E_CRC = 3
const E_OVERRUN = 4

/**
 * The native inflater, or null when the addon is not built. Where the addon
 * was built with ISA-L, each block is inflated by ISA-L's igzip first and
 * accepted when its size and CRC32 are right; libdeflate inflates the others
 * and decides their outcome, so that data and errors are libdeflate's (and
 * htslib's, which inflates with libdeflate). `libdeflateOnly` leaves ISA-L out
 * (`BAMSTREAM_INFLATE=libdeflate`).
 *
 * @example
 * ```ts
 * const inflater = loadNativeInflater() ?? zlibInflater
 * const data = inflater.inflate(bytes, blockSizes, isize, coffset)
 * ```
 */
export function loadNativeInflater(libdeflateOnly = false): Inflater | null {
  const a = loadAddon()
  if (!a) return null
  const status = new Int32Array(3)
  const isal = a.isal === true && !libdeflateOnly
  return {
    name: isal ? 'ISA-L igzip + libdeflate (native)' : 'libdeflate (native)',
    inflate(compressed, blockSizes, isize, coffset, out) {
      const sizes = blockSizes instanceof Uint32Array ? blockSizes : Uint32Array.from(blockSizes)
      const target = out && out.length >= isize ? out.subarray(0, isize) : new Uint8Array(isize)
      const written = a.inflate(compressed, sizes, target, status, !isal)
      if (written < 0) throw nativeError(-written, status, sizes, coffset)
      if (written !== isize) {
        throw new BamError('ERR_BGZF_ISIZE', `chunk inflated to ${written} bytes, expected ${isize}`, coffset)
      }
      return target
    },
  }
}

/** libdeflate's CRC-32 through the addon, or null when it is not built. */
export function nativeCrc32(): ((data: Uint8Array) => number) | null {
  const a = loadAddon()
  return a ? (data) => a.crc32(data) : null
}

function nativeError(code: number, status: Int32Array, sizes: Uint32Array, coffset: number): BamError {
  const [block, a, b] = [status[0]!, status[1]!, status[2]!]
  let at = coffset
  for (let i = 0; i < block; i++) at += sizes[i]!
  const fail = (c: BamErrorCode, message: string): BamError => new BamError(c, message, at)
  switch (code) {
    case E_INFLATE: return fail('ERR_BGZF_INFLATE', `corrupt deflate data in BGZF block (libdeflate result ${a})`)
    case E_ISIZE: return fail('ERR_BGZF_ISIZE', `BGZF block inflated to ${a < 0 ? `more than ${b >>> 0}` : a} bytes, but its ISIZE says ${b >>> 0}`)
    case E_CRC: return fail('ERR_BGZF_CRC', `CRC32 mismatch in BGZF block: stored ${hex(a)}, computed ${hex(b)}`)
    case E_OVERRUN: return fail('ERR_BGZF_ISIZE', `BGZF block ISIZE ${b >>> 0} overruns the chunk`)
    default: return fail('ERR_BGZF_INFLATE', 'BGZF block is shorter than its header and trailer, or the block sizes overrun the chunk')
  }
}

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`
}
