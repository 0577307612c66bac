import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { gmodStream } from '../../bench/gmod-stream.js'
import { concatRecords } from '../../bench/inputs.js'
import { writeSyntheticBam } from '../../bench/synthetic/synthetic.js'
import { count, flagstat, formatFlagstat } from '../../src/index.js'
import { flagstatOp } from '../../src/ops/flagstat.js'
import { corpusBam, expected } from '../helpers/corpus.js'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bamstream-peers-'))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))
const ctx = { references: [], headerText: '', options: {} }

describe('the @gmod/bam peer', () => {
  it.each(['htslib_test_ce_1000', 'htslib_samples_sample'])('counts %s as samtools flagstat does', async (name) => {
    const { counters, records } = await gmodStream(corpusBam(name))
    expect(formatFlagstat(flagstatOp.finish(counters, ctx))).toBe(expected(name, 'flagstat.txt'))
    expect(records).toBe(Number(expected(name, 'count').trim()))
  })
})

describe('bigger inputs from copies', () => {
  it('concatenates the records of a BAM whose header ends on a block boundary', async () => {
    const src = path.join(dir, 'small.bam')
    await writeSyntheticBam(src, { count: 3000, seed: 5, blockSize: 8192 })
    const out = path.join(dir, 'x3.bam')
    await concatRecords(src, 3, out)
    expect(await count(out, { threads: 1 })).toBe(3 * 3000)
    const one = await flagstat(src, { threads: 1 })
    const three = await flagstat(out, { threads: 1 })
    expect(three.passed.total).toBe(3 * one.passed.total)
  })
})
