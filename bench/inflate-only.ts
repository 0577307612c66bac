/**
 * Inflate-only throughput of the decompressor in use, on `threads` worker
 * threads: the file's chunks are read into memory first (not timed), then the
 * threads inflate them (CRC32 and ISIZE checked) and do nothing else. This is
 * the ceiling a whole bamstream run is held against.
 *
 * @example
 * ```sh
 * node dist/bench/inflate-only.js bench/data/base-200M-seed1.bam 2
 * ```
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'
import { pathToFileURL } from 'node:url'
import { requireBenchInflater } from './inflaters/select.js'
import { planChunks } from '../src/engine/planner.js'
import { openBam } from '../src/engine/reader.js'

/** The result of one measurement. */
export interface InflateOnly {
  inflater: string
  threads: number
  /** Uncompressed bytes inflated. */
  isize: number
  /** Compressed bytes. */
  csize: number
  wallS: number
}

interface Job { chunks: { bytes: Uint8Array; sizes: Uint32Array; isize: number; coffset: number }[] }

async function workerMain(): Promise<void> {
  const inflater = await requireBenchInflater()
  const { chunks } = workerData as Job
  let max = 0
  for (const c of chunks) max = Math.max(max, c.isize)
  const out = new Uint8Array(max)
  parentPort!.postMessage('ready')
  parentPort!.once('message', () => {
    for (const c of chunks) inflater.inflate(c.bytes, c.sizes, c.isize, c.coffset, out)
    parentPort!.postMessage({ name: inflater.name })
  })
}

/**
 * Measures inflate-only throughput of `file` on `threads` threads (the chunks dealt round-robin).
 *
 * @example
 * ```ts
 * const r = await inflateOnly('x.bam', 2)
 * console.log(r.isize / 1e6 / r.wallS, 'MB/s')
 * ```
 */
export async function inflateOnly(file: string, threads: number, chunkBytes = 4 << 20): Promise<InflateOnly> {
  const jobs: Job[] = Array.from({ length: threads }, () => ({ chunks: [] }))
  const bam = await openBam(file)
  let isize = 0
  let csize = 0
  let i = 0
  for await (const { value: c } of planChunks(bam, chunkBytes)) {
    jobs[i++ % threads]!.chunks.push({ bytes: new Uint8Array(c.compressed), sizes: c.blockSizes, isize: c.isize, coffset: c.coffset })
    isize += c.isize
    csize += c.cend - c.coffset
  }
  bam.source.close()
  const workers = jobs.map((job) => new Worker(new URL(import.meta.url), { workerData: job, transferList: job.chunks.map((c) => c.bytes.buffer as ArrayBuffer) }))
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))))
  const started = performance.now()
  const done = workers.map((w) => new Promise<{ name: string }>((resolve, reject) => { w.once('message', resolve); w.once('error', reject) }))
  for (const w of workers) w.postMessage('go')
  const [first] = await Promise.all(done)
  const wallS = (performance.now() - started) / 1000
  await Promise.all(workers.map((w) => w.terminate()))
  return { inflater: first!.name, threads, isize, csize, wallS }
}

if (!isMainThread) {
  await workerMain()
} else if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await inflateOnly(process.argv[2] ?? 'test/fixtures/htslib/htslib_test_ce_1000.bam', Number(process.argv[3] ?? 2))
  process.stdout.write(`${r.inflater}, ${r.threads} threads: ${(r.isize / 1e6 / r.wallS).toFixed(0)} MB/s uncompressed, ${(r.csize / 1e6 / r.wallS).toFixed(0)} MB/s compressed, ${r.wallS.toFixed(3)} s\n`)
}
