/**
 * The issue-11 table: bamstream against samtools, same thread count, one
 * sitting, interleaved rounds, medians: flagstat, count (`view -c`), view →
 * SAM (to /dev/null), view -b → file (and its size), flagstat on a ~1.1 GB
 * file (copies of the input's records) and flagstat on a 1,000-record file
 * (start-up). Bamstream's output is checked against samtools' for each op.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ensureCopies, type BenchInput } from './inputs.js'
import { bamstreamArgv, hasCommand, measure, type Sample } from './measure.js'
import { fmt, markdownTable, median, medianOrNull } from './stats.js'

/** The 1,000-record file of the test corpus, for the start-up row. */
export const TINY_BAM = fileURLToPath(new URL('../../test/fixtures/htslib/htslib_test_ce_1000.bam', import.meta.url))

/** One row's commands. */
interface Row {
  label: string
  input: BenchInput
  bamstream: string[]
  samtools: string[]
  /** Output files to compare in size (view -b), written by the two commands. */
  files?: [string, string]
  discard?: boolean
  /** Compare standard outputs (small outputs only). */
  compare?: boolean
  rounds: number
}

/** A row's medians. */
export interface IssueRow {
  label: string
  input: string
  bamstreamS: number
  bamstreamMB: number | null
  /** CPU seconds (user + system, all threads): less sensitive than wall time to a loaded machine. */
  bamstreamCpuS: number | null
  samtoolsS: number | null
  samtoolsMB: number | null
  samtoolsCpuS: number | null
  note: string
}

/**
 * Runs the rows, interleaved (a warm-up round first), `rounds` rounds (the start-up row 2 more).
 *
 * @example
 * ```ts
 * const rows = await issueRows(realistic, 2, 3)
 * ```
 */
