/**
 * Choosing the {@link Inflater}. Measured on the 2-core benchmark machine
 * (bench/inflate.bench.ts, README "Benchmarks"): libdeflate in C is 1.6–2.2×
 * node:zlib, libdeflate in WebAssembly 0.8–1.1× node:zlib, pako about a third
 * of it. So the default is the native addon when it was built, else node:zlib.
 * The WebAssembly and pako inflaters are benchmark candidates only
 * (bench/inflaters/). `BAMSTREAM_INFLATE=native|libdeflate|zlib|blockwise` overrides the
 * choice (benchmarks, debugging); the workers read it too.
 */
import { blockwiseInflater, inflateBlockIgnoringIsize, zlibInflater, type Inflater } from './inflate.js'
import { loadNativeInflater } from './inflate-native.js'
import { EXTRA_OFFSET, MAX_BLOCK_ISIZE, TRAILER_BYTES } from './block.js'
import { BamError } from '../errors.js'

/** Names accepted by {@link loadInflater} and `BAMSTREAM_INFLATE`. */
export const INFLATER_NAMES = ['native', 'libdeflate', 'zlib', 'blockwise'] as const

let fastest: Inflater | undefined
/** The native inflater, loaded once (null: not built). */
let native: Inflater | null | undefined

function nativeInflater(): Inflater | null {
  if (native === undefined) native = loadNativeInflater()
  return native
}

/** ISIZE, the last field of a BGZF block: its bytes from the block's end (SAMv1 §4.1). */
const ISIZE_FROM_END = 4

/**
 * The fastest inflater available without waiting: the native libdeflate addon
 * when built, else node:zlib.
 *
 * @example
 * ```ts
 * const data = defaultInflater().inflate(bytes, blockSizes, isize, coffset)
 * ```
 */
export function defaultInflater(): Inflater {
  fastest ??= nativeInflater() ?? zlibInflater
  return fastest
}

/**
 * Loads an inflater by name, or returns null if it is not available here
 * (addon not built). No name: `BAMSTREAM_INFLATE`, else {@link defaultInflater}.
 *
 * @example
 * ```ts
 * const native = await loadInflater('native') // null without the addon
 * ```
 */
export async function loadInflater(name: string | undefined = process.env.BAMSTREAM_INFLATE): Promise<Inflater | null> {
  switch (name || undefined) {
    case undefined: return defaultInflater()
    case 'native': return loadNativeInflater()
    case 'libdeflate': return loadNativeInflater(true)
    case 'zlib': return zlibInflater
    case 'blockwise': return blockwiseInflater
    default: throw new BamError('ERR_OPTION', `unknown inflater "${name}" (expected one of ${INFLATER_NAMES.join(', ')})`)
  }
}

/**
 * Like {@link loadInflater}, but an inflater that was asked for and is not
 * available is an error instead of null.
 *
 * @example
 * ```ts
 * const inflater = await requireInflater(process.env.BAMSTREAM_INFLATE)
 * ```
 */
export async function requireInflater(name: string | undefined = process.env.BAMSTREAM_INFLATE): Promise<Inflater> {
  const inflater = await loadInflater(name)
  if (!inflater) throw new BamError('ERR_OPTION', `inflater "${name}" is not available here (addon not built)`)
  return inflater
}

/**
 * Inflates one whole BGZF block as htslib does, like `inflateBlockIgnoringIsize`
 * (CRC32 checked, ISIZE not trusted, at most 65536 bytes), with the inflater a
 * run would use: the native addon when it is built and `BAMSTREAM_INFLATE` is
 * unset or `native` (so the main thread need not load node:zlib for the BAM
 * header), else node:zlib. Any block the native inflater refuses (a bad CRC32,
 * corrupt data, an ISIZE that does not match) is inflated again with node:zlib,
 * which either returns its data (only the ISIZE was wrong) or throws the very
 * error, message and offset the node:zlib path throws.
 *
 * @example
 * ```ts
 * const data = inflateBlockLikeHtslib(block.bytes, block.coffset)
 * ```
 */
export function inflateBlockLikeHtslib(block: Uint8Array, coffset: number, name: string | undefined = process.env.BAMSTREAM_INFLATE): Uint8Array {
  const fast = (name || 'native') === 'native' ? nativeInflater() : null
  if (fast && block.length >= EXTRA_OFFSET + TRAILER_BYTES) {
    const isize = new DataView(block.buffer, block.byteOffset, block.byteLength).getUint32(block.length - ISIZE_FROM_END, true)
    if (isize <= MAX_BLOCK_ISIZE) {
      try {
        return fast.inflate(block, [block.length], isize, coffset)
      } catch (e) {
        if (!(e instanceof BamError)) throw e // else node:zlib below names the fault exactly as it always has
      }
    }
  }
  return inflateBlockIgnoringIsize(block, coffset)
}
