import zlib from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { EOF_BLOCK, MAX_BLOCK_ISIZE } from '../../src/bgzf/block.js'
import { scanBlocks, type Block } from '../../src/bgzf/scanner.js'
import { bgzfCompress } from '../../src/bgzf/writer.js'
import { BamError } from '../../src/errors.js'

// The block scanner on hand-built BGZF blocks (SAMv1 §4.1): it reads headers
// only, in pieces cut anywhere, and names truncation, a missing EOF block and
// non-BGZF input with the file offset.

const le16 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff]
const le32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff]

/** One BGZF block holding `data` in a stored (uncompressed) deflate block, every field written out. */
function block(data: number[], isize = data.length): number[] {
  const cdata = [0x01, ...le16(data.length), ...le16(~data.length & 0xffff), ...data] // BFINAL=1 BTYPE=00, LEN, NLEN, bytes
  const bsize = 12 + 6 + cdata.length + 8 - 1 // total block size minus 1
  return [
    0x1f, 0x8b, // ID1, ID2: gzip magic
    0x08, // CM: deflate
    0x04, // FLG: FEXTRA
    ...le32(0), // MTIME
    0x00, // XFL
    0xff, // OS: unknown
    ...le16(6), // XLEN
    0x42, 0x43, // SI1, SI2: 'B' 'C'
    ...le16(2), // SLEN
    ...le16(bsize), // BSIZE
    ...cdata, // CDATA
    ...le32(zlib.crc32(Uint8Array.from(data)) >>> 0), // CRC32
    ...le32(isize), // ISIZE
  ]
}

const B1 = block([1, 2, 3]) // 12 + 6 + 8 + 8 = 34 bytes
const B2 = block(Array.from({ length: 100 }, (_, i) => i))
const EOF = Array.from(EOF_BLOCK)

async function* pieces(bytes: number[] | Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  const all = Uint8Array.from(bytes)
  for (let p = 0; p < all.length; p += size) yield all.slice(p, p + size)
}

type Seen = Omit<Block, 'bytes'> & { bytes: number[] }

async function scan(bytes: number[] | Uint8Array, pieceSize = 1 << 20): Promise<Seen[]> {
  const seen: Seen[] = []
  for await (const b of scanBlocks(pieces(bytes, pieceSize))) seen.push({ ...b, bytes: Array.from(b.bytes) }) // bytes: valid until resumed
  return seen
}

async function scanError(bytes: number[] | Uint8Array, pieceSize = 1 << 20): Promise<BamError> {
  const e: unknown = await scan(bytes, pieceSize).then(() => undefined, (err: unknown) => err)
  expect(e).toBeInstanceOf(BamError)
  return e as BamError
}

describe('scanBlocks', () => {
  it('yields each block with its file offset, on-disk size, ISIZE and bytes, and marks the EOF block', async () => {
    expect(B1.length).toBe(34)
    const seen = await scan([...B1, ...B2, ...EOF])
    expect(seen.map(({ coffset, csize, isize, eof }) => ({ coffset, csize, isize, eof }))).toEqual([
      { coffset: 0, csize: 34, isize: 3, eof: false },
      { coffset: 34, csize: B2.length, isize: 100, eof: false },
      { coffset: 34 + B2.length, csize: 28, isize: 0, eof: true },
    ])
    expect(seen[1]!.bytes).toEqual(B2)
    // the hand-built blocks are real gzip members (the scanner never inflates them; zlib does here)
    expect(Array.from(zlib.gunzipSync(Uint8Array.from([...B1, ...B2])))).toEqual([1, 2, 3, ...Array.from({ length: 100 }, (_, i) => i)])
  })

  it('gives the same blocks whatever the pieces, even cut inside a header or one byte at a time', async () => {
    const stream = bgzfCompress(Uint8Array.from({ length: 50_000 }, (_, i) => (i * 7) & 0xff), { blockSize: 4000 })
    const whole = await scan(stream)
    expect(whole.length).toBeGreaterThan(10)
    for (const size of [1, 5, 17, 4096]) expect(await scan(stream, size), `pieces of ${size}`).toEqual(whole)
  })

  it('truncated: the stream ends inside a block, or inside a header', async () => {
    const cut = await scanError([...B1, ...B2.slice(0, 40)])
    expect(cut.code).toBe('ERR_TRUNCATED')
    expect(cut.offset).toBe(34) // the block that is cut
    expect((await scanError([...B1, ...B2.slice(0, 5)], 3)).code).toBe('ERR_TRUNCATED')
  })

  it('truncated: complete blocks but no EOF block at the end', async () => {
    const e = await scanError([...B1, ...B2])
    expect(e.code).toBe('ERR_TRUNCATED')
    expect(e.offset).toBe(34 + B2.length)
    expect((await scan([...EOF, ...B1, ...EOF])).map((b) => b.eof)).toEqual([true, false, true]) // an EOF block inside is just empty
  })

  it('names non-BGZF input at the offset of the bad header', async () => {
    expect(await scanError([])).toMatchObject({ code: 'ERR_NOT_BGZF', offset: 0 })
    expect(await scanError([0x42, 0x41, 0x4d, 0x01])).toMatchObject({ code: 'ERR_NOT_BGZF', offset: 0 }) // uncompressed BAM magic
    const noExtra = [...B2]
    noExtra[3] = 0 // FLG without FEXTRA: plain gzip
    expect(await scanError([...B1, ...noExtra, ...EOF], 7)).toMatchObject({ code: 'ERR_NOT_BGZF', offset: 34 })
    const noBc = [...B2]
    noBc[12] = 0x41 // SI1 'A': no BC subfield
    expect(await scanError([...B1, ...noBc, ...EOF])).toMatchObject({ code: 'ERR_NOT_BGZF', offset: 34 })
  })

  it('takes an ISIZE over 64 KiB as 64 KiB (htslib ignores the field; the inflater finds the real size)', async () => {
    const seen = await scan([...B1, ...block([1], MAX_BLOCK_ISIZE + 1), ...EOF])
    expect(seen.map((b) => b.isize)).toEqual([3, MAX_BLOCK_ISIZE, 0])
  })

  it('without the EOF block, tells onMissingEof where the blocks end instead of failing', async () => {
    const missing: number[] = []
    const blocks: number[] = []
    for await (const b of scanBlocks(pieces([...B1, ...B2], 7), (at) => missing.push(at))) blocks.push(b.coffset)
    expect([blocks, missing]).toEqual([[0, 34], [34 + B2.length]])
  })
})
