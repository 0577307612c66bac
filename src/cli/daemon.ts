/**
 * `bamstream daemon`, `bamstream status`, `bamstream runs` and `bamstream sensor`.
 *
 * @example
 * ```sh
 * bamstream daemon --watch /data/incoming --op flagstat --out /data/results --state /data/.bamstream --http 8080
 * bamstream daemon --config bamstream.config.json
 * bamstream status --state /data/.bamstream
 * bamstream runs --state /data/.bamstream --status FAILURE
 * bamstream runs show 12 --state /data/.bamstream
 * bamstream runs retry --status FAILURE --since 1h --state /data/.bamstream
 * bamstream sensor stop incoming --state /data/.bamstream
 * bamstream sensor preview --config bamstream.config.json --wait
 * ```
 */
import path from 'node:path'
import { Option, type Command } from 'commander'
import { CONFIG_DEFAULTS, readConfigFile, resolveConfig, type ConfigLayer, type DaemonConfig } from '../sensor/config.js'
import { Daemon } from '../sensor/daemon.js'
import { SensorError } from '../sensor/errors.js'
import { formatPreview, formatRunDetail, formatRunTable, formatSensors, formatStatus, formatTicks } from '../sensor/format.js'
import { serveStatus, parseListen } from '../sensor/http.js'
import { inProcessLister } from '../sensor/lister.js'
import { createLogger, type LogFormat, type LogLevel } from '../sensor/log.js'
import { RUN_STATUSES, type RunStatus } from '../sensor/schema.js'
import { evaluateSensor, type TickResult } from '../sensor/sensor.js'
import { statusReport } from '../sensor/status.js'
import { RunStore, type RunFilter } from '../sensor/store.js'
import { parseDuration } from '../units.js'
import { addFilterOptions, filterOptions, parseInteger, parseSize, parseThreads } from './options.js'
import { DAEMON_DESCRIPTIONS } from './daemon-summary.js'
import { writeStdout } from './output.js'

/** Options shared by `daemon` and `sensor preview`. */
interface SensorFlags {
  config?: string; watch: string[]; pattern?: string[]; exclude: string[]; url: string[]; urlFile?: string; name?: string
  op?: string; opOptions?: string; runKey?: string; out?: string; state?: string; interval?: string; maxConcurrent?: number
  maxAttempts?: number; backoff?: string; grace?: string; incompleteAfter?: string; threads?: number; chunkSize?: number
  maxRuntime?: string; retention?: string; reprocess?: boolean; redis?: string
  requiredFlags?: number; excludedFlags?: number; minMapq?: number
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v]

const DAEMON_HELP = `
A file becomes a run when it is complete: the same size and mtime at two looks
one interval apart, and the BGZF EOF block at its end (a file left without it
for --incomplete-after is requested anyway and fails with the error on
record). Skip reasons are logged as sensor.skip events. Its run key (default
path + size + mtime) gets at most one run per sensor; a file rewritten in place
gets a new key. Results go to --out as <path below the watched folder>.flagstat.json
and .txt, .count.txt, .idxstats.txt, .view.sam|bam, or .<op>.json, each written
atomically; with several watched folders, under each folder's name; a URL's
under <host>/<path>. Config-file sensors without their own "out" write into
<out>/<sensor name>. Sensors whose result names could collide are refused.

Runs: QUEUED → STARTED → SUCCESS | FAILURE | CANCELED | SKIPPED, stored in
<state>/runs.sqlite with their engine options and their own log (runs show).
A run whose file changed or vanished after it was requested ends SKIPPED
(superseded; the new content gets its own run). Corrupt or truncated input
fails at once; I/O errors are retried with exponential backoff up to
--max-attempts; --max-runtime fails a hung run. If results cannot be written
(disk full, read-only, EACCES, EIO), the daemon pauses, re-queues the runs
without using an attempt, and resumes by itself when the folder is writable.
SIGINT/SIGTERM: stop claiming, let running work finish for --grace, then
re-queue the rest (a second signal re-queues at once). After a crash
(kill -9), the next start re-queues runs left STARTED. An empty --state with
results already in --out is refused (the history was lost?) unless --reprocess.

Operate it with: bamstream status, runs (show, cancel, retry, reexecute,
delete), sensor (list, start, stop, ticks, preview), and --http: a read-only
status page, a JSON API under /api and Prometheus metrics at /metrics.

Log: one JSON object per line on stderr ({"time","level","event",...});
--log-format text gives "TIME LEVEL EVENT key=value ...".

Config file (--config), paths relative to the file:
  { "state": ".bamstream", "out": "results", "interval": "2s", "maxConcurrent": 2,
    "threads": 8, "maxAttempts": 3, "backoff": "1s", "grace": "30s", "retention": "30d",
    "sensors": [ { "name": "stats", "watch": ["incoming"], "pattern": ["**/*.bam"], "op": "flagstat" },
                 { "name": "mapped", "watch": ["incoming"], "op": "count", "options": { "excludedFlags": "0x904" },
                   "chunkSize": "4M", "maxRuntime": "2h" },
                 { "name": "remote", "urls": ["https://host/a.bam"], "urlFile": "urls.txt", "interval": "1m" } ] }
Flags override the file's settings; --watch/--url add one more sensor.

Examples:
  bamstream daemon --watch /data/in --out /data/results --state /data/.bamstream
  bamstream daemon --watch in --op count -F 0x904 --interval 5s --max-concurrent 4
  bamstream daemon --config bamstream.config.json --log-format text --http 8080
  bamstream daemon --watch /shared/in --out /shared/results --redis redis://queue:6379
`

