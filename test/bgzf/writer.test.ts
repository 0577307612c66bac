import { joinBytes } from '../../src/bytes.js'
import zlib from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { EOF_BLOCK, blockIsize, blockSize, isEofBlock } from '../../src/bgzf/block.js'
import { inflateBlock, zlibInflater } from '../../src/bgzf/inflate.js'
import {
  BGZF_HEADER_BYTES, BSIZE_OFFSET, BgzfWriter, MAX_BLOCK_DATA, bgzfCompress, compressBlock,
} from '../../src/bgzf/writer.js'
import { BamError } from '../../src/errors.js'
import { bytes } from '../helpers/bytes.js'

/** Splits a BGZF stream into its blocks' sizes with the scanner's own header parser. */
function blockSizes(bgzf: Uint8Array): number[] {
  const sizes: number[] = []
  for (let p = 0; p < bgzf.length;) {
    const size = blockSize(bgzf, p, p)
    expect(size).toBeGreaterThan(0)
    sizes.push(size)
    p += size
  }
  return sizes
}

function inflateAll(bgzf: Uint8Array): Uint8Array {
  const sizes = blockSizes(bgzf)
  let isize = 0
  let p = 0
  for (const s of sizes) { isize += blockIsize(bgzf, p, s); p += s }
  const out = zlibInflater.inflate(bgzf, sizes, isize, 0)
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength) // a Buffer from node:zlib, compared as bytes
}

/** Byte equality without vitest's slow element-by-element diff of large arrays. */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length)
  expect(Buffer.compare(actual, expected)).toBe(0)
}

function codeOf(fn: () => unknown): string | undefined {
  try { fn() } catch (e) { return e instanceof BamError ? e.code : `not a BamError: ${String(e)}` }
  return undefined
}

describe('compressBlock', () => {
  it('writes the gzip header with the BC subfield and BSIZE, SAMv1 §4.1', () => {
    const data = new TextEncoder().encode('hello, BGZF '.repeat(100))
    const block = compressBlock(data)
    expect(Array.from(block.subarray(0, BSIZE_OFFSET))).toEqual([
      0x1f, 0x8b, // ID1, ID2
      0x08, // CM = deflate
      0x04, // FLG = FEXTRA
      0, 0, 0, 0, // MTIME
      0x00, // XFL
      0xff, // OS = unknown
      0x06, 0x00, // XLEN = 6
      0x42, 0x43, // SI1, SI2 = 'B', 'C'
      0x02, 0x00, // SLEN = 2
    ])
    const bsize = block[BSIZE_OFFSET]! | (block[BSIZE_OFFSET + 1]! << 8)
    expect(bsize).toBe(block.length - 1)
    expect(blockSize(block, 0, 0)).toBe(block.length)
    expect(blockIsize(block, 0, block.length)).toBe(data.length)
    expect(block.length).toBeLessThan(BGZF_HEADER_BYTES + data.length) // it did compress
  })

  it('round-trips through inflateBlock, with CRC32 and ISIZE checked', () => {
    for (const data of [bytes(1000, 3, 4), bytes(MAX_BLOCK_DATA, 5, 16), new Uint8Array(1)]) {
      const out = new Uint8Array(data.length)
      expect(inflateBlock(compressBlock(data), out, 0, 0)).toBe(data.length)
      expectSameBytes(out, data)
    }
  })

  it('stores incompressible data that deflate would grow past the 64 KiB block limit', () => {
    const data = bytes(MAX_BLOCK_DATA, 9)
    for (const level of [1, 6, 9]) {
      const block = compressBlock(data, level)
      expect(block.length).toBeLessThanOrEqual(65536)
      const out = new Uint8Array(data.length)
      inflateBlock(block, out, 0, 0)
      expectSameBytes(out, data)
    }
  })

  it('makes the EOF marker block from no data', () => {
    expect(compressBlock(new Uint8Array(0))).toEqual(EOF_BLOCK)
  })

  it('rejects too much data and bad levels with ERR_OPTION', () => {
    expect(codeOf(() => compressBlock(new Uint8Array(MAX_BLOCK_DATA + 1)))).toBe('ERR_OPTION')
    expect(codeOf(() => compressBlock(new Uint8Array(1), 10))).toBe('ERR_OPTION')
    expect(codeOf(() => new BgzfWriter({ blockSize: 0 }))).toBe('ERR_OPTION')
    expect(codeOf(() => new BgzfWriter({ blockSize: MAX_BLOCK_DATA + 1 }))).toBe('ERR_OPTION')
  })
})

