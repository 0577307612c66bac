import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Piscina } from 'piscina'
import { run } from '../../src/engine/run.js'
import { BamError } from '../../src/errors.js'
import { readBam, records } from '../helpers/read-bam.js'
import { corpusBam, expected } from '../helpers/corpus.js'
import { usePoolAndDir } from '../helpers/setup.js'
import { blockStarts } from '../helpers/bgzf-blocks.js'

// A user op with a bug (it reads a property of undefined at one record) fails
// the run with ERR_OP: the op's own stack, and the file offset of the BGZF block
// where that record begins, whatever the chunking (exact starts, guessed starts
// redone once, records straddling chunks).
const OP = path.resolve(import.meta.dirname, '../fixtures/ops/type-error-op.mjs')

let pool: Piscina
usePoolAndDir('op-errors', (p) => { pool = p })

interface Target {
  name: string
  /** File offset of the block holding the record's first byte. */
  offset: number
  /** True if the record ends in a later block than it begins in. */
  straddles: boolean
}

/** Every `step`-th record, and every record straddling two blocks. */
function someRecords(file: string, step: number): Target[] {
  const starts = blockStarts(file)
  const blockOf = (u: number): [number, number] => starts.filter(([s]) => s <= u).at(-1)!
  const out: Target[] = []
  let i = 0
  for (const rec of records(readBam(file))) {
    const block = blockOf(rec.offset)
    const straddles = blockOf(rec.end - 1) !== block
    if (i++ % step === 0 || straddles) out.push({ name: rec.name, offset: block[1], straddles })
  }
  return out
}

async function failure(file: string, name: string, chunkBytes?: number): Promise<BamError> {
  const e = await run(file, OP, { name }, { pool, chunkBytes }).then(() => undefined, (err: unknown) => err)
  expect(e).toBeInstanceOf(BamError)
  return e as BamError
}

describe('an op that throws', () => {
  const FILE = corpusBam('htslib_test_ce_1000')

  it('is ERR_OP with the op\'s message and stack, at the record\'s block', async () => {
    const target = someRecords(FILE, 197)[3]!
    const e = await failure(FILE, target.name)
    expect(e.code).toBe('ERR_OP')
    expect(e.message).toMatch(/^op "type-error" threw TypeError: Cannot read properties of undefined \(reading 'length'\)$/)
    expect(e.offset).toBe(target.offset)
    expect(e.source).toBe(FILE)
    const cause = e.cause as Error
    expect(cause.name).toBe('TypeError')
    expect(cause.stack).toContain('type-error-op.mjs:10') // the op's own line, from the worker
    expect(e.describe()).toMatch(/^.*htslib_test_ce_1000\.bam: op "type-error" threw TypeError: .* \(at byte \d+\)$/)
  })

  it.each(['htslib_test_ce_1000', 'htslib_test_ce_large_seq'])('%s: same error and offset at default chunks and at one block per chunk (guessed starts redone exactly, straddling records)', async (name) => {
    const file = corpusBam(name)
    const targets = someRecords(file, 197)
    if (name.endsWith('large_seq')) expect(targets.some((t) => t.straddles)).toBe(true)
    for (const target of targets) {
      for (const chunkBytes of [undefined, 1]) {
        const e = await failure(file, target.name, chunkBytes)
        expect([e.code, e.offset, (e.cause as Error).name]).toEqual(['ERR_OP', target.offset, 'TypeError'])
      }
    }
    expect(await run(file, OP, { name: 'no such read' }, { pool, chunkBytes: 1 })).toBe(Number(expected(name, 'count')))
  })
})
