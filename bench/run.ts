/**
 * `npm run bench`: generates its inputs on demand (bench/data/, gitignored),
 * runs the chosen sections and prints one markdown report, also written to
 * bench/results/ (with the memory chart as SVG).
 *
 * Sections: `startup` (bamstream's start-up over bare Node, and each help: bench/startup.ts), `issue` (the issue-11 table against samtools, on the realistic
 * aligner-made input of bench/realistic.ts when dwgsim, minimap2 and samtools
 * are installed, and on the synthetic one), `profile` (where the CPU goes per
 * op), `peers` (whole-process comparison with samtools, sambamba and
 * @gmod/bam), `inflate-only`, `micro` (tinybench hot paths), `memory`
 * (streaming vs --buffered on growing inputs), `threads`, `chunk-size`,
 * `deflate-levels` (BAM output level by benchmark), `cluster` (BullMQ/Redis against local: bench/cluster.ts).
 *
 * @example
 * ```sh
 * npm run bench                                   # startup, issue, profile, peers, inflate-only, micro
 * npm run bench -- --all                          # everything (needs ~6 GB in bench/data)
 * npm run bench -- --only memory --sizes 200M,1G,4G --rounds 1
 * npm run bench -- --input /data/my.bam --only peers --threads 2
 * ```
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { defaultInflater } from '../src/bgzf/inflate-select.js'
import { loadFixture, microTable, type MicroRow } from './fixture.js'
import { inflateSuite } from './inflate.bench.js'
import { scanSuite } from './scan.bench.js'
import { walkSuite } from './walk.bench.js'
import { kernelSuite } from './kernel.bench.js'
import { boundarySuite } from './boundary.bench.js'
import { opsSuite } from './ops.bench.js'
import { inflateOnly } from './inflate-only.js'
import { DATA_DIR, ensureBase, ensureCopies, type BenchInput } from './inputs.js'
import { bamstreamArgv, hasCommand, measure } from './measure.js'
import { memoryChart, memoryScaling, memoryTable } from './memory.js'
import { contenders, ensureIndex, peersTable, runPeers } from './peers.js'
import { chunkSizes, chunkTable } from './chunk-size.js'
import { threadScaling, threadTable } from './threads.js'
import { fmt } from './stats.js'
import { parseSize } from './generate.js'
import { clusterSection } from './cluster.js'
import { ensureRealistic, missingRealisticTools, realisticRecipe, DEFAULT_PAIRS } from './realistic.js'
import { issueRows, issueTable } from './issue.js'
import { profileOps, profileTable } from './profile.js'
import { deflateLevels, levelsTable } from './deflate-levels.js'
import { startupRows, startupTable } from './startup.js'

const USAGE = `usage: npm run bench -- [options]
  --only a,b      sections to run: startup, issue, profile, peers, inflate-only, micro, memory, threads,
                  chunk-size, deflate-levels, cluster (default: startup, issue, profile, peers, inflate-only, micro)
  --inputs LIST   inputs of the issue and profile sections: realistic, synthetic (default both;
                  realistic needs dwgsim, minimap2 and samtools: apt-get install dwgsim minimap2 samtools)
  --pairs N       read pairs of the realistic input (default ${DEFAULT_PAIRS})
  --all           every section (memory needs ~6 GB in bench/data)
  --rounds N      whole-process rounds per contender; medians are reported (default 5)
  --threads N     threads for bamstream and its peers (default: all cores)
  --input FILE    benchmark this BAM instead of the generated 200 MB one
  --sizes LIST    memory-scaling input sizes (default 200M,1G,4G)
  --data DIR      where generated inputs live (default bench/data)
  --out FILE      report path (default bench/results/report.md)
`

const SECTIONS = ['startup', 'issue', 'profile', 'peers', 'inflate-only', 'micro', 'memory', 'threads', 'chunk-size', 'deflate-levels', 'cluster'] as const
const DEFAULT_SECTIONS = ['startup', 'issue', 'profile', 'peers', 'inflate-only', 'micro']
const RESULTS = fileURLToPath(new URL('../../bench/results/', import.meta.url))

interface Args { sections: string[]; rounds: number; threads: number; data: string; input?: string; sizes: string[]; out: string; inputs: string[]; pairs: number }

function parse(argv: string[]): Args {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string' }, all: { type: 'boolean' }, rounds: { type: 'string' }, threads: { type: 'string' },
      data: { type: 'string' }, input: { type: 'string' }, sizes: { type: 'string' }, out: { type: 'string' },
      inputs: { type: 'string' }, pairs: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (v.help) {
    process.stdout.write(USAGE)
    process.exit(0)
  }
  const sections = v.all ? [...SECTIONS] : v.only ? v.only.split(',') : DEFAULT_SECTIONS
  for (const s of sections) if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`unknown section ${s} (${SECTIONS.join(', ')})`)
  return {
    sections, rounds: Number(v.rounds ?? 5), threads: Number(v.threads ?? os.availableParallelism()),
    data: v.data ?? DATA_DIR, input: v.input, sizes: (v.sizes ?? '200M,1G,4G').split(','), out: v.out ?? path.join(RESULTS, 'report.md'),
    inputs: (v.inputs ?? 'realistic,synthetic').split(','), pairs: Number(v.pairs ?? DEFAULT_PAIRS),
  }
}

function versionOf(cmd: string, args: string[]): string {
  if (!hasCommand(cmd)) return 'not installed'
  const r = spawnSync(cmd, args, { encoding: 'utf8' })
  return `${r.stdout}${r.stderr}`.split('\n').find((l) => /\d+\.\d+/.test(l))?.trim() ?? 'unknown version'
}

function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
  return [
    `- machine: ${cpu}, ${os.availableParallelism()} cores available, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.platform()} ${os.release()}`,
    `- Node ${process.version}; bamstream inflater: ${defaultInflater().name}`,
    `- peers: ${versionOf('samtools', ['--version'])}; sambamba ${versionOf('sambamba', ['--version'])}; @gmod/bam ${gmodVersion()}`,
    `- date: ${new Date().toISOString()}; load average at start: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`,
  ].join('\n') + '\n'
}

function gmodVersion(): string {
  try {
    const pkg = fileURLToPath(new URL('../../node_modules/@gmod/bam/package.json', import.meta.url))
    return (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version: string }).version
  } catch {
    return 'not installed'
  }
}

async function records(input: BenchInput): Promise<number> {
  const s = await measure([...bamstreamArgv(), 'count', input.path])
  return Number(s.stdout.trim())
}

async function sectionPeers(a: Args, base: BenchInput): Promise<string> {
  ensureIndex(base.path)
  const n = await records(base)
  const results = await runPeers(contenders(base.path, a.threads), a.rounds)
  return `## Whole-process comparison (${a.threads} threads, median of ${a.rounds} interleaved rounds after a warm-up round)\n\n` +
    `Input: ${path.basename(base.path)}, ${fmt(base.bytes / 1e6, 1)} MB on disk, ${n} records. MB/s counts compressed bytes on disk. ` +
    'Ratios are tool ÷ samtools for the same op (below 1: faster or smaller than samtools).\n\n' + peersTable(results, base, n)
}

async function sectionInflateOnly(a: Args, base: BenchInput): Promise<string> {
  const r = await inflateOnly(base.path, a.threads)
  const whole = await measure([...bamstreamArgv(), 'flagstat', '-@', String(a.threads), base.path])
  const share = r.wallS / whole.wallS
  return `## Inflate-only ceiling (${a.threads} threads)\n\n` +
    `${r.inflater} inflating every chunk of ${path.basename(base.path)} (CRC32 and ISIZE checked, data already in memory, nothing else): ` +
    `${fmt(r.wallS, 3)} s, ${fmt(r.isize / 1e6 / r.wallS, 0)} MB/s uncompressed. ` +
    `A whole \`bamstream flagstat -@${a.threads}\` process on the same file: ${fmt(whole.wallS, 3)} s, ${fmt(r.isize / 1e6 / whole.wallS, 0)} MB/s uncompressed = ` +
    `**${fmt(100 * share, 0)}%** of the inflate-only throughput.\n`
}

async function sectionMicro(base: BenchInput): Promise<string> {
  const fx = await loadFixture(base.path)
  const rows: MicroRow[] = []
  for (const suite of [scanSuite, inflateSuite, walkSuite, kernelSuite, boundarySuite, opsSuite]) rows.push(...(await suite(fx)))
  return `## Microbenchmarks (tinybench, one thread, one 4 MiB chunk of ${path.basename(base.path)}; MB/s of uncompressed bytes, of file bytes for the scanner)\n\n` + microTable(rows)
}

async function sectionMemory(a: Args, base: BenchInput): Promise<string> {
  const inputs: BenchInput[] = []
  for (const label of a.sizes) {
    const copies = Math.max(1, Math.round(parseSize(label) / base.bytes))
    inputs.push(copies === 1 ? base : await ensureCopies(base, copies, label, a.data))
  }
  const rows = await memoryScaling(inputs, a.threads, Math.max(1, Math.min(a.rounds, 3)))
  fs.mkdirSync(RESULTS, { recursive: true })
  fs.writeFileSync(path.join(RESULTS, 'memory.svg'), memoryChart(rows))
  return `## Memory scaling: streaming vs --buffered (flagstat -@${a.threads}, peak RSS of the whole process)\n\n` + memoryTable(rows) +
    '\nChart: bench/results/memory.svg\n'
}

/** The inputs of the issue and profile sections: the realistic one (when its tools are installed) and the synthetic one. */
function issueInputs(a: Args, base: BenchInput): { name: string, input: BenchInput, about: string }[] {
  const out: { name: string, input: BenchInput, about: string }[] = []
  if (a.input) return [{ name: 'given', input: base, about: `Input: ${a.input}.` }]
  if (a.inputs.includes('realistic')) {
    const r = ensureRealistic({ pairs: a.pairs, dir: a.data })
    if (r) {
      out.push({
        name: 'realistic', input: r,
        about: `Input: aligner-made ${path.basename(r.path)}, ${fmt(r.bytes / 1e6, 0)} MB: ${a.pairs} simulated 2×150 bp read pairs aligned with minimap2 and sorted by samtools (bench/realistic.ts). Recipe:\n\n\`\`\`sh\n${realisticRecipe(a.pairs, 2)}\n\`\`\`\n`,
      })
    }
  }
  if (a.inputs.includes('synthetic')) out.push({ name: 'synthetic', input: base, about: `Input: synthetic ${path.basename(base.path)}, ${fmt(base.bytes / 1e6, 0)} MB (bench/generate.ts).` })
  return out
}

