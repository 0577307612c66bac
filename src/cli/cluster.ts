/**
 * The cluster's command-line parts: `--redis URL` and `--split-size` on every
 * command that reads a whole file, and `bamstream worker`.
 */
import { Option, type Command } from 'commander'
import { defaultThreads } from '../engine/pool.js'
import { BamError } from '../errors.js'
import { parseInteger, parseSize, parseThreads } from './options.js'

/** The flags {@link addClusterOptions} adds, as commander parses them. */
export interface ClusterFlags {
  redis?: string
  splitSize?: number
  partsDir?: string
}

/**
 * Adds `--redis URL` and `--split-size` to a command.
 *
 * @example
 * ```ts
 * addClusterOptions(program.command('count'))
 * ```
 */
export function addClusterOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--redis <url>', 'run on the cluster: the Redis URL `bamstream worker` processes take jobs from (input: a shared path or http(s) URL)'))
    .addOption(new Option('--split-size <bytes>', 'with --redis: compressed bytes per split (k, M, G suffixes)').argParser(parseSize).default(undefined, '256M'))
    .addOption(new Option('--parts-dir <dir>', 'with --redis, for view: a folder every worker can write, for the splits\' part files (default: beside -o, else the temporary folder)'))
}

/**
 * The run options for the cluster flags.
 *
 * @example
 * ```ts
 * count(input, { ...clusterOptions(o) })
 * ```
 */
export function clusterOptions(o: ClusterFlags): { redis?: string; splitBytes?: number; partsDir?: string; onClusterIdle?: (ms: number) => void } {
  if ((o.splitSize !== undefined || o.partsDir !== undefined) && !o.redis) throw new BamError('ERR_OPTION', '--split-size and --parts-dir need --redis')
  if (!o.redis) return {}
  const onClusterIdle = (ms: number): void => {
    process.stderr.write(`bamstream: no worker has taken a split in ${Math.round(ms / 1000)} s; still waiting (start workers with: bamstream worker --redis ${withoutPassword(o.redis!)})\n`)
  }
  return { redis: o.redis, splitBytes: o.splitSize, partsDir: o.partsDir, onClusterIdle }
}

/** A Redis URL with its password masked, for messages. */
function withoutPassword(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@')
}

const WORKER_HELP = `
Takes split and merge jobs of cluster runs (any command with --redis) from
Redis and runs them on this machine's pool. Start one per machine; every
machine must read the inputs by the same path (a shared filesystem) or by URL.
A worker killed mid-split loses nothing: after --lock-timeout another worker
takes the split over. Stop with SIGINT/SIGTERM (running splits finish first).

Examples:
  redis-server --appendonly yes --port 6379
  bamstream worker --redis redis://queue-host:6379 --threads 16 --concurrency 2`

/**
 * Registers `bamstream worker`.
 *
 * @example
 * ```ts
 * registerWorkerCommand(program)
 * ```
 */
export function registerWorkerCommand(program: Command): void {
  program.command('worker')
    .description('take cluster jobs (splits of big files, merges) from Redis and run them on this machine')
    .requiredOption('--redis <url>', 'Redis URL, e.g. redis://host:6379')
    .addOption(new Option('-@, --threads <n>', 'pool threads').argParser(parseThreads).default(defaultThreads(), 'all cores'))
    .addOption(new Option('--concurrency <k>', 'splits run at once').argParser(parseThreads).default(2))
    .addOption(new Option('--lock-timeout <ms>', 'a dead worker\'s split is handed over after this long').argParser(parseInteger).default(30_000))
    .option('--quiet', 'no log lines')
    .addHelpText('after', WORKER_HELP)
    .action(async (o: { redis: string; threads: number; concurrency: number; lockTimeout: number; quiet?: boolean }) => {
      const { startWorker } = await import('../cluster/worker.js')
      const log = o.quiet ? undefined : (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`)
      const worker = await startWorker({ redis: o.redis, threads: o.threads, concurrency: o.concurrency, lockDuration: o.lockTimeout, log })
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop)
          process.off('SIGTERM', stop)
          log?.('stopping: running jobs finish first')
          worker.close().then(resolve, resolve)
        }
        process.on('SIGINT', stop)
        process.on('SIGTERM', stop)
      })
    })
}
