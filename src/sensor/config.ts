/**
 * The daemon's configuration: a JSON file (`--config`), flags, or both.
 *
 * ```json
 * {
 *   "state": ".bamstream", "out": "results", "interval": "2s", "maxConcurrent": 2, "threads": 8,
 *   "sensors": [
 *     { "name": "stats", "watch": ["incoming"], "pattern": ["*.bam"], "op": "flagstat" },
 *     { "name": "mapped", "watch": ["incoming"], "op": "count", "options": { "excludedFlags": "0x904" }, "out": "counts" },
 *     { "name": "remote", "urls": ["https://example.org/a.bam"], "urlFile": "urls.txt", "interval": "1m" }
 *   ]
 * }
 * ```
 *
 * Relative paths in a file are relative to the file's directory; in flags, to
 * the working directory. A sensor without its own `out` writes into
 * `<out>/<sensor name>` (the `--watch`/`--url` sensor of the flags into `--out`
 * itself); sensors whose results could share file names are refused. Durations are milliseconds or strings like `200ms`,
 * `2s`, `5m`. Unknown keys are errors (a typo must not silently do nothing).
 */
import fs from 'node:fs'
import path from 'node:path'
import { DEFAULT_CHUNK_BYTES } from '../constants.js'
import { defaultThreads } from '../engine/pool.js'
import * as units from '../units.js'
import { SensorError } from './errors.js'
import { normaliseJob, opLabel } from './job.js'
import type { EngineOptions } from './schema.js'

/** What a run key is made of (default: path, size and mtime). */
export type RunKeyField = 'path' | 'name' | 'size' | 'mtime'

/** One sensor, resolved: absolute paths, defaults filled in. */
export interface SensorConfig {
  name: string
  /** Directories walked recursively. */
  watch: string[]
  /** Globs a file must match (see glob.ts); default `['*.bam']`. */
  pattern: string[]
  exclude: string[]
  /** URLs polled with HEAD (and a ranged GET of the last 28 bytes). */
  urls: string[]
  /** A text file of URLs, one per line (`#` comments), re-read every tick. */
  urlFile?: string
  /** Built-in op name, or absolute path of a module whose default export is an Op. */
  op: string
  /** The op's options, as the CLI would pass them. */
  options: Record<string, unknown>
  /** Directory for result files: `<out>/<path below the watched folder>.<op>.*`. */
  out: string
  /** Engine options of its runs (stored on every run). */
  engine: EngineOptions
  /** Milliseconds between ticks. */
  interval: number
  runKey: RunKeyField[]
  /** Attempts per run before it is left FAILURE. */
  maxAttempts: number
  /**
   * A file whose size and mtime stay the same this long but that still lacks
   * the EOF block is requested anyway, so that its run fails with the error
   * (ERR_TRUNCATED, …) on record instead of the file being skipped forever. 0: never.
   */
  incompleteAfter: number
}

/** The whole daemon configuration, resolved. */
export interface DaemonConfig {
  state: string
  interval: number
  maxConcurrent: number
  threads: number
  chunkBytes: number
  /** First retry delay in ms; doubles per failure up to `maxBackoff`. */
  backoff: number
  maxBackoff: number
  /** On SIGINT/SIGTERM, how long running work may take to finish before it is re-queued. */
  grace: number
  /** Finished runs (and tick history) older than this are deleted; 0: kept forever. */
  retention: number
  /** `--reprocess`: start on an empty state folder even though the output folders hold results. */
  reprocess: boolean
  sensors: SensorConfig[]
  /** Run each job on the cluster (a BullMQ flow on this Redis URL, taken by `bamstream worker`s) instead of the local pool. */
  redis?: string
}

/** A configuration layer as written (JSON file or flags) with the directory its paths are relative to. */
export interface ConfigLayer {
  raw: Record<string, unknown>
  baseDir: string
}

