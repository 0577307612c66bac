/**
 * Every inflater the benchmarks compare: the product's (native addon,
 * node:zlib whole chunk and block by block; src/bgzf/inflate-select.ts) and two
 * candidates that are not shipped, libdeflate in WebAssembly and pako (they
 * load devDependencies and are slower or no faster than node:zlib).
 * `BAMSTREAM_INFLATE` names one for the benchmark scripts that read it.
 */
import { INFLATER_NAMES, loadInflater } from '../../src/bgzf/inflate-select.js'
import type { Inflater } from '../../src/bgzf/inflate.js'
import { BamError } from '../../src/errors.js'
import { loadPakoInflater } from './pako.js'
import { loadWasmInflater } from './wasm.js'

/** Names accepted by {@link loadBenchInflater}: the product's, then the candidates. */
export const BENCH_INFLATER_NAMES = [...INFLATER_NAMES, 'wasm', 'pako'] as const

/**
 * Loads an inflater by name (a product inflater or a benchmark candidate), or
 * null when it is not available here (addon not built, package not installed).
 *
 * @example
 * ```ts
 * const wasm = await loadBenchInflater('wasm') // null without @gmod/bgzf-filehandle
 * ```
 */
export async function loadBenchInflater(name: string | undefined = process.env.BAMSTREAM_INFLATE): Promise<Inflater | null> {
  if (name === 'wasm') return loadWasmInflater()
  if (name === 'pako') return loadPakoInflater()
  return loadInflater(name)
}

/**
 * Like {@link loadBenchInflater}, but one that is not available is an error.
 *
 * @example
 * ```ts
 * const inflater = await requireBenchInflater(process.env.BAMSTREAM_INFLATE)
 * ```
 */
export async function requireBenchInflater(name: string | undefined = process.env.BAMSTREAM_INFLATE): Promise<Inflater> {
  const inflater = await loadBenchInflater(name)
  if (!inflater) throw new BamError('ERR_OPTION', `inflater "${name}" is not available here (addon not built or package not installed)`)
  return inflater
}
