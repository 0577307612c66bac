/**
 * Option checks of the built-in jobs, run when the config is read, so that a
 * typo fails the daemon's start instead of every run. Filter names are the
 * API's (`requiredFlags`, `excludedFlags`, `minMapq`, ops/filter.ts), or
 * samtools' letters `f`, `F`, `q` as on the command line.
 */
import { parseInteger } from '../units.js'
import { FILTER_NAMES } from '../ops/filter.js'
import { SensorError } from './errors.js'

/** Each filter's key and letter → its key. */
const FILTER_ALIASES: Record<string, string> = Object.fromEntries(FILTER_NAMES.flatMap((f) => [[f.key, f.key], [f.letter, f.key]]))

/**
 * Options of `count`: the filters, as integers.
 *
 * @example
 * ```ts
 * countOptions({ F: '0x904', q: 20 }) // { excludedFlags: 2308, minMapq: 20 }
 * ```
 */
export function countOptions(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(raw)) {
    const name = FILTER_ALIASES[k]
    if (!name) throw new SensorError('ERR_CONFIG', `count: unknown option "${k}" (requiredFlags, excludedFlags, minMapq)`)
    if (v !== undefined) out[name] = integer(v, `count ${k}`)
  }
  return out
}

/**
 * Options of `view`: the filters, plus `format` (`sam` | `bam`), `header`
 * (`none` | `include` | `only`), `region` (`chr:beg-end`, 1-based inclusive)
 * and `level` (0-9, for BAM).
 *
 * @example
 * ```ts
 * viewOptions({ format: 'bam', region: 'chr1:1-1000', F: 4 })
 * ```
 */
export function viewOptions(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue
    if (FILTER_ALIASES[k]) out[FILTER_ALIASES[k]!] = integer(v, `view ${k}`)
    else if (k === 'format') out.format = oneOf(v, ['sam', 'bam'], 'view format')
    else if (k === 'header') out.header = oneOf(v, ['none', 'include', 'only'], 'view header')
    else if (k === 'region' && typeof v === 'string' && v !== '') out.region = v
    else if (k === 'level' && Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 9) out.level = v
    else throw new SensorError('ERR_CONFIG', `view: invalid option ${k}=${JSON.stringify(v)} (format, header, region, level, requiredFlags, excludedFlags, minMapq)`)
  }
  return out
}

/**
 * Checks that an op that takes no options got none.
 *
 * @example
 * ```ts
 * noOptions({}, 'flagstat') // {}
 * ```
 */
export function noOptions(raw: Record<string, unknown>, op: string): Record<string, unknown> {
  const keys = Object.keys(raw)
  if (keys.length > 0) throw new SensorError('ERR_CONFIG', `${op}: unknown option "${keys[0]}" (it takes none)`)
  return raw
}

/** Decimal, `0x` hex or `0` octal, as samtools reads flags (units.ts), as a config error. */
function integer(v: unknown, what: string): number {
  try {
    return parseInteger(v)
  } catch (e) {
    throw new SensorError('ERR_CONFIG', `${what}: ${(e as Error).message}`)
  }
}

function oneOf(v: unknown, allowed: string[], what: string): string {
  if (typeof v !== 'string' || !allowed.includes(v)) throw new SensorError('ERR_CONFIG', `${what}: expected one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`)
  return v
}
