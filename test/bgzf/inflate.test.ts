import { describe, expect, it } from 'vitest'
import { EOF_BLOCK, blockIsize, blockSize } from '../../src/bgzf/block.js'
import { loadAddon } from '../../src/bgzf/native.js'
import type { Inflater } from '../../src/bgzf/inflate.js'
import { defaultInflater, loadInflater, requireInflater } from '../../src/bgzf/inflate-select.js'
import { nativeAddonPath, nativeCrc32 } from '../../src/bgzf/inflate-native.js'
import { bgzfCompress } from '../../src/bgzf/writer.js'
import { BamError } from '../../src/errors.js'
import { BENCH_INFLATER_NAMES, loadBenchInflater } from '../../bench/inflaters/select.js'
import { fastMode } from '../helpers/corpus.js'

// Every inflater behind the Inflater interface (the product's and the benchmark
// candidates in bench/inflaters/) must give the same bytes and the same typed
// errors (code + the failing block's file offset) as node:zlib.

/** Compressible deterministic bytes (xorshift32 over a small alphabet, runs included). */
function data(n: number, seed = 7): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0
    out[i] = x % 7 === 0 ? 65 : 65 + (x % 4) // "ACGT"-like, compressible
  }
  return out
}

/** A chunk of whole BGZF blocks (no EOF block) with its block sizes and total ISIZE. */
function chunk(n = 300_000, blockBytes = 20_000): { bytes: Uint8Array; sizes: Uint32Array; isize: number; raw: Uint8Array; offsets: number[] } {
  const raw = data(n)
  const all = bgzfCompress(raw, { blockSize: blockBytes })
  const sizes: number[] = []
  const offsets: number[] = []
  let isize = 0
  for (let p = 0; p < all.length;) {
    const size = blockSize(all, p, p)
    const bi = blockIsize(all, p, size)
    if (bi > 0) { sizes.push(size); offsets.push(p); isize += bi }
    p += size
  }
  const end = offsets[offsets.length - 1]! + sizes[sizes.length - 1]!
  return { bytes: all.slice(0, end), sizes: Uint32Array.from(sizes), isize, raw, offsets }
}

const COFFSET = 1_000_000 // pretend the chunk starts here in the file

async function available(): Promise<[string, Inflater][]> {
  const list: [string, Inflater][] = []
  for (const name of BENCH_INFLATER_NAMES) {
    const inflater = await loadBenchInflater(name)
    if (inflater) list.push([name, inflater])
  }
  return list
}

function errorOf(f: () => unknown): BamError {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(BamError)
    return e as BamError
  }
  throw new Error('expected a BamError')
}

describe('inflaters', async () => {
  const inflaters = await available()

  it('zlib and blockwise are always there; native is there when the addon was built', () => {
    const names = inflaters.map(([n]) => n)
    expect(names).toContain('zlib')
    expect(names).toContain('blockwise')
    expect(names.includes('native')).toBe(nativeAddonPath() !== null)
    expect(names.includes('libdeflate')).toBe(nativeAddonPath() !== null)
  })

  it('the default is the native addon when built (ISA-L first where built with it), else node:zlib', () => {
    const isal = loadAddon()?.isal === true
    expect(defaultInflater().name).toBe(nativeAddonPath() ? (isal ? 'ISA-L igzip + libdeflate (native)' : 'libdeflate (native)') : 'node:zlib')
  })

  it.each(inflaters)('%s inflates a multi-block chunk, with and without a scratch buffer', (_, inflater) => {
    const c = chunk()
    expect(c.sizes.length).toBeGreaterThan(10)
    expect(Buffer.from(inflater.inflate(c.bytes, c.sizes, c.isize, COFFSET)).equals(c.raw)).toBe(true)
    const scratch = new Uint8Array(c.isize + 1000).fill(0xee)
    const out = inflater.inflate(c.bytes, Array.from(c.sizes), c.isize, COFFSET, scratch)
    expect(out.length).toBe(c.isize)
    expect(Buffer.from(out).equals(c.raw)).toBe(true)
  })

  it.each(inflaters)('%s reads a chunk that is a view into a larger buffer (unaligned byteOffset)', (_, inflater) => {
    const c = chunk(50_000, 10_000)
    const big = new Uint8Array(c.bytes.length + 3)
    big.set(c.bytes, 3)
    expect(Buffer.from(inflater.inflate(big.subarray(3), c.sizes, c.isize, 0)).equals(c.raw)).toBe(true)
  })

  it.each(inflaters)('%s reports a stored CRC32 that does not match, at the block offset', (_, inflater) => {
    const c = chunk()
    const k = 5
    const broken = c.bytes.slice()
    broken[c.offsets[k]! + c.sizes[k]! - 8]! ^= 0xff // first byte of CRC32, SAMv1 §4.1
    const e = errorOf(() => inflater.inflate(broken, c.sizes, c.isize, COFFSET))
    expect(e.code).toBe('ERR_BGZF_CRC')
    expect(e.offset).toBe(COFFSET + c.offsets[k]!)
  })

  it.each(inflaters)('%s reports corrupt deflate data at the block offset', (_, inflater) => {
    const c = chunk()
    const k = 3
    const broken = c.bytes.slice()
    for (let i = 30; i < 60; i++) broken[c.offsets[k]! + i]! ^= 0x5a // inside the deflate stream
    const e = errorOf(() => inflater.inflate(broken, c.sizes, c.isize, COFFSET))
    expect(['ERR_BGZF_INFLATE', 'ERR_BGZF_CRC', 'ERR_BGZF_ISIZE']).toContain(e.code)
    expect(e.offset).toBe(COFFSET + c.offsets[k]!)
  })

  it.each(inflaters)('%s reports a block whose ISIZE field is wrong', (_, inflater) => {
    const c = chunk()
    const k = 2
    const broken = c.bytes.slice()
    broken[c.offsets[k]! + c.sizes[k]! - 4]! ^= 0x01 // ISIZE low byte, SAMv1 §4.1
    const e = errorOf(() => inflater.inflate(broken, c.sizes, c.isize, COFFSET))
    expect(e.code).toBe('ERR_BGZF_ISIZE')
    expect(e.offset).toBe(COFFSET + c.offsets[k]!)
  })

  it.each(inflaters)('%s rejects a chunk whose total is not the expected ISIZE', (_, inflater) => {
    const c = chunk(50_000, 10_000)
    const e = errorOf(() => inflater.inflate(c.bytes, c.sizes, c.isize + 10, COFFSET))
    expect(e.code).toBe('ERR_BGZF_ISIZE')
  })

  it('an unknown inflater name is an option error; a missing one is null or an error', async () => {
    await expect(loadInflater('lzma')).rejects.toMatchObject({ code: 'ERR_OPTION' })
    if (!nativeAddonPath()) await expect(requireInflater('native')).rejects.toMatchObject({ code: 'ERR_OPTION' })
  })
})

