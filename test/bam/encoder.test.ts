import { describe, expect, it } from 'vitest'
import { encodeHeader, writeLatin1 } from '../../src/bam/encoder.js'
import { parseHeader } from '../../src/bam/header.js'
import { BamError } from '../../src/errors.js'

// The record-encoding half (tests and benchmarks only) is tested in
// test/bench/synthetic/record-encoder.test.ts, with samtools reading it back.
const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0))
const le32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff]

function codeOf(fn: () => unknown): string | undefined {
  try { fn() } catch (e) { return e instanceof BamError ? e.code : `not a BamError: ${String(e)}` }
  return undefined
}

describe('encodeHeader', () => {
  it('lays out magic, l_text, text, n_ref and the references, SAMv1 §4.2', () => {
    const bytes = encodeHeader('@HD\tVN:1.6\n', [{ name: 'chr1', length: 1000 }, { name: 'M', length: 16569 }])
    expect(Array.from(bytes)).toEqual([
      ...ascii('BAM\x01'), // magic
      ...le32(11), // l_text
      ...ascii('@HD\tVN:1.6\n'), // text
      ...le32(2), // n_ref
      ...le32(5), ...ascii('chr1\0'), ...le32(1000), // l_name (NUL included), name, l_ref
      ...le32(2), ...ascii('M\0'), ...le32(16569),
    ])
    const header = parseHeader(bytes)
    expect(header?.references).toEqual([{ name: 'chr1', length: 1000 }, { name: 'M', length: 16569 }])
    expect(header?.byteLength).toBe(bytes.length)
  })

  it('rejects a negative reference length and non-Latin-1 text', () => {
    expect(codeOf(() => encodeHeader('', [{ name: 'x', length: -1 }]))).toBe('ERR_OPTION')
    expect(codeOf(() => encodeHeader('@CO\t\u2603\n', []))).toBe('ERR_OPTION')
  })
})

describe('writeLatin1', () => {
  it('writes one byte per character at the offset and refuses characters above U+00FF', () => {
    const out = new Uint8Array(6)
    writeLatin1(out, 2, '@\xe9')
    expect(Array.from(out)).toEqual([0, 0, 0x40, 0xe9, 0, 0])
    expect(codeOf(() => writeLatin1(out, 0, '\u2603'))).toBe('ERR_OPTION')
  })
})
