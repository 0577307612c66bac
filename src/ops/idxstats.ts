/**
 * `idxstats`: mapped and unmapped record counts per reference, by a full scan
 * (no index needed). Output identical to `samtools idxstats` (which reads the
 * counts from a .bai: htslib counts a record as mapped when FLAG 0x4 is unset,
 * per its refID; records with refID -1 go to the final `*` line).
 */
import { FUNMAP } from '../bam/flags.js'
import type { Op } from './op.js'

/** One line of idxstats. */
export interface IdxstatsLine {
  /** Reference name, `*` for records without a reference. */
  name: string
  /** Reference length (0 for `*`). */
  length: number
  mapped: number
  unmapped: number
}

/**
 * The idxstats op. Its partial holds `[mapped, unmapped]` per refID, then the
 * counts for refID -1.
 *
 * @example
 * ```ts
 * const lines = await run<IdxstatsLine[]>('x.bam', 'idxstats')
 * process.stdout.write(formatIdxstats(lines))
 * ```
 */
export const idxstatsOp: Op<Float64Array, IdxstatsLine[], Record<string, never>> = {
  name: 'idxstats',
  init: (ctx) => new Float64Array((ctx.references.length + 1) * 2),
  record(p, rec) {
    const refID = rec.refID
    const slot = refID >= 0 && 2 * refID + 1 < p.length - 2 ? 2 * refID : p.length - 2
    p[slot + ((rec.flag & FUNMAP) !== 0 ? 1 : 0)]!++
  },
  merge(a, b) {
    for (let i = 0; i < a.length; i++) a[i]! += b[i]!
    return a
  },
  finish(p, ctx) {
    const lines: IdxstatsLine[] = ctx.references.map((r, i) => ({ name: r.name, length: r.length, mapped: p[2 * i]!, unmapped: p[2 * i + 1]! }))
    const n = p.length - 2
    lines.push({ name: '*', length: 0, mapped: 0, unmapped: p[n]! + p[n + 1]! })
    return lines
  },
}

/**
 * Text exactly as `samtools idxstats` prints it: name, length, mapped, unmapped, tab-separated.
 *
 * @example
 * ```ts
 * formatIdxstats([{ name: 'chr1', length: 100, mapped: 5, unmapped: 1 }]) // 'chr1\t100\t5\t1\n'
 * ```
 */
export function formatIdxstats(lines: IdxstatsLine[]): string {
  return lines.map((l) => `${l.name}\t${l.length}\t${l.mapped}\t${l.unmapped}\n`).join('')
}
