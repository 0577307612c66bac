/**
 * Each built-in op's kernel on one chunk, as a worker runs it
 * (`processChunk`: exact start, walk, `op.record` per record, `seal`), with
 * the inflate step replaced by the already inflated bytes so that only the
 * kernel is timed.
 *
 * @example
 * ```sh
 * node dist/bench/ops.bench.js bench/data/base-200M-seed1.bam
 * ```
 */
import { pathToFileURL } from 'node:url'
import type { Inflater } from '../src/bgzf/inflate.js'
import { processChunk } from '../src/engine/kernel.js'
import type { ChunkTask } from '../src/engine/task.js'
import { builtinOpNames, loadOp } from '../src/ops/registry.js'
import { loadFixture, microTable, newBench, runSuite, type Fixture, type MicroRow } from './fixture.js'

/** Runs the suite. */
export async function opsSuite(fx: Fixture): Promise<MicroRow[]> {
  const c = fx.chunks[0]!
  const data = fx.inflated[0]!
  const inflated: Inflater = { name: 'pre-inflated', inflate: () => data }
  const task: ChunkTask = {
    run: { runId: 'bench', op: '', context: new SharedArrayBuffer(0) }, index: 0, compressed: c.compressed,
    blockSizes: c.blockSizes, isize: c.isize, coffset: c.coffset, start: c.start,
  }
  const bench = newBench('ops')
  let records = 0
  for (const name of builtinOpNames()) {
    const op = await loadOp(name)
    records = processChunk(task, op, fx.ctx, inflated).records
    bench.add(name, () => processChunk(task, op, fx.ctx, inflated))
  }
  return runSuite('op kernel', bench, () => ({ bytes: data.length, records }))
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2] ?? 'test/fixtures/htslib/htslib_test_ce_1000.bam'
  process.stdout.write(microTable(await opsSuite(await loadFixture(file))))
}
