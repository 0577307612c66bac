import { describe, expect, it } from 'vitest'
import { checkSplitBytes, planSplits } from '../../src/cluster/split.js'
import { BamError } from '../../src/errors.js'

describe('planSplits', () => {
  it('cuts [records, size) at multiples of the split size; split 0 starts exactly at the first record', () => {
    expect(planSplits(1000, 120, 7, 300)).toEqual([
      { index: 0, start: 120, end: 300, exactStart: 7 },
      { index: 1, start: 300, end: 600 },
      { index: 2, start: 600, end: 900 },
      { index: 3, start: 900, end: 1000 },
    ])
  })

  it('one split when the file is smaller than a split, and when records begin past the first boundary', () => {
    expect(planSplits(1000, 120, 0, 4096)).toEqual([{ index: 0, start: 120, end: 1000, exactStart: 0 }])
    expect(planSplits(1000, 650, 3, 300)).toEqual([
      { index: 0, start: 650, end: 900, exactStart: 3 },
      { index: 1, start: 900, end: 1000 },
    ])
  })

  it('depends on the size alone: a terabyte plans without reading anything', () => {
    const splits = planSplits(2 ** 40, 5000, 100, 256 * 1024 * 1024)
    expect(splits).toHaveLength(4096)
    expect(splits.at(-1)).toEqual({ index: 4095, start: 4095 * 2 ** 28, end: 2 ** 40 })
  })

  it('refuses a split size that is not a positive whole number', () => {
    expect(() => checkSplitBytes(0)).toThrow(BamError)
    expect(() => checkSplitBytes(1.5)).toThrow(/split size/)
    expect(checkSplitBytes(1)).toBe(1)
  })
})
