/**
 * `idxstats`: mapped and unmapped record counts per reference, by a full scan
 * (no index needed). Output identical to `samtools idxstats` (which reads the
 * counts from a .bai: htslib counts a record as mapped when FLAG 0x4 is unset,
 * per its refID; records with refID -1 go to the final `*` line).
 */
import { FUNMAP } from '../bam/flags.js'
import { BamError } from '../errors.js'
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
 * The partial: `[mapped, unmapped]` per refID then for refID -1, and the
 * refIDs in the order their records first appear (each once while the file
 * is grouped by reference), to refuse an unsorted file as samtools does.
 */
export interface IdxstatsPartial {
  counts: Float64Array
  order: number[]
  unsorted: boolean
}

/**
 * The idxstats op.
 *
 * @example
 * ```ts
 * const lines = await run<IdxstatsLine[]>('x.bam', 'idxstats')
 * process.stdout.write(formatIdxstats(lines))
 * ```
 */
export const idxstatsOp: Op<IdxstatsPartial, IdxstatsLine[], Record<string, never>> = {
  name: 'idxstats',
  init: (ctx) => ({ counts: new Float64Array((ctx.references.length + 1) * 2), order: [], unsorted: false }),
  record(p, rec) {
    const refID = rec.refID
    const counts = p.counts
    const slot = refID >= 0 && 2 * refID + 1 < counts.length - 2 ? 2 * refID : counts.length - 2
    counts[slot + ((rec.flag & FUNMAP) !== 0 ? 1 : 0)]!++
    if (refID !== p.order[p.order.length - 1] && !p.unsorted) follow(p, refID)
  },
  merge(a, b) {
    for (let i = 0; i < a.counts.length; i++) a.counts[i]! += b.counts[i]!
    a.unsorted ||= b.unsorted
    for (const refID of b.order) if (refID !== a.order[a.order.length - 1] && !a.unsorted) follow(a, refID)
    return a
  },
  finish(p, ctx) {
    if (p.unsorted) throw new BamError('ERR_UNSORTED', 'file is not position sorted (samtools idxstats refuses it too: the records of a reference are not all together)')
    const counts = p.counts
    const lines: IdxstatsLine[] = ctx.references.map((r, i) => ({ name: r.name, length: r.length, mapped: counts[2 * i]!, unmapped: counts[2 * i + 1]! }))
    const n = counts.length - 2
    lines.push({ name: '*', length: 0, mapped: 0, unmapped: counts[n]! + counts[n + 1]! })
    return lines
  },
}

/** Notes a new run of `refID`; a reference met again after another is samtools' "not position sorted" (bam_index.c slow_idxstats). */
function follow(p: IdxstatsPartial, refID: number): void {
  if (p.order.includes(refID)) p.unsorted = true
  else p.order.push(refID)
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
