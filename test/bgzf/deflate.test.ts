import { describe, expect, it } from 'vitest'
import { blockIsize, blockSize } from '../../src/bgzf/block.js'
import { defaultDeflater, loadNativeDeflater, zlibDeflater, type Deflater } from '../../src/bgzf/deflate.js'
import { zlibInflater } from '../../src/bgzf/inflate.js'
import { nativeAddonPath } from '../../src/bgzf/native.js'
import { BSIZE_OFFSET, MAX_BLOCK_DATA } from '../../src/bgzf/writer.js'
import { BamError } from '../../src/errors.js'
import { bytes } from '../helpers/bytes.js'

/** Block sizes and inflated sizes of a run of whole blocks, read with the scanner's header parser. */
function blocksOf(bgzf: Uint8Array): { sizes: number[], isizes: number[] } {
  const sizes: number[] = []
  const isizes: number[] = []
  for (let p = 0; p < bgzf.length;) {
    const size = blockSize(bgzf, p, p)
    expect(size).toBeGreaterThan(0)
    sizes.push(size)
    isizes.push(blockIsize(bgzf, p, size))
    p += size
  }
  return { sizes, isizes }
}

function roundTrip(d: Deflater, data: Uint8Array, level?: number, blockData?: number): { sizes: number[], isizes: number[], length: number } {
  const bgzf = d.compress(data, level, blockData)
  expect(bgzf.byteOffset).toBe(0)
  expect(bgzf.buffer.byteLength).toBe(bgzf.length) // owns its buffer: transferable
  const blocks = blocksOf(bgzf)
  const total = blocks.isizes.reduce((a, b) => a + b, 0)
  const out = zlibInflater.inflate(bgzf, blocks.sizes, total, 0) // checks CRC32 and ISIZE of every block
  expect(Buffer.compare(out, data)).toBe(0)
  return { ...blocks, length: bgzf.length }
}

const native = loadNativeDeflater()
const deflaters: [string, Deflater][] = [['zlib', zlibDeflater], ...(native ? [['native', native] as [string, Deflater]] : [])]

describe.each(deflaters)('%s deflater', (_, d) => {
  it('cuts data into full blocks of blockData bytes and a shorter last one, each a valid BGZF block', () => {
    const data = bytes(250_001, 7, 8)
    const { isizes } = roundTrip(d, data, 6, 10_000)
    expect(isizes).toEqual([...Array<number>(25).fill(10_000), 1])
  })

  it('uses the largest block by default and compresses record-like data', () => {
    const data = bytes(300_000, 3, 4)
    const { isizes, length } = roundTrip(d, data)
    expect(isizes[0]).toBe(MAX_BLOCK_DATA)
    expect(length).toBeLessThan(data.length / 3)
  })

  it('stores level 0 and incompressible data within the 64 KiB block limit', () => {
    for (const level of [0, 1, 9]) {
      const { sizes } = roundTrip(d, bytes(3 * MAX_BLOCK_DATA, 9), level)
      for (const s of sizes) expect(s).toBeLessThanOrEqual(65536)
    }
  })

  it('writes BSIZE as the block size minus 1 (SAMv1 §4.1)', () => {
    const bgzf = d.compress(bytes(1000, 2, 16))
    expect(bgzf[BSIZE_OFFSET]! | (bgzf[BSIZE_OFFSET + 1]! << 8)).toBe(bgzf.length - 1)
  })

  it('returns no blocks for no data', () => {
    expect(d.compress(new Uint8Array(0)).length).toBe(0)
  })

  it('rejects bad levels and block sizes with ERR_OPTION', () => {
    for (const [level, block] of [[10, 100], [-2, 100], [1.5, 100], [6, 0], [6, MAX_BLOCK_DATA + 1]] as const) {
      let error: unknown
      try { d.compress(new Uint8Array(10), level, block) } catch (e) { error = e }
      expect(error).toBeInstanceOf(BamError)
      expect((error as BamError).code).toBe('ERR_OPTION')
    }
  })
})

describe('defaultDeflater', () => {
  it('is the native deflater when the addon is built, else node:zlib', () => {
    expect(defaultDeflater().name).toBe(nativeAddonPath() ? 'libdeflate (native)' : 'node:zlib')
  })
})

describe.each(deflaters)('%s deflater at level 0', (_, d) => {
  it('stores every block: header, one stored deflate block (5 bytes of head), trailer', () => {
    const data = bytes(2 * MAX_BLOCK_DATA + 100, 5, 5)
    const { sizes } = roundTrip(d, data, 0)
    expect(sizes).toEqual([MAX_BLOCK_DATA, MAX_BLOCK_DATA, 100].map((n) => 18 + 5 + n + 8))
  })
})
