/**
 * Thread scaling: whole-process wall time of `bamstream flagstat -@t` (and
 * `samtools flagstat -@t` when installed) for t = 1 … the machine's cores.
 */
import os from 'node:os'
import { hasCommand, measure, bamstreamArgv } from './measure.js'
import { fmt, markdownTable, median, ratio } from './stats.js'
import type { BenchInput } from './inputs.js'

/** One thread count's medians. */
export interface ThreadRow {
  threads: number
  bamstreamS: number
  samtoolsS: number | null
}


/**
 * Measures t = 1 … `maxThreads` (default: available parallelism), interleaved, medians of `rounds`.
 *
 * @example
 * ```ts
 * const rows = await threadScaling(base, 3)
 * ```
 */
export async function threadScaling(input: BenchInput, rounds: number, maxThreads = os.availableParallelism(), log = (s: string) => process.stderr.write(s)): Promise<ThreadRow[]> {
  const counts = Array.from({ length: maxThreads }, (_, i) => i + 1)
  const withSamtools = hasCommand('samtools')
  const runs = new Map<string, number[]>()
  const add = (k: string, s: number): void => { runs.set(k, [...(runs.get(k) ?? []), s]) }
  for (let r = 0; r < rounds; r++) {
    for (const t of counts) {
      log(`threads: ${t} (${r + 1}/${rounds})\n`)
      add(`b${t}`, (await measure([...bamstreamArgv(), 'flagstat', '-@', String(t), input.path])).wallS)
      if (withSamtools) add(`s${t}`, (await measure(['samtools', 'flagstat', '-@', String(t), input.path])).wallS)
    }
  }
  return counts.map((t) => ({ threads: t, bamstreamS: median(runs.get(`b${t}`)!), samtoolsS: withSamtools ? median(runs.get(`s${t}`)!) : null }))
}

/** The table: wall, speed-up over one thread, and the ratio to samtools at the same thread count. */
export function threadTable(rows: ThreadRow[], input: BenchInput): string {
  const one = rows[0]!
  return markdownTable(
    ['threads', 'bamstream wall s', 'bamstream MB/s', 'speed-up vs 1 thread', 'samtools wall s', 'samtools speed-up', 'bamstream ÷ samtools'],
    rows.map((r) => [
      String(r.threads), fmt(r.bamstreamS), fmt(input.bytes / 1e6 / r.bamstreamS, 0), ratio(one.bamstreamS, r.bamstreamS),
      r.samtoolsS === null ? 'not installed' : fmt(r.samtoolsS), ratio(one.samtoolsS, r.samtoolsS), ratio(r.bamstreamS, r.samtoolsS),
    ]),
  )
}
