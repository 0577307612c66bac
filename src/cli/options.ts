/**
 * Option parsing shared by the commands.
 */
import { Option, type Command } from 'commander'
import { DEFAULT_CHUNK_BYTES } from '../constants.js'
import { defaultThreads, maxThreads } from '../engine/pool.js'
import { DEFAULT_HTTP_TIMEOUT_MS } from '../engine/http.js'
import * as units from '../units.js'

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

/** Parses a positive thread count. */
export function parseThreads(text: string): number {
  const n = units.parseAtLeast(text, 1, 'thread count')
  if (n > maxThreads()) process.stderr.write(`bamstream: -@ ${text}: using ${maxThreads()} threads, the most allowed (4 per core, at least 8)\n`)
  return Math.min(n, maxThreads())
}

/** Adds `-@/--threads`, `--chunk-size` and `--buffered` to a command. */
export function addEngineOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('-@, --threads <n>', 'worker threads').argParser(parseThreads).default(defaultThreads(), 'all cores'))
    .addOption(new Option('--http-timeout <seconds>', 'for http(s) inputs: longest wait for a response, and longest silence in the body (then up to 2 retries, resuming with Range)').argParser(parseSeconds).default(DEFAULT_HTTP_TIMEOUT_MS, '20'))
    .addOption(new Option('--chunk-size <bytes>', 'uncompressed bytes per parallel chunk (k, M, G suffixes)').argParser(parseSize).default(DEFAULT_CHUNK_BYTES, '2M'))
    .addOption(new Option('--buffered', 'read every chunk into memory before processing any (the "assets" way; for memory comparisons only)'))
}

/** Adds samtools' `-f`, `-F` and `-q` filters to a command. */
export function addFilterOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('-f, --require-flags <flags>', 'only records with all of these FLAG bits set').argParser(parseInteger))
    .addOption(new Option('-F, --exclude-flags <flags>', 'only records with none of these FLAG bits set').argParser(parseInteger))
    .addOption(new Option('-q, --min-MQ <int>', 'only records with MAPQ at least this').argParser(parseInteger))
}

/** The filter options as the ops take them. */
export function filterOptions(o: { requireFlags?: number; excludeFlags?: number; minMQ?: number }): {
  requiredFlags?: number; excludedFlags?: number; minMapq?: number
} {
  return { requiredFlags: o.requireFlags, excludedFlags: o.excludeFlags, minMapq: o.minMQ }
}
