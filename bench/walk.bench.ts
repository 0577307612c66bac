/**
 * The record walk: `walkRecords` over one inflated 4 MiB chunk from its exact
 * start, with a visitor that does nothing and with one that reads the four
 * fields flagstat reads.
 *
 * @example
 * ```sh
 * node dist/bench/walk.bench.js bench/data/base-200M-seed1.bam
 * ```
 */
import { pathToFileURL } from 'node:url'
import { RecordView } from '../src/bam/record.js'
import { walkRecords } from '../src/bam/walk.js'
import { loadFixture, microTable, newBench, runSuite, type Fixture, type MicroRow } from './fixture.js'

/** Runs the suite. */
export async function walkSuite(fx: Fixture): Promise<MicroRow[]> {
  const data = fx.inflated[0]!
  const start = fx.chunks[0]!.start
  const rec = new RecordView(data)
  const nRef = fx.ctx.references.length
  const records = walkRecords(rec, start, () => {}, fx.ctx.references.length).records
  let sink = 0
  const noop = (): void => {}
  const fields = (r: RecordView): void => { sink += r.flag + r.mapq + r.refID + r.nextRefID }
  const bench = newBench('walk')
  bench.add('walkRecords, empty visitor', () => walkRecords(rec, start, noop, nRef))
  bench.add('walkRecords + flag/mapq/refID/nextRefID', () => walkRecords(rec, start, fields, nRef))
  const rows = await runSuite('record walk', bench, () => ({ bytes: data.length - start, records }))
  if (sink === 42) process.stdout.write('') // keep `sink` alive
  return rows
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2] ?? 'test/fixtures/htslib/htslib_test_ce_1000.bam'
  process.stdout.write(microTable(await walkSuite(await loadFixture(file))))
}
