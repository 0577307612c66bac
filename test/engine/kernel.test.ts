import { describe, expect, it } from 'vitest'
import { chunks } from '../../src/engine/api.js'
import { processChunk } from '../../src/engine/kernel.js'
import type { ChunkDescriptor } from '../../src/engine/planner.js'
import type { ChunkTask } from '../../src/engine/task.js'
import { BamError } from '../../src/errors.js'
import type { AnyOp } from '../../src/ops/op.js'
import { corpusBam } from '../helpers/corpus.js'
import { readBam } from '../helpers/read-bam.js'

const FILE = corpusBam('htslib_test_ce_1000')
const references = readBam(FILE).refs.map((r) => ({ name: r.name, length: r.length }))
const ctx = { references, headerText: '', options: {} }

/** An op that throws `error` at every record. */
function throwing(error: () => unknown): AnyOp {
  return { name: 'thrower', init: () => [0], record: () => { throw error() }, merge: (a: number[]) => a, finish: () => 0 }
}

async function secondChunk(): Promise<ChunkDescriptor> {
  let i = 0
  for await (const { value } of chunks(FILE, { chunkBytes: 1 })) if (i++ === 1) return value
  throw new Error('no second chunk')
}

function task(desc: ChunkDescriptor, start: number): ChunkTask {
  const compressed = desc.compressed.slice(0)
  return { run: { runId: 'k', op: 'thrower', context: new SharedArrayBuffer(0) }, index: 1, compressed, blockSizes: desc.blockSizes, isize: desc.isize, coffset: desc.coffset, start }
}

describe('processChunk and an op that throws', () => {
  it('after a guessed start, asks for an exact redo (a TypeError or a refusal both only prove the guess wrong)', async () => {
    const desc = await secondChunk()
    expect(desc.start).toBe(-1)
    for (const error of [() => new TypeError('bug'), () => new BamError('ERR_BAD_RECORD', 'refused')]) {
      const r = processChunk(task(desc, -1), throwing(error), ctx)
      expect([r.invalid, r.partial, r.records]).toEqual([true, null, 0])
    }
  })

  it('on the exact redo, fails for good: ERR_OP with the TypeError as cause, or the op\'s own BamError, at the record\'s block', async () => {
    const desc = await secondChunk()
    const guessed = processChunk(task(desc, -1), throwing(() => new TypeError('bug')), ctx)
    const start = guessed.start >= 0 ? guessed.start : 0
    const op = (): never => { throw new TypeError('bug') }
    const e = (() => { try { processChunk(task(desc, start), throwing(op), ctx) } catch (err) { return err } return undefined })() as BamError
    expect(e).toBeInstanceOf(BamError)
    expect([e.code, e.offset, (e.cause as Error).message]).toEqual(['ERR_OP', desc.coffset, 'bug'])
    const refused = (() => { try { processChunk(task(desc, start), throwing(() => new BamError('ERR_BAD_RECORD', 'refused')), ctx) } catch (err) { return err } return undefined })() as BamError
    expect([refused.code, refused.offset, refused.cause]).toEqual(['ERR_BAD_RECORD', desc.coffset, undefined])
  })
})