/** What --op accepts, for the help texts. */
const OP_HELP = 'op to run on each file: flagstat, count, idxstats, view (options format sam|bam, header none|include|only, region, level, ' +
  `and the filters), or a module path (default ${CONFIG_DEFAULTS.op})`

/**
 * Adds `daemon`, `status`, `runs` (with `show`, `cancel`, `retry`, `reexecute`, `delete`) and `sensor` (`list`, `start`, `stop`, `ticks`, `preview`) to the program.
 *
 * @example
 * ```ts
 * const program = new Command('bamstream')
 * registerDaemonCommands(program)
 * ```
 */
export function registerDaemonCommands(program: Command): void {
  registerDaemon(program)
  registerStatus(program)
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
    .option('--op <name|module>', OP_HELP)
    .option('--op-options <json>', 'the op\'s options as JSON, e.g. \'{"excludedFlags":4}\' or \'{"format":"bam","region":"chr1"}\'')
    .option('--run-key <fields>', 'run key fields: path|name, size, mtime (default path+size+mtime)')
    .option('--out <dir>', `directory for result files (default ./${CONFIG_DEFAULTS.out})`)
    .option('--state <dir>', `state directory holding runs.sqlite (default ./${CONFIG_DEFAULTS.state})`)
    .option('--interval <duration>', `time between sensor ticks, e.g. 500ms, 2s (default ${CONFIG_DEFAULTS.interval}ms)`)
    .addOption(new Option('--max-concurrent <n>', `most runs at once (default ${CONFIG_DEFAULTS.maxConcurrent})`).argParser(parseInteger))
    .addOption(new Option('--max-attempts <n>', `failed attempts before a run is left FAILURE (default ${CONFIG_DEFAULTS.maxAttempts})`).argParser(parseInteger))
    .option('--backoff <duration>', `first retry delay, doubling per failure (default ${CONFIG_DEFAULTS.backoff}ms)`)
    .option('--grace <duration>', `on SIGINT/SIGTERM, how long running work may finish (default ${CONFIG_DEFAULTS.grace}ms)`)
    .option('--incomplete-after <duration>', `request a file lacking the EOF block anyway once unchanged this long, so its run fails on record; 0: never (default ${CONFIG_DEFAULTS.incompleteAfter}ms)`)
    .option('--max-runtime <duration>', 'fail a run still going after this long (ERR_TIMEOUT, retried like an I/O error); default: no limit')
    .option('--retention <duration>', 'delete finished runs (and tick history) older than this, e.g. 30d; default: keep forever')
    .option('--reprocess', 'start even though the state folder is empty and the output folder holds results (processes everything again)')
    .addOption(new Option('-@, --threads <n>', 'worker threads shared by all runs').argParser(parseThreads))
    .addOption(new Option('--chunk-size <bytes>', 'uncompressed bytes per parallel chunk (k, M, G suffixes; stored on every run)').argParser(parseSize))
  return addFilterOptions(cmd)
}

