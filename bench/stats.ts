/**
 * Small statistics and markdown helpers for the benchmark reports.
 */

/**
 * Median of a non-empty list (mean of the middle two for an even count).
 *
 * @example
 * ```ts
 * median([3, 1, 2]) // 2
 * ```
 */
export function median(xs: number[]): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** Median of the non-null values, or null if there are none. */
export function medianOrNull(xs: (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null)
  return v.length ? median(v) : null
}

/**
 * Formats a number with `digits` decimals, or `n/a` for null/NaN.
 *
 * @example
 * ```ts
 * fmt(1.234, 2) // '1.23'
 * ```
 */
export function fmt(x: number | null | undefined, digits = 2): string {
  return x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits)
}

/**
 * A ratio `a / b` formatted as `1.23×`, or `n/a`.
 *
 * @example
 * ```ts
 * ratio(2, 1) // '2.00×'
 * ```
 */
export function ratio(a: number | null | undefined, b: number | null | undefined): string {
  if (a == null || b == null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return 'n/a'
  return `${(a / b).toFixed(2)}×`
}

/**
 * A markdown table.
 *
 * @example
 * ```ts
 * markdownTable(['a', 'b'], [['1', '2']]) // '| a | b |\n|---|---|\n| 1 | 2 |\n'
 * ```
 */
export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |\n`
  return line(header) + `|${header.map(() => '---').join('|')}|\n` + rows.map(line).join('')
}

/** Human size of a byte count, 1e6-based: `209.7 MB`, `4.19 GB`. */
export function humanBytes(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : `${(n / 1e6).toFixed(1)} MB`
}
