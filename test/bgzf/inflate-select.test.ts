import { describe, expect, it } from 'vitest'
import zlib from 'node:zlib'
import { blockSize } from '../../src/bgzf/block.js'
import { inflateBlockIgnoringIsize } from '../../src/bgzf/inflate.js'
import { nativeAddonPath } from '../../src/bgzf/inflate-native.js'
import { inflateBlockLikeHtslib } from '../../src/bgzf/inflate-select.js'
import { BGZF_HEADER_BYTES, BSIZE_OFFSET, bgzfCompress } from '../../src/bgzf/writer.js'
import { BamError } from '../../src/errors.js'

// inflateBlockLikeHtslib (the BAM header's inflater) must give, through the
// native addon or node:zlib, the bytes or the error (code, message, offset)
// that inflateBlockIgnoringIsize (node:zlib, as htslib reads) gives.

const COFFSET = 4242

/** The first whole BGZF block of `raw`. */
function firstBlock(raw: Uint8Array): Uint8Array {
  const all = bgzfCompress(raw)
  return all.slice(0, blockSize(all, 0, 0))
}

function text(n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = 'ACGT@SQ\tSN:chr\n'.charCodeAt((i * 7 + (i >> 5)) % 15)
  return out
}

type Outcome = { data: number[] } | { code: string; message: string; offset: number }

function outcome(f: () => Uint8Array): Outcome {
  try {
    return { data: Array.from(f()) }
  } catch (e) {
    if (!(e instanceof BamError)) throw e
    return { code: e.code, message: e.message, offset: e.offset }
  }
}

function withIsize(block: Uint8Array, isize: number): Uint8Array {
  const b = block.slice()
  new DataView(b.buffer).setUint32(b.length - 4, isize, true)
  return b
}

const good = firstBlock(text(3000))
const isize = new DataView(good.buffer).getUint32(good.length - 4, true)
/** A block whose deflate data inflates to more than 65536 bytes (htslib refuses it). */
const oversized = (() => {
  const cdata = zlib.deflateRawSync(new Uint8Array(70_000))
  const b = new Uint8Array(BGZF_HEADER_BYTES + cdata.length + 8)
  b.set(good.subarray(0, BGZF_HEADER_BYTES))
  b.set(cdata, BGZF_HEADER_BYTES)
  const view = new DataView(b.buffer)
  view.setUint16(BSIZE_OFFSET, b.length - 1, true)
  view.setUint32(b.length - 8, zlib.crc32(new Uint8Array(70_000)) >>> 0, true)
  view.setUint32(b.length - 4, 70_000 & 0xffff, true)
  return b
})()

const cases: [string, Uint8Array][] = [
  ['a sound block', good],
  ['ISIZE one too large', withIsize(good, isize + 1)],
  ['ISIZE one too small', withIsize(good, isize - 1)],
  ['ISIZE past 65536', withIsize(good, 0x20000)],
  ['a bad CRC32', (() => { const b = good.slice(); b[b.length - 8]! ^= 1; return b })()],
  ['data inflating past 65536 bytes', oversized],
  ['the EOF block', firstBlock(new Uint8Array(0))],
]

describe.each(['native', 'zlib', undefined])('inflateBlockLikeHtslib with BAMSTREAM_INFLATE=%s', (name) => {
  it.each(cases)('%s: as node:zlib', (_what, block) => {
    expect(outcome(() => inflateBlockLikeHtslib(block, COFFSET, name))).toEqual(outcome(() => inflateBlockIgnoringIsize(block, COFFSET)))
  })

  it('every flipped byte of a block: as node:zlib', () => {
    for (let i = 0; i < good.length; i++) {
      const b = good.slice()
      b[i]! ^= 0x5a
      expect(outcome(() => inflateBlockLikeHtslib(b, COFFSET, name)), `byte ${i}`).toEqual(outcome(() => inflateBlockIgnoringIsize(b, COFFSET)))
    }
  })
})

describe.skipIf(nativeAddonPath() === null)('with the native addon built', () => {
  it('the sound block inflates to its bytes', () => {
    expect(Array.from(inflateBlockLikeHtslib(good, COFFSET, 'native'))).toEqual(Array.from(text(3000)))
  })
})
