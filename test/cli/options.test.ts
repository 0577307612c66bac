import { describe, expect, it } from 'vitest'
import { parseInteger, parseSize, parseThreads } from '../../src/cli/options.js'
import { describeProgress } from '../../src/cli/progress.js'

describe('option parsing', () => {
  it('sizes take k/M/G suffixes', () => {
    expect(parseSize('65536')).toBe(65536)
    expect(parseSize('512k')).toBe(512 * 1024)
    expect(parseSize('4M')).toBe(4 * 1024 * 1024)
    expect(parseSize('1GiB')).toBe(1024 ** 3)
    expect(() => parseSize('lots')).toThrow(/invalid size "lots"/)
  })

  it('integers as samtools takes flags: decimal, hex, octal', () => {
    expect(parseInteger('1796')).toBe(1796)
    expect(parseInteger('0x704')).toBe(0x704)
    expect(parseInteger('0704')).toBe(0o704)
    expect(() => parseInteger('4x')).toThrow(/invalid integer/)
    expect(() => parseThreads('0')).toThrow(/at least 1/)
  })
})

describe('progress line', () => {
  it('shows bytes, MB/s, records/s and ETA when the size is known', () => {
    const line = describeProgress({ bytes: 50e6, totalBytes: 200e6, records: 1_000_000, elapsedMs: 2000 }, 120)
    expect(line).toMatch(/25\.0%/)
    expect(line).toMatch(/50\.0\/200\.0 MB/)
    expect(line).toMatch(/25\.0 MB\/s/)
    expect(line).toMatch(/500,000 rec\/s/)
    expect(line).toMatch(/ETA 6s/)
  })

  it('shows only rates for a stream of unknown size', () => {
    expect(describeProgress({ bytes: 10e6, records: 10, elapsedMs: 1000 }, 80)).toBe('10.0 MB  10.0 MB/s  10 rec/s')
  })
})