function registerDaemon(program: Command): void {
  const cmd = program.command('daemon')
    .description(DAEMON_DESCRIPTIONS.daemon)
    .addOption(new Option('--log-format <format>', 'log line format on stderr').choices(['json', 'text']).default('json'))
    .addOption(new Option('--log-level <level>', 'least severe level logged').choices(['debug', 'info', 'warn', 'error']).default('info'))
    .option('--http <[host:]port>', 'serve a read-only status page, a JSON API (/api) and Prometheus metrics (/metrics); host defaults to 127.0.0.1')
    .option('--redis <url>', 'run each job on the cluster: a BullMQ flow on this Redis, taken by `bamstream worker` processes (config key "redis")')
    .option('--http-token <token>', 'allow cancel/retry/reexecute through the API to requests with "Authorization: Bearer <token>" (env BAMSTREAM_HTTP_TOKEN)')
    .addHelpText('after', DAEMON_HELP)
  addSensorOptions(cmd).action(async (o: SensorFlags & { logFormat: LogFormat; logLevel: LogLevel; http?: string; httpToken?: string }) => {
    const config = configFrom(o, cmd)
    const listen = o.http === undefined ? undefined : parseListen(o.http)
    let daemon: Daemon | undefined
    let early = 0 // signals received while the daemon was starting
    const onSignal = (): void => { if (daemon) daemon.stop(); else early++ }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    const logger = createLogger(process.stderr, o.logFormat, o.logLevel)
    let server: { close(): Promise<void> } | undefined
    try {
      daemon = await Daemon.start(config, logger)
      if (listen) server = await serveStatus(daemon, { ...listen, token: o.httpToken ?? process.env.BAMSTREAM_HTTP_TOKEN, logger })
      for (; early > 0; early--) daemon.stop()
      await daemon.finished
    } finally {
      await server?.close()
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
    ['maxRuntime', 'maxRuntime'], ['retention', 'retention'], ['reprocess', 'reprocess'], ['redis', 'redis'],
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
    op: o.op, options, runKey: o.runKey, $ownOut: true,
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

/** A `runs` subcommand; `--state`/`--config`/`--status`/`--sensor`/`--since` are the parent's (shown in its help). */
function subcommand(runs: Command, name: string, bulk: boolean): Command {
  return runs.command(name).argument(bulk ? '[id]' : '<id>', 'run id', parseRunId).configureHelp({ showGlobalOptions: true })
}

function parseRunId(text: string): number {
  const n = parseInteger(text)
  if (n < 1) throw new SensorError('ERR_NOT_FOUND', `invalid run id "${text}"`)
  return n
}

/** `--since`: a duration ago (`1h`, `2d`) or a date (`2025-01-31`, ISO 8601). */
function parseSince(text: string): number {
  if (/^\s*\d+(\.\d+)?\s*(ms|s|m|h|d)\s*$/.test(text)) return Date.now() - parseDuration(text, '--since')
  const t = Date.parse(text)
  if (Number.isNaN(t)) throw new SensorError('ERR_CONFIG', `--since: expected a duration ago (1h, 2d) or a date, got "${text}"`)
  return t
}

interface RunsFlags { state?: string; config?: string; status?: RunStatus; sensor?: string; since?: number; limit: number; json?: boolean }

function registerRuns(program: Command): void {
  const runs = addStateOptions(program.command('runs'))
    .description(DAEMON_DESCRIPTIONS.runs)
    .addOption(new Option('--status <status>', 'only runs with this status').choices(RUN_STATUSES as string[]))
    .option('--sensor <name>', 'only runs of this sensor')
    .addOption(new Option('--since <time>', 'only runs created since: a duration ago (1h, 2d) or a date').argParser(parseSince))
    .addOption(new Option('--limit <n>', 'most runs listed').argParser(parseInteger).default(100))
    .option('--json', 'one JSON array of runs')
    .addHelpText('after', '\nStatuses: QUEUED → STARTED → SUCCESS | FAILURE | CANCELED | SKIPPED.\nExamples:\n  bamstream runs --state .bamstream --status FAILURE\n' +
      '  bamstream runs show 12 --json\n  bamstream runs retry --status FAILURE --sensor incoming --since 2h\n  bamstream runs cancel --status QUEUED\n')
    .action(async (o: RunsFlags) => {
      const filter: RunFilter = { status: o.status, sensor: o.sensor, since: o.since }
      const [list, total] = withStore(o, (s) => [s.list({ ...filter, limit: o.limit }), s.total(filter)] as const)
      if (o.json) {
        await writeStdout(`${JSON.stringify(list, null, 2)}\n`)
        return
      }
      const more = total > list.length ? `(${list.length} newest of ${total} runs shown; --limit ${total} for all)\n` : ''
      await writeStdout(formatRunTable(list) + more)
    })
  subcommand(runs, 'show', false)
    .description('everything about one run: request, engine options, status, timings, result, error, attempts, its log')
    .option('--json', 'the run, its attempts and its log as JSON')
    .action(async (id: number, _o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<{ state?: string; config?: string; json?: boolean }>()
      const [run, attempts, events] = withStore(o, (s) => [s.get(id), s.attempts(id), s.events(id)] as const)
      await writeStdout(o.json ? `${JSON.stringify({ ...run, history: attempts, log: events }, null, 2)}\n` : formatRunDetail(run, attempts, Date.now(), events))
    })
  const bulkHelp = (what: string): string => `\nWith an id, one run; without, every run matching --status (required), --sensor and --since, e.g.\n  bamstream runs ${what} --status ${what === 'cancel' ? 'QUEUED' : 'FAILURE'} --since 1h\n`
  subcommand(runs, 'cancel', true)
    .description('cancel runs: a QUEUED run at once, a STARTED one by its daemon within a second')
    .addHelpText('after', bulkHelp('cancel'))
    .action(async (id: number | undefined, _o: unknown, cmd: Command) => {
      await runAction(cmd, id, 'cancel', (s, n) => s.requestCancel(n, Date.now()))
    })
  subcommand(runs, 'retry', true)
    .description('queue FAILURE or CANCELED runs again, with a fresh retry budget')
    .addHelpText('after', bulkHelp('retry'))
    .action(async (id: number | undefined, _o: unknown, cmd: Command) => {
      await runAction(cmd, id, 'retry', (s, n) => s.retry(n, Date.now()))
    })
  subcommand(runs, 'reexecute', false)
    .description('run a finished run (also a SUCCESS one) again: a new attempt under the same key; its results are rewritten')
    .action(async (id: number, _o: unknown, cmd: Command) => {
      await runAction(cmd, id, 'reexecute', (s, n) => s.reexecute(n, Date.now()))
    })
  subcommand(runs, 'delete', true)
    .description('delete runs (not STARTED) with their attempts and log; result files stay, and the same file version is not requested again')
    .addHelpText('after', `${bulkHelp('delete')}Deleting old runs automatically: the daemon's --retention.\n`)
    .action(async (id: number | undefined, _o: unknown, cmd: Command) => {
      await runAction(cmd, id, 'delete', (s, n) => { s.delete(n); return undefined })
    })
}

/** One run by id, or every run matching the parent's filters (`--status` required). */
async function runAction(cmd: Command, id: number | undefined, action: 'cancel' | 'retry' | 'reexecute' | 'delete',
  one: (s: RunStore, id: number) => { status: RunStatus } | undefined): Promise<void> {
  const o = cmd.optsWithGlobals<RunsFlags>()
  if (id !== undefined) {
    const run = withStore(o, (s) => one(s, id))
    await writeStdout(`run ${id}: ${run ? `${run.status}${run.status === 'STARTED' ? ' (cancel requested)' : ''}` : 'deleted'}\n`)
    return
  }
  if (action === 'reexecute' || !o.status) throw new SensorError('ERR_CONFIG', `runs ${action}: give a run id, or --status (with --sensor, --since) for many`)
  const ids = withStore(o, (s) => s.bulk(action, { status: o.status, sensor: o.sensor, since: o.since }, Date.now()))
  await writeStdout(`${ids.length} run(s) ${action === 'cancel' ? 'canceled' : action === 'retry' ? 're-queued' : 'deleted'}${ids.length > 0 ? `: ${ids.join(' ')}` : ''}\n`)
}

function registerStatus(program: Command): void {
  addStateOptions(program.command('status'))
    .description(DAEMON_DESCRIPTIONS.status)
    .option('--json', 'the same as one JSON object')
    .action(async (o: { state?: string; config?: string; json?: boolean }) => {
      const report = withStore(o, (s) => statusReport(s, stateDir(o)))
      await writeStdout(o.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report))
    })
}

function registerSensor(program: Command): void {
  const sensor = program.command('sensor').description(DAEMON_DESCRIPTIONS.sensor)
  addStateOptions(sensor.command('list'))
    .description('every sensor: running or stopped, ticks, last tick, its QUEUED backlog')
    .option('--json', 'JSON')
    .action(async (o: { state?: string; config?: string; json?: boolean }) => {
      const rows = withStore(o, (s) => s.sensors().map((x) => ({ ...x, queued: s.counts(x.name).QUEUED, last: s.ticks(x.name, 1)[0] })))
      await writeStdout(o.json ? `${JSON.stringify(rows, null, 2)}\n` : formatSensors(rows))
    })
  for (const [name, stopped] of [['stop', true], ['start', false]] as const) {
    addStateOptions(sensor.command(name).argument('<name>', 'sensor name'))
      .description(stopped ? 'stop a sensor: it requests nothing, and its QUEUED runs wait (the daemon notices within a second)' : 'start a stopped sensor again')
      .action(async (sensorName: string, o: { state?: string; config?: string }) => {
        withStore(o, (s) => {
          if (!s.sensors().some((x) => x.name === sensorName)) throw new SensorError('ERR_NOT_FOUND', `no sensor named "${sensorName}" in ${stateDir(o)} (sensor list shows them)`)
          s.setStopped(sensorName, stopped, Date.now())
        })
        await writeStdout(`sensor ${sensorName}: ${stopped ? 'STOPPED' : 'RUNNING'}\n`)
      })
  }
  addStateOptions(sensor.command('ticks'))
    .description('tick history, newest first: time, duration, candidates, requested, skipped by reason, error')
    .option('--sensor <name>', 'only this sensor')
    .addOption(new Option('--limit <n>', 'most ticks listed').argParser(parseInteger).default(20))
    .option('--json', 'JSON')
    .action(async (o: { state?: string; config?: string; sensor?: string; limit: number; json?: boolean }) => {
      const ticks = withStore(o, (s) => s.ticks(o.sensor, o.limit))
      await writeStdout(o.json ? `${JSON.stringify(ticks, null, 2)}\n` : formatTicks(ticks))
    })
  const preview = sensor.command('preview')
    .description('show what each sensor\'s next tick would request, and why it skips the rest; launches and stores nothing')
    .option('--sensor <name>', 'only this sensor')
    .option('--wait', 'look twice, one interval apart, so that files never seen before can count as complete')
    .option('--json', 'JSON: [{ sensor, requests, skips }]')
    .addHelpText('after', '\nUses the cursor and runs stored in --state (if any) exactly as the daemon would, without changing them.\n' +
      'Without --wait, files the daemon has not seen yet show as first-look.\nExample:\n  bamstream sensor preview --watch /data/in --state /data/.bamstream --wait\n')
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
      const results: Array<{ sensor: string } & Pick<TickResult, 'requests' | 'skips'>> = []
      for (const s of sensors) {
        const ctx = { known: (key: string) => store?.findByKey(s.name, key), owners: (b: string) => store?.outputOwner(b), lister: inProcessLister(), reset: true }
        const cursor = store?.cursor(s.name) ?? new Map()
        if (o.wait) {
          const first = await evaluateSensor(s, cursor, ctx)
          for (const [source, row] of first.changed) cursor.set(source, row)
          await new Promise((r) => setTimeout(r, s.interval))
        }
        const tick = await evaluateSensor(s, cursor, ctx)
        results.push({ sensor: s.name, requests: tick.requests, skips: tick.skips })
      }
      await writeStdout(o.json ? `${JSON.stringify(results, null, 2)}\n` : results.map((r) => formatPreview(r.sensor, r)).join(''))
    } finally {
      store?.close()
    }
  })
}
