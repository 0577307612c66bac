/**
 * `view` as a library call: filtered records as SAM text or BAM, in file order,
 * written to a stream or a file with backpressure.
 */
import fs from 'node:fs'
import type { Writable } from 'node:stream'
import { encodeHeader } from '../bam/encoder.js'
import type { BamHeader } from '../bam/header.js'
import { encodeLatin1, formatHeader } from '../bam/sam.js'
import { EOF_BLOCK } from '../bgzf/block.js'
import { BgzfWriter } from '../bgzf/writer.js'
import { gunzipSync } from 'node:zlib'
import { indexedSet, recordFilter, type FilterOptions, type RecordFilter, type RegionOptions } from '../ops/filter.js'
import type { ViewOptions } from '../ops/view.js'
import { releaseOutput } from '../ops/output.js'
import { BamError } from '../errors.js'
import { checkChoice, checkFilters, checkInteger } from './check.js'
import { checkRunOptions, run, type InternalRunOptions, type RunOptions } from './run.js'
import { fileSink, streamSink } from './sink.js'
import { findIndex, runIndexed } from './indexed.js'
import { openBam, warnOnStderr } from './reader.js'
import type { Source } from './source.js'

/** Which records: the samtools filters, and regions or a BED file read through the index when there is one. */
export interface SelectionOptions extends FilterOptions, Omit<RegionOptions, 'targetsBed' | 'targetsBedName'> {
  /**
   * Only records overlapping one of the intervals of this BED file (`-L`;
   * 0-based `chr beg end` lines, or `chr pos` 1-based; gzip allowed).
   */
  targetsFile?: string
  /** Ignore any `.bai` and find regions by a full scan. */
  noIndex?: boolean
}

/** Options of {@link view}. */
export interface ViewCallOptions extends SelectionOptions, RunOptions {
  /** Where to write: a writable stream, or a file path (written atomically). */
  output: Writable | string
  /** `sam` (default) or `bam`. */
  format?: 'sam' | 'bam'
  /** `none` (default for SAM), `include` (`-h`; always for BAM) or `only` (`-H`). */
  header?: 'none' | 'include' | 'only'
  /** Compression level 0..9 for BAM output, as samtools -l (default: see bgzf/deflate.ts). */
  level?: number
}

/**
 * Writes the records of `source` that pass the filters, in file order, and
 * resolves to the number written. SAM is identical to `samtools view --no-PG`.
 *
 * @example
 * ```ts
 * import { view } from 'bamstream'
 * await view('test/fixtures/htslib/htslib_test_ce_1000.bam', { output: process.stdout, excludedFlags: 4, header: 'include' })
 * ```
 */
export async function view(source: Source, options: ViewCallOptions): Promise<number> {
  const { output, format = 'sam', header = format === 'bam' ? 'include' : 'none', level, ...rest } = options
  const [selection, runOptions] = splitSelection(rest)
  checkChoice('format', format, ['sam', 'bam'])
  checkChoice('header', header, ['none', 'include', 'only'])
  checkInteger('level', level, -1, 9)
  checkFilters(selection)
  checkRunOptions(runOptions)
  if (output === null || (typeof output !== 'string' && typeof (output as Writable)?.write !== 'function')) {
    throw new BamError('ERR_OPTION', `output must be a path or a writable stream, got ${String(output)}`)
  }
  const { targetsFile, noIndex, ...filters } = selection
  const positional = filters.region !== undefined || filters.regions !== undefined || targetsFile !== undefined
  if (runOptions.redis && header !== 'only' && !(positional && !noIndex && findIndex(source))) {
    const { viewOnCluster } = await import('../cluster/submit.js')
    const targetsBed = targetsFile === undefined ? undefined : await readBed(targetsFile)
    const filter = recordFilter({ ...filters, targetsBed, targetsBedName: targetsFile })
    const { redis, splitBytes, chunkBytes, onProgress, signal, guessHook, partsDir, onClusterIdle: onIdle } = runOptions as InternalRunOptions
    return viewOnCluster(source, 'view', (h): ViewOptions => ({ ...filter(h), format, level }), { output, format, header }, { redis: redis!, splitBytes, chunkBytes, onProgress, signal, guessHook, partsDir, onIdle })
  }
  const sink = typeof output === 'string' ? await fileSink(output) : streamSink(output, 'output', runOptions.signal)
  let pendingHeader: Uint8Array | undefined
  const flushHeader = async (): Promise<void> => {
    if (pendingHeader) await sink.write(pendingHeader)
    pendingHeader = undefined
  }
  try {
    const setHeader = (h: BamHeader): void => { pendingHeader = headerBytes(h, format, header) }
    const onOutput = async (parts: Uint8Array[]): Promise<void> => {
      await flushHeader()
      for (const p of parts) await sink.write(p, () => releaseOutput(p)) // the worker may reuse its buffer
    }
    const n = header === 'only'
      ? await readHeaderOnly(source, setHeader)
      : await runFiltered<number>(source, 'view', selection, (filter) => (h): ViewOptions => ({ ...filter(h), format, level }), { runOptions, onHeader: setHeader, onOutput })
    await flushHeader()
    if (format === 'bam') await sink.write(EOF_BLOCK)
    await sink.close()
    return n
  } catch (e) {
    await sink.abort()
    throw e
  }
}

