/**
 * libdeflate in C, through the optional N-API addon in `native/` (built by
 * `npm run prepare` when Debian's libdeflate-dev headers are present). One call
 * inflates a whole chunk into one buffer and checks every block's CRC32 and
 * ISIZE (SAMv1 §4.1). When the addon is absent, {@link loadNativeInflater}
 * returns null and callers fall back to node:zlib.
 */
import fs from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { BamError, type BamErrorCode } from '../errors.js'
import type { Inflater } from './inflate.js'

/** The addon's exports (native/bgzf_inflate.c). */
interface Addon {
  /** Returns bytes written, or a negated error code with `status` = [block index, detail, detail]. */
  inflate(compressed: Uint8Array, blockSizes: Uint32Array, out: Uint8Array, status: Int32Array): number
  crc32(data: Uint8Array, initial?: number): number
}

/** Error codes of native/bgzf_inflate.c (BGZF_E_*). */
const E_INFLATE = 1
const E_ISIZE = 2
const E_CRC = 3
const E_OVERRUN = 4

/** Where the compiled addon may be, relative to this module (src/bgzf or dist/src/bgzf). */
const CANDIDATES = ['../../native/build/Release/bgzf_inflate.node', '../../../native/build/Release/bgzf_inflate.node']

let addon: Addon | null | undefined

/** Path of the compiled addon, or null when it was not built. */
export function nativeAddonPath(): string | null {
  for (const rel of CANDIDATES) {
    const file = fileURLToPath(new URL(rel, import.meta.url))
    if (fs.existsSync(file)) return file
  }
  return null
}

function loadAddon(): Addon | null {
  if (addon !== undefined) return addon
  addon = null
  const file = nativeAddonPath()
  if (!file) return null
  try {
    addon = createRequire(import.meta.url)(file) as Addon
  } catch {
    addon = null // built for another Node ABI or libdeflate missing at run time: fall back
  }
  return addon
}

/**
 * The native libdeflate inflater, or null when the addon is not built.
 *
 * @example
 * ```ts
 * const inflater = loadNativeInflater() ?? zlibInflater
 * const data = inflater.inflate(bytes, blockSizes, isize, coffset)
 * ```
 */
export function loadNativeInflater(): Inflater | null {
  const a = loadAddon()
  if (!a) return null
  const status = new Int32Array(3)
  return {
    name: 'libdeflate (native)',
    inflate(compressed, blockSizes, isize, coffset, out) {
      const sizes = blockSizes instanceof Uint32Array ? blockSizes : Uint32Array.from(blockSizes)
      const target = out && out.length >= isize ? out.subarray(0, isize) : new Uint8Array(isize)
      const written = a.inflate(compressed, sizes, target, status)
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