describe('BgzfWriter', () => {
  it('cuts full blocks of blockSize bytes from writes of any size and ends with EOF', () => {
    const data = bytes(250_000, 7, 8)
    const w = new BgzfWriter({ blockSize: 10_000, level: 1 })
    const parts: Uint8Array[] = []
    const pieces = [1, 9_999, 1, 3, 40_000, 0, 123_456]
    let at = 0
    for (const n of [...pieces, data.length - pieces.reduce((a, b) => a + b, 0)]) {
      parts.push(...w.write(data.subarray(at, at + n)))
      at += n
    }
    expect(w.pending).toBe(0) // 250000 is a whole number of blocks
    const last = w.end()
    expect(last).toEqual(EOF_BLOCK)
    const file = joinBytes([...parts, last])
    const sizes = blockSizes(file)
    expect(sizes.length).toBe(26)
    let p = 0
    for (const s of sizes.slice(0, -1)) { expect(blockIsize(file, p, s)).toBe(10_000); p += s }
    expect(isEofBlock(file, p, sizes.at(-1)!)).toBe(true)
    expectSameBytes(inflateAll(file), data)
    expect(w.bytesIn).toBe(data.length)
    expect(w.bytesOut).toBe(file.length)
    expect(w.blocks).toBe(26)
  })

  it('flush forces a block boundary; emptyBlock adds a zero-length block; room tracks space', () => {
    const w = new BgzfWriter()
    expect(w.room).toBe(MAX_BLOCK_DATA)
    expect(w.write(Uint8Array.of(1, 2, 3))).toEqual([])
    expect(w.room).toBe(MAX_BLOCK_DATA - 3)
    const first = w.flush()
    expect(first.length).toBe(1)
    expect(w.flush()).toEqual([]) // nothing pending: no block
    w.write(Uint8Array.of(4, 5))
    const mid = w.emptyBlock() // flushes [4, 5] first, then the empty block
    expect(mid.length).toBe(2)
    expect(mid[1]).toEqual(EOF_BLOCK)
    w.write(Uint8Array.of(6))
    const file = joinBytes([...first, ...mid, w.end()])
    expect(blockSizes(file).length).toBe(5)
    expect(Array.from(inflateAll(file))).toEqual([1, 2, 3, 4, 5, 6])
    expect(Array.from(zlib.gunzipSync(file))).toEqual([1, 2, 3, 4, 5, 6])
  })

  it('refuses writes after end with ERR_OUTPUT', () => {
    const w = new BgzfWriter()
    expect(w.end()).toEqual(EOF_BLOCK) // an empty stream is just the EOF block
    expect(codeOf(() => w.write(Uint8Array.of(1)))).toBe('ERR_OUTPUT')
    expect(codeOf(() => w.flush())).toBe('ERR_OUTPUT')
  })
})

describe('bgzfCompress', () => {
  it('gives a multi-member gzip stream that gunzip and the BGZF inflater both read back', () => {
    const data = bytes(300_000, 11, 20)
    const file = bgzfCompress(data)
    expect(file.subarray(file.length - EOF_BLOCK.length)).toEqual(EOF_BLOCK)
    expect(blockSizes(file).length).toBe(Math.ceil(data.length / MAX_BLOCK_DATA) + 1)
    expectSameBytes(zlib.gunzipSync(file), data)
    expectSameBytes(inflateAll(file), data)
  })

  it('honours a small blockSize and a level', () => {
    const data = bytes(5_000, 13, 4)
    const file = bgzfCompress(data, { blockSize: 100, level: 9 })
    expect(blockSizes(file).length).toBe(51)
    expectSameBytes(inflateAll(file), data)
    expect(bgzfCompress(new Uint8Array(0))).toEqual(EOF_BLOCK)
  })
})