/**
 * The bytes `view` writes before the records: a BGZF-compressed BAM header, or SAM header lines when asked for.
 *
 * @example
 * ```ts
 * headerBytes(bam.header, 'sam', 'include')
 * ```
 */
export function headerBytes(h: BamHeader, format: 'sam' | 'bam', header: 'none' | 'include' | 'only'): Uint8Array | undefined {
  if (format === 'bam') {
    const w = new BgzfWriter()
    const blocks = [...w.write(encodeHeader(h.text, h.references)), ...w.flush()]
    return Buffer.concat(blocks)
  }
  return header === 'none' ? undefined : encodeLatin1(formatHeader(h.text, h.references))
}

async function readHeaderOnly(source: Source, onHeader: (h: BamHeader) => void): Promise<number> {
  const bam = await openBam(source)
  bam.source.close()
  onHeader(bam.header)
  return 0
}

/** Options of {@link countRecords}. */
export type CountCallOptions = Omit<ViewCallOptions, 'output' | 'format' | 'header' | 'level'>

/**
 * Counts the records `view` would write (`samtools view -c`), a region read
 * through the index when there is one.
 *
 * @example
 * ```ts
 * await countRecords('x.bam', { region: 'chr1:1-1000', excludedFlags: 4 })
 * ```
 */
export async function countRecords(source: Source, options: CountCallOptions): Promise<number> {
  const [selection, runOptions] = splitSelection(options)
  checkFilters(selection)
  return runFiltered<number>(source, 'count', selection, (filter) => filter, { runOptions })
}

/** The selection options apart from the run options. */
function splitSelection<T extends SelectionOptions>(o: T): [SelectionOptions, Omit<T, keyof SelectionOptions>] {
  const {
    requiredFlags, excludedFlags, excludedAllFlags, anyFlags, minMapq, expression, subsample, subsampleSeed,
    region, regions, targetsFile, onRegionWarning, noIndex, ...rest
  } = o
  const selection = { requiredFlags, excludedFlags, excludedAllFlags, anyFlags, minMapq, expression, subsample, subsampleSeed, region, regions, targetsFile, onRegionWarning, noIndex }
  return [selection, rest]
}

/**
 * The text of a BED file, gunzipped when it is gzip (samtools reads both).
 *
 * @example
 * ```ts
 * const text = await readBed('targets.bed.gz')
 * ```
 */
export async function readBed(file: string): Promise<string> {
  let bytes: Buffer
  try {
    bytes = await fs.promises.readFile(file)
  } catch (e) {
    throw new BamError('ERR_OPTION', `cannot read the BED file: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, -1, file)
  }
  const GZIP_MAGIC = 0x8b1f // RFC 1952 ID1 ID2, little-endian
  return (bytes.length >= 2 && bytes.readUInt16LE(0) === GZIP_MAGIC ? gunzipSync(bytes) : bytes).toString('latin1')
}

/** How {@link runFiltered} runs. */
interface FilteredRun {
  runOptions: RunOptions
  onHeader?: (h: BamHeader) => void
  onOutput?: (parts: Uint8Array[]) => Promise<void>
}

/**
 * Runs an op over the records the selection keeps: through the .bai beside
 * the file when regions or a BED file are given and there is one (unless
 * `noIndex`), else by a full scan on the pool.
 */
async function runFiltered<R>(source: Source, op: string, selection: SelectionOptions, options: (filter: (h: BamHeader) => RecordFilter) => (h: BamHeader) => RecordFilter, o: FilteredRun): Promise<R> {
  const { targetsFile, noIndex, ...filters } = selection
  const targetsBed = targetsFile === undefined ? undefined : await readBed(targetsFile)
  const opOptions = options(recordFilter({ ...filters, targetsBed, targetsBedName: targetsFile }))
  const regions = [...(filters.region === undefined ? [] : [filters.region]), ...(filters.regions ?? [])]
  const narrows = (regions.length > 0 && !regions.includes('.')) || (regions.length === 0 && targetsBed !== undefined)
  const index = narrows && !noIndex ? findIndex(source) : undefined
  if (index) warnIfOlder(index, source as string, o.runOptions.onWarning ?? warnOnStderr)
  if (index) {
    return runIndexed<R, RecordFilter>(source as string, index, op, opOptions, indexedSet, {
      onOutput: o.onOutput,
      onProgress: o.runOptions.onProgress,
      signal: o.runOptions.signal,
      onHeader: (bam) => {
        o.onHeader?.(bam.header)
        o.runOptions.onHeader?.(bam)
      },
    })
  }
  return run<R>(source, op, opOptions, {
    ...o.runOptions,
    onOutput: o.onOutput,
    onHeader: (bam) => {
      o.onHeader?.(bam.header)
      o.runOptions.onHeader?.(bam)
    },
  })
}

/** Warns, as htslib does, when an index is older than its BAM (it may not describe it). */
function warnIfOlder(index: string, bam: string, warn: (message: string) => void): void {
  try {
    if (fs.statSync(index).mtimeMs < fs.statSync(bam).mtimeMs) warn(`the index file is older than the data file: ${index}`)
  } catch {
    // unreadable: the index reader says so
  }
}
