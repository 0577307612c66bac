import { describe, expect, it } from 'vitest'
import { findRecordStart, isChainAt, plausibleRecordSize } from '../../src/bam/boundary.js'
import { BOUNDARY_CHAIN, MAX_RECORD_BYTES } from '../../src/constants.js'

// The record-boundary checker, rule by rule, on hand-built records (SAMv1 §4.2).
// Each rule has a good case and a case it refuses; "truncated" cases cut the
// bytes inside a record; unaligned cases start the data at an odd byteOffset.

const N_REF = 2 // references in the imaginary header: refIDs 0 and 1
const le16 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff]
const le32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff]
const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0))

/** The record `r1`, 4M, ACGT, no qualities, as bytes: every field written out. */
const GOOD: number[] = [
  ...le32(45), // block_size: the 45 bytes after this field
  ...le32(0), // refID
  ...le32(99), // pos (0-based)
  3, // l_read_name: "r1" + NUL
  60, // mapq
  ...le16(4681), // bin
  ...le16(1), // n_cigar_op
  ...le16(0), // flag
  ...le32(4), // l_seq
  ...le32(-1), // next_refID
  ...le32(-1), // next_pos
  ...le32(0), // tlen
  ...ascii('r1\0'), // read_name
  ...le32((4 << 4) | 0), // cigar: 4M (op_len << 4 | op)
  0x12, 0x48, // seq: A C G T, 4 bits each
  0xff, 0xff, 0xff, 0xff, // qual: absent
]
/** Bytes from a record's start to the field named, SAMv1 §4.2. */
const AT = { refID: 4, pos: 8, lReadName: 12, nCigarOp: 16, lSeq: 20, nextRefID: 24, nextPos: 28, readName: 36, cigar: 39 }

/** GOOD with some fields overwritten: `edits` maps a byte offset to the bytes written there. */
function recordWith(edits: Array<[number, number[]]>): number[] {
  const rec = [...GOOD]
  for (const [at, bytes] of edits) rec.splice(at, bytes.length, ...bytes)
  return rec
}

/** `bytes` in a buffer that starts one byte later than its ArrayBuffer (unaligned, like a subarray of a chunk). */
function unaligned(bytes: number[]): Uint8Array {
  const backing = new Uint8Array(bytes.length + 1)
  backing.set(bytes, 1)
  return backing.subarray(1)
}

function sizeOf(bytes: number[] | Uint8Array, p = 0, nRef = N_REF): number {
  const u = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes)
  return plausibleRecordSize(new DataView(u.buffer, u.byteOffset, u.byteLength), u, p, nRef)
}

function chainAt(bytes: number[] | Uint8Array, p = 0): boolean {
  const u = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes)
  return isChainAt(new DataView(u.buffer, u.byteOffset, u.byteLength), u, p, N_REF)
}

const repeat = (n: number, rec = GOOD): number[] => Array.from({ length: n }, () => rec).flat()

describe('plausibleRecordSize: one record, rule by rule', () => {
  it('accepts a good record and returns its whole length, the step to the next record', () => {
    expect(GOOD.length).toBe(49)
    expect(sizeOf(GOOD)).toBe(49) // block_size + 4
    expect(sizeOf([...GOOD, ...GOOD], 49)).toBe(49)
  })

  it('block_size: at least the 32 fixed bytes, at most MAX_RECORD_BYTES', () => {
    expect(sizeOf(recordWith([[0, le32(31)]]))).toBe(-1)
    expect(sizeOf(recordWith([[0, le32(MAX_RECORD_BYTES + 1)]]))).toBe(-1)
    expect(sizeOf(recordWith([[0, le32(-45)]]))).toBe(-1)
    expect(sizeOf(recordWith([[0, le32(1000)]]))).toBe(1004) // larger than needed is allowed (more aux data)
  })

  it('refID and next_refID: -1 (unmapped) up to n_ref - 1', () => {
    expect(sizeOf(recordWith([[AT.refID, le32(-1)]]))).toBe(49)
    expect(sizeOf(recordWith([[AT.refID, le32(N_REF - 1)]]))).toBe(49)
    expect(sizeOf(recordWith([[AT.refID, le32(N_REF)]]))).toBe(-1)
    expect(sizeOf(recordWith([[AT.refID, le32(-2)]]))).toBe(-1)
    expect(sizeOf(recordWith([[AT.nextRefID, le32(1)]]))).toBe(49)
    expect(sizeOf(recordWith([[AT.nextRefID, le32(N_REF)]]))).toBe(-1)
    expect(sizeOf(recordWith([[AT.nextRefID, le32(-2)]]))).toBe(-1)
    expect(sizeOf(GOOD, 0, 0)).toBe(-1) // no references: refID 0 is out of range
  })

  it('pos: -1 or more; next_pos is not checked (samtools reads any, htslib test/mpileup/small.bam has -129696966)', () => {
    expect(sizeOf(recordWith([[AT.pos, le32(-1)]]))).toBe(49)
    expect(sizeOf(recordWith([[AT.pos, le32(-2)]]))).toBe(-1)
    expect(sizeOf(recordWith([[AT.nextPos, le32(-129696966)]]))).toBe(49)
  })

  it('l_read_name: at least 1; l_seq: not negative', () => {
    expect(sizeOf(recordWith([[AT.lReadName, [0]]]))).toBe(-1)
    expect(sizeOf(recordWith([[AT.lSeq, le32(-1)]]))).toBe(-1)
    expect(sizeOf(recordWith([[AT.lSeq, le32(0)]]))).toBe(49) // no sequence: fewer bytes needed than block_size gives
  })

  it('the variable-length fields must fit in block_size', () => {
    // GOOD needs exactly its block_size: 32 fixed + 3 name + 4 cigar + 2 seq + 4 qual = 45
    expect(sizeOf(recordWith([[AT.nCigarOp, le16(2)]]))).toBe(-1) // one more CIGAR op: 49 > 45
    expect(sizeOf(recordWith([[AT.lSeq, le32(5)]]))).toBe(-1) // 32 + 3 + 4 + 3 + 5 = 47 > 45
    expect(sizeOf(recordWith([[0, le32(49)], [AT.nCigarOp, le16(2)]]))).toBe(53) // room for it: fine
    expect(sizeOf(recordWith([[AT.lReadName, [10]]]))).toBe(-1) // 32 + 10 + 4 + 2 + 4 = 52 > 45
  })

  it('read_name: printable characters [!-~] ending with NUL exactly at l_read_name', () => {
    expect(sizeOf(recordWith([[AT.readName, ascii('!~\0')]]))).toBe(49)
    expect(sizeOf(recordWith([[AT.readName, [0x20]]]))).toBe(-1) // space
    expect(sizeOf(recordWith([[AT.readName, [0x7f]]]))).toBe(-1) // DEL
    expect(sizeOf(recordWith([[AT.readName, ascii('r1x')]]))).toBe(-1) // no NUL where l_read_name ends
    expect(sizeOf(recordWith([[AT.lReadName, [2]]]))).toBe(-1) // l_read_name 2 ends at '1', not at the NUL
  })

  it('cigar: op codes 0 (M) to 8 (X) only', () => {
    expect(sizeOf(recordWith([[AT.cigar, le32((4 << 4) | 8)]]))).toBe(49)
    expect(sizeOf(recordWith([[AT.cigar, le32((4 << 4) | 9)]]))).toBe(-1)
    expect(sizeOf(recordWith([[AT.cigar, le32((4 << 4) | 15)]]))).toBe(-1)
  })

  it('truncated: with the fixed part present, fields past the end of the bytes are not checked', () => {
    expect(sizeOf(GOOD.slice(0, AT.readName))).toBe(49) // name, cigar, seq, qual cut off
    expect(sizeOf(GOOD.slice(0, AT.readName + 1))).toBe(49) // 'r' only: printable so far
    expect(sizeOf(recordWith([[AT.readName, [0x20]]]).slice(0, AT.readName + 1))).toBe(-1) // what is there is checked
    expect(sizeOf(GOOD.slice(0, AT.cigar + 2))).toBe(49) // half a CIGAR op: not read
  })

  it('reads at an unaligned offset, and at an odd position inside the data', () => {
    expect(sizeOf(unaligned(GOOD))).toBe(49)
    expect(sizeOf(unaligned([7, 7, 7, ...GOOD]), 3)).toBe(49)
  })
})

