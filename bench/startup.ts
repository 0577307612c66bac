/**
 * Start-up: what bamstream costs over bare Node on a file too small to take
 * any time (issue 11: a tiny file's flagstat ≤ 0.10 s wall), and how fast each
 * help answers. Every command is run whole, interleaved with `node -e 0`,
 * median of the rounds; the overhead is bamstream's wall time less bare
 * Node's in the same rounds.
 *
 * @example
 * ```ts
 * console.log(startupTable(await startupRows(9)))
 * ```
 */
import { bamstreamArgv, measure, type Sample } from './measure.js'
import { TINY_BAM } from './issue.js'
import { fmt, markdownTable, median, medianOrNull } from './stats.js'

/** One measured command line. */
export interface StartupRow {
  label: string
  wallS: number
  cpuS: number | null
  rssMB: number | null
  /** Wall seconds over bare Node's median (null for bare Node itself). */
  overS: number | null
}

/** What is measured: bare Node first, then bamstream's commands on the 1,000-record file, then the helps. */
function commands(): { label: string; argv: string[]; discard?: boolean }[] {
  const b = bamstreamArgv()
  return [
    { label: '`node -e 0` (bare Node)', argv: [process.execPath, '-e', '0'] },
    { label: 'flagstat, 1,000-record file', argv: [...b, 'flagstat', TINY_BAM] },
    { label: 'count (`view -c`), 1,000-record file', argv: [...b, 'view', '-c', TINY_BAM] },
    { label: 'view → SAM, 1,000-record file (`> /dev/null`)', argv: [...b, 'view', TINY_BAM], discard: true },
    { label: '`--version` (loads the native addon)', argv: [...b, '--version'] },
    { label: '`--help`', argv: [...b, '--help'] },
    { label: '`view --help`', argv: [...b, 'view', '--help'] },
    { label: '`daemon --help` (loads the sensor)', argv: [...b, 'daemon', '--help'] },
  ]
}

/**
 * Runs every command `rounds` times, interleaved, after a warm-up round.
 *
 * @example
 * ```ts
 * const rows = await startupRows(9)
 * ```
 */
export async function startupRows(rounds: number, log = (s: string) => process.stderr.write(s)): Promise<StartupRow[]> {
  const list = commands()
  const samples: Sample[][] = list.map(() => [])
  for (let r = 0; r <= rounds; r++) {
    log(r === 0 ? 'start-up: warm-up round' : `start-up: round ${r}/${rounds}`)
    for (const [i, c] of list.entries()) {
      const s = await measure(c.argv, process.env, { discardStdout: c.discard })
      if (s.code !== 0) throw new Error(`${c.argv.join(' ')} exited with ${s.code}`)
      if (r > 0) samples[i]!.push(s)
    }
    log('\n')
  }
  const bare = median(samples[0]!.map((s) => s.wallS))
  return list.map((c, i) => {
    const wallS = median(samples[i]!.map((s) => s.wallS))
    return {
      label: c.label, wallS, cpuS: medianOrNull(samples[i]!.map((s) => s.cpuS)), rssMB: medianOrNull(samples[i]!.map((s) => s.rssMB)),
      overS: i === 0 ? null : wallS - bare,
    }
  })
}

/**
 * The rows as a markdown table.
 *
 * @example
 * ```ts
 * startupTable(rows) // '| command | wall s | over bare Node | CPU s | RSS MB |\n…'
 * ```
 */
export function startupTable(rows: StartupRow[]): string {
  return markdownTable(['command', 'wall s', 'over bare Node, s', 'CPU s', 'peak RSS MB'], rows.map((r) => [
    r.label, fmt(r.wallS, 3), r.overS === null ? '' : fmt(r.overS, 3), fmt(r.cpuS, 3), fmt(r.rssMB, 0),
  ]))
}
