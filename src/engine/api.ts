/**
 * The library API: one function per op, and the chunk planner as dynamic outputs.
 */
import { DEFAULT_CHUNK_BYTES } from '../constants.js'
import { recordFilter, type FilterOptions } from '../ops/filter.js'
import type { FlagstatResult } from '../ops/flagstat.js'
import type { IdxstatsLine } from '../ops/idxstats.js'
import { planChunks, type ChunkDescriptor, type DynamicOutput } from './planner.js'
import { openBam } from './reader.js'
import { checkFilters } from './check.js'
import { checkChunkBytes, run, type RunOptions } from './run.js'
import type { Source } from './source.js'

/**
 * Counts records passing samtools-style filters, like `samtools view -c`.
 *
 * @example
 * ```ts
 * import { count } from 'bamstream'
 * const mapped = await count('test/fixtures/htslib/htslib_test_ce_1000.bam', { excludedFlags: 4 })
 * ```
 */
export async function count(source: Source, options: FilterOptions & RunOptions = {}): Promise<number> {
  const { requiredFlags, excludedFlags, excludedAllFlags, anyFlags, minMapq, expression, subsample, subsampleSeed, ...runOptions } = options
  const filters = { requiredFlags, excludedFlags, excludedAllFlags, anyFlags, minMapq, expression, subsample, subsampleSeed }
  checkFilters(filters)
  return run<number>(source, 'count', recordFilter(filters), runOptions)
}

/**
 * FLAG statistics, like `samtools flagstat`. Format them with `formatFlagstat`
 * (text) or `formatFlagstatJson` (`-O json`).
 *
 * @example
 * ```ts
 * import { flagstat, formatFlagstat } from 'bamstream'
 * const stats = await flagstat('test/fixtures/htslib/htslib_test_ce_1000.bam', { threads: 2 })
 * process.stdout.write(formatFlagstat(stats))
 * ```
 */
export function flagstat(source: Source, options: RunOptions = {}): Promise<FlagstatResult> {
  return run<FlagstatResult>(source, 'flagstat', {}, options)
}

/**
 * Mapped and unmapped records per reference, like `samtools idxstats`, by one
 * full scan (no index needed). Format with `formatIdxstats`.
 *
 * @example
 * ```ts
 * import { idxstats, formatIdxstats } from 'bamstream'
 * process.stdout.write(formatIdxstats(await idxstats('test/fixtures/htslib/htslib_test_ce_1000.bam')))
 * ```
 */
export function idxstats(source: Source, options: RunOptions = {}): Promise<IdxstatsLine[]> {
  return run<IdxstatsLine[]>(source, 'idxstats', {}, options)
}

/** Options of {@link chunks}. */
export interface ChunksOptions {
  /** Uncompressed bytes per chunk. Default 2 MiB. */
  chunkBytes?: number
  /** Aborts reading. */
  signal?: AbortSignal
}

/**
 * The chunk planner's dynamic outputs: `{ mappingKey: "chunk_<n>", value }` for
 * each chunk of whole BGZF blocks, the compressed bytes in a transferable
 * ArrayBuffer. Only block headers are read; nothing is inflated but the header.
 *
 * @example
 * ```ts
 * import { chunks } from 'bamstream'
 * for await (const { mappingKey, value } of chunks('test/fixtures/htslib/htslib_test_ce_1000.bam')) {
 *   console.log(mappingKey, value.coffset, value.blockCount, value.isize)
 * }
 * ```
 */
export async function* chunks(source: Source, options: ChunksOptions = {}): AsyncGenerator<DynamicOutput<ChunkDescriptor>> {
  const chunkBytes = checkChunkBytes(options.chunkBytes ?? DEFAULT_CHUNK_BYTES)
  const bam = await openBam(source, options.signal)
  try {
    yield* planChunks(bam, chunkBytes)
  } finally {
    bam.source.close()
  }
}
