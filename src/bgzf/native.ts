/**
 * Loading the optional N-API addon in `native/` (libdeflate in C, built by
 * scripts/build-native.mjs at install time when Debian's libdeflate-dev headers
 * are present). Everything that uses it has a JavaScript fallback:
 * {@link loadAddon} returns null when it is not built or does not load.
 */
import fs from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

/** The addon's exports (native/bgzf.c). */
export interface Addon {
  /**
   * Inflates whole BGZF blocks; returns bytes written, or a negated error code with `status` = [block index, detail, detail].
   * Built with ISA-L (`isal`), each block is tried with ISA-L's igzip first, unless `libdeflateOnly`; libdeflate decides the rest.
   */
  inflate(compressed: Uint8Array, blockSizes: Uint32Array, out: Uint8Array, status: Int32Array, libdeflateOnly?: boolean): number
  /** True when built with Intel's ISA-L (scripts/build-native.mjs, when libisal-dev's headers are present). Absent from older addons. */
  isal?: boolean
  /** Cuts `data` into BGZF blocks of `blockData` bytes at libdeflate `level` (0 = stored); bytes written, or -1 when `out` is too small. */
  deflate(data: Uint8Array, level: number, blockData: number, out: Uint8Array): number
  /** libdeflate's CRC-32 (gzip polynomial). */
  crc32(data: Uint8Array, initial?: number): number
  /** A SAM formatter (native/sam.c) for these reference names (`nameEnds[i]`: end of name i in `names`), writing into `out`. */
  samFormatter(names: Uint8Array, nameEnds: Uint32Array, out: Uint8Array): unknown
  /** Writes the SAM line of the record at `offset` into the bound buffer at `pos`; the new position, or -1 (no room) or -2 (bad record). */
  samAppend(formatter: unknown, data: Uint8Array, offset: number, pos: number): number
  /**
   * samAppend for the records at `offsets[from..to)` of `data`, in one call: 0 when all were written, else -1 or -2 for
   * the first that was not, whose index goes to `state[0]`; `state[1]` gets the position after the last line written.
   */
  samAppendMany(formatter: unknown, data: Uint8Array, offsets: Int32Array, from: number, to: number, pos: number, state: Float64Array): number
  /** Binds a new (grown) output buffer. */
  samRebind(formatter: unknown, out: Uint8Array): void
  /**
   * The flagstat/count record walk (native/scan.c) from `from`: folds the records it is sure are valid into `counters`
   * (mode 0: flagstat's layout; mode 1: `counters[0]` += records passing `filter` = [f, F, G, rf, q]) and returns the
   * offset of the first record it did not fold; `state[0]` gets the number folded. Absent from addons built before it.
   */
  scanRecords?(data: Uint8Array, from: number, nRef: number, mode: number, filter: Int32Array, counters: Float64Array, state: Float64Array): number
  /**
   * The header walk of a local file (native/walk.c) from file offset `position`: stores the size and ISIZE field of each
   * plain BGZF block it is sure of, and returns how many (at most `sizes.length`); it stops before any other block (another
   * header, a 28-byte one, a cut-off or unreadable one), which the caller walks itself. Absent from addons built before it.
   */
  walkBlocks?(fd: number, position: number, sizes: Uint32Array, isizes: Uint32Array): number
}

/** Where the compiled addon may be, relative to this module (src/bgzf or dist/src/bgzf). */
const CANDIDATES = ['../../native/build/Release/bgzf.node', '../../../native/build/Release/bgzf.node']

let addon: Addon | null | undefined

/**
 * Path of the compiled addon, or null when it was not built.
 *
 * @example
 * ```ts
 * console.log(nativeAddonPath() ?? 'not built: node:zlib is used')
 * ```
 */
export function nativeAddonPath(): string | null {
  for (const rel of CANDIDATES) {
    const file = fileURLToPath(new URL(rel, import.meta.url))
    if (fs.existsSync(file)) return file
  }
  return null
}

/**
 * The addon, loaded once per thread, or null when it is not built or fails to
 * load (built for another Node ABI, libdeflate missing at run time).
 *
 * @example
 * ```ts
 * const crc = loadAddon()?.crc32(bytes)
 * ```
 */
export function loadAddon(): Addon | null {
  if (addon !== undefined) return addon
  addon = null
  const file = nativeAddonPath()
  if (!file) return null
  try {
    const loaded = createRequire(import.meta.url)(file) as Partial<Addon>
    // An addon built by an older bamstream (without every function) is not used: rebuild it with `npm run build:native`.
    if (typeof loaded.inflate === 'function' && typeof loaded.deflate === 'function' && typeof loaded.samAppendMany === 'function') addon = loaded as Addon
  } catch {
    addon = null
  }
  return addon
}
