/**
 * Choosing the default chunk size: whole-process wall time and peak RSS of
 * `bamstream flagstat --chunk-size S` for a range of S, interleaved, medians.
 */
import { measure, bamstreamArgv } from './measure.js'
import { fmt, markdownTable, median, medianOrNull } from './stats.js'
import type { BenchInput } from './inputs.js'

/** Sizes tried, as given to `--chunk-size`. */
export const CHUNK_SIZES = ['256k', '512k', '1M', '2M', '4M', '8M', '16M']

/** One chunk size's medians. */
export interface ChunkRow {
  size: string
  wallS: number
  /** Median CPU seconds (user + system), or null where they could not be read. */
  cpuS: number | null
  rssMB: number | null
}


/**
 * Measures every size in {@link CHUNK_SIZES}.
 *
 * @example
 * ```ts
 * const rows = await chunkSizes(base, 2, 3)
 * ```
 */
export async function chunkSizes(input: BenchInput, threads: number, rounds: number, log = (s: string) => process.stderr.write(s)): Promise<ChunkRow[]> {
  const runs = new Map<string, { s: number; cpu: number | null; mb: number | null }[]>(CHUNK_SIZES.map((s) => [s, []]))
  for (let r = 0; r < rounds; r++) {
    log(`chunk sizes: round ${r + 1}/${rounds}\n`)
    for (const size of CHUNK_SIZES) {
      const s = await measure([...bamstreamArgv(), 'flagstat', '-@', String(threads), '--chunk-size', size, input.path])
      runs.get(size)!.push({ s: s.wallS, cpu: s.cpuS, mb: s.rssMB })
    }
  }
  return CHUNK_SIZES.map((size) => ({
    size, wallS: median(runs.get(size)!.map((x) => x.s)), cpuS: medianOrNull(runs.get(size)!.map((x) => x.cpu)), rssMB: medianOrNull(runs.get(size)!.map((x) => x.mb)),
  }))
}

/** The table. */
export function chunkTable(rows: ChunkRow[], input: BenchInput): string {
  return markdownTable(
    ['--chunk-size', 'wall s', 'CPU s', 'MB/s', 'peak RSS MB'],
    rows.map((r) => [r.size, fmt(r.wallS), fmt(r.cpuS), fmt(input.bytes / 1e6 / r.wallS, 0), fmt(r.rssMB, 0)]),
  )
}
