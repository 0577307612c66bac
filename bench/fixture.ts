/**
 * Shared inputs for the microbenchmarks: real chunks of a BAM, as the planner
 * makes them, compressed and inflated, and a run of raw file bytes for the
 * block scanner.
 */
import fs from 'node:fs'
import { Bench } from 'tinybench'
import { zlibInflater } from '../src/bgzf/inflate.js'
import { planChunks, type ChunkDescriptor } from '../src/engine/planner.js'
import { openBam } from '../src/engine/reader.js'
import type { OpContext } from '../src/ops/op.js'
import { fmt, markdownTable } from './stats.js'

/** What the suites work on. */
export interface Fixture {
  file: string
  /** Chunk 0 (exact record start known) and chunk 1 (start to be guessed). */
  chunks: ChunkDescriptor[]
  /** Their inflated bytes. */
  inflated: Uint8Array[]
  /** Records in chunk 0 from its exact start. */
  ctx: OpContext
  /** The first `scanBytes` of the file. */
  raw: Uint8Array
}

/** One result row. */
export interface MicroRow {
  suite: string
  task: string
  /** Median time per call, ms. */
  ms: number
  /** Uncompressed MB/s (or input MB/s for the scanner). */
  mbps?: number
  /** Records per second. */
  recordsPerS?: number
}

/**
 * Loads the first two chunks of `file` (4 MiB each by default) and its first 16 MiB.
 *
 * @example
 * ```ts
 * const fx = await loadFixture('bench/data/base-200M-seed1.bam')
 * ```
 */
export async function loadFixture(file: string, chunkBytes = 4 << 20, scanBytes = 16 << 20): Promise<Fixture> {
  const bam = await openBam(file)
  const chunks: ChunkDescriptor[] = []
  try {
    for await (const { value } of planChunks(bam, chunkBytes)) {
      chunks.push(value)
      if (chunks.length === 2) break
    }
  } finally {
    bam.source.close()
  }
  const inflated = chunks.map((c) => Uint8Array.from(zlibInflater.inflate(new Uint8Array(c.compressed), c.blockSizes, c.isize, c.coffset)))
  const fd = fs.openSync(file, 'r')
  const raw = new Uint8Array(Math.min(scanBytes, fs.fstatSync(fd).size))
  fs.readSync(fd, raw, 0, raw.length, 0)
  fs.closeSync(fd)
  return { file, chunks, inflated, raw, ctx: { references: bam.header.references, headerText: '', options: {} } }
}

/** Runs a tinybench suite and turns each task into a row; `per` gives bytes and records per call. */
export async function runSuite(suite: string, bench: Bench, per: (task: string) => { bytes?: number; records?: number }): Promise<MicroRow[]> {
  await bench.run()
  return bench.tasks.map((t) => {
    const r = t.result as { state: string; latency?: { p50?: number; mean: number }; error?: Error }
    if (r.state !== 'completed' || !r.latency) throw new Error(`${suite}/${t.name}: ${r.error?.message ?? r.state}`)
    const ms = r.latency.p50 ?? r.latency.mean
    const { bytes, records } = per(t.name)
    return {
      suite, task: t.name, ms,
      mbps: bytes === undefined ? undefined : bytes / 1e6 / (ms / 1000),
      recordsPerS: records === undefined ? undefined : records / (ms / 1000),
    }
  })
}

/** A tinybench instance with the settings every suite uses. */
export function newBench(name: string, timeMs = 500): Bench {
  return new Bench({ name, time: timeMs, warmupTime: 100 })
}

/** The rows as a markdown table. */
export function microTable(rows: MicroRow[]): string {
  return markdownTable(
    ['suite', 'task', 'median ms/call', 'MB/s', 'M records/s'],
    rows.map((r) => [r.suite, r.task, fmt(r.ms, 4), fmt(r.mbps, 0), r.recordsPerS === undefined ? '' : fmt(r.recordsPerS / 1e6, 1)]),
  )
}
