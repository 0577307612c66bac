import { describe, expect, it } from 'vitest'
import { createPool } from '../../src/engine/pool.js'
import { openBam } from '../../src/engine/reader.js'
import { planChunks } from '../../src/engine/planner.js'
import { encodeContext } from '../../src/engine/context.js'
import { run } from '../../src/engine/run.js'
import type { ChunkResult, ChunkTask } from '../../src/engine/task.js'
import { corpusBam } from '../helpers/corpus.js'

describe('the pool moves buffers instead of copying them', () => {
  it('detaches the chunk sent to a worker and gets its buffers back', async () => {
    const pool = createPool(1)
    try {
      const bam = await openBam(corpusBam('htslib_test_ce_1000'))
      const { value: desc } = (await planChunks(bam, 1 << 20).next()).value!
      bam.source.close()
      const size = desc.compressed.byteLength
      const task: ChunkTask = {
        run: { runId: 'transfer-test', op: 'count', context: encodeContext(bam.header.references, {}) },
        index: 0, compressed: desc.compressed, blockSizes: desc.blockSizes, isize: desc.isize, coffset: desc.coffset, start: desc.start,
      }
      const pending = pool.run(task, { transferList: [desc.compressed] }) as Promise<ChunkResult>
      expect(desc.compressed.byteLength).toBe(0) // transferred at once, not cloned
      const result = await pending
      expect(result.compressed.byteLength).toBe(size) // and moved back
      expect(result.records).toBe(1000)
    } finally {
      await pool.destroy()
    }
  })
})

describe('backpressure', () => {
  it('never has more chunks in flight than the cap', async () => {
    for (const maxInFlight of [1, 3]) {
      let peak = -1
      await run(corpusBam('htslib_test_ce_large_seq'), 'count', {}, { threads: 2, chunkBytes: 1, maxInFlight, onStats: (s) => { peak = s.peakInFlight } })
      expect(peak).toBeGreaterThan(0)
      expect(peak).toBeLessThanOrEqual(maxInFlight)
    }
  })
})
