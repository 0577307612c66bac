/**
 * Where the CPU goes, per op: runs `bamstream <op> -@N` once under
 * `node --cpu-prof` (one profile per thread: the main thread and each worker),
 * sorts every sample's self time into a category by the function and file it
 * fell in, and tabulates the categories for the main thread and for the
 * workers together. Profiling slows the run a little; shares are what to read.
 *
 * @example
 * ```sh
 * node dist/bench/profile.js bench/data/realistic-1000000.bam
 * ```
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { spawnSync } from 'node:child_process'
import { fmt, markdownTable } from './stats.js'

/**
 * The command as tsc compiled it (dist/src/cli/main.js, one file per module,
 * its pool loading workers/entry.cjs), not the bundle users run: the same
 * code, but each sample's file tells which part of the pipeline it is in.
 * Start-up is measured on the bundle by bench/startup.ts.
 */
function moduleArgv(): string[] {
  return [process.execPath, fileURLToPath(new URL('../src/cli/main.js', import.meta.url))]
}

/** Categories, in table order. */
export const CATEGORIES = [
  'inflate', 'parse (walk, boundary guess)', 'op kernel', 'compress (view -b)', 'read, scan, plan', 'stitch, merge',
  'transfer (messages, structured clone)', 'output (write)', 'start-up (module loading, compile)', 'GC', 'other', 'idle',
] as const
/** One of {@link CATEGORIES}. */
export type Category = (typeof CATEGORIES)[number]

interface CallFrame { functionName: string, url: string }
interface ProfileNode { id: number, callFrame: CallFrame }
interface CpuProfile { nodes: ProfileNode[], samples: number[], timeDeltas: number[] }

/** Rules: the first whose test matches a frame names its category. */
const RULES: [Category, (f: CallFrame, file: string) => boolean][] = [
  ['idle', (f) => f.functionName === '(idle)' || f.functionName === 'atomicsWaitLoop'],
  ['GC', (f) => f.functionName === '(garbage collector)'],
  ['compress (view -b)', (f, file) => file === 'deflate.js' || file === 'writer.js' || (f.url === '' && f.functionName === 'deflate')],
  ['inflate', (f, file) => file.startsWith('inflate') || ['inflate', 'gunzipSync', 'processChunkSync', 'inflateRawSync'].includes(f.functionName)],
  ['parse (walk, boundary guess)', (f, file) => ['walk.js', 'validate.js', 'boundary.js', 'record.js', 'kernel.js', 'chunk.js'].includes(file) || f.functionName === 'scanRecords'],
  ['op kernel', (f, file) => f.url.includes('/ops/') || ['sam.js', 'aux.js', 'flags.js'].includes(file) || f.functionName === 'samAppend'],
  ['read, scan, plan', (f, file) => ['scanner.js', 'planner.js', 'source.js', 'reader.js', 'block.js', 'header.js', 'ranges.js'].includes(file) || ['read', 'readSync', 'fstat', 'open'].includes(f.functionName)],
  ['stitch, merge', (_, file) => ['stitcher.js', 'run.js', 'bytes.js'].includes(file)],
  ['transfer (messages, structured clone)', (f) => f.url.includes('piscina') || f.url.includes('internal/worker') || f.url.includes('internal/per_context/messageport') || ['postMessage', 'structuredClone', 'receiveMessageOnPort'].includes(f.functionName)],
  ['output (write)', (f, file) => ['sink.js', 'output.js', 'view.js'].includes(file) || f.url.includes('internal/streams') || f.url.includes('internal/fs') || ['writeBuffer', 'writeUtf8String', 'writev', 'writeSync', 'writeBuffers'].includes(f.functionName)],
  ['start-up (module loading, compile)', (f) => f.url.includes('internal/modules') || f.url.includes('node_modules/commander') || f.functionName === 'compileForInternalLoader' || f.functionName === 'compileFunction' || f.functionName === 'compileSourceTextModule'],
]