describe.skipIf(nativeAddonPath() === null)('native addon', () => {
  it('crc32 matches the gzip polynomial (RFC 1952 check value)', () => {
    const crc = nativeCrc32()!
    expect(crc(new TextEncoder().encode('123456789')) >>> 0).toBe(0xcbf43926)
  })

  it('names the last block when a block size overruns the chunk', async () => {
    const c = chunk(50_000, 10_000)
    const sizes = c.sizes.slice()
    sizes[sizes.length - 1]! += 10
    const native = (await loadInflater('native'))!
    const e = errorOf(() => native.inflate(c.bytes, sizes, c.isize, COFFSET))
    expect(e.code).toBe('ERR_BGZF_INFLATE')
    expect(e.offset).toBe(COFFSET + c.offsets[c.offsets.length - 1]!)
  })
})

describe.skipIf(loadAddon()?.isal !== true)('ISA-L first, libdeflate deciding (native/bgzf.c)', () => {
  /** The chunk's bytes (as their length and CRC32), or its error's code, offset and message. */
  function outcome(inflater: Inflater, bytes: Uint8Array, sizes: Uint32Array, isize: number): unknown {
    try {
      const out = inflater.inflate(bytes, sizes, isize, COFFSET)
      return { ok: [out.length, nativeCrc32()!(out)] }
    } catch (e) {
      if (!(e instanceof BamError)) throw e
      return { code: e.code, offset: e.offset, message: e.message }
    }
  }

  it('gives libdeflate\'s bytes, and libdeflate\'s error (code, offset, message) for every flipped byte of a block', async () => {
    const both = (await loadInflater('native'))!
    const alone = (await loadInflater('libdeflate'))!
    expect(both.name).toBe('ISA-L igzip + libdeflate (native)')
    expect(alone.name).toBe('libdeflate (native)')
    const c = chunk(60_000, 20_000)
    expect(outcome(both, c.bytes, c.sizes, c.isize)).toEqual(outcome(alone, c.bytes, c.sizes, c.isize))
    const k = 1
    let errors = 0
    // npm run test:fast: every 17th byte, two masks; npm test: every byte of the block, three masks
    for (let i = 18; i < c.sizes[k]!; i += fastMode() ? 17 : 1) {
      for (const mask of fastMode() ? [0x01, 0xff] : [0x01, 0x80, 0xff]) {
        const broken = c.bytes.slice()
        broken[c.offsets[k]! + i]! ^= mask
        const want = outcome(alone, broken, c.sizes, c.isize)
        if (!('ok' in (want as object))) errors++
        expect(outcome(both, broken, c.sizes, c.isize), `byte ${i} ^ ${mask}`).toEqual(want)
      }
    }
    expect(errors).toBeGreaterThan(50)
  })

  it('inflates empty blocks (EOF markers inside a chunk) as libdeflate does', async () => {
    const both = (await loadInflater('native'))!
    const c = chunk(50_000, 20_000)
    const bytes = new Uint8Array([...EOF_BLOCK, ...c.bytes, ...EOF_BLOCK])
    const sizes = Uint32Array.from([EOF_BLOCK.length, ...c.sizes, EOF_BLOCK.length])
    expect(Buffer.from(both.inflate(bytes, sizes, c.isize, COFFSET)).equals(c.raw)).toBe(true)
  })
})
