/**
 * `bamstream daemon`, `bamstream runs` and `bamstream sensor preview`.
 *
 * @example
 * ```sh
 * bamstream daemon --watch /data/incoming --op flagstat --out /data/results --state /data/.bamstream
 * bamstream daemon --config bamstream.config.json
 * bamstream runs --state /data/.bamstream --status FAILURE
 * bamstream runs show 12 --state /data/.bamstream
 * bamstream sensor preview --config bamstream.config.json
 * ```
 */
import path from 'node:path'
import { Option, type Command } from 'commander'
import { CONFIG_DEFAULTS, readConfigFile, resolveConfig, type ConfigLayer, type DaemonConfig } from '../sensor/config.js'
import { Daemon } from '../sensor/daemon.js'
import { SensorError } from '../sensor/errors.js'
import { formatPreview, formatRunDetail, formatRunTable } from '../sensor/format.js'
import { createLogger, type LogFormat, type LogLevel } from '../sensor/log.js'
import { RUN_STATUSES, type RunStatus } from '../sensor/schema.js'
import { evaluateSensor, parseCursor, type TickResult } from '../sensor/sensor.js'
import { RunStore } from '../sensor/store.js'
import { addEngineOptions, addFilterOptions, filterOptions, parseInteger } from './options.js'
import { writeStdout } from './output.js'

/** Options shared by `daemon` and `sensor preview`. */
interface SensorFlags {
  config?: string; watch: string[]; pattern?: string[]; exclude: string[]; url: string[]; urlFile?: string; name?: string
  op?: string; opOptions?: string; runKey?: string; out?: string; state?: string; interval?: string; maxConcurrent?: number
  maxAttempts?: number; backoff?: string; grace?: string; incompleteAfter?: string; threads?: number; chunkSize?: number
  requiredFlags?: number; excludedFlags?: number; minMapq?: number
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v]

const DAEMON_HELP = `
A file becomes a run when it is complete: the same size and mtime at two looks
one interval apart, and the BGZF EOF block at its end (a file left without it
for --incomplete-after is requested anyway and fails with the error on
record). Skip reasons are logged as sensor.skip events. Its run key (default
path + size + mtime) gets at most one run per sensor; a file rewritten in place
gets a new key. Results go to --out as <name>.flagstat.json and .txt,
<name>.count.txt, or <name>.<op>.json, each written atomically.

Runs: QUEUED → STARTED → SUCCESS | FAILURE | CANCELED, stored in
<state>/runs.sqlite. Corrupt or truncated input fails at once; I/O errors are
retried with exponential backoff up to --max-attempts. SIGINT/SIGTERM: stop
claiming, let running work finish for --grace, then re-queue the rest (a
second signal re-queues at once). After a crash (kill -9), the next start
re-queues runs left STARTED.

Log: one JSON object per line on stderr ({"time","level","event",...});
--log-format text gives "TIME LEVEL EVENT key=value ...".

Config file (--config), paths relative to the file:
  { "state": ".bamstream", "out": "results", "interval": "2s", "maxConcurrent": 2,
    "threads": 8, "maxAttempts": 3, "backoff": "1s", "grace": "30s",
    "sensors": [ { "name": "stats", "watch": ["incoming"], "pattern": ["**/*.bam"], "op": "flagstat" },
                 { "name": "mapped", "watch": ["incoming"], "op": "count", "options": { "excludedFlags": "0x904" } },
                 { "name": "remote", "urls": ["https://host/a.bam"], "urlFile": "urls.txt", "interval": "1m" } ] }
Flags override the file's settings; --watch/--url add one more sensor.

Examples:
  bamstream daemon --watch /data/in --out /data/results --state /data/.bamstream
  bamstream daemon --watch in --op count -F 0x904 --interval 5s --max-concurrent 4
  bamstream daemon --config bamstream.config.json --log-format text
`

