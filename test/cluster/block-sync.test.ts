import fs from 'node:fs'
import { describe, expect, it } from 'vitest'
import { syncToBlock, SYNC_CHAIN, type ReadAt } from '../../src/cluster/block-sync.js'
import { scanBlocks } from '../../src/bgzf/scanner.js'
import { corpusBam } from '../helpers/corpus.js'

function reader(bytes: Uint8Array): ReadAt {
  return async (offset, length) => bytes.subarray(offset, Math.min(bytes.length, offset + length))
}

async function blockStarts(bytes: Uint8Array): Promise<number[]> {
  const starts: number[] = []
  for await (const b of scanBlocks((async function* () { yield bytes })())) starts.push(b.coffset)
  return starts
}

describe('syncToBlock', () => {
  it('finds the first block at or after any offset of a real BAM', async () => {
    const bytes = new Uint8Array(fs.readFileSync(corpusBam('htslib_test_ce_large_seq')))
    const starts = await blockStarts(bytes)
    for (let from = 0; from < bytes.length; from += 997) {
      const want = starts.find((s) => s >= from) ?? bytes.length
      expect(await syncToBlock(reader(bytes), from, bytes.length, bytes.length)).toBe(want)
    }
  })

  it('returns the limit when no block starts before it (a split with no block start)', async () => {
    const bytes = new Uint8Array(fs.readFileSync(corpusBam('htslib_test_ce_1000')))
    const starts = await blockStarts(bytes)
    const gapStart = starts[1]! + 10
    expect(await syncToBlock(reader(bytes), gapStart, gapStart + 100, bytes.length)).toBe(gapStart + 100)
  })

  it('skips bytes that look like a block header but are not followed by a chain of blocks', async () => {
    const real = new Uint8Array(fs.readFileSync(corpusBam('htslib_test_ce_1000')))
    const starts = await blockStarts(real)
    // a fake header (gzip magic, FEXTRA, BC subfield) whose BSIZE points into garbage, just before a real block
    const fake = Uint8Array.from([0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0, 0xff, 6, 0, 0x42, 0x43, 2, 0, 40, 0])
    const bytes = new Uint8Array(real.length + 200)
    bytes.set(real.subarray(0, starts[1]!))
    bytes.set(fake, starts[1]! + 50)
    bytes.set(real.subarray(starts[1]!), starts[1]! + 200)
    const found = await syncToBlock(reader(bytes), starts[1]! + 1, bytes.length, bytes.length)
    expect(found).toBe(starts[1]! + 200)
    expect(SYNC_CHAIN).toBeGreaterThanOrEqual(2)
  })

  it('accepts a block followed directly by the end of the file (the EOF block)', async () => {
    const bytes = new Uint8Array(fs.readFileSync(corpusBam('htslib_test_ce_1000')))
    expect(await syncToBlock(reader(bytes), bytes.length - 28, bytes.length, bytes.length)).toBe(bytes.length - 28)
  })
})
