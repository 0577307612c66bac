#!/usr/bin/env -S node --max-semi-space-size=1
/**
 * The `bamstream` command.
 *
 * @example
 * ```sh
 * bamstream flagstat -@ 2 test/fixtures/htslib/htslib_test_ce_1000.bam
 * bamstream count -F 4 in.bam
 * ```
 */
import { Command, CommanderError } from 'commander'
import { BamError } from '../errors.js'
import { errnoText } from '../engine/sink.js'
import { enablePeriodicGc } from '../engine/gc.js'
import { addDaemonSummaries, DAEMON_COMMANDS } from './daemon-summary.js'
import { registerViewCommand } from './view.js'
import { registerWorkerCommand } from './cluster.js'
import { registerCountCommand, registerFlagstatCommand, registerIdxstatsCommand, registerRunCommand } from './stats.js'

/** The package version (package.json). */
const VERSION = '0.1.0'

/**
 * Builds the command tree (exported for tests). The daemon's commands, whose
 * modules (SQLite, the sensor) take longest to load, are added only when
 * `argv` runs one of them or asks for its help; otherwise stand-ins that the
 * top-level help lists the same way (src/cli/daemon-summary.ts).
 */
export async function buildProgram(argv: string[] = process.argv): Promise<Command> {
  const program = new Command('bamstream')
    .description('Parallel, streaming BAM engine: reads a BAM once, front to back, on every core, in flat memory.')
    .version(VERSION, '-V, --version', 'print the version and which inflater and deflater are in use')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
  registerFlagstatCommand(program)
  registerCountCommand(program)
  registerIdxstatsCommand(program)
  registerViewCommand(program)
  registerRunCommand(program)
  registerWorkerCommand(program)
  const [first, second] = argv.slice(2)
  if (DAEMON_COMMANDS.includes(first ?? '') || (first === 'help' && DAEMON_COMMANDS.includes(second ?? ''))) {
    const { registerDaemonCommands } = await import('./daemon.js')
    registerDaemonCommands(program)
  } else {
    addDaemonSummaries(program)
  }
  return program
}

/**
 * Prints an error as one line naming the input and byte offset, and sets a
 * non-zero exit code. An op's own failure (`ERR_OP`) is followed by the op's
 * stack: the bug is in the op's code, and that is where it points.
 */
export function reportError(command: string, e: unknown): void {
  const line = e instanceof BamError ? e.describe() : (e as Error)?.message ?? String(e)
  process.stderr.write(`bamstream${command ? ` ${command}` : ''}: ${line}\n`)
  if (e instanceof BamError && e.code === 'ERR_OP' && e.cause instanceof Error && e.cause.stack) process.stderr.write(`${e.cause.stack}\n`)
  if (process.env.BAMSTREAM_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`)
  process.exitCode = 1
}

/**
 * What `bamstream --version` prints: the version, then which inflater and
 * deflater this installation uses (`BAMSTREAM_INFLATE`/`BAMSTREAM_DEFLATE` respected) (the native libdeflate addon, or node:zlib
 * when it was not built), whether SAM formatting, the flagstat/count record walk and the header walk
 * of local files run natively (`BAMSTREAM_SAM`, `BAMSTREAM_SCAN`, `BAMSTREAM_WALK`), and where the addon is.
 *
 * @example
 * ```ts
 * process.stdout.write(await versionText()) // 'bamstream 0.1.0\ninflater: libdeflate (native)\n…'
 * ```
 */
export async function versionText(): Promise<string> {
  const { requireInflater } = await import('../bgzf/inflate-select.js')
  const { defaultDeflater } = await import('../bgzf/deflate.js')
  const { nativeAddonPath, loadAddon } = await import('../bgzf/native.js')
  const file = nativeAddonPath()
  const addon = file === null ? 'not built (needs libdeflate-dev and a C compiler; then npm run build:native)' : loadAddon() ? file : `${file} (does not load: rebuild it with npm run build:native)`
  const { nativeSamFormatter } = await import('../bam/sam.js')
  const { nativeScanKernel } = await import('../bam/scan.js')
  const { nativeWalk } = await import('../engine/ranges.js')
  const kernel = (native: unknown): string => native ? 'native' : 'JavaScript'
  return `bamstream ${VERSION}\nnode ${process.version}\ninflater: ${(await requireInflater()).name}\ndeflater: ${defaultDeflater().name}\n` +
    `SAM formatter: ${kernel(nativeSamFormatter())}\nscan kernel (flagstat, count): ${kernel(nativeScanKernel())}\n` +
    `header walk (local files): ${kernel(nativeWalk())}\nnative addon: ${addon}\n`
}

/** The commands that run one job and end (not the daemon's, nor `worker`, which serve until stopped). */
const ONE_SHOT = new Set(['flagstat', 'count', 'idxstats', 'view', 'run'])

/**
 * Ends the process once a one-shot command has written all its output: Node
 * then stops the worker threads itself, where an orderly end waits for the
 * pool's teardown and then for each thread's (~40 ms for two workers,
 * measured on flagstat -@2). Nothing is cut short: the command has awaited
 * every write, and stdout and stderr hold nothing unwritten (else the
 * process ends as usual).
 */
function exitIfDone(command: string | undefined): void {
  if (command === undefined || !ONE_SHOT.has(command)) return
  if (process.stdout.writableLength > 0 || process.stderr.writableLength > 0) return
  process.exit(process.exitCode ?? 0)
}

async function main(argv: string[]): Promise<void> {
  if (argv.length === 3 && (argv[2] === '--version' || argv[2] === '-V')) {
    process.stdout.write(await versionText())
    return
  }
  enablePeriodicGc() // flat memory on long runs (src/engine/gc.ts); this is our own process
  const program = await buildProgram(argv)
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0) // the reader went away (`| head`): stop quietly
    reportError(program.args[0] ?? '', new BamError('ERR_OUTPUT', `cannot write standard output: ${errnoText(e)}`))
    process.exit(1)
  })
  try {
    await program.parseAsync(argv)
    exitIfDone(program.args[0])
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode
      return
    }
    reportError(program.args[0] ?? '', e)
  }
}

// Not awaited: the bundle (scripts/bundle.mjs) is CommonJS, which has no top-level await. main() reports its own errors.
void main(process.argv)