async function sectionIssue(a: Args, base: BenchInput): Promise<string> {
  let text = ''
  const missing = missingRealisticTools()
  if (missing.length > 0 && !a.input) text += `Realistic input not made here: ${missing.join(', ')} not installed (apt-get install dwgsim minimap2 samtools); synthetic input only.\n\n`
  for (const { name, input, about } of issueInputs(a, base)) {
    const rows = await issueRows(input, a.threads, Math.max(3, Math.min(a.rounds, 5)), a.data)
    text += `## Issue 11 table, ${name} input (${a.threads} threads, one sitting, medians of interleaved rounds; peak RSS)\n\n${about}\n\n${issueTable(rows, a.threads)}\n`
  }
  return text
}

async function sectionProfile(a: Args, base: BenchInput): Promise<string> {
  let text = '## Where the CPU goes (node --cpu-prof, every thread; share of each thread kind\'s busy time)\n\n'
  for (const { name, input } of issueInputs(a, base)) {
    text += `${name} input (${path.basename(input.path)}), -@${a.threads}:\n\n${profileTable(profileOps(input.path, a.threads))}\n`
  }
  return text
}

async function sectionStartup(a: Args): Promise<string> {
  const rounds = Math.max(9, a.rounds)
  return `## Start-up (median of ${rounds} interleaved rounds after a warm-up round; load average ${os.loadavg()[0]!.toFixed(2)})\n\n` +
    'Whole processes, as package.json\'s bin runs them (the bundle of scripts/bundle.mjs). "Over bare Node" is the wall time less ' +
    "`node -e 0`'s in the same rounds: what bamstream adds to Node's own start. Output to a pipe (view: /dev/null).\n\n" +
    startupTable(await startupRows(rounds))
}

