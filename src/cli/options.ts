/**
 * Option parsing shared by the commands.
 */
import { Option, type Command } from 'commander'
import { defaultThreads, maxThreads } from '../engine/pool.js'
import { DEFAULT_HTTP_TIMEOUT_MS } from '../engine/http.js'
import type { InternalRunOptions } from '../engine/run.js'
import { FILTER_NAMES, type FilterOptions } from '../ops/filter.js'
import * as units from '../units.js'
import { progressBar } from './progress.js'

/**
 * Parses a size like `4M`, `512k` or `65536` (a flag value; see units.ts).
 *
 * @example
 * ```ts
 * parseSize('4M') // 4194304
 * ```
 */
export function parseSize(text: string): number {
  return units.parseSize(text)
}

/**
 * Parses an integer the way samtools does for flags: decimal, `0x` hex or `0` octal (see units.ts).
 *
 * @example
 * ```ts
 * parseInteger('0x904') // 2308
 * ```
 */
export function parseInteger(text: string): number {
  return units.parseInteger(text)
}

/**
 * Parses a positive number of seconds (fractions allowed) into milliseconds.
 *
 * @example
 * ```ts
 * parseSeconds('2.5') // 2500
 * ```
 */
export function parseSeconds(text: string): number {
  const t = text.trim()
  const ms = units.parseDuration(/^\d+(\.\d+)?$/.test(t) ? `${t}s` : t, 'number of seconds') // a bare number is seconds here
  if (ms <= 0) throw units.invalid('number of seconds', text, 'more than 0, e.g. 20 or 2.5s')
  return ms
}

/** Parses a thread count; 0 means one worker thread (samtools' `-@ 0`: no extra threads). */
export function parseThreads(text: string): number {
  const n = Math.max(1, units.parseAtLeast(text, 0, 'thread count'))
  if (n > maxThreads()) process.stderr.write(`bamstream: -@ ${text}: using ${maxThreads()} threads, the most allowed (4 per core, at least 8)\n`)
  return Math.min(n, maxThreads())
}

/** The engine options as commander parses them (see {@link addEngineOptions}). */
export interface EngineFlags {
  threads: number
  /** Undefined: the op's default (run.ts defaultChunkBytes). */
  chunkSize?: number
  httpTimeout: number
  buffered?: boolean
}

/**
 * Adds `-@/--threads`, `--http-timeout` and `--chunk-size` to a command, and `--buffered` where
 * the command honours it (`buffered: true`: the commands that run one op over
 * the whole file; not `view`, which may read through an index, nor the daemon).
 * `--chunk-size` has no value unless given: the run then takes its op's default
 * (run.ts `defaultChunkBytes`), which `chunkDefault` describes in the help (default '4M').
 *
 * @example
 * ```ts
 * addEngineOptions(program.command('flagstat'), { buffered: true })
 * ```
 */
export function addEngineOptions(cmd: Command, opts: { buffered?: boolean; chunkDefault?: string } = {}): Command {
  cmd
    .addOption(new Option('-@, --threads <n>', 'worker threads').argParser(parseThreads).default(defaultThreads(), 'all cores'))
    .addOption(new Option('--http-timeout <seconds>', 'for http(s) inputs: longest wait for a response, and longest silence in the body (then up to 2 retries, resuming with Range)').argParser(parseSeconds).default(DEFAULT_HTTP_TIMEOUT_MS, '20'))
    .addOption(new Option('--chunk-size <bytes>', `uncompressed bytes per parallel chunk (k, M, G suffixes; default: ${opts.chunkDefault ?? '4M'})`).argParser(parseSize))
  if (opts.buffered) cmd.addOption(new Option('--buffered', 'read every chunk into memory before processing any (the "assets" way; for memory comparisons only)'))
  return cmd
}

/**
 * The run options of parsed engine flags: threads, chunk size, HTTP timeout,
 * `--buffered`, and a progress bar on stderr unless `progress` is false.
 *
 * @example
 * ```ts
 * await flagstat(input, engineOptions(o))
 * ```
 */
export function engineOptions(o: EngineFlags, progress = true): InternalRunOptions {
  return {
    threads: o.threads, chunkBytes: o.chunkSize, http: { timeoutMs: o.httpTimeout }, buffered: o.buffered,
    onProgress: progress ? progressBar(process.stderr) : undefined,
    detachPool: true, // the process exits right after the output (main.ts)
  }
}

/** Adds samtools' `-f`, `-F` and `-q` filters to a command, with the API's names as long options (`--required-flags`, …). */
export function addFilterOptions(cmd: Command): Command {
  for (const f of FILTER_NAMES) cmd.addOption(new Option(`-${f.letter}, --${f.long} <${f.key === 'minMapq' ? 'int' : 'flags'}>`, f.help).argParser(parseInteger))
  return cmd
}

/**
 * The filter options as the ops take them: commander names each after its long
 * option, which is the API's key.
 *
 * @example
 * ```ts
 * filterOptions({ excludedFlags: 4, threads: 2 }) // { requiredFlags: undefined, excludedFlags: 4, minMapq: undefined }
 * ```
 */
export function filterOptions(o: FilterOptions): FilterOptions {
  return { requiredFlags: o.requiredFlags, excludedFlags: o.excludedFlags, minMapq: o.minMapq }
}
