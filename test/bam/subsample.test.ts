import { describe, expect, it } from 'vitest'
import { glibcRand, keepsSample, parseSampleArgument, subsample } from '../../src/bam/subsample.js'
import { BamError } from '../../src/errors.js'
import { corpusBam } from '../helpers/corpus.js'
import { readBam, records } from '../helpers/read-bam.js'

const ARGS = ['0.1', '0.5', '1.25', '42.1', '42.9', '7.333', '123456789.5', '4294967295.5', '-3.5']
/** `samtools view -c -s ARG` (samtools 1.16) for each of ARGS. */
const SAMTOOLS: Record<string, number[]> = {
  htslib_test_ce_1000: [92, 500, 267, 107, 905, 319, 498, 516, 538],
  htslib_test_index: [17, 87, 45, 27, 164, 61, 99, 102, 93],
  htslib_test_xx_pair: [2, 4, 4, 2, 6, 0, 6, 4, 2],
  htslib_test_ce_large_seq: [1, 1, 0, 0, 2, 0, 2, 1, 1],
}

describe('subsampling keeps the records samtools keeps', () => {
  it.each(Object.keys(SAMTOOLS))('%s: -s SEED.FRACTION', (name) => {
    const bam = readBam(corpusBam(name))
    const counts = ARGS.map((arg) => {
      const { fraction, seed } = parseSampleArgument(arg)
      const s = subsample(fraction, seed)
      let n = 0
      for (const rec of records(bam)) if (keepsSample(rec, s)) n++
      return n
    })
    expect(counts).toEqual(SAMTOOLS[name])
  })

  it('-s SEED.FRACTION splits at the point', () => {
    expect(parseSampleArgument('42.1')).toEqual({ fraction: 0.1, seed: 42 })
    expect(parseSampleArgument('.25')).toEqual({ fraction: 0.25, seed: 0 })
    expect(subsample(0.1, 42)).toEqual({ fraction: 0.1, seed: 71876166 })
  })
})

describe('glibc rand()', () => {
  it('gives glibc\'s first values after srand', () => {
    // from libc.so.6 via ctypes: srand(s); rand()
    expect([1, 42, 4294967295, 3000000000].map(glibcRand)).toEqual([1804289383, 71876166, 254925627, 2058147116])
  })
})

describe('parseSubsample refusals', () => {
  it.each(['1', 'abc', '', '.', 'x.5'])('-s %s (samtools: "Incorrect sampling argument")', (arg) => {
    expect(() => parseSampleArgument(arg)).toThrow(BamError)
  })
  it.each([1.5, -0.1, NaN])('--subsample %s', (fraction) => {
    expect(() => subsample(fraction)).toThrow(BamError)
  })
})