describe('isChainAt: the next records chained by block_size', () => {
  it(`checks ${BOUNDARY_CHAIN} records: a bad record within them refuses the start, one after them does not`, () => {
    const bad = recordWith([[AT.refID, le32(N_REF)]])
    expect(chainAt(repeat(BOUNDARY_CHAIN + 2))).toBe(true)
    expect(chainAt([...repeat(BOUNDARY_CHAIN - 1), ...bad, ...GOOD])).toBe(false)
    expect(chainAt([...repeat(2), ...bad, ...repeat(BOUNDARY_CHAIN)])).toBe(false)
    expect(chainAt([...repeat(BOUNDARY_CHAIN), ...bad])).toBe(true)
  })

  it('accepts a shorter chain that ends exactly at the end of the data', () => {
    expect(chainAt(GOOD)).toBe(true)
    expect(chainAt(repeat(3))).toBe(true)
  })

  it('truncated: the first record needs its fixed part; a later one cut before it ends the chain', () => {
    expect(chainAt(GOOD.slice(0, 35))).toBe(false) // 4 + 32 bytes needed
    expect(chainAt([...GOOD, ...GOOD.slice(0, 20)])).toBe(true)
    expect(chainAt([...GOOD, ...GOOD.slice(0, AT.readName + 1)])).toBe(true)
  })

  it('at an offset inside the data and unaligned', () => {
    const data = unaligned([1, 2, 3, ...repeat(4)])
    expect(chainAt(data, 3)).toBe(true)
    expect(chainAt(data, 3 + 49)).toBe(true)
    expect(chainAt(data, 4)).toBe(false)
  })
})

describe('findRecordStart', () => {
  it('finds the first record after the tail of a record cut by the chunk start', () => {
    const tail = GOOD.slice(17) // what a chunk starting inside a record sees first
    const data = Uint8Array.from([...tail, ...repeat(10)])
    expect(findRecordStart(data, N_REF)).toBe(tail.length)
  })

  it('starts looking at `from`, and advances record by record when called again', () => {
    const data = unaligned([...GOOD.slice(40), ...repeat(BOUNDARY_CHAIN + 1)])
    const first = findRecordStart(data, N_REF)
    expect(first).toBe(GOOD.length - 40)
    expect(findRecordStart(data, N_REF, first)).toBe(first)
    expect(findRecordStart(data, N_REF, first + 1)).toBe(first + 49)
    expect(findRecordStart(data, N_REF, first + 49 + sizeOf(data, first + 49))).toBe(first + 98)
  })

  it('returns -1 when no offset can start a record, or the data is too short for a fixed part', () => {
    expect(findRecordStart(new Uint8Array(1000).fill(0xff), N_REF)).toBe(-1)
    expect(findRecordStart(new Uint8Array(1000), N_REF)).toBe(-1) // block_size 0
    expect(findRecordStart(Uint8Array.from(GOOD.slice(0, 35)), N_REF)).toBe(-1)
    expect(findRecordStart(Uint8Array.from(GOOD), N_REF, 1)).toBe(-1)
  })
})
