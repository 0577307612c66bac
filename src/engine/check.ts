/**
 * Checks of the library's arguments: a bad one is `ERR_OPTION` naming the
 * option and the value, before any work starts (never a plain TypeError from
 * deep inside, nor a silently ignored value).
 */
import { BamError } from '../errors.js'

/**
 * Throws `ERR_OPTION` unless `value` is undefined or an integer in [min, max].
 *
 * @example
 * ```ts
 * checkInteger('minMapq', options.minMapq, 0, 255)
 * ```
 */
export function checkInteger(name: string, value: unknown, min: number, max: number): void {
  if (value === undefined) return
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new BamError('ERR_OPTION', `${name} must be an integer from ${min} to ${max}, got ${describe(value)}`)
  }
}

/**
 * Throws `ERR_OPTION` unless `value` is undefined or one of `allowed`.
 *
 * @example
 * ```ts
 * checkChoice('format', options.format, ['sam', 'bam'])
 * ```
 */
export function checkChoice(name: string, value: unknown, allowed: readonly string[]): void {
  if (value === undefined || allowed.includes(value as string)) return
  throw new BamError('ERR_OPTION', `${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`)
}

/**
 * The samtools-style filters of `count`, `view` and `records`: FLAG masks in
 * [0, 0xffff], MAPQ an integer (samtools takes any; 255 is the largest stored),
 * an expression as a string, a subsampling fraction in [0, 1] and an integer seed.
 *
 * @example
 * ```ts
 * checkFilters({ requiredFlags: 2, minMapq: 30 })
 * ```
 */
export function checkFilters(o: {
  requiredFlags?: unknown; excludedFlags?: unknown; excludedAllFlags?: unknown; anyFlags?: unknown; minMapq?: unknown
  expression?: unknown; subsample?: unknown; subsampleSeed?: unknown
}): void {
  checkInteger('requiredFlags', o.requiredFlags, 0, FLAG_MAX)
  checkInteger('excludedFlags', o.excludedFlags, 0, FLAG_MAX)
  checkInteger('excludedAllFlags', o.excludedAllFlags, 0, FLAG_MAX)
  checkInteger('anyFlags', o.anyFlags, 0, FLAG_MAX)
  checkInteger('minMapq', o.minMapq, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
  checkInteger('subsampleSeed', o.subsampleSeed, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
  if (o.expression !== undefined && typeof o.expression !== 'string') throw new BamError('ERR_OPTION', `expression must be a string, got ${describe(o.expression)}`)
  if (o.subsample !== undefined && !(typeof o.subsample === 'number' && o.subsample >= 0 && o.subsample <= 1)) {
    throw new BamError('ERR_OPTION', `subsample must be a fraction from 0 to 1, got ${describe(o.subsample)}`)
  }
}

/** FLAG is a uint16, SAMv1 §1.4.2. */
const FLAG_MAX = 0xffff

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value)
}
