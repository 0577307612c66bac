/**
 * Compressing bytes into whole BGZF blocks (SAMv1 §4.1) for BAM output: with
 * libdeflate through the native addon when it is built, else node:zlib one
 * block at a time. `BAMSTREAM_DEFLATE=native|zlib` overrides the choice.
 *
 * Levels are zlib's, 0 to 9 (-1: the default). The native deflater maps them to
 * libdeflate's 1–12 as htslib does (`bgzf_compress`), so `-l N` compresses as
 * `samtools view -l N` does; the default level ({@link DEFAULT_NATIVE_LEVEL})
 * was chosen by benchmark (bench/deflate-levels.ts, README "Benchmarks").
 */
import { joinBytes } from '../bytes.js'
import { BamError } from '../errors.js'
import { MAX_BLOCK_SIZE } from './block.js'
import { loadAddon } from './native.js'
import { DEFAULT_LEVEL, MAX_BLOCK_DATA, compressBlock } from './writer.js'

/** A compressor of byte runs into whole BGZF blocks. */
export interface Deflater {
  /** Short name shown by `bamstream --version` and benchmarks. */
  readonly name: string
  /**
   * Cuts `data` into blocks of `blockData` bytes (the last one shorter) and
   * compresses each into a whole BGZF block; returns the blocks, back to back,
   * in a buffer of their own (transferable). No EOF block. Empty data: no blocks.
   *
   * @param level - zlib level 0..9, or -1 for the deflater's default.
   */
  compress(data: Uint8Array, level?: number, blockData?: number): Uint8Array
}

/** htslib's map from zlib levels 0..9 to libdeflate's levels (`bgzf_compress`, HAVE_LIBDEFLATE). */
const LIBDEFLATE_LEVELS = [0, 1, 2, 3, 5, 6, 7, 8, 10, 12]
/**
 * libdeflate level used when none is given. samtools' default (-1) is zlib
 * level 6, which htslib maps to libdeflate 7; level 6 here was measured on
 * aligner output (bench/deflate-levels.ts) to write files 0.2% larger for 15% less CPU;
 * level 4 and below are over 2% larger.
 */
export const DEFAULT_NATIVE_LEVEL = 6
/** Names accepted by `BAMSTREAM_DEFLATE`. */
export const DEFLATER_NAMES = ['native', 'zlib'] as const

function checkLevel(level: number): void {
  if (!Number.isInteger(level) || level < -1 || level > 9) {
    throw new BamError('ERR_OPTION', `compression level must be an integer from -1 to 9, got ${level}`)
  }
}

function checkBlockData(blockData: number): void {
  if (!Number.isInteger(blockData) || blockData < 1 || blockData > MAX_BLOCK_DATA) {
    throw new BamError('ERR_OPTION', `BGZF block size must be an integer from 1 to ${MAX_BLOCK_DATA}, got ${blockData}`)
  }
}

/**
 * node:zlib, one `deflateRawSync` per block (a block that would not fit is stored).
 *
 * @example
 * ```ts
 * const blocks = zlibDeflater.compress(records, 6)
 * ```
 */
export const zlibDeflater: Deflater = {
  name: 'node:zlib',
  compress(data, level = -1, blockData = MAX_BLOCK_DATA) {
    checkLevel(level)
    checkBlockData(blockData)
    const blocks: Uint8Array[] = []
    for (let p = 0; p < data.length; p += blockData) blocks.push(compressBlock(data.subarray(p, p + blockData), level < 0 ? DEFAULT_LEVEL : level))
    return joinBytes(blocks)
  },
}

let scratch = new Uint8Array(0)

/**
 * libdeflate in C through the addon, or null when it is not built.
 *
 * @example
 * ```ts
 * const deflater = loadNativeDeflater() ?? zlibDeflater
 * ```
 */
export function loadNativeDeflater(): Deflater | null {
  const a = loadAddon()
  if (!a) return null
  return {
    name: 'libdeflate (native)',
    compress(data, level = -1, blockData = MAX_BLOCK_DATA) {
      checkLevel(level)
      checkBlockData(blockData)
      if (data.length === 0) return new Uint8Array(0)
      const bound = Math.ceil(data.length / blockData) * MAX_BLOCK_SIZE
      if (scratch.length < bound) scratch = new Uint8Array(bound + (bound >> 3))
      const written = a.deflate(data, level < 0 ? DEFAULT_NATIVE_LEVEL : LIBDEFLATE_LEVELS[level]!, blockData, scratch)
      if (written < 0) throw new BamError('ERR_OUTPUT', `BGZF compression needed more than ${bound} bytes`)
      return scratch.slice(0, written)
    },
  }
}

let chosen: Deflater | undefined

/**
 * The deflater to use: `BAMSTREAM_DEFLATE` when set (an unavailable `native`
 * is an error), else the native one when built, else node:zlib. Workers read
 * the same variable, so every thread agrees.
 *
 * @example
 * ```ts
 * const bgzf = defaultDeflater().compress(bytes)
 * ```
 */
export function defaultDeflater(): Deflater {
  if (chosen) return chosen
  const name = process.env.BAMSTREAM_DEFLATE || undefined
  if (name !== undefined && !(DEFLATER_NAMES as readonly string[]).includes(name)) {
    throw new BamError('ERR_OPTION', `unknown deflater "${name}" (expected one of ${DEFLATER_NAMES.join(', ')})`)
  }
  const native = name === 'zlib' ? null : loadNativeDeflater()
  if (name === 'native' && !native) throw new BamError('ERR_OPTION', 'deflater "native" is not available here (addon not built)')
  chosen = native ?? zlibDeflater
  return chosen
}
