/**
 * Inflate: one 4 MiB chunk (whole BGZF blocks, CRC32 and ISIZE checked) with
 * each decompressor behind the Inflater interface: libdeflate native addon,
 * node:zlib (whole chunk, and block by block), libdeflate WebAssembly, pako.
 * Unavailable ones are listed as skipped.
 *
 * @example
 * ```sh
 * node dist/bench/inflate.bench.js bench/data/base-200M-seed1.bam
 * ```
 */
import { pathToFileURL } from 'node:url'
import { BENCH_INFLATER_NAMES, loadBenchInflater } from './inflaters/select.js'
import { loadFixture, microTable, newBench, runSuite, type Fixture, type MicroRow } from './fixture.js'

/** Runs the suite on chunk 0 of the fixture. */
export async function inflateSuite(fx: Fixture): Promise<MicroRow[]> {
  const c = fx.chunks[0]!
  const bytes = new Uint8Array(c.compressed)
  const out = new Uint8Array(c.isize)
  const bench = newBench('inflate')
  const skipped: MicroRow[] = []
  for (const name of BENCH_INFLATER_NAMES) {
    const inflater = await loadBenchInflater(name)
    if (!inflater) {
      skipped.push({ suite: 'inflate', task: `${name}: skipped (not available here)`, ms: NaN })
      continue
    }
    bench.add(inflater.name, () => inflater.inflate(bytes, c.blockSizes, c.isize, c.coffset, out))
  }
  const rows = await runSuite('inflate', bench, () => ({ bytes: c.isize }))
  return [...rows, ...skipped]
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2] ?? 'test/fixtures/htslib/htslib_test_ce_1000.bam'
  process.stdout.write(microTable(await inflateSuite(await loadFixture(file))))
}
