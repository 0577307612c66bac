import { afterEach, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { blockSize } from '../../src/bgzf/block.js'
import { nativeAddonPath } from '../../src/bgzf/inflate-native.js'
import { openBam, openBamForRun, type OpenBam } from '../../src/engine/reader.js'
import { BamError } from '../../src/errors.js'

// The header is inflated with the run's inflater (the native addon when built,
// node:zlib with BAMSTREAM_INFLATE=zlib): both must read the same header and
// fail with the same error on a damaged one.

const FIXTURE = 'test/fixtures/htslib/htslib_test_ce_1000.bam'
const saved = process.env.BAMSTREAM_INFLATE
afterEach(() => {
  if (saved === undefined) delete process.env.BAMSTREAM_INFLATE
  else process.env.BAMSTREAM_INFLATE = saved
})

type Opener = typeof openBam
const INFLATERS = nativeAddonPath() === null ? ['zlib'] : ['native', 'zlib']

async function opened(open: Opener, file: string, inflater: string): Promise<unknown> {
  process.env.BAMSTREAM_INFLATE = inflater
  let bam: OpenBam
  try {
    bam = await open(file, undefined, undefined, () => {})
  } catch (e) {
    if (!(e instanceof BamError)) throw e
    return { code: e.code, message: e.message, offset: e.offset, source: e.source }
  }
  bam.source.close()
  return { header: bam.header, recordsCoffset: bam.recordsCoffset, first: bam.first && { start: bam.first.start, coffset: bam.first.block.coffset } }
}

/** A copy of the fixture with one byte of its first block's deflate data (or CRC32) changed. */
function damaged(at: 'data' | 'crc'): string {
  const bytes = fs.readFileSync(FIXTURE)
  const size = blockSize(bytes, 0, 0)
  const i = at === 'crc' ? size - 8 : Math.floor(size / 2)
  bytes[i]! ^= 0x5a
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'reader-')), `${at}.bam`)
  fs.writeFileSync(file, bytes)
  return file
}

describe.each([['openBam', openBam], ['openBamForRun', openBamForRun]] as const)('%s', (_name, open) => {
  it('reads the same header through every inflater', async () => {
    const all = []
    for (const i of INFLATERS) all.push(await opened(open, FIXTURE, i)) // one at a time: each reads BAMSTREAM_INFLATE
    for (const o of all) expect(o).toEqual(all[0])
    expect((all[0] as { header: { references: unknown[] } }).header.references.length).toBeGreaterThan(0)
  })

  it.each(['data', 'crc'] as const)('fails the same way on a header block with damaged %s', async (at) => {
    const file = damaged(at)
    const all = []
    for (const i of INFLATERS) all.push(await opened(open, file, i))
    for (const o of all) expect(o).toEqual(all[0])
    expect(all[0]).toMatchObject({ code: expect.stringMatching(/^ERR_/), offset: 0 })
  })
})
