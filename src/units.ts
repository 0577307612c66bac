/**
 * The one parser of numbers written by people: integers as samtools reads
 * flags, sizes with binary suffixes, and durations. Used by the CLI's flags
 * (cli/options.ts), the daemon's config file (sensor/config.ts) and the
 * options of its jobs (sensor/job-options.ts). Each accepts a number or its
 * text and throws `BamError` `ERR_OPTION` naming `what` when it is not one.
 */
import { BamError } from './errors.js'

/** Multipliers of the size suffixes (binary: `k` is 1024). */
const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }

/** Multipliers of the duration suffixes, in milliseconds. */
const DURATION_UNITS: Record<string, number> = { '': 1, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/**
 * A non-negative integer: decimal, `0x` hex or `0` octal, as samtools reads flags.
 *
 * @example
 * ```ts
 * parseInteger('0x904') // 2308
 * parseInteger(20)      // 20
 * ```
 */
export function parseInteger(v: unknown, what = 'integer'): number {
  const t = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : ''
  const n = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t, 16) : /^0[0-7]+$/.test(t) ? parseInt(t, 8) : /^\d+$/.test(t) ? Number(t) : NaN
  if (!Number.isSafeInteger(n)) throw invalid(what, v, 'a non-negative integer, e.g. 20, 0x904')
  return n
}

/**
 * An integer of at least `min` (see {@link parseInteger} for the forms).
 *
 * @example
 * ```ts
 * parseAtLeast('4', 1, 'threads') // 4
 * ```
 */
export function parseAtLeast(v: unknown, min: number, what = 'integer'): number {
  const n = parseInteger(v, what)
  if (n < min) throw new BamError('ERR_OPTION', `${what} must be at least ${min}, got ${show(v)}`)
  return n
}

/**
 * A size in bytes: a number, or digits with `k`, `M` or `G` (binary), optionally followed by `iB` or `B`.
 *
 * @example
 * ```ts
 * parseSize('4M')   // 4194304
 * parseSize('1GiB') // 1073741824
 * ```
 */
export function parseSize(v: unknown, what = 'size'): number {
  const m = typeof v === 'number' ? ['', String(v), ''] : typeof v === 'string' ? /^\s*(\d+)\s*([kmg]?)(?:i?b)?\s*$/i.exec(v) : null
  const n = m && /^\d+$/.test(m[1] ?? '') ? Number(m[1]) * SIZE_UNITS[(m[2] ?? '').toLowerCase()]! : NaN
  if (!Number.isSafeInteger(n) || n < 1) throw invalid(what, v, 'a size, e.g. 4M, 512k or 65536')
  return n
}

/**
 * A duration in milliseconds: a number of milliseconds, or a number with `ms`, `s`, `m`, `h` or `d`.
 *
 * @example
 * ```ts
 * parseDuration('1.5m') // 90000
 * parseDuration(250)    // 250
 * ```
 */
export function parseDuration(v: unknown, what = 'duration'): number {
  const m = typeof v === 'number' ? ['', String(v), ''] : typeof v === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(v) : null
  const ms = m ? Math.round(Number(m[1]) * DURATION_UNITS[m[2] ?? '']!) : NaN
  if (!Number.isFinite(ms) || ms < 0) throw invalid(what, v, 'a duration, e.g. 500ms, 2s, 5m, 7d')
  return ms
}

/**
 * The error of a value that is not what was expected (`ERR_OPTION`).
 *
 * @example
 * ```ts
 * throw invalid('thread count', '0', 'at least 1')
 * ```
 */
export function invalid(what: string, v: unknown, expected: string): BamError {
  return new BamError('ERR_OPTION', `invalid ${what} ${show(v)} (expected ${expected})`)
}

function show(v: unknown): string {
  return typeof v === 'string' ? `"${v}"` : JSON.stringify(v) ?? String(v)
}
