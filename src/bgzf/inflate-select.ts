/**
 * Choosing the {@link Inflater}. Measured on the 2-core benchmark machine
 * (bench/inflate.bench.ts, README "Benchmarks"): libdeflate in C is 1.6–2.2×
 * node:zlib, libdeflate in WebAssembly 0.8–1.1× node:zlib, pako about a third
 * of it. So the default is the native addon when it was built, else node:zlib.
 * The WebAssembly and pako inflaters are benchmark candidates only
 * (bench/inflaters/). `BAMSTREAM_INFLATE=native|zlib|blockwise` overrides the
 * choice (benchmarks, debugging); the workers read it too.
 */
import { blockwiseInflater, zlibInflater, type Inflater } from './inflate.js'
import { loadNativeInflater } from './inflate-native.js'
import { BamError } from '../errors.js'

/** Names accepted by {@link loadInflater} and `BAMSTREAM_INFLATE`. */
export const INFLATER_NAMES = ['native', 'zlib', 'blockwise'] as const

let fastest: Inflater | undefined

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
  fastest ??= loadNativeInflater() ?? zlibInflater
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
