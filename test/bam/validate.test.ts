import { describe, expect, it } from 'vitest'
import {
  BAD_AUX, BAD_BLOCK_SIZE, BAD_CIGAR_QLEN, BAD_L_READ_NAME, BAD_L_SEQ, BAD_NEXT_REF_ID, BAD_REF_ID, BAD_SIZES, RECORD_OK,
  checkFixedFields, checkRecord, describeRecordProblem,
} from '../../src/bam/validate.js'

/** Fields of one record, SAMv1 §4.2. */
interface Fields {
  refID?: number; pos?: number; name?: string; flag?: number; cigar?: number[]; lSeq?: number
  nextRefID?: number; aux?: number[]; blockSizeDelta?: number; lReadName?: number; nCigarOp?: number
}

/** Encodes a record: block_size, the 32 fixed bytes, name, CIGAR, 4-bit SEQ (all `=`), QUAL, aux. */
function record(f: Fields = {}): Uint8Array {
  const name = `${f.name ?? 'r1'}\0`
  const cigar = f.cigar ?? [(4 << 4) | 0] // 4M
  const lSeq = f.lSeq ?? 4
  const aux = f.aux ?? []
  const size = 32 + name.length + 4 * cigar.length + ((lSeq + 1) >> 1) + lSeq + aux.length
  const bytes = new Uint8Array(4 + size)
  const v = new DataView(bytes.buffer)
  v.setInt32(0, size + (f.blockSizeDelta ?? 0), true) // block_size
  v.setInt32(4, f.refID ?? 0, true) //                    refID
  v.setInt32(8, f.pos ?? 10, true) //                     pos
  bytes[12] = f.lReadName ?? name.length //               l_read_name
  bytes[13] = 60 //                                       mapq
  v.setUint16(16, f.nCigarOp ?? cigar.length, true) //    n_cigar_op
  v.setUint16(18, f.flag ?? 0, true) //                   flag
  v.setInt32(20, lSeq, true) //                           l_seq
  v.setInt32(24, f.nextRefID ?? -1, true) //              next_refID
  v.setInt32(28, -1, true) //                             next_pos
  let p = 36
  for (const c of name) bytes[p++] = c.charCodeAt(0)
  for (const op of cigar) { v.setUint32(p, op, true); p += 4 }
  p += ((lSeq + 1) >> 1) + lSeq
  bytes.set(aux, p)
  return bytes
}

function check(bytes: Uint8Array, nRef = 2): number {
  return checkRecord(new DataView(bytes.buffer), bytes, 0, nRef)
}

describe('checkRecord: htslib bam_read1 / sam_read1 rules', () => {
  it('accepts a plain record, an unmapped one, one without SEQ, and odd fields htslib leaves alone', () => {
    expect(check(record())).toBe(RECORD_OK)
    expect(check(record({ refID: -1, nextRefID: -1, pos: -1 }))).toBe(RECORD_OK)
    expect(check(record({ lSeq: 0 }))).toBe(RECORD_OK) // no SEQ: the CIGAR is not compared
    expect(check(record({ pos: -1000 }))).toBe(RECORD_OK) // pos is not checked
    expect(check(record({ cigar: [(4 << 4) | 9] , flag: 4 }))).toBe(RECORD_OK) // op code 9 on an unmapped read
    expect(check(record({ blockSizeDelta: 0, aux: [0x58, 0x58, 0x41] }))).toBe(RECORD_OK) // truncated aux: not read
  })

  it('refuses what htslib refuses, naming the field', () => {
    const cases: [Fields, number, RegExp][] = [
      [{ refID: 2 }, BAD_REF_ID, /refID 2 is outside \[-1, 2\)/],
      [{ refID: -2 }, BAD_REF_ID, /refID -2/],
      [{ nextRefID: 5 }, BAD_NEXT_REF_ID, /next_refID 5/],
      [{ lReadName: 0 }, BAD_L_READ_NAME, /l_read_name is 0/],
      [{ lReadName: 200 }, BAD_SIZES, /do not fit in block_size/],
      [{ nCigarOp: 500 }, BAD_SIZES, /n_cigar_op 500/],
      [{ cigar: [(3 << 4) | 0] }, BAD_CIGAR_QLEN, /CIGAR 3, l_seq 4/],
      [{ cigar: [(4 << 4) | 9] }, BAD_CIGAR_QLEN, /CIGAR 0, l_seq 4/], // op code 9 consumes nothing
    ]
    for (const [f, problem, message] of cases) {
      const bytes = record(f)
      expect(check(bytes), JSON.stringify(f)).toBe(problem)
      expect(describeRecordProblem(problem, new DataView(bytes.buffer), bytes, 0, 2)).toMatch(message)
    }
    const small = record({ blockSizeDelta: -100 })
    expect(checkFixedFields(new DataView(small.buffer), small, 0, 2)).toBe(BAD_BLOCK_SIZE)
    const negative = record({ lSeq: 4 })
    new DataView(negative.buffer).setInt32(20, -4, true)
    expect(check(negative)).toBe(BAD_L_SEQ)
  })

  it('applies the CG rule: aux scanned only for a <l_seq>S placeholder CIGAR on a placed read', () => {
    const cg = [0x43, 0x47, 0x42, 0x49, 2, 0, 0, 0, (2 << 4) | 0, 0, 0, 0, (2 << 4) | 1, 0, 0, 0] // CG:B:I,2M,2I
    const soft = (4 << 4) | 4 // 4S
    expect(check(record({ cigar: [soft, (8 << 4) | 3], aux: cg }))).toBe(RECORD_OK) // CG replaces 4S8N: 2M2I matches l_seq
    expect(check(record({ cigar: [soft, (8 << 4) | 3], aux: [0x58, 0x58, 0x3f, 1] }))).toBe(BAD_AUX) // XX:? type unknown
    expect(check(record({ cigar: [soft, (8 << 4) | 3], aux: [0x58, 0x58, 0x3f, 1], refID: -1 }))).toBe(RECORD_OK) // unplaced: not scanned
    const badCg = [...cg.slice(0, 8), (3 << 4) | 0, 0, 0, 0, (2 << 4) | 1, 0, 0, 0] // 3M2I: 5 ≠ 4
    expect(check(record({ cigar: [soft, (8 << 4) | 3], aux: badCg }))).toBe(BAD_CIGAR_QLEN)
  })
})
