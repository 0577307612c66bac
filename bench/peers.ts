/**
 * Whole-process comparison in one sitting: bamstream flagstat and count against
 * `samtools flagstat -@N`, `samtools view -c -@N`, `sambamba flagstat -t N`,
 * `sambamba view -c -t N` and @gmod/bam (bench/gmod-stream.ts), interleaved
 * round by round, medians reported. Peers that are not installed are listed as
 * skipped.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import { hasCommand, measure, type Sample, bamstreamArgv } from './measure.js'
import { fmt, markdownTable, median, medianOrNull, ratio } from './stats.js'
import type { BenchInput } from './inputs.js'

/** One tool's command for one op. */
export interface Contender {
  op: 'flagstat' | 'count'
  tool: string
  argv: string[]
  /** Why it cannot run here, if it cannot. */
  skipped?: string
  /** Output must equal samtools' (bamstream only). */
  checkOutput?: boolean
}

/** Medians of a contender's runs. */
export interface Result extends Contender {
  wallS: number
  cpuS: number | null
  rssMB: number | null
  outputOk?: boolean
}

const GMOD = fileURLToPath(new URL('./gmod-stream.js', import.meta.url))

function gmodInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('@gmod/bam')
    return true
  } catch {
    return false
  }
}

/**
 * The contenders for `file` at `threads` threads, in table order.
 *
 * @example
 * ```ts
 * contenders('x.bam', 2).filter((c) => !c.skipped).map((c) => c.argv.join(' '))
 * ```
 */
export function contenders(file: string, threads: number): Contender[] {
  const n = String(threads)
  const node = process.execPath
  const samtools = hasCommand('samtools') ? undefined : 'samtools not installed'
  const sambamba = hasCommand('sambamba') ? undefined : 'sambamba not installed'
  const gmod = gmodInstalled() ? undefined : '@gmod/bam not installed'
  const bai = fs.existsSync(`${file}.bai`) ? undefined : 'no .bai index (needs samtools index)'
  return [
    { op: 'flagstat', tool: `bamstream -@${n}`, argv: [...bamstreamArgv(), 'flagstat', '-@', n, file], checkOutput: true },
    { op: 'flagstat', tool: `samtools -@${n}`, argv: ['samtools', 'flagstat', '-@', n, file], skipped: samtools },
    { op: 'flagstat', tool: `sambamba -t ${n}`, argv: ['sambamba', 'flagstat', '-t', n, file], skipped: sambamba },
    { op: 'flagstat', tool: '@gmod/bam stream (1 thread)', argv: [node, GMOD, file], skipped: gmod },
    { op: 'flagstat', tool: '@gmod/bam region API (1 thread)', argv: [node, GMOD, '--regions', file], skipped: gmod ?? bai },
    { op: 'count', tool: `bamstream -@${n}`, argv: [...bamstreamArgv(), 'count', '-@', n, file], checkOutput: true },
    { op: 'count', tool: `samtools view -c -@${n}`, argv: ['samtools', 'view', '-c', '-@', n, file], skipped: samtools },
    { op: 'count', tool: `sambamba view -c -t ${n}`, argv: ['sambamba', 'view', '-c', '-t', n, file], skipped: sambamba },
    { op: 'count', tool: '@gmod/bam stream (1 thread)', argv: [node, GMOD, '--count', file], skipped: gmod },
  ]
}

/**
 * Makes `file.bai` with samtools when it can (for the region-API peer); an
 * unsorted file (the copies made for the memory runs) cannot be indexed, and
 * that peer is then skipped.
 */
export function ensureIndex(file: string): void {
  if (!fs.existsSync(`${file}.bai`) && hasCommand('samtools')) spawnSync('samtools', ['index', file], { stdio: 'ignore' })
}

/**
 * Runs every available contender `rounds` times, interleaved (one warm-up round first).
 *
 * @example
 * ```ts
 * const results = await runPeers(contenders(file, 2), 5)
 * ```
 */
export async function runPeers(list: Contender[], rounds: number, log = (s: string) => process.stderr.write(s)): Promise<Result[]> {
  const live = list.filter((c) => !c.skipped)
  const samples = new Map<Contender, Sample[]>(live.map((c) => [c, []]))
  for (let r = 0; r <= rounds; r++) {
    log(r === 0 ? 'warm-up round' : `round ${r}/${rounds}`)
    for (const c of live) {
      const s = await measure(c.argv)
      if (s.code !== 0) throw new Error(`${c.argv.join(' ')} exited with ${s.code}`)
      if (r > 0) samples.get(c)!.push(s)
      log('.')
    }
    log('\n')
  }
  const reference = (op: string): string | undefined => samples.get(live.find((c) => c.op === op && c.tool.startsWith('samtools'))!)?.[0]?.stdout
  return list.map((c) => {
    const s = samples.get(c)
    if (!s) return { ...c, wallS: NaN, cpuS: null, rssMB: null }
    const ref = reference(c.op)
    const outputOk = c.checkOutput && ref !== undefined ? s.every((x) => x.stdout === ref) : undefined
    return { ...c, wallS: median(s.map((x) => x.wallS)), cpuS: medianOrNull(s.map((x) => x.cpuS)), rssMB: medianOrNull(s.map((x) => x.rssMB)), outputOk }
  })
}

/**
 * The markdown table: wall, MB/s (compressed bytes on disk), records/s, CPU,
 * peak RSS, and the wall and RSS ratios to samtools for the same op.
 */
export function peersTable(results: Result[], input: BenchInput, records: number): string {
  const rows = results.map((r) => {
    if (r.skipped) return [r.op, r.tool, `skipped: ${r.skipped}`, '', '', '', '', '', '', '']
    const sam = results.find((x) => x.op === r.op && x.tool.startsWith('samtools') && !x.skipped)
    const ok = r.outputOk === undefined ? '' : r.outputOk ? 'identical' : '**differs**'
    return [
      r.op, r.tool, fmt(r.wallS), fmt(input.bytes / 1e6 / r.wallS, 0), fmt(records / r.wallS / 1e6, 2), fmt(r.cpuS),
      fmt(r.rssMB, 0), ratio(r.wallS, sam?.wallS), ratio(r.rssMB, sam?.rssMB), ok,
    ]
  })
  return markdownTable(
    ['op', 'tool', 'wall s (median)', 'MB/s', 'M records/s', 'CPU s (user+sys)', 'peak RSS MB', 'wall ÷ samtools', 'RSS ÷ samtools', 'output vs samtools'],
    rows,
  )
}