export async function issueRows(input: BenchInput, threads: number, rounds: number, dataDir: string, log = (s: string) => process.stderr.write(s)): Promise<IssueRow[]> {
  const t = String(threads)
  const b = bamstreamArgv()
  const copies = Math.min(64, Math.max(2, Math.round(1.1e9 / input.bytes))) // at most 64 copies of a small input
  fs.mkdirSync(dataDir, { recursive: true })
  const big = await ensureCopies(input, copies, `1G-${copies}x`, dataDir)
  const tiny: BenchInput = { label: 'tiny', path: TINY_BAM, bytes: fs.statSync(TINY_BAM).size }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bamstream-issue-'))
  const bOut = path.join(tmp, 'bamstream.bam')
  const sOut = path.join(tmp, 'samtools.bam')
  const rows: Row[] = [
    { label: 'flagstat', input, bamstream: [...b, 'flagstat', '-@', t, input.path], samtools: ['samtools', 'flagstat', '-@', t, input.path], compare: true, rounds },
    { label: 'count (`view -c`)', input, bamstream: [...b, 'view', '-c', '-@', t, input.path], samtools: ['samtools', 'view', '-c', '-@', t, input.path], compare: true, rounds },
    { label: 'view → SAM (`> /dev/null`)', input, bamstream: [...b, 'view', '-@', t, input.path], samtools: ['samtools', 'view', '--no-PG', '-@', t, input.path], discard: true, rounds },
    { label: 'view -b → file', input, bamstream: [...b, 'view', '-b', '-@', t, '-o', bOut, input.path], samtools: ['samtools', 'view', '--no-PG', '-b', '-@', t, '-o', sOut, input.path], files: [bOut, sOut], rounds },
    { label: `flagstat, ${fmt(big.bytes / 1e9, 1)} GB (${copies} copies)`, input: big, bamstream: [...b, 'flagstat', '-@', t, big.path], samtools: ['samtools', 'flagstat', '-@', t, big.path], compare: true, rounds },
    { label: 'flagstat, 1,000-record file (start-up)', input: tiny, bamstream: [...b, 'flagstat', '-@', t, tiny.path], samtools: ['samtools', 'flagstat', '-@', t, tiny.path], compare: true, rounds: rounds + 2 },
  ]
  const withSamtools = hasCommand('samtools')
  const samples = new Map<string, Sample[]>()
  const add = (k: string, s: Sample): void => { samples.set(k, [...(samples.get(k) ?? []), s]) }
  const nodeBare: Sample[] = []
  const sizes: [number, number][] = []
  const mismatch = new Set<string>()
  try {
    for (let r = 0; r <= rounds + 2; r++) {
      log(r === 0 ? 'issue table: warm-up round' : `issue table: round ${r}/${rounds + 2}`)
      for (const row of rows) {
        if (r > row.rounds) continue
        const bs = await measure(row.bamstream, process.env, { discardStdout: row.discard })
        if (bs.code !== 0) throw new Error(`${row.bamstream.join(' ')} exited with ${bs.code}`)
        let ss: Sample | undefined
        if (withSamtools) {
          ss = await measure(row.samtools, process.env, { discardStdout: row.discard })
          if (ss.code !== 0) throw new Error(`${row.samtools.join(' ')} exited with ${ss.code}`)
          if (row.compare && bs.stdout !== ss.stdout) mismatch.add(row.label)
          if (row.files) sizes.push([fs.statSync(row.files[0]).size, fs.statSync(row.files[1]).size])
        }
        if (r > 0) {
          add(`b ${row.label}`, bs)
          if (ss) add(`s ${row.label}`, ss)
        }
        log('.')
      }
      if (r > 0) nodeBare.push(await measure([process.execPath, '-e', '0']))
      log('\n')
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
  return rows.map((row) => {
    const bs = samples.get(`b ${row.label}`)!
    const ss = samples.get(`s ${row.label}`)
    const notes: string[] = []
    if (mismatch.has(row.label)) notes.push('**output differs from samtools**')
    else if (row.compare && ss) notes.push('output identical')
    const last = sizes[sizes.length - 1]
    if (row.files && last) notes.push(`output ${fmt(100 * (last[0] / last[1] - 1), 2)}% ${last[0] >= last[1] ? 'larger' : 'smaller'} (${fmt(last[0] / 1e6, 1)} vs ${fmt(last[1] / 1e6, 1)} MB)`)
    if (row.input === tiny) notes.push(`\`node -e 0\` alone: ${fmt(median(nodeBare.map((s) => s.wallS)), 3)} s`)
    return {
      label: row.label, input: row.input.path,
      bamstreamS: median(bs.map((s) => s.wallS)), bamstreamMB: medianOrNull(bs.map((s) => s.rssMB)), bamstreamCpuS: medianOrNull(bs.map((s) => s.cpuS)),
      samtoolsS: ss ? median(ss.map((s) => s.wallS)) : null, samtoolsMB: ss ? medianOrNull(ss.map((s) => s.rssMB)) : null,
      samtoolsCpuS: ss ? medianOrNull(ss.map((s) => s.cpuS)) : null,
      note: notes.join('; '),
    }
  })
}

/** The table, as in the issue (wall s, peak RSS), plus CPU seconds and their ratio. */
export function issueTable(rows: IssueRow[], threads: number): string {
  const cpu = (x: number | null): string => (x === null ? 'n/a' : `${fmt(x, 2)} s CPU`)
  return markdownTable(
    ['op', `bamstream -@${threads}`, `samtools -@${threads}`, 'ratio (wall)', 'ratio (CPU)', 'notes'],
    rows.map((r) => [
      r.label,
      `${fmt(r.bamstreamS, r.bamstreamS < 0.5 ? 3 : 2)} s, ${fmt(r.bamstreamMB, 0)} MB, ${cpu(r.bamstreamCpuS)}`,
      r.samtoolsS === null ? 'not installed' : `${fmt(r.samtoolsS, r.samtoolsS < 0.5 ? 3 : 2)} s, ${fmt(r.samtoolsMB, 0)} MB, ${cpu(r.samtoolsCpuS)}`,
      r.samtoolsS === null ? '' : `${fmt(r.bamstreamS / r.samtoolsS, 2)}×`,
      r.samtoolsCpuS && r.bamstreamCpuS ? `${fmt(r.bamstreamCpuS / r.samtoolsCpuS, 2)}×` : '',
      r.note,
    ]),
  )
}
