import { describe, expect, it } from 'vitest'
import { RecordView } from '../../src/bam/record.js'
import { walkRecords, type WalkEnd } from '../../src/bam/walk.js'
import { MAX_RECORD_BYTES } from '../../src/constants.js'

// Walking records chained by block_size (SAMv1 §4.2) through hand-built bytes:
// complete records are visited, a record cut off by the end of the bytes is
// left for the next chunk, an inconsistent one stops the walk and is named.

const le16 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff]
const le32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff]
const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0))

/** One unmapped record named `name` with no CIGAR and two bases, every field written out. */
function record(name: string, edits: Array<[number, number[]]> = []): number[] {
  const rec = [
    ...le32(32 + name.length + 1 + 1 + 2), // block_size: fixed part + name + seq + qual
    ...le32(-1), // refID
    ...le32(-1), // pos
    name.length + 1, // l_read_name, NUL included
    0, // mapq
    ...le16(4680), // bin
    ...le16(0), // n_cigar_op
    ...le16(4), // flag: unmapped
    ...le32(2), // l_seq
    ...le32(-1), // next_refID
    ...le32(-1), // next_pos
    ...le32(0), // tlen
    ...ascii(`${name}\0`), // read_name
    0x12, // seq: A C
    0xff, 0xff, // qual: absent
  ]
  for (const [at, bytes] of edits) rec.splice(at, bytes.length, ...bytes)
  return rec
}
const N_REF = 1 // references in the imaginary header (the records are unplaced: refID -1)
const L_READ_NAME = 12 // offset of l_read_name in a record, block_size included
const N_CIGAR_OP = 16
const L_SEQ = 20

const A = record('a') // 4 + 32 + 2 + 1 + 2 = 41 bytes
const BB = record('bb') // 42 bytes

/** Walks `bytes` (copied into a buffer at `shift` bytes past its start) from `from`, collecting names and offsets. */
function walk(bytes: number[], from = 0, shift = 0): WalkEnd & { names: string[]; offsets: number[] } {
  const backing = new Uint8Array(bytes.length + shift)
  backing.set(bytes, shift)
  const names: string[] = []
  const offsets: number[] = []
  const end = walkRecords(new RecordView(backing.subarray(shift)), from, (r) => {
    names.push(r.name)
    offsets.push(r.offset)
  }, N_REF)
  return { ...end, names, offsets }
}

describe('walkRecords', () => {
  it('visits every complete record in order and ends just past the last one', () => {
    expect(A.length).toBe(41)
    expect(walk([...A, ...BB, ...A])).toMatchObject({ end: 124, records: 3, invalidAt: -1, names: ['a', 'bb', 'a'], offsets: [0, 41, 83] })
  })

  it('moves one view from record to record (the cursor advances by block_size + 4)', () => {
    const seen: RecordView[] = []
    const rec = new RecordView(Uint8Array.from([...A, ...BB]))
    walkRecords(rec, 0, (r) => { seen.push(r) }, N_REF)
    expect(seen).toEqual([rec, rec])
    expect(rec.offset).toBe(41)
  })

  it('starts at `from`, and works on unaligned data', () => {
    expect(walk([9, 9, 9, ...A, ...BB], 3, 1)).toMatchObject({ end: 86, records: 2, invalidAt: -1, offsets: [3, 44] })
  })

  it('truncated: leaves a record cut off anywhere (even inside block_size) as the tail', () => {
    for (const cut of [1, 3, 4, 20, 36, 40]) {
      expect(walk([...A, ...BB.slice(0, cut)]), `cut at ${cut}`).toMatchObject({ end: 41, records: 1, invalidAt: -1 })
    }
    expect(walk([])).toMatchObject({ end: 0, records: 0, invalidAt: -1 })
  })

  it('stops at a block_size below 32 or above MAX_RECORD_BYTES and names its offset', () => {
    expect(walk([...A, ...record('bb', [[0, le32(31)]]), ...A])).toMatchObject({ end: 41, records: 1, invalidAt: 41 })
    expect(walk([...A, ...le32(MAX_RECORD_BYTES + 1)])).toMatchObject({ end: 41, records: 1, invalidAt: 41 })
    expect(walk([...A, ...le32(-1)])).toMatchObject({ end: 41, records: 1, invalidAt: 41 })
  })

  it('stops at l_read_name 0, a negative l_seq, or fields that overrun block_size', () => {
    expect(walk([...A, ...record('bb', [[L_READ_NAME, [0]]])])).toMatchObject({ records: 1, invalidAt: 41 })
    expect(walk([...A, ...record('bb', [[L_SEQ, le32(-2)]])])).toMatchObject({ records: 1, invalidAt: 41 })
    expect(walk([...A, ...record('bb', [[N_CIGAR_OP, le16(1)]])])).toMatchObject({ records: 1, invalidAt: 41 })
    expect(walk([...A, ...record('bb', [[L_SEQ, le32(3)]])])).toMatchObject({ records: 1, invalidAt: 41 })
  })

  it('checks the sizes only once the fixed part is there: a cut-off fixed part is a tail, not an error', () => {
    expect(walk([...A, ...record('bb', [[L_READ_NAME, [0]]]).slice(0, 30)])).toMatchObject({ end: 41, records: 1, invalidAt: -1 })
  })
})
