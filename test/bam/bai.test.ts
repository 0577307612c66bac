import { describe, expect, it } from 'vitest'
import { parseBai, queryChunks, reg2bins, type BaiIndex } from '../../src/bam/bai.js'
import { BamError } from '../../src/errors.js'

// BAI reading and region queries (SAMv1 §5.2, §5.3) on a hand-built index.

const le32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff]
/** A virtual offset: compressed offset << 16 | offset inside the inflated block, §4.1.1 */
const vo = (coffset: number, uoffset = 0): number => coffset * 65536 + uoffset
/** A uint64 little-endian (exact for virtual offsets below 2^53). */
const le64 = (n: number): number[] => [...le32(n % 2 ** 32), ...le32(Math.floor(n / 2 ** 32))]
const chunk = (beg: number, end: number): number[] => [...le64(beg), ...le64(end)] // chunk_beg, chunk_end

const PSEUDO_BIN = 37450
const BIG = vo(2 ** 33, 7) // a chunk 8 GiB into the file: beyond 32 bits

const BAI: number[] = [
  0x42, 0x41, 0x49, 0x01, // magic "BAI\1"
  ...le32(2), // n_ref
  // reference 0
  ...le32(5), // n_bin
  ...le32(4681), ...le32(1), ...chunk(vo(100), vo(200, 10)), // bin 4681 (first 16 kbp), n_chunk, chunks
  ...le32(4682), ...le32(1), ...chunk(vo(300), vo(400)), // bin 4682 (second 16 kbp)
  ...le32(585), ...le32(1), ...chunk(vo(150), vo(320, 5)), // bin 585 (first 128 kbp): spans both
  ...le32(73), ...le32(1), ...chunk(vo(50), vo(120)), // bin 73 (first 1 Mbp): ends before the second window's linear offset
  ...le32(PSEUDO_BIN), ...le32(2), ...chunk(vo(50), vo(400)), ...chunk(5, 0), // metadata: file span, mapped/unmapped counts
  ...le32(2), // n_intv
  ...le64(vo(100)), ...le64(vo(300)), // ioffset per 16 kbp window
  // reference 1
  ...le32(1), // n_bin
  ...le32(4681), ...le32(1), ...chunk(BIG, BIG + 100), // bin, n_chunk, chunk
  ...le32(0), // n_intv
]

describe('parseBai', () => {
  it('reads bins, chunks (as virtual offsets) and the linear index of each reference', () => {
    const index = parseBai(Uint8Array.from(BAI))
    expect(index.refs.length).toBe(2)
    const [ref0, ref1] = index.refs
    expect([...ref0!.bins.keys()]).toEqual([4681, 4682, 585, 73, PSEUDO_BIN])
    expect(ref0!.bins.get(4681)).toEqual([{ beg: vo(100), end: vo(200, 10) }])
    expect(ref0!.bins.get(PSEUDO_BIN)).toEqual([{ beg: vo(50), end: vo(400) }, { beg: 5, end: 0 }])
    expect(ref0!.linear).toEqual([vo(100), vo(300)])
    expect(ref1!.bins.get(4681)).toEqual([{ beg: BIG, end: BIG + 100 }])
    expect(ref1!.linear).toEqual([])
  })

  it('reads at an unaligned offset', () => {
    const backing = new Uint8Array(BAI.length + 3)
    backing.set(BAI, 3)
    expect(parseBai(backing.subarray(3))).toEqual(parseBai(Uint8Array.from(BAI)))
  })

  it('truncated anywhere: ERR_TRUNCATED with the offset it needed to read at', () => {
    for (const cut of [8, 12, 20, 40, BAI.length - 1]) {
      const e = errorOf(() => parseBai(Uint8Array.from(BAI.slice(0, cut))))
      expect(e.code, `cut at ${cut}`).toBe('ERR_TRUNCATED')
      expect(e.offset).toBeLessThanOrEqual(cut)
    }
  })

  it('refuses another file with ERR_NOT_BAM', () => {
    expect(errorOf(() => parseBai(Uint8Array.from([0x42, 0x41, 0x4d, 0x01, ...le32(0)]))).code).toBe('ERR_NOT_BAM')
    expect(errorOf(() => parseBai(new Uint8Array(0))).code).toBe('ERR_NOT_BAM')
  })
})

describe('reg2bins (SAMv1 §5.3)', () => {
  it('lists the bins of every level overlapping [beg, end)', () => {
    expect(reg2bins(0, 1)).toEqual([0, 1, 9, 73, 585, 4681])
    expect(reg2bins(16383, 16385)).toEqual([0, 1, 9, 73, 585, 4681, 4682])
    expect(reg2bins(1 << 26, (1 << 26) + 1)).toEqual([0, 2, 17, 137, 1097, 8777])
    expect(reg2bins(0, 2 ** 29).length).toBe(1 + 8 + 64 + 512 + 4096 + 32768)
  })
})

describe('queryChunks', () => {
  const index: BaiIndex = parseBai(Uint8Array.from(BAI))

  it('merges the overlapping chunks of every bin of the region, in file order', () => {
    // bins 73, 585, 4681: [50,120) [100,200.10) [150,320.5) all overlap, none ends before the linear offset vo(100)
    expect(queryChunks(index, { refID: 0, beg: 0, end: 100 })).toEqual([{ beg: vo(50), end: vo(320, 5) }])
  })

  it('drops chunks that end before the linear index offset of the region start window', () => {
    // window 1: minimum offset vo(300); bin 73's chunk ends at vo(120) and is dropped
    expect(queryChunks(index, { refID: 0, beg: 16384, end: 16400 })).toEqual([{ beg: vo(150), end: vo(400) }])
  })

  it('uses the last linear window past the end of the linear index, and never the metadata pseudo-bin', () => {
    // window 2 has no linear entry: the last one, vo(300), applies; bin 585 still covers 32 kbp
    expect(queryChunks(index, { refID: 0, beg: 2 * 16384, end: 2 * 16384 + 1 })).toEqual([{ beg: vo(150), end: vo(320, 5) }])
  })

  it('keeps virtual offsets past 32 bits exact, and returns nothing for a reference without data', () => {
    expect(queryChunks(index, { refID: 1, beg: 0, end: 5 })).toEqual([{ beg: BIG, end: BIG + 100 }])
    expect(queryChunks(index, { refID: 2, beg: 0, end: 5 })).toEqual([])
    expect(queryChunks(index, { refID: 1, beg: 20_000, end: 30_000 })).toEqual([])
  })
})

function errorOf(f: () => unknown): BamError {
  try {
    f()
  } catch (e) {
    if (e instanceof BamError) return e
    throw e
  }
  throw new RangeError('expected a BamError')
}
