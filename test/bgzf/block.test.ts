import { describe, expect, it } from 'vitest'
import { EOF_BLOCK, blockOffsetAt, blockOffsetOf } from '../../src/bgzf/block.js'
import { compressBlock } from '../../src/bgzf/writer.js'

/** Three blocks inflating to 1000, 0 (an EOF marker between them) and 500 bytes. */
const blocks = [compressBlock(new Uint8Array(1000).fill(65)), EOF_BLOCK, compressBlock(new Uint8Array(500).fill(66))]
const sizes = blocks.map((b) => b.length)
const bytes = Uint8Array.from(blocks.flatMap((b) => [...b]))
const isizes = [1000, 0, 500]

describe('blockOffsetAt and blockOffsetOf (the block holding decompressed byte u of a run of blocks)', () => {
  it('agree at every position, the empty block never holding one, clamped to the first and last block', () => {
    const second = sizes[0]! + sizes[1]!
    for (const [u, want] of [[-1, 0], [0, 0], [999, 0], [1000, second], [1499, second], [1500, second], [99_999, second]] as const) {
      expect(blockOffsetAt(isizes, sizes, u), `u = ${u}`).toBe(want)
      expect(blockOffsetOf(bytes, sizes, u), `u = ${u}`).toBe(want)
    }
  })

  it('reads the ISIZE fields from the bytes at an unaligned byteOffset too', () => {
    const shifted = new Uint8Array(bytes.length + 3)
    shifted.set(bytes, 3)
    expect(blockOffsetOf(shifted.subarray(3), sizes, 1200)).toBe(blockOffsetAt(isizes, sizes, 1200))
  })
})
