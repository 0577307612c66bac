import { describe, expect, it } from 'vitest'
import { parseFlags } from '../../src/bam/flags.js'
import { RecordView } from '../../src/bam/record.js'
import { inRegionSet, isEmptySet, parseBed, regionSet, resolveRegions, setIntervals } from '../../src/bam/region-set.js'
import { BamError } from '../../src/errors.js'

const REFS = [{ name: 'chr1', length: 10000 }, { name: 'chr2', length: 10000 }]

/** A minimal record: refID, pos (0-based), flag and one `<len>M` CIGAR op (SAMv1 §4.2 layout). */
function record(refID: number, pos: number, len: number, flag = 0): RecordView {
  const bytes = new Uint8Array(36 + 2 + 4)
  const v = new DataView(bytes.buffer)
  v.setInt32(0, bytes.length - 4, true) // block_size
  v.setInt32(4, refID, true) // refID
  v.setInt32(8, pos, true) // pos
  v.setUint8(12, 2) // l_read_name: "r" + NUL
  v.setUint16(16, len > 0 ? 1 : 0, true) // n_cigar_op
  v.setUint16(18, flag, true) // flag
  v.setInt32(20, 0, true) // l_seq
  bytes[36] = 0x72 // read_name "r"
  v.setUint32(38, (len << 4) | 0, true) // cigar: len M
  return new RecordView(bytes)
}

describe('regionSet', () => {
  it('sorts and merges overlapping and touching intervals per reference', () => {
    expect(regionSet([[0, 50, 60], [0, 10, 20], [0, 15, 30], [0, 30, 40], [1, 5, 5]]).ranges).toEqual({ 0: [10, 40, 50, 60], 1: [5, 5] })
  })

  it('lists intervals in reference then position order', () => {
    expect([...setIntervals(regionSet([[1, 0, 5], [0, 7, 9], [0, 1, 3]]))]).toEqual([[0, 1, 3], [0, 7, 9], [1, 0, 5]])
  })
})

describe('inRegionSet: overlap as htslib decides it (pos < end and endpos > beg)', () => {
  const set = regionSet([[0, 100, 200], [0, 300, 300], [1, 0, 10]])
  it.each([
    [record(0, 99, 1), false], // ends where the interval begins
    [record(0, 99, 2), true],
    [record(0, 199, 50), true],
    [record(0, 200, 50), false],
    [record(0, 250, 100), true], // spans the empty interval at 300, as samtools' bed_overlap
    [record(0, 300, 10), false],
    [record(1, 5, 0, 4), true], // unmapped but placed: endpos = pos + 1
    [record(-1, -1, 0, 4), false],
  ])('%#', (rec, want) => {
    expect(inRegionSet(rec, set)).toBe(want)
  })

  it("'*' holds the records without a reference, '.' every record", () => {
    expect(inRegionSet(record(-1, -1, 0, 4), resolveRegions(['*'], REFS))).toBe(true)
    expect(inRegionSet(record(0, 5, 10), resolveRegions(['*'], REFS))).toBe(false)
    expect(inRegionSet(record(0, 5, 10), resolveRegions(['.'], REFS))).toBe(true)
  })
})

describe('resolveRegions', () => {
  it('skips unusable regions through the callback, and throws without it', () => {
    const skipped: string[] = []
    const set = resolveRegions(['chr2:1-10', 'chrZ', 'chr1:9-3'], REFS, (e) => skipped.push(e.message))
    expect(set.ranges).toEqual({ 1: [0, 10] })
    expect(skipped).toEqual(['region "chrZ": unknown reference "chrZ"', 'region "chr1:9-3": empty or reversed range (9 > 3)'])
    expect(() => resolveRegions(['chrZ'], REFS)).toThrow(BamError)
    expect(isEmptySet(resolveRegions(['chrZ'], REFS, () => {}))).toBe(true)
  })

  it('refuses an empty region even with the callback', () => {
    expect(() => resolveRegions([''], REFS, () => {})).toThrow(/empty region/)
  })
})

describe('parseBed (samtools bed_read)', () => {
  it('reads BED lines, the 1-based two-column form, and skips comments, track and browser lines and unknown references', () => {
    const text = '# comment\ntrack name=x\nbrowser position chr1\n\nchr1\t0\t100\tname\t0\t+\n  chr2 49\nchrZ\t5\t10\nchr1 150 150\n'
    expect(parseBed(text, REFS).ranges).toEqual({ 0: [0, 100, 150, 150], 1: [48, 49] })
  })

  it('refuses a line without a start, and an end before its start, naming the line', () => {
    expect(() => parseBed('chr1\n', REFS, 'x.bed')).toThrow(expect.objectContaining({ source: 'x.bed', message: 'parse error at line 1: expected "name start end"' }))
    expect(() => parseBed('chr1\t0\t5\nchr1\t9\t3\n', REFS, 'x.bed')).toThrow(expect.objectContaining({ source: 'x.bed', message: 'parse error at line 2: end (3) must not be less than start (9)' }))
  })
})

describe('parseFlags (htslib bam_str2flag)', () => {
  it.each([
    ['4', 4], ['0x904', 0x904], ['010', 8], ['4abc', 4], ['UNMAP,SECONDARY', 0x104], ['paired,Proper_Pair', 3],
    ['SUPPLEMENTARY,DUP,QCFAIL', 0xe00], ['', 0],
  ])('%s', (text, want) => {
    expect(parseFlags(text)).toBe(want)
  })
  it.each(['UNMAPPED', 'UNMAP,', 'x4'])('%s is not flags', (text) => {
    expect(parseFlags(text)).toBeUndefined()
  })
})
