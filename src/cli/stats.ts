/**
 * `bamstream flagstat` and `bamstream count`.
 */
import type { Command } from 'commander'
import type { IdxstatsLine } from '../ops/idxstats.js'
import { BamError } from '../errors.js'
import { addSamtoolsFilters, samtoolsFilters, type FilterFlags } from './filter-options.js'
import { addEngineOptions, engineOptions, type EngineFlags } from './options.js'
import { writeStdout } from './output.js'
import { addClusterOptions, clusterOptions, type ClusterFlags } from './cluster.js'

const INPUT_HELP = 'BAM file path, http(s):// URL, or - for stdin'

// The engine and the ops load inside each action (dynamic import), so that a command loads only the modules it runs.

/** Registers `flagstat`. */
export function registerFlagstatCommand(program: Command): void {
  const cmd = program.command('flagstat')
    .description('FLAG statistics; output identical to `samtools flagstat` (or `-O json`)')
    .argument('<input>', INPUT_HELP)
    .option('--json', 'JSON output, as `samtools flagstat -O json`')
    .option('-O, --output-fmt <fmt>', 'default or json (samtools-compatible)', 'default')
  addClusterOptions(addEngineOptions(cmd, { buffered: true })).action(async (input: string, o: EngineFlags & { json?: boolean; outputFmt: string } & ClusterFlags) => {
    const fmt = o.json ? 'json' : o.outputFmt.toLowerCase()
    if (fmt !== 'json' && fmt !== 'default') throw new BamError('ERR_OPTION', `unknown output format "${o.outputFmt}" (default or json)`)
    const { flagstat } = await import('../engine/api.js')
    const { formatFlagstat, formatFlagstatJson } = await import('../ops/flagstat.js')
    const result = await flagstat(input, { ...engineOptions(o), ...clusterOptions(o) })
    await writeStdout(fmt === 'json' ? formatFlagstatJson(result) : formatFlagstat(result))
  })
}

/** Registers `count`. */
export function registerCountCommand(program: Command): void {
  const cmd = program.command('count')
    .description('count records, like `samtools view -c` with the same filters (-f/-F/-G/--rf/-q/-e/-s)')
    .argument('<input>', INPUT_HELP)
  addClusterOptions(addSamtoolsFilters(addEngineOptions(cmd, { buffered: true }))).action(async (input: string, o: EngineFlags & FilterFlags & ClusterFlags) => {
    const { count } = await import('../engine/api.js')
    const n = await count(input, { ...samtoolsFilters(o), ...engineOptions(o), ...clusterOptions(o) })
    await writeStdout(`${n}\n`)
  })
}

/** Registers `idxstats`. */
export function registerIdxstatsCommand(program: Command): void {
  const cmd = program.command('idxstats')
    .description('mapped/unmapped counts per reference, identical to `samtools idxstats`, by a full scan: no index needed')
    .argument('<input>', INPUT_HELP)
  addClusterOptions(addEngineOptions(cmd, { buffered: true })).action(async (input: string, o: EngineFlags & ClusterFlags) => {
    const { run } = await import('../engine/run.js')
    const { formatIdxstats } = await import('../ops/idxstats.js')
    const lines = await run<IdxstatsLine[]>(input, 'idxstats', {}, { ...engineOptions(o), ...clusterOptions(o) })
    await writeStdout(Buffer.from(formatIdxstats(lines), 'latin1')) // names are latin1: their bytes, raw
  })
}

/** Registers `run`: a user's op module over a BAM, the result printed as JSON. */
export function registerRunCommand(program: Command): void {
  const cmd = program.command('run')
    .description("run your own op (a module whose default export implements Op) over every record; prints the result as JSON")
    .argument('<op>', 'op module path (e.g. ./examples/reverse-strand.js) or a built-in op name')
    .argument('<input>', INPUT_HELP)
    .option('--options <json>', "the op's options, as JSON", '{}')
  addClusterOptions(addEngineOptions(cmd, { buffered: true })).action(async (op: string, input: string, o: EngineFlags & { options: string } & ClusterFlags) => {
    let opOptions: object
    try {
      opOptions = JSON.parse(o.options) as object
    } catch {
      throw new BamError('ERR_OPTION', `--options is not valid JSON: ${o.options}`)
    }
    const { run } = await import('../engine/run.js')
    const result = await run(input, op, opOptions, { ...engineOptions(o), ...clusterOptions(o) })
    await writeStdout(`${JSON.stringify(result, null, 2)}\n`)
  })
}
