import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { describe, expect, it } from 'vitest'
import type { Piscina } from 'piscina'
import { count } from '../../src/engine/api.js'
import { usePoolAndDir } from '../helpers/setup.js'
import { bgzfCompress, compressBlock } from '../../src/bgzf/writer.js'
import { EOF_BLOCK } from '../../src/bgzf/block.js'
import { BamError } from '../../src/errors.js'
import { corpusBam } from '../helpers/corpus.js'

// Bad input gets a typed error naming the input and a byte offset, never a hang.
let pool: Piscina
let dir: string
const SAMPLE = corpusBam('htslib_test_ce_1000')
const bytes = fs.readFileSync(SAMPLE)

usePoolAndDir('bad', (p, d) => { pool = p; dir = d })

function write(name: string, data: Uint8Array): string {
  const file = path.join(dir, name)
  fs.writeFileSync(file, data)
  return file
}

async function errorOf(file: string, chunkBytes?: number): Promise<BamError> {
  try {
    await count(file, { pool, chunkBytes })
  } catch (e) {
    expect(e).toBeInstanceOf(BamError)
    return e as BamError
  }
  throw new BamError('ERR_OPTION', `expected ${file} to be rejected`)
}

/** Offsets of each BGZF block in a file (from the BC subfield's BSIZE). */
function blockOffsets(data: Uint8Array): number[] {
  const offsets: number[] = []
  for (let p = 0; p < data.length; p += (data[p + 16]! | (data[p + 17]! << 8)) + 1) offsets.push(p)
  return offsets
}

describe('truncated files', () => {
  it('rejects a cut at every one of 60 offsets with ERR_TRUNCATED (or not-BGZF for an empty file)', async () => {
    for (let i = 0; i < 60; i++) {
      const cut = Math.floor((bytes.length - 1) * i / 60)
      const e = await errorOf(write(`cut-${cut}.bam`, bytes.subarray(0, cut)), i % 2 ? 1 : undefined)
      expect(e.code, `cut at ${cut}`).toBe(cut === 0 ? 'ERR_NOT_BGZF' : 'ERR_TRUNCATED')
      expect(e.source).toContain(`cut-${cut}.bam`)
      expect(e.offset).toBeGreaterThanOrEqual(0)
      expect(e.offset).toBeLessThanOrEqual(cut)
    }
  })

  it('rejects a record cut off before the EOF block, at every chunk size', async () => {
    const data = zlib.gunzipSync(bytes)
    // well-formed BGZF with its EOF block, but the decompressed stream stops 10 bytes into the last record
    const file = write('cut-record.bam', bgzfCompress(data.subarray(0, data.length - 100), { blockSize: 4000 }))
    for (const chunkBytes of [undefined, 1, 10_000]) {
      const e = await errorOf(file, chunkBytes)
      expect(e.code).toBe('ERR_TRUNCATED')
      expect(e.message).toMatch(/record is cut off/)
      expect(e.offset).toBeGreaterThan(0)
    }
  })
})

describe('corrupt blocks', () => {
  it('reports a CRC or inflate error at the offset of the block whose deflate data was flipped', async () => {
    const offsets = blockOffsets(bytes)
    for (const at of offsets.slice(1, -1)) {
      const broken = Uint8Array.from(bytes)
      broken[at + 40]! ^= 0x5a // inside the deflate data of this block
      const e = await errorOf(write(`flip-${at}.bam`, broken))
      expect(['ERR_BGZF_CRC', 'ERR_BGZF_INFLATE', 'ERR_BGZF_ISIZE']).toContain(e.code)
      expect(e.offset).toBe(at)
    }
  })

  it('names a stored CRC that does not match', async () => {
    const offsets = blockOffsets(bytes)
    const at = offsets[1]!
    const end = offsets[2]!
    const broken = Uint8Array.from(bytes)
    broken[end - 8]! ^= 0xff // first byte of CRC32
    const e = await errorOf(write('crc.bam', broken))
    expect(e.code).toBe('ERR_BGZF_CRC')
    expect(e.offset).toBe(at)
  })

  it('rejects or survives every single flipped byte without hanging', async () => {
    for (let i = 0; i < 80; i++) {
      const at = Math.floor((bytes.length - 1) * i / 80)
      const broken = Uint8Array.from(bytes)
      broken[at]! ^= 0x01
      const file = write(`any-${at}.bam`, broken)
      const outcome = await count(file, { pool }).then((n) => n, (e: unknown) => e)
      // flips in gzip MTIME/OS or inside a name can leave a readable file
      if (typeof outcome === 'number') continue
      expect(outcome).toBeInstanceOf(BamError)
      expect((outcome as BamError).offset).toBeGreaterThanOrEqual(0)
    }
  })
})

describe('wrong formats and hostile sizes', () => {
  it('rejects a plain-gzip file that is not BAM (a plain-gzip BAM is read, serially: inputs.test.ts)', async () => {
    const e = await errorOf(write('plain.gz', zlib.gzipSync(Buffer.from('hello world\n'))))
    expect(e.code).toBe('ERR_NOT_BAM')
    expect(e.offset).toBe(0)
  })

  it('rejects an uncompressed file', async () => {
    const e = await errorOf(write('plain.txt', Buffer.from('@HD\tVN:1.6\n')))
    expect(e.code).toBe('ERR_NOT_BGZF')
  })

  it('rejects a BGZF file that is not BAM', async () => {
    const e = await errorOf(write('text.gz', bgzfCompress(Buffer.from('@HD\tVN:1.6\nr1\t4\t*\t0\t0\t*\t*\t0\t0\tA\t*\n'))))
    expect(e.code).toBe('ERR_NOT_BAM')
    expect(e.offset).toBe(0)
  })

  it('rejects a huge l_text without allocating it', async () => {
    const header = new Uint8Array(12)
    header.set([0x42, 0x41, 0x4d, 0x01]) // magic "BAM\1"
    new DataView(header.buffer).setInt32(4, 0x7fffffff, true) // l_text = 2 GiB
    const before = process.memoryUsage().rss
    const e = await errorOf(write('huge-ltext.bam', bgzfCompress(header)))
    expect(e.code).toBe('ERR_HEADER_LIMIT')
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024)
  })

  it('rejects a hostile n_ref', async () => {
    const header = new Uint8Array(12)
    header.set([0x42, 0x41, 0x4d, 0x01]) // magic
    new DataView(header.buffer).setInt32(4, 0, true) // l_text = 0
    new DataView(header.buffer).setInt32(8, -5, true) // n_ref = -5
    const e = await errorOf(write('neg-nref.bam', bgzfCompress(header)))
    expect(e.code).toBe('ERR_HEADER_LIMIT')
  })

  it('reads a block with ISIZE over 64 KiB by its data, as htslib does (here: a cut header)', async () => {
    const block = compressBlock(Buffer.from('BAM\u0001'))
    const view = new DataView(block.buffer, block.byteOffset, block.byteLength)
    view.setUint32(block.length - 4, 1 << 20, true) // ISIZE = 1 MiB: ignored, nothing that large is allocated
    const e = await errorOf(write('big-isize.bam', Buffer.concat([block, EOF_BLOCK])))
    expect(e.code).toBe('ERR_TRUNCATED')
  })

  it('names a missing file', async () => {
    const e = await errorOf(path.join(dir, 'does-not-exist.bam'))
    expect(e.code).toBe('ERR_SOURCE')
    expect(e.describe()).toContain('does-not-exist.bam')
  })
})
