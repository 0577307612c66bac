/**
 * Choosing the BAM output compression level: the first chunks of a BAM's
 * records (inflated) compressed into BGZF blocks by the native deflater at
 * libdeflate levels 1–12 and by node:zlib at level 6 (what samtools writes
 * with zlib), one thread, CPU time per MB and size relative to libdeflate 7
 * (what `samtools view -b` writes by default: htslib maps its default level 6
 * to libdeflate 7). The default level in src/bgzf/deflate.ts comes from this.
 *
 * @example
 * ```sh
 * node dist/bench/deflate-levels.js bench/data/realistic-1000000.bam
 * ```
 */
import { pathToFileURL } from 'node:url'
import { loadAddon } from '../src/bgzf/native.js'
import { zlibDeflater } from '../src/bgzf/deflate.js'
import { zlibInflater } from '../src/bgzf/inflate.js'
import { MAX_BLOCK_DATA } from '../src/bgzf/writer.js'
import { planChunks } from '../src/engine/planner.js'
import { openBam } from '../src/engine/reader.js'
import { joinBytes } from '../src/bytes.js'
import { fmt, markdownTable } from './stats.js'

/** One level's result. */
export interface LevelRow { deflater: string, level: number, cpuMsPerMB: number, bytes: number }

/** Up to `bytes` of inflated record data from the start of `file`. */
async function sample(file: string, bytes: number): Promise<Uint8Array> {
  const bam = await openBam(file)
  const parts: Uint8Array[] = []
  let total = 0
  try {
    for await (const { value: c } of planChunks(bam, 4 << 20)) {
      const data = zlibInflater.inflate(new Uint8Array(c.compressed), c.blockSizes, c.isize, c.coffset)
      parts.push(Uint8Array.from(data))
      total += data.length
      if (total >= bytes) break
    }
  } finally {
    bam.source.close()
  }
  return joinBytes(parts)
}

function cpuMs(fn: () => void): number {
  const t = process.cpuUsage()
  fn()
  const d = process.cpuUsage(t)
  return (d.user + d.system) / 1000
}

/**
 * Measures every level on `sampleBytes` of `file`'s records.
 *
 * @example
 * ```ts
 * const rows = await deflateLevels('bench/data/realistic-1000000.bam')
 * ```
 */
export async function deflateLevels(file: string, sampleBytes = 32e6): Promise<LevelRow[]> {
  const data = await sample(file, sampleBytes)
  const mb = data.length / 1e6
  const rows: LevelRow[] = []
  const addon = loadAddon()
  if (addon) {
    const out = new Uint8Array(Math.ceil(data.length / MAX_BLOCK_DATA) * 65536)
    for (let level = 1; level <= 12; level++) {
      let bytes = 0
      const ms = cpuMs(() => { bytes = addon.deflate(data, level, MAX_BLOCK_DATA, out) })
      rows.push({ deflater: 'libdeflate (native)', level, cpuMsPerMB: ms / mb, bytes })
    }
  }
  let bytes = 0
  const ms = cpuMs(() => { bytes = zlibDeflater.compress(data, 6).length })
  rows.push({ deflater: 'node:zlib', level: 6, cpuMsPerMB: ms / mb, bytes })
  return rows
}

/** The table; sizes relative to libdeflate level 7 (samtools' default). */
export function levelsTable(rows: LevelRow[]): string {
  const ref = rows.find((r) => r.deflater.startsWith('libdeflate') && r.level === 7) ?? rows[rows.length - 1]!
  return markdownTable(
    ['deflater', 'level', 'CPU ms per MB in', 'MB/s (one thread)', 'output MB', `size ÷ ${ref.deflater} ${ref.level}`],
    rows.map((r) => [r.deflater, String(r.level), fmt(r.cpuMsPerMB, 2), fmt(1000 / r.cpuMsPerMB, 0), fmt(r.bytes / 1e6, 2), fmt(r.bytes / ref.bytes, 4)]),
  )
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(levelsTable(await deflateLevels(process.argv[2] ?? 'test/fixtures/htslib/htslib_test_ce_large_seq.bam')))
}