async function main(): Promise<void> {
  const a = parse(process.argv.slice(2))
  const base: BenchInput = a.input ? { label: 'input', path: a.input, bytes: fs.statSync(a.input).size } : ensureBase(a.data)
  let report = `# bamstream benchmarks\n\n${machine()}\n`
  const sections: Record<string, () => Promise<string>> = {
    startup: () => sectionStartup(a),
    issue: () => sectionIssue(a, base),
    profile: () => sectionProfile(a, base),
    'deflate-levels': async () => {
      const input = issueInputs(a, base)[0]?.input ?? base
      return `## BAM output level (one thread, first 32 MB of ${path.basename(input.path)}'s records)\n\n${levelsTable(await deflateLevels(input.path))}`
    },
    peers: () => sectionPeers(a, base),
    'inflate-only': () => sectionInflateOnly(a, base),
    micro: () => sectionMicro(base),
    memory: () => sectionMemory(a, base),
    threads: async () => `## Thread scaling (median of ${a.rounds})\n\n` + threadTable(await threadScaling(base, a.rounds), base),
    cluster: () => clusterSection(a, base),
    'chunk-size': async () => `## Chunk size (flagstat -@${a.threads}, median of ${a.rounds})\n\n` + chunkTable(await chunkSizes(base, a.threads, a.rounds), base),
  }
  for (const s of a.sections) {
    const text = `${await sections[s]!()}\n`
    process.stdout.write(`\n${text}`)
    report += text
  }
  fs.mkdirSync(path.dirname(a.out), { recursive: true })
  fs.writeFileSync(a.out, report)
  process.stderr.write(`report written to ${a.out}\n`)
}

main().catch((e: unknown) => {
  console.error(e)
  process.exitCode = 1
})
