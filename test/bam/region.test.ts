import { describe, expect, it } from 'vitest'
import { parseDecimal, parseRegion, REGION_MAX, toLatin1 } from '../../src/bam/region.js'
import { BamError } from '../../src/errors.js'

const REFS = [
  { name: 'chr1', length: 1000 },
  { name: 'chr2', length: 1000 },
  { name: 'chr1:100-200', length: 50 }, // ambiguous with chr1 + coordinates
  { name: 'HLA-DRB1*12:17', length: 50 }, // a real GRCh38 name with a colon
  { name: 'ref2*HLA:1a:2:b', length: 50 },
  { name: 'x,', length: 50 },
  { name: toLatin1('chrä'), length: 50 }, // UTF-8 bytes of ä, held raw (latin1)
]

const range = (refID: number, beg: number, end: number): unknown => ({ kind: 'range', refID, beg, end })

function refusal(text: string): string {
  try {
    parseRegion(text, REFS)
  } catch (e) {
    expect(e).toBeInstanceOf(BamError)
    expect((e as BamError).code).toBe('ERR_OPTION')
    return (e as BamError).message
  }
  throw new Error(`"${text}" was accepted`)
}

describe('parseDecimal (htslib hts_parse_decimal with thousands separators)', () => {
  it.each([
    ['1,000', 1000, 5], ['1k', 1000, 2], ['1.5k', 1500, 4], ['1e3', 1000, 3], ['2E+3', 2000, 4], ['1.2345k', 1234, 7],
    ['-100', -100, 4], ['abc', 0, 0], ['', 0, 0], ['  42x', 42, 4], ['3G', 3e9, 2],
  ])('%s → %d, ends at %d', (text, value, end) => {
    expect(parseDecimal(text, 0)).toEqual({ value, end })
  })
})

describe('parseRegion: what samtools 1.16 accepts (checked with samtools view on an indexed BAM)', () => {
  it.each([
    ['.', { kind: 'all' }],
    ['*', { kind: 'unplaced' }],
    ['chr1', range(0, 0, REGION_MAX)],
    ['chr1:', range(0, 0, REGION_MAX)],
    ['chr1:0', range(0, 0, REGION_MAX)],
    ['chr1:100', range(0, 99, REGION_MAX)],
    ['chr1:100-', range(0, 99, REGION_MAX)],
    ['chr1:-100', range(0, 0, 100)],
    ['chr1:0-100', range(0, 0, 100)],
    ['chr1:1,000-2,000', range(0, 999, 2000)],
    ['chr1:1k-2k', range(0, 999, 2000)],
    ['chr1:1e3-2e3', range(0, 999, 2000)],
    ['chr2:5-5', range(1, 4, 5)],
    ['{chr1}:100-200', range(0, 99, 200)],
    ['{chr1:100-200}', range(2, 0, REGION_MAX)],
    ['{chr1:100-200}:5-10', range(2, 4, 10)],
    ['HLA-DRB1*12:17', range(3, 0, REGION_MAX)],
    ['HLA-DRB1*12:17:1-10', range(3, 0, 10)],
    ['{ref2*HLA:1a:2:b}:1-100', range(4, 0, 100)],
    ['{x,}:1-100', range(5, 0, 100)],
    ['chrä:2-3', range(6, 1, 3)],
  ])('%s', (text, want) => {
    expect(parseRegion(text, REFS)).toEqual(want)
  })
})

describe('parseRegion: refusals say why (samtools warns and skips these)', () => {
  it.each([
    ['', 'empty region'],
    ['chrZ', 'unknown reference "chrZ"'],
    ['chrZ:1-10', 'unknown reference "chrZ"'],
    ['chr1:100-200', 'range is ambiguous: use {chr1:100-200} or {chr1}:100-200 instead'],
    ['chr1:-5-10', 'coordinates must be > 0'],
    ['chr1:abc', 'unexpected "abc" after the coordinates'],
    ['chr1:10-20x', 'unexpected "x" after the coordinates'],
    ['chr1:200-100', 'empty or reversed range (200 > 100)'],
    ['{chr1:1-10', 'mismatching braces'],
  ])('%s', (text, why) => {
    expect(refusal(text)).toBe(`region "${text}": ${why}`)
  })
})