/** Category of one frame. */
export function categorize(f: CallFrame): Category {
  const file = path.basename(f.url)
  for (const [category, test] of RULES) if (test(f, file)) return category
  return 'other'
}

/** Self time (ms) per category of one profile. */
export function summarize(profile: CpuProfile): Map<Category, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const out = new Map<Category, number>()
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!)
    if (!node) continue
    const c = categorize(node.callFrame)
    out.set(c, (out.get(c) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000)
  }
  return out
}

/** One op's summary: ms per category on the main thread and on all workers. */
export interface OpProfile { op: string, wallS: number, main: Map<Category, number>, workers: Map<Category, number> }

/**
 * Profiles `bamstream <args>` (a command line after `bamstream`), stdout discarded.
 *
 * @example
 * ```ts
 * const p = profileRun('flagstat', ['flagstat', '-@', '2', 'x.bam'])
 * ```
 */
export function profileRun(op: string, args: string[]): OpProfile {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bamstream-prof-'))
  try {
    const [node, ...rest] = moduleArgv()
    // standard output to /dev/null opened write-only, as a shell's `> /dev/null` (see measure.ts)
    const devNull = fs.openSync('/dev/null', 'w')
    const started = performance.now()
    let r: ReturnType<typeof spawnSync>
    try {
      r = spawnSync(node!, ['--cpu-prof', `--cpu-prof-dir=${dir}`, ...rest, ...args], { stdio: ['ignore', devNull, 'pipe'], encoding: 'utf8' })
    } finally {
      fs.closeSync(devNull)
    }
    const wallS = (performance.now() - started) / 1000
    if (r.status !== 0) throw new Error(`bamstream ${args.join(' ')} failed: ${r.stderr}`)
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort()
    // Node names them CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile; thread 0 is the main thread
    const main = new Map<Category, number>()
    const workers = new Map<Category, number>()
    for (const f of files) {
      const threadId = f.split('.')[4]
      const target = threadId === '0' ? main : workers
      for (const [c, ms] of summarize(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as CpuProfile)) target.set(c, (target.get(c) ?? 0) + ms)
    }
    return { op, wallS, main, workers }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** Busy ms (all but idle) of a summary. */
function busy(m: Map<Category, number>): number {
  let t = 0
  for (const [c, ms] of m) if (c !== 'idle') t += ms
  return t
}

/**
 * The table: one row per op and thread kind, one column per category, as a
 * share of that thread kind's busy time (idle in ms, apart).
 */
export function profileTable(rows: OpProfile[]): string {
  const cats = CATEGORIES.filter((c) => c !== 'idle')
  const line = (op: string, where: string, m: Map<Category, number>): string[] => {
    const total = busy(m)
    return [op, where, fmt(total / 1000, 2), ...cats.map((c) => (m.get(c) ? `${fmt((100 * m.get(c)!) / total, 0)}%` : '')), fmt((m.get('idle') ?? 0) / 1000, 2)]
  }
  return markdownTable(
    ['op', 'thread', 'busy CPU s', ...cats, 'idle s'],
    rows.flatMap((r) => [line(r.op, 'main', r.main), line(r.op, 'workers', r.workers)]),
  )
}

/**
 * The ops on `file` at `threads` threads.
 *
 * @example
 * ```ts
 * process.stdout.write(profileTable(profileOps('x.bam', 2)))
 * ```
 */
export function profileOps(file: string, threads: number, outDir = os.tmpdir()): OpProfile[] {
  const t = ['-@', String(threads)]
  const bam = path.join(outDir, `bamstream-prof-${process.pid}.bam`)
  try {
    return [
      profileRun('flagstat', ['flagstat', ...t, file]),
      profileRun('count', ['count', ...t, file]),
      profileRun('view → SAM', ['view', ...t, file]),
      profileRun('view -b', ['view', '-b', ...t, '-o', bam, file]),
    ]
  } finally {
    fs.rmSync(bam, { force: true })
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(profileTable(profileOps(process.argv[2] ?? 'test/fixtures/htslib/htslib_test_ce_large_seq.bam', Number(process.argv[3] ?? 2))))
}
