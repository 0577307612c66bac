/**
 * Memory scaling: peak RSS of a whole `bamstream flagstat` process on inputs of
 * growing size, streaming (the default: O(1) in the file size) against
 * `--buffered` (every chunk read before any is processed: the seed's "assets"
 * way, O(total chunks)). Writes a markdown table and an SVG chart.
 */
import { measure, bamstreamArgv } from './measure.js'
import { lineChart } from './plot.js'
import { fmt, humanBytes, markdownTable, median, medianOrNull } from './stats.js'
import type { BenchInput } from './inputs.js'

/** One input's measurements. */
export interface MemoryRow {
  input: BenchInput
  streamingMB: number | null
  bufferedMB: number | null
  streamingS: number
  bufferedS: number
}


/**
 * Measures each input `rounds` times in both modes (medians).
 *
 * @example
 * ```ts
 * const rows = await memoryScaling([base, oneGig, fourGig], 2, 1)
 * ```
 */
export async function memoryScaling(inputs: BenchInput[], threads: number, rounds: number, log = (s: string) => process.stderr.write(s)): Promise<MemoryRow[]> {
  const rows: MemoryRow[] = []
  for (const input of inputs) {
    const runs = { streaming: [] as { s: number; mb: number | null }[], buffered: [] as { s: number; mb: number | null }[] }
    for (let r = 0; r < rounds; r++) {
      for (const mode of ['streaming', 'buffered'] as const) {
        log(`memory: ${input.label} ${mode} ${r + 1}/${rounds}\n`)
        const argv = [...bamstreamArgv(), 'flagstat', '-@', String(threads), ...(mode === 'buffered' ? ['--buffered'] : []), input.path]
        const s = await measure(argv)
        if (s.code !== 0) throw new Error(`${argv.join(' ')} exited with ${s.code}`)
        runs[mode].push({ s: s.wallS, mb: s.rssMB })
      }
    }
    rows.push({
      input,
      streamingMB: medianOrNull(runs.streaming.map((x) => x.mb)), bufferedMB: medianOrNull(runs.buffered.map((x) => x.mb)),
      streamingS: median(runs.streaming.map((x) => x.s)), bufferedS: median(runs.buffered.map((x) => x.s)),
    })
  }
  return rows
}

/** The table, with the spread of the streaming curve (max ÷ min) under it. */
export function memoryTable(rows: MemoryRow[]): string {
  const table = markdownTable(
    ['input (on disk)', 'streaming peak RSS MB', '--buffered peak RSS MB', 'streaming wall s', '--buffered wall s'],
    rows.map((r) => [humanBytes(r.input.bytes), fmt(r.streamingMB, 0), fmt(r.bufferedMB, 0), fmt(r.streamingS), fmt(r.bufferedS)]),
  )
  const s = rows.map((r) => r.streamingMB).filter((x): x is number => x !== null)
  const spread = s.length > 1 ? `\nStreaming peak RSS from the smallest to the largest input: ${fmt(Math.min(...s), 0)}–${fmt(Math.max(...s), 0)} MB (max ÷ min = ${fmt(Math.max(...s) / Math.min(...s))}).\n` : ''
  return table + spread
}

/** The chart: peak RSS against input size, both modes. */
export function memoryChart(rows: MemoryRow[]): string {
  const pts = (f: (r: MemoryRow) => number | null): { x: number; y: number }[] =>
    rows.filter((r) => f(r) !== null).map((r) => ({ x: r.input.bytes / 1e9, y: f(r)! }))
  return lineChart(
    [
      { name: 'streaming (ops): O(1)', color: '#1f77b4', points: pts((r) => r.streamingMB) },
      { name: '--buffered (assets): O(chunks)', color: '#d62728', points: pts((r) => r.bufferedMB) },
    ],
    {
      title: 'bamstream flagstat: peak RSS vs input size',
      xLabel: 'input size on disk (GB)', yLabel: 'peak RSS (MB)',
      xTicks: rows.map((r) => ({ x: r.input.bytes / 1e9, label: (r.input.bytes / 1e9).toFixed(2) })),
    },
  )
}
