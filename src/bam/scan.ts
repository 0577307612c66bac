/**
 * The native record walk of the `flagstat` and `count` scans (native/scan.c):
 * it folds, in C, the records it is sure htslib accepts (validate.ts's checks,
 * all of them, and it leaves records whose first CIGAR op is `<l_seq>S` to
 * JavaScript), and stops at the first record it is not sure of, from which the
 * JavaScript walk goes on (ops/lifecycle.ts), so that results and errors are
 * those of the JavaScript path. Used when the addon is built, unless
 * `BAMSTREAM_SCAN=js`; `BAMSTREAM_SCAN=native` requires it.
 */
import { loadAddon, type Addon } from '../bgzf/native.js'
import { BamError } from '../errors.js'

/** Names accepted by `BAMSTREAM_SCAN`. */
export const SCAN_KERNEL_NAMES = ['native', 'js'] as const

/** native/scan.c's modes: flagstat's counters, or count's one counter with a flag/MAPQ filter. */
export const SCAN_FLAGSTAT = 0
export const SCAN_COUNT = 1

/** Where a native scan stopped. */
export interface ScanStop {
  /** Offset of the first record not folded (invalid, unsure, or cut off by the end of the data). */
  at: number
  /** Records folded. */
  records: number
}

/** The filter of a scan without one: [f, F, G, rf, q] all 0. */
export const NO_SCAN_FILTER = new Int32Array(5)

const state = new Float64Array(1)
let cached: { want: string | undefined, addon: Addon | null } | undefined

/**
 * The addon when scans are to walk records natively: built with `scanRecords`,
 * and not turned off by `BAMSTREAM_SCAN=js`.
 *
 * @example
 * ```ts
 * console.log(nativeScanKernel() ? 'native' : 'JavaScript')
 * ```
 */
export function nativeScanKernel(): Addon | null {
  const want = process.env.BAMSTREAM_SCAN || undefined
  if (cached && cached.want === want) return cached.addon
  if (want !== undefined && !(SCAN_KERNEL_NAMES as readonly string[]).includes(want)) {
    throw new BamError('ERR_OPTION', `unknown scan kernel "${want}" (expected one of ${SCAN_KERNEL_NAMES.join(', ')})`)
  }
  const loaded = want === 'js' ? null : loadAddon()
  const addon = typeof loaded?.scanRecords === 'function' ? loaded : null
  if (want === 'native' && !addon) throw new BamError('ERR_OPTION', 'scan kernel "native" is not available here (addon not built)')
  cached = { want, addon }
  return addon
}

/**
 * Walks `data` from `from` natively, folding the records into `counters` (see
 * native/scan.c for the modes), and sets `out`. Returns false, having done
 * nothing, when the native kernel is not in use.
 *
 * @param filter - [f, F, G, rf, q] for {@link SCAN_COUNT} (int32 values).
 * @example
 * ```ts
 * const stop = { at: 0, records: 0 }
 * if (nativeScan(SCAN_FLAGSTAT, data, 0, nRef, NO_SCAN_FILTER, partial, stop)) resumeInJs(stop.at)
 * ```
 */
export function nativeScan(mode: number, data: Uint8Array, from: number, nRef: number, filter: Int32Array, counters: Float64Array, out: ScanStop): boolean {
  const addon = nativeScanKernel()
  if (!addon) return false
  out.at = addon.scanRecords!(data, from, nRef, mode, filter, counters, state)
  out.records = state[0]!
  return true
}
