import type { Piscina } from 'piscina'
import { describe, expect, it } from 'vitest'
import { SMALL_INPUT_BYTES, createPool, inlinePool, localFileSize, maxThreads, poolFor, workersToStart } from '../../src/engine/pool.js'
import { openBam } from '../../src/engine/reader.js'
import { planChunks } from '../../src/engine/planner.js'
import { encodeContext } from '../../src/engine/context.js'
import { defaultChunkBytes, run } from '../../src/engine/run.js'
import { loadOp } from '../../src/ops/registry.js'
import { DEFAULT_CHUNK_BYTES, SCAN_CHUNK_BYTES } from '../../src/constants.js'
import type { ChunkResult, ChunkTask } from '../../src/engine/task.js'
import { corpusBam } from '../helpers/corpus.js'
import { countingPool } from '../helpers/counting-pool.js'
import { testPool } from '../helpers/pool.js'

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
  it('never has more chunks in the pool than the cap, and fills the window when the workers are slow', async () => {
    // counted from outside: a wrapped pool sees every task the run submits (first tries and redos)
    const { pool, counts, destroy } = countingPool(2, 5)
    try {
      for (const maxInFlight of [1, 3]) {
        counts.peak = 0
        counts.total = 0
        expect(await run(corpusBam('htslib_test_ce_large_seq'), 'count', {}, { pool, chunkBytes: 1, maxInFlight })).toBe(2) // two long records
        expect(counts.total).toBeGreaterThan(4 * maxInFlight) // many chunks: the cap is what bounds the peak
        expect(counts.peak).toBe(maxInFlight)
        expect(counts.now).toBe(0)
      }
    } finally {
      await destroy()
    }
  })
})

describe('small local files run on the calling thread', () => {
  it('poolFor: no workers for a local file up to SMALL_INPUT_BYTES, workers for stdin, URLs and what cannot be stat\'ed', async () => {
    expect('threads' in poolFor(corpusBam('htslib_test_ce_1000'), 2, 4 << 20)).toBe(false) // inlinePool()
    for (const source of ['-', 'http://localhost/x.bam', '/no/such/file.bam']) {
      const pool = poolFor(source, 2, 4 << 20) as Piscina
      try {
        expect(pool.options.maxThreads, source).toBe(2)
        expect(pool.options.minThreads, source).toBe(1) // size unknown: one worker at once, more as work queues
      } finally {
        await pool.destroy()
      }
    }
    expect(SMALL_INPUT_BYTES).toBeGreaterThanOrEqual(1 << 20)
  })

  it('the in-process pool gives the same results as workers, guessed chunk starts and straddling records included', async () => {
    const file = corpusBam('htslib_test_ce_large_seq')
    const pool = testPool() // two workers, shared with the other test files of this process
    for (const op of ['flagstat', 'count', 'idxstats']) {
      const inline = await run(file, op, {}, { chunkBytes: 1, pool: inlinePool() })
      const workers = await run(file, op, {}, { chunkBytes: 1, pool })
      expect(inline).toEqual(workers)
    }
  })
})

describe('how many workers a run boots at once', () => {
  it('all of them for a file of many chunks, fewer for a few, one when the size is unknown', () => {
    const MiB = 1 << 20
    expect(workersToStart(2, 262_200_573, 2 * MiB)).toBe(2)
    expect(workersToStart(8, 6 * MiB, 2 * MiB)).toBe(4) // ~8 chunks: two per worker
    expect(workersToStart(8, 5 * MiB, 64 * MiB)).toBe(1)
    expect(workersToStart(2, undefined, 2 * MiB)).toBe(1) // stdin, a URL: the pool grows as work queues
    expect(workersToStart(1_000_000, 1e12, 2 * MiB)).toBe(maxThreads())
  })

  it('localFileSize: the size of a local file, undefined for stdin, URLs and missing paths', () => {
    const file = corpusBam('htslib_test_ce_1000')
    expect(localFileSize(file)).toBeGreaterThan(0)
    expect(localFileSize('-')).toBeUndefined()
    expect(localFileSize('https://localhost/x.bam')).toBeUndefined()
    expect(localFileSize('/no/such/file.bam')).toBeUndefined()
  })

  it('a pool made with start workers has them running before any task', async () => {
    const pool = createPool(2, 2)
    try {
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(pool.threads.length).toBe(2)
    } finally {
      await pool.destroy()
    }
    expect(() => createPool(2, 0)).toThrow(/workers to start/)
  })
})

describe('the default chunk size', () => {
  it('is 4 MiB for ops without ordered output, 2 MiB for view, whose chunks\' output waits for its turn', async () => {
    expect(SCAN_CHUNK_BYTES).toBe(4 << 20)
    expect(DEFAULT_CHUNK_BYTES).toBe(2 << 20)
    for (const op of ['flagstat', 'count', 'idxstats']) expect(defaultChunkBytes(await loadOp(op)), op).toBe(SCAN_CHUNK_BYTES)
    expect(defaultChunkBytes(await loadOp('view'))).toBe(DEFAULT_CHUNK_BYTES)
  })
})
