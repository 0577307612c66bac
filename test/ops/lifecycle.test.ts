import { describe, expect, it } from 'vitest'
import { BamError } from '../../src/errors.js'
import { inconsistentRecord, opDriver } from '../../src/ops/lifecycle.js'
import { BAD_BLOCK_SIZE } from '../../src/bam/validate.js'
import type { Op } from '../../src/ops/op.js'
import { viewOp } from '../../src/ops/view.js'
import { readBam } from '../helpers/read-bam.js'
import { corpusBam } from '../helpers/corpus.js'

const bam = readBam(corpusBam('htslib_test_ce_1000'))
const ctx = { references: bam.refs, headerText: '', options: {} }

const names: Op<string[], string, Record<string, unknown>> = {
  name: 'names',
  init: () => [],
  record: (p, rec) => { p.push(rec.name) },
  merge: (a, b) => a.concat(b),
  finish: (p) => p.join(','),
}

describe('opDriver', () => {
  it('walks records into a fresh partial, merges and finishes', () => {
    const drive = opDriver<string[], string>(names, ctx)
    const p = drive.fresh()
    const walked = drive.walk(p, bam.data, bam.firstRecord)
    expect([walked.records, walked.invalidAt, walked.end]).toEqual([1000, -1, bam.data.length])
    expect(drive.sealed(p)).toBe(p) // no seal: the partial itself
    expect(drive.drain(p)).toEqual([]) // unordered op
    expect(drive.ordered).toBe(false)
    expect(drive.finish(drive.merge(['first'], p)).split(',')).toHaveLength(1001)
  })

  it('seals and drains an ordered op (view, raw records): the bytes walked come out as they went in', () => {
    const drive = opDriver(viewOp, { ...ctx, options: { format: 'records' } })
    const p = drive.fresh()
    drive.walk(p, bam.data, bam.firstRecord)
    const acc = drive.merge(drive.fresh(), drive.sealed(p))
    expect(drive.ordered).toBe(true)
    expect(Buffer.concat(drive.drain(acc)).equals(bam.data.subarray(bam.firstRecord))).toBe(true) // equals(): toEqual on 200 kB takes seconds
    expect(drive.drain(acc)).toEqual([])
    expect(drive.finish(acc)).toBe(1000)
  })

  it('turns an op\'s exception into ERR_OP at the record\'s file offset; a BamError keeps its code', () => {
    const data = bam.data.slice()
    const at = bam.firstRecord + 36 // read_name of the first record (SAMv1 §4.2: 36 bytes before it)
    data.set(Buffer.from('boom'), at) // the first record's name now begins with 'boom'
    const drive = opDriver(names, ctx)
    const named = { ...names, record: (p: string[], rec: { name: string }) => { if (rec.name.startsWith('boom')) throw new RangeError('bad name'); p.push(rec.name) } }
    const e = (() => { try { opDriver(named as never, ctx).walk([], data, bam.firstRecord, (u) => 1000 + u) } catch (err) { return err } return undefined })() as BamError
    expect([e.code, e.offset, e.message, (e.cause as Error).name]).toEqual(['ERR_OP', 1000 + bam.firstRecord, 'op "names" threw RangeError: bad name', 'RangeError'])
    const refusing = { ...names, record: () => { throw new BamError('ERR_BAD_RECORD', 'refused') } }
    const r = (() => { try { opDriver(refusing, ctx).walk([], bam.data, bam.firstRecord, () => 7) } catch (err) { return err } return undefined })() as BamError
    expect([r.code, r.offset, r.cause]).toEqual(['ERR_BAD_RECORD', 7, undefined])
    const failingFinish = { ...names, finish: () => { throw new Error('no') } }
    expect(() => opDriver(failingFinish, ctx).finish([])).toThrow(/op "names" threw Error: no/)
    expect(drive.fresh()).toEqual([])
  })

  it('names an inconsistent record by its block_size', () => {
    const data = new Uint8Array(8)
    new DataView(data.buffer).setInt32(0, 3, true)
    const e = inconsistentRecord(data, { invalidAt: 0, problem: BAD_BLOCK_SIZE }, 42, 1)
    expect([e.code, e.message, e.offset]).toEqual(['ERR_BAD_RECORD', 'corrupt BAM record: block_size 3 is outside [32, 536870912]', 42])
  })
})
