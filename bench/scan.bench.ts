/**
 * Block scanning: `scanBlocks` over the first 16 MiB of the file, fed in
 * 1 MiB pieces as the file source does (headers only, nothing inflated).
 *
 * @example
 * ```sh
 * node dist/bench/scan.bench.js bench/data/base-200M-seed1.bam
 * ```
 */
import { pathToFileURL } from 'node:url'
import { scanBlocks } from '../src/bgzf/scanner.js'
import { loadFixture, microTable, newBench, runSuite, type Fixture, type MicroRow } from './fixture.js'

const PIECE = 1 << 20

async function* pieces(raw: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let p = 0; p < raw.length; p += PIECE) yield raw.subarray(p, p + PIECE)
}

/** Counts blocks up to the last whole one (the slice ends mid-block, which the scanner reports at the end). */
async function scan(raw: Uint8Array): Promise<number> {
  let n = 0
  try {
    for await (const b of scanBlocks(pieces(raw))) n += b.csize > 0 ? 1 : 0
  } catch {
    // the 16 MiB slice ends inside a block and has no EOF block: expected
  }
  return n
}

/** Runs the suite. */
export async function scanSuite(fx: Fixture): Promise<MicroRow[]> {
  const bench = newBench('scan')
  bench.add('scanBlocks, 1 MiB pieces', () => scan(fx.raw))
  return runSuite('block scan', bench, () => ({ bytes: fx.raw.length }))
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2] ?? 'test/fixtures/htslib/htslib_test_ce_1000.bam'
  process.stdout.write(microTable(await scanSuite(await loadFixture(file))))
}