const TOP_KEYS = ['state', 'out', 'interval', 'maxConcurrent', 'threads', 'chunkSize', 'maxRuntime', 'maxAttempts', 'backoff', 'maxBackoff', 'grace',
  'incompleteAfter', 'retention', 'reprocess', 'sensors', 'redis']
const SENSOR_KEYS = ['name', 'watch', 'pattern', 'exclude', 'urls', 'urlFile', 'op', 'options', 'out', 'interval', 'runKey', 'maxAttempts',
  'incompleteAfter', 'chunkSize', 'maxRuntime']
const RUN_KEY_FIELDS: RunKeyField[] = ['path', 'name', 'size', 'mtime']

/** Defaults of the top-level settings. */
export const CONFIG_DEFAULTS = {
  state: '.bamstream', out: 'bamstream-out', interval: 2000, maxConcurrent: 2, maxAttempts: 3,
  backoff: 1000, maxBackoff: 300_000, grace: 30_000, incompleteAfter: 600_000, op: 'flagstat', pattern: ['*.bam'], maxRuntime: 0, retention: 0,
} as const

/**
 * Merges layers (later ones win for settings; sensors add up) and resolves them.
 *
 * @example
 * ```ts
 * const cfg = resolveConfig([{ raw: JSON.parse(text), baseDir: '/etc/bamstream' }, { raw: { maxConcurrent: 4 }, baseDir: process.cwd() }])
 * ```
 */
export function resolveConfig(layers: ConfigLayer[]): DaemonConfig {
  const top: Record<string, unknown> = {}
  const sensors: Array<Record<string, unknown>> = []
  for (const { raw, baseDir } of layers) {
    checkKeys(raw, TOP_KEYS, 'config')
    for (const [k, v] of Object.entries(raw)) {
      if (v === undefined || k === 'sensors') continue
      top[k] = k === 'state' || k === 'out' ? path.resolve(baseDir, str(v, k)) : v
    }
    for (const s of arr(raw.sensors ?? [], 'sensors')) sensors.push({ ...obj(s, 'sensor'), $baseDir: baseDir })
  }
  if (sensors.length === 0) throw new SensorError('ERR_CONFIG', 'no sensors: give --watch DIR, --url URL, or a config file with "sensors"')
  const out = (top.out as string | undefined) ?? path.resolve(CONFIG_DEFAULTS.out)
  const config: DaemonConfig = {
    state: (top.state as string | undefined) ?? path.resolve(CONFIG_DEFAULTS.state),
    interval: duration(top.interval ?? CONFIG_DEFAULTS.interval, 'interval'),
    maxConcurrent: positive(top.maxConcurrent ?? CONFIG_DEFAULTS.maxConcurrent, 'maxConcurrent'),
    threads: positive(top.threads ?? defaultThreads(), 'threads'),
    chunkBytes: bytes(top.chunkSize ?? DEFAULT_CHUNK_BYTES, 'chunkSize'),
    backoff: duration(top.backoff ?? CONFIG_DEFAULTS.backoff, 'backoff'),
    maxBackoff: duration(top.maxBackoff ?? CONFIG_DEFAULTS.maxBackoff, 'maxBackoff'),
    grace: duration(top.grace ?? CONFIG_DEFAULTS.grace, 'grace'),
    retention: duration(top.retention ?? CONFIG_DEFAULTS.retention, 'retention'),
    reprocess: top.reprocess === true,
    sensors: [],
    redis: top.redis === undefined ? undefined : str(top.redis, 'redis'),
  }
  if (config.interval === 0) throw new SensorError('ERR_CONFIG', 'interval: must be more than 0 (e.g. 2s)')
  const defaults: SensorDefaults = {
    out, interval: config.interval, maxAttempts: positive(top.maxAttempts ?? CONFIG_DEFAULTS.maxAttempts, 'maxAttempts'),
    incompleteAfter: duration(top.incompleteAfter ?? CONFIG_DEFAULTS.incompleteAfter, 'incompleteAfter'),
    engine: { chunkSize: config.chunkBytes, maxRuntime: duration(top.maxRuntime ?? CONFIG_DEFAULTS.maxRuntime, 'maxRuntime') },
  }
  config.sensors = sensors.map((s, i) => resolveSensor(s, i, defaults))
  const names = new Set<string>()
  for (const s of config.sensors) {
    if (names.has(s.name)) throw new SensorError('ERR_CONFIG', `two sensors are named "${s.name}"`)
    names.add(s.name)
  }
  checkOutputOverlaps(config.sensors)
  return config
}

