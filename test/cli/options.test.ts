import { Command } from 'commander'
import { describe, expect, it } from 'vitest'
import { addEngineOptions, addFilterOptions, engineOptions, filterOptions, parseInteger, parseSize, parseThreads, type EngineFlags } from '../../src/cli/options.js'
import type { FilterOptions } from '../../src/ops/filter.js'
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
    expect(parseThreads('0')).toBe(1) // samtools' -@ 0: no extra threads; here one worker
    expect(() => parseThreads('-1')).toThrow(/invalid thread count "-1"/)
  })
})

describe('engine and filter options', () => {
  /** A command with the shared options, parsed from `args` (errors thrown, not printed). */
  function parsed(args: string[], opts: { buffered?: boolean } = {}): EngineFlags & FilterOptions {
    const cmd = addFilterOptions(addEngineOptions(new Command('x').exitOverride().configureOutput({ writeErr: () => {} }), opts))
    return cmd.parse(args, { from: 'user' }).opts<EngineFlags & FilterOptions>()
  }

  it('turns the flags into run options once: --chunk-size is chunkBytes; no progress bar when asked not to', () => {
    const o = parsed(['-@', '3', '--chunk-size', '64k', '--buffered'], { buffered: true })
    expect(engineOptions(o, false)).toEqual({ threads: 3, chunkBytes: 65536, http: { timeoutMs: 20_000 }, buffered: true, onProgress: undefined, detachPool: true })
    expect(engineOptions(parsed([]), false)).toMatchObject({ chunkBytes: undefined, buffered: undefined }) // the op's default: see test/engine/pool.test.ts
  })

  it('accepts --buffered only where the command honours it', () => {
    expect(() => parsed(['--buffered'])).toThrow(/unknown option '--buffered'/)
  })

  it('names the filters as the API does, with samtools\' letters', () => {
    expect(filterOptions(parsed(['-f', '0x10', '-F', '4', '-q', '20']))).toEqual({ requiredFlags: 16, excludedFlags: 4, minMapq: 20 })
    expect(filterOptions(parsed(['--required-flags', '2', '--excluded-flags', '020', '--min-mapq', '1']))).toEqual({ requiredFlags: 2, excludedFlags: 16, minMapq: 1 })
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
