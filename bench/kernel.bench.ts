/**
 * The scan kernel alone (issue 11): walk + validate + the op's record over one
 * inflated chunk from its exact start, for `flagstat` and `count -F 0x904 -q 20`,
 * with the JavaScript walk (`BAMSTREAM_SCAN=js`) and the native one
 * (native/scan.c). MB/s is of inflated bytes: seconds per GB = 1000 / MB/s.
 *
 * @example
 * ```sh
 * node dist/bench/kernel.bench.js /work/benchdata/realistic-1000000.bam
 * ```
 */
import { pathToFileURL } from 'node:url'
import { nativeScanKernel } from '../src/bam/scan.js'
import { countOp } from '../src/ops/count.js'
import { flagstatOp } from '../src/ops/flagstat.js'
import { opDriver } from '../src/ops/lifecycle.js'
import type { AnyOp } from '../src/ops/op.js'
import { loadFixture, microTable, newBench, runSuite, type Fixture, type MicroRow } from './fixture.js'

/** Runs the suite (the native tasks only when the addon has the kernel). */
export async function kernelSuite(fx: Fixture): Promise<MicroRow[]> {
  const data = fx.inflated[0]!
  const start = fx.chunks[0]!.start
  const saved = process.env.BAMSTREAM_SCAN
  const kernels = ['js', ...(nativeScanKernel() ? ['native'] : [])]
  const ops: [string, AnyOp, Record<string, unknown>][] = [
    ['flagstat', flagstatOp, {}], ['count -F 0x904 -q 20', countOp, { excludedFlags: 0x904, minMapq: 20 }],
  ]
  const bench = newBench('kernel')
  let records = 0
  for (const [label, op, options] of ops) {
    const drive = opDriver(op, { ...fx.ctx, options })
    for (const kernel of kernels) {
      bench.add(`${label}, ${kernel}`, () => {
        process.env.BAMSTREAM_SCAN = kernel
        records = drive.walk(drive.fresh(), data, start).records
      })
    }
  }
  try {
    return await runSuite('scan kernel (walk + validate + op)', bench, () => ({ bytes: data.length - start, records }))
  } finally {
    if (saved === undefined) delete process.env.BAMSTREAM_SCAN
    else process.env.BAMSTREAM_SCAN = saved
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2] ?? 'test/fixtures/htslib/htslib_test_ce_1000.bam'
  process.stdout.write(microTable(await kernelSuite(await loadFixture(file, 16 << 20))))
}
