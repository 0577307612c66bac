import { describe, expect, it } from 'vitest'
import { parseAtLeast, parseDuration, parseInteger, parseSize } from '../src/units.js'

describe('units: the one parser of integers, sizes and durations', () => {
  it('reads integers as samtools reads flags: decimal, 0x hex, 0 octal, numbers as given', () => {
    expect([parseInteger('1796'), parseInteger('0x704'), parseInteger('0704'), parseInteger(' 20 '), parseInteger(7)]).toEqual([1796, 0x704, 0o704, 20, 7])
    for (const bad of ['4x', '-1', '', '1.5', 1.5, null, '0x']) {
      expect(() => parseInteger(bad, 'minMapq')).toThrow(expect.objectContaining({ code: 'ERR_OPTION', message: expect.stringMatching(/^invalid minMapq /) }))
    }
    expect(() => parseAtLeast('0', 1, 'thread count')).toThrow(/thread count must be at least 1, got "0"/)
    expect(parseAtLeast('3', 1)).toBe(3)
  })

  it('reads sizes with binary k/M/G suffixes and an optional iB/B', () => {
    expect([parseSize('65536'), parseSize('512k'), parseSize('4M'), parseSize('1GiB'), parseSize('2mb'), parseSize(4096)]).toEqual([65536, 512 << 10, 4 << 20, 1 << 30, 2 << 20, 4096])
    for (const bad of ['lots', '0', '4T', '1.5M', -1]) expect(() => parseSize(bad)).toThrow(/invalid size/)
    expect(() => parseSize('lots')).toThrow('invalid size "lots" (expected a size, e.g. 4M, 512k or 65536)')
  })

  it('reads durations in ms, s, m, h, d and bare milliseconds', () => {
    expect([parseDuration(150), parseDuration('150ms'), parseDuration('2s'), parseDuration('1.5m'), parseDuration('1h'), parseDuration('7d')])
      .toEqual([150, 150, 2000, 90_000, 3_600_000, 7 * 86_400_000])
    for (const bad of ['soon', '-1s', '2 weeks', -5]) expect(() => parseDuration(bad, 'interval')).toThrow(/^invalid interval/)
  })
})