/**
 * Refuses sensors whose result files could share names: two sensors running
 * ops with the same label into the same out folder, or one inside the other's.
 *
 * @example
 * ```ts
 * checkOutputOverlaps(config.sensors) // throws ERR_CONFIG naming both sensors
 * ```
 */
export function checkOutputOverlaps(sensors: readonly SensorConfig[]): void {
  for (const [i, a] of sensors.entries()) {
    for (const b of sensors.slice(i + 1)) {
      if (opLabel(a.op) !== opLabel(b.op)) continue
      const inside = (x: string, y: string): boolean => x === y || x.startsWith(y + path.sep)
      if (inside(a.out, b.out) || inside(b.out, a.out)) {
        throw new SensorError('ERR_CONFIG', `sensors "${a.name}" and "${b.name}" would both write ${opLabel(a.op)} results into ${a.out === b.out ? a.out : `${b.out} and ${a.out}`}, ` +
          'where two sources could get the same result file: give each its own "out" folder, side by side')
      }
    }
  }
}

/**
 * Reads a JSON config file as a layer whose paths are relative to the file.
 *
 * @example
 * ```ts
 * const cfg = resolveConfig([readConfigFile('bamstream.config.json')])
 * ```
 */
export function readConfigFile(file: string): ConfigLayer {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (e) {
    throw new SensorError('ERR_CONFIG', `cannot read config ${file}: ${(e as Error).message}`, { cause: e })
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (e) {
    throw new SensorError('ERR_CONFIG', `config ${file} is not valid JSON: ${(e as Error).message}`, { cause: e })
  }
  return { raw: obj(raw, `config ${file}`), baseDir: path.dirname(path.resolve(file)) }
}

type SensorDefaults = Pick<SensorConfig, 'out' | 'interval' | 'maxAttempts' | 'incompleteAfter' | 'engine'>

function resolveSensor(s: Record<string, unknown>, index: number, defaults: SensorDefaults): SensorConfig {
  const baseDir = s.$baseDir as string
  const ownOut = s.$ownOut === true // the --watch/--url sensor: --out is its own folder
  delete s.$baseDir
  delete s.$ownOut
  checkKeys(s, SENSOR_KEYS, `sensor ${index + 1}`)
  const name = s.name === undefined ? (index === 0 ? 'default' : `sensor${index + 1}`) : str(s.name, 'sensor name')
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new SensorError('ERR_CONFIG', `sensor name "${name}" may only use letters, digits, _ . -`)
  const where = `sensor "${name}"`
  const job = normaliseJob(s.op === undefined ? CONFIG_DEFAULTS.op : str(s.op, `${where} op`), obj(s.options ?? {}, `${where} options`), baseDir)
  const sensor: SensorConfig = {
    name,
    watch: strings(s.watch ?? [], `${where} watch`).map((d) => path.resolve(baseDir, d)),
    pattern: strings(s.pattern ?? CONFIG_DEFAULTS.pattern, `${where} pattern`),
    exclude: strings(s.exclude ?? [], `${where} exclude`),
    urls: strings(s.urls ?? [], `${where} urls`),
    urlFile: s.urlFile === undefined ? undefined : path.resolve(baseDir, str(s.urlFile, `${where} urlFile`)),
    op: job.op,
    options: job.options,
    out: s.out !== undefined ? path.resolve(baseDir, str(s.out, `${where} out`)) : ownOut ? defaults.out : path.join(defaults.out, name),
    engine: {
      chunkSize: s.chunkSize === undefined ? defaults.engine.chunkSize : bytes(s.chunkSize, `${where} chunkSize`),
      maxRuntime: s.maxRuntime === undefined ? defaults.engine.maxRuntime : duration(s.maxRuntime, `${where} maxRuntime`),
    },
    interval: s.interval === undefined ? defaults.interval : duration(s.interval, `${where} interval`),
    runKey: runKeyFields(s.runKey, where),
    maxAttempts: s.maxAttempts === undefined ? defaults.maxAttempts : positive(s.maxAttempts, `${where} maxAttempts`),
    incompleteAfter: s.incompleteAfter === undefined ? defaults.incompleteAfter : duration(s.incompleteAfter, `${where} incompleteAfter`),
  }
  if (sensor.watch.length + sensor.urls.length === 0 && !sensor.urlFile) {
    throw new SensorError('ERR_CONFIG', `${where} watches nothing: give "watch", "urls" or "urlFile"`)
  }
  if (sensor.interval === 0) throw new SensorError('ERR_CONFIG', `${where} interval: must be more than 0 (e.g. 2s)`)
  const labels = sensor.watch.map((w) => path.basename(w))
  const twice = labels.find((l, i) => labels.indexOf(l) !== i)
  if (twice !== undefined) {
    throw new SensorError('ERR_CONFIG', `${where} watches two folders named "${twice}": their results would share names under ${sensor.out}; use one sensor per folder`)
  }
  return sensor
}

function runKeyFields(v: unknown, where: string): RunKeyField[] {
  if (v === undefined) return ['path', 'size', 'mtime']
  const fields = typeof v === 'string' ? v.split(/[+,]/).map((x) => x.trim()) : strings(v, `${where} runKey`)
  for (const f of fields) {
    if (!RUN_KEY_FIELDS.includes(f as RunKeyField)) throw new SensorError('ERR_CONFIG', `${where} runKey: unknown field "${f}" (use ${RUN_KEY_FIELDS.join(', ')})`)
  }
  if (!fields.includes('path') && !fields.includes('name')) throw new SensorError('ERR_CONFIG', `${where} runKey must include path or name`)
  return fields as RunKeyField[]
}

/**
 * Parses a duration: a number of milliseconds, or `<n>ms|s|m|h|d` (units.ts), as a config error.
 *
 * @example
 * ```ts
 * parseDuration('2s') // 2000
 * ```
 */
export function parseDuration(v: unknown, what = 'duration'): number {
  return duration(v, what)
}

function duration(v: unknown, what: string): number {
  return asConfig(() => units.parseDuration(v, 'duration'), what)
}

function bytes(v: unknown, what: string): number {
  return asConfig(() => units.parseSize(v, 'size'), what)
}

function positive(v: unknown, what: string): number {
  return asConfig(() => units.parseAtLeast(v, 1, 'value'), what)
}

/** Runs a units.ts parser, reporting its complaint as `ERR_CONFIG` naming the setting. */
function asConfig<T>(parse: () => T, what: string): T {
  try {
    return parse()
  } catch (e) {
    throw new SensorError('ERR_CONFIG', `${what}: ${(e as Error).message}`)
  }
}

function checkKeys(o: Record<string, unknown>, allowed: string[], where: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k) && !k.startsWith('$')) throw new SensorError('ERR_CONFIG', `${where}: unknown setting "${k}" (known: ${allowed.join(', ')})`)
  }
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string' || v === '') throw new SensorError('ERR_CONFIG', `${what}: expected a non-empty string, got ${JSON.stringify(v)}`)
  return v
}

function strings(v: unknown, what: string): string[] {
  const list = typeof v === 'string' ? [v] : arr(v, what)
  return list.map((x) => str(x, what))
}

function arr(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new SensorError('ERR_CONFIG', `${what}: expected a list, got ${JSON.stringify(v)}`)
  return v
}

function obj(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SensorError('ERR_CONFIG', `${what}: expected an object, got ${JSON.stringify(v)}`)
  return v as Record<string, unknown>
}
