/**
 * The boundary checker: `findRecordStart` on an inflated chunk whose first
 * record start is unknown (chunk 1, as a worker guesses it), and `isChainAt`
 * at a known record start (the cost of confirming one candidate).
 *
 * @example
 * ```sh
 * node dist/bench/boundary.bench.js bench/data/base-200M-seed1.bam
 * ```
 */
import { pathToFileURL } from 'node:url'
import { findRecordStart, isChainAt } from '../src/bam/boundary.js'
import { loadFixture, microTable, newBench, runSuite, type Fixture, type MicroRow } from './fixture.js'

/** Runs the suite (on chunk 0 alone when the file has a single chunk). */
export async function boundarySuite(fx: Fixture): Promise<MicroRow[]> {
  const data = fx.inflated[1] ?? fx.inflated[0]!
  const nRef = fx.ctx.references.length
  const guess = findRecordStart(data, nRef)
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const bench = newBench('boundary')
  bench.add(`findRecordStart (scans ${guess} bytes)`, () => findRecordStart(data, nRef))
  bench.add('isChainAt a true start (8 records)', () => isChainAt(view, data, Math.max(guess, 0), nRef))
  return runSuite('boundary checker', bench, () => ({}))
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2] ?? 'test/fixtures/htslib/htslib_test_ce_1000.bam'
  process.stdout.write(microTable(await boundarySuite(await loadFixture(file))))
}