/**
 * Adds `daemon`, `runs` (with `show`, `cancel`, `retry`) and `sensor preview` to the program.
 *
 * @example
 * ```ts
 * const program = new Command('bamstream')
 * registerDaemonCommands(program)
 * ```
 */
export function registerDaemonCommands(program: Command): void {
  registerDaemon(program)
  registerRuns(program)
  registerSensor(program)
}

function addSensorOptions(cmd: Command): Command {
  cmd
    .option('-c, --config <file>', 'JSON config file with any number of sensors (see below)')
    .option('--watch <dir>', 'directory to watch, recursively (repeatable)', collect, [])
    .option('--pattern <glob>', `file name glob, or path glob if it has a / (repeatable; default ${CONFIG_DEFAULTS.pattern.join(', ')})`, collect)
    .option('--exclude <glob>', 'glob of files to ignore (repeatable)', collect, [])
    .option('--url <url>', 'http(s) URL to poll (repeatable)', collect, [])
    .option('--url-file <file>', 'text file of URLs, one per line, re-read every tick')
    .option('--name <name>', 'name of the --watch/--url sensor', 'default')
    .option('--op <name|module>', `op to run on each file: flagstat, count, or a module path (default ${CONFIG_DEFAULTS.op})`)
    .option('--op-options <json>', 'the op\'s options as JSON, e.g. \'{"excludedFlags":4}\'')
    .option('--run-key <fields>', 'run key fields: path|name, size, mtime (default path+size+mtime)')
    .option('--out <dir>', `directory for result files (default ./${CONFIG_DEFAULTS.out})`)
    .option('--state <dir>', `state directory holding runs.sqlite (default ./${CONFIG_DEFAULTS.state})`)
    .option('--interval <duration>', `time between sensor ticks, e.g. 500ms, 2s (default ${CONFIG_DEFAULTS.interval}ms)`)
    .addOption(new Option('--max-concurrent <n>', `most runs at once (default ${CONFIG_DEFAULTS.maxConcurrent})`).argParser(parseInteger))
    .addOption(new Option('--max-attempts <n>', `failed attempts before a run is left FAILURE (default ${CONFIG_DEFAULTS.maxAttempts})`).argParser(parseInteger))
    .option('--backoff <duration>', `first retry delay, doubling per failure (default ${CONFIG_DEFAULTS.backoff}ms)`)
    .option('--grace <duration>', `on SIGINT/SIGTERM, how long running work may finish (default ${CONFIG_DEFAULTS.grace}ms)`)
    .option('--incomplete-after <duration>', `request a file lacking the EOF block anyway once unchanged this long, so its run fails on record; 0: never (default ${CONFIG_DEFAULTS.incompleteAfter}ms)`)
  return addFilterOptions(addEngineOptions(cmd))
}

function registerDaemon(program: Command): void {
  const cmd = program.command('daemon')
    .description('watch directories and URLs for new BAM files and run an op on each, exactly once')
    .addOption(new Option('--log-format <format>', 'log line format on stderr').choices(['json', 'text']).default('json'))
    .addOption(new Option('--log-level <level>', 'least severe level logged').choices(['debug', 'info', 'warn', 'error']).default('info'))
    .addHelpText('after', DAEMON_HELP)
  addSensorOptions(cmd).action(async (o: SensorFlags & { logFormat: LogFormat; logLevel: LogLevel }) => {
    const config = configFrom(o, cmd)
    let daemon: Daemon | undefined
    let early = 0 // signals received while the daemon was starting
    const onSignal = (): void => { if (daemon) daemon.stop(); else early++ }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    try {
      daemon = await Daemon.start(config, createLogger(process.stderr, o.logFormat, o.logLevel))
      for (; early > 0; early--) daemon.stop()
      await daemon.finished
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
  })
}

/** Builds the daemon config from `--config` and flags (only flags given on the command line override the file). */
function configFrom(o: SensorFlags, cmd: Command): DaemonConfig {
  const layers: ConfigLayer[] = []
  if (o.config) layers.push(readConfigFile(o.config))
  const given = (name: keyof SensorFlags): boolean => cmd.getOptionValueSource(name) === 'cli'
  const top: Record<string, unknown> = {}
  const settings: Array<[keyof SensorFlags, string]> = [
    ['state', 'state'], ['out', 'out'], ['interval', 'interval'], ['maxConcurrent', 'maxConcurrent'], ['maxAttempts', 'maxAttempts'],
    ['backoff', 'backoff'], ['grace', 'grace'], ['incompleteAfter', 'incompleteAfter'], ['threads', 'threads'], ['chunkSize', 'chunkSize'],
  ]
  for (const [flag, key] of settings) if (given(flag)) top[key] = o[flag]
  const sensor = flagSensor(o, given)
  if (sensor) top.sensors = [sensor]
  layers.push({ raw: top, baseDir: process.cwd() })
  return resolveConfig(layers)
}

function flagSensor(o: SensorFlags, given: (name: keyof SensorFlags) => boolean): Record<string, unknown> | undefined {
  const hasSource = o.watch.length > 0 || o.url.length > 0 || o.urlFile !== undefined
  const sensorFlags: Array<keyof SensorFlags> = ['pattern', 'exclude', 'op', 'opOptions', 'runKey', 'requiredFlags', 'excludedFlags', 'minMapq']
  if (!hasSource) {
    const stray = sensorFlags.filter(given)
    if (stray.length > 0) throw new SensorError('ERR_CONFIG', `--${stray.map(kebab).join(', --')} only apply with --watch, --url or --url-file`)
    return undefined
  }
  let options: Record<string, unknown> = {}
  if (o.opOptions) {
    try {
      options = JSON.parse(o.opOptions) as Record<string, unknown>
    } catch (e) {
      throw new SensorError('ERR_CONFIG', `--op-options is not valid JSON: ${(e as Error).message}`)
    }
  }
  for (const [k, v] of Object.entries(filterOptions(o))) if (v !== undefined) options[k] = v
  return {
    name: o.name, watch: o.watch, pattern: o.pattern, exclude: o.exclude, urls: o.url, urlFile: o.urlFile,
    op: o.op, options, runKey: o.runKey,
  }
}

function kebab(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
}

/** The state directory named by `--state`, else by the config file, else the default. */
function stateDir(o: { state?: string; config?: string }): string {
  if (o.state) return path.resolve(o.state)
  if (o.config) {
    const layer = readConfigFile(o.config)
    if (typeof layer.raw.state === 'string') return path.resolve(layer.baseDir, layer.raw.state)
  }
  return path.resolve(CONFIG_DEFAULTS.state)
}

function withStore<T>(o: { state?: string; config?: string }, f: (store: RunStore) => T): T {
  const store = RunStore.open(stateDir(o), { mustExist: true })
  try {
    return f(store)
  } finally {
    store.close()
  }
}

function addStateOptions(cmd: Command): Command {
  return cmd
    .option('--state <dir>', `state directory holding runs.sqlite (default ./${CONFIG_DEFAULTS.state})`)
    .option('-c, --config <file>', 'take the state directory from this config file')
}

/** A `runs` subcommand taking a run id; `--state`/`--config` are the parent's (shown in its help). */
function subcommand(runs: Command, name: string): Command {
  return runs.command(name).argument('<id>', 'run id', parseRunId).configureHelp({ showGlobalOptions: true })
}

function parseRunId(text: string): number {
  const n = parseInteger(text)
  if (n < 1) throw new SensorError('ERR_NOT_FOUND', `invalid run id "${text}"`)
  return n
}

function registerRuns(program: Command): void {
  const runs = addStateOptions(program.command('runs'))
    .description('list the runs the daemon stored, newest first (subcommands: show, cancel, retry)')
    .addOption(new Option('--status <status>', 'only runs with this status').choices(RUN_STATUSES as string[]))
    .option('--sensor <name>', 'only runs of this sensor')
    .addOption(new Option('--limit <n>', 'most runs listed').argParser(parseInteger).default(100))
    .option('--json', 'one JSON array of runs')
    .addHelpText('after', '\nStatuses: QUEUED → STARTED → SUCCESS | FAILURE | CANCELED.\nExamples:\n  bamstream runs --state .bamstream --status FAILURE\n  bamstream runs show 12 --json\n')
    .action(async (o: { state?: string; config?: string; status?: RunStatus; sensor?: string; limit: number; json?: boolean }) => {
      const list = withStore(o, (s) => s.list({ status: o.status, sensor: o.sensor, limit: o.limit }))
      await writeStdout(o.json ? `${JSON.stringify(list, null, 2)}\n` : formatRunTable(list))
    })
  subcommand(runs, 'show')
    .description('everything about one run: request, status, timings, result, error, attempts')
    .option('--json', 'the run and its attempts as JSON')
    .action(async (id: number, _o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<{ state?: string; config?: string; json?: boolean }>()
      const [run, attempts] = withStore(o, (s) => [s.get(id), s.attempts(id)] as const)
      await writeStdout(o.json ? `${JSON.stringify({ ...run, history: attempts }, null, 2)}\n` : formatRunDetail(run, attempts))
    })
  subcommand(runs, 'cancel')
    .description('cancel a run: a QUEUED run at once, a STARTED one by its daemon within a second')
    .action(async (id: number, _o: unknown, cmd: Command) => {
      const run = withStore(cmd.optsWithGlobals(), (s) => s.requestCancel(id, Date.now()))
      await writeStdout(`run ${id}: ${run.status}${run.status === 'STARTED' ? ' (cancel requested)' : ''}\n`)
    })
  subcommand(runs, 'retry')
    .description('queue a FAILURE or CANCELED run again, with a fresh retry budget')
    .action(async (id: number, _o: unknown, cmd: Command) => {
      const run = withStore(cmd.optsWithGlobals(), (s) => s.retry(id, Date.now()))
      await writeStdout(`run ${id}: ${run.status}\n`)
    })
}

function registerSensor(program: Command): void {
  const sensor = program.command('sensor').description('inspect sensors (subcommand: preview)')
  const preview = sensor.command('preview')
    .description('show what each sensor\'s next tick would request, and why it skips the rest; launches and stores nothing')
    .option('--sensor <name>', 'only this sensor')
    .option('--wait', 'look twice, one interval apart, so that files never seen before can count as complete')
    .option('--json', 'JSON: [{ sensor, requests, skips }]')
    .addHelpText('after', '\nUses the cursor and runs stored in --state (if any) exactly as the daemon would, without changing them.\nExample:\n  bamstream sensor preview --watch /data/in --state /data/.bamstream --wait\n')
  addSensorOptions(preview).action(async (o: SensorFlags & { sensor?: string; wait?: boolean; json?: boolean }) => {
    const config = configFrom(o, preview)
    const sensors = config.sensors.filter((s) => !o.sensor || s.name === o.sensor)
    if (sensors.length === 0) throw new SensorError('ERR_CONFIG', `no sensor named "${o.sensor}"`)
    let store: RunStore | undefined
    try {
      store = RunStore.open(config.state, { mustExist: true })
    } catch {
      store = undefined // no state yet: every file is new
    }
    try {
      const results: Array<{ sensor: string } & TickResult> = []
      for (const s of sensors) {
        const known = (key: string): { id: number; status: string } | undefined => store?.findByKey(s.name, key)
        let cursor = parseCursor(store?.cursor(s.name))
        if (o.wait) {
          cursor = (await evaluateSensor(s, cursor, known)).cursor
          await new Promise((r) => setTimeout(r, s.interval))
        }
        results.push({ sensor: s.name, ...(await evaluateSensor(s, cursor, known)) })
      }
      await writeStdout(o.json ? `${JSON.stringify(results, null, 2)}\n` : results.map((r) => formatPreview(r.sensor, r)).join(''))
    } finally {
      store?.close()
    }
  })
}
