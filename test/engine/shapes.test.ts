import fs from 'node:fs'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import type { Piscina } from 'piscina'
import { count, flagstat } from '../../src/engine/api.js'
import { run } from '../../src/engine/run.js'
import { usePoolAndDir } from '../helpers/setup.js'
import type { StitchStats } from '../../src/engine/stitcher.js'
import { encodeHeader } from '../../src/bam/encoder.js'
import { encodeRecord, type RecordSpec } from '../../bench/synthetic/record-encoder.js'
import { BgzfWriter } from '../../src/bgzf/writer.js'
import { formatFlagstat } from '../../src/ops/flagstat.js'
import { hasCommand } from '../helpers/corpus.js'

// Unusual but valid shapes: records longer than a chunk, a header spanning many
// blocks, a BAM with no records, and zero-length BGZF blocks between records.
let pool: Piscina
let dir: string
usePoolAndDir('shapes', (p, d) => { pool = p; dir = d })

const REFS = [{ name: 'chr1', length: 10_000_000 }, { name: 'chr2', length: 5_000_000 }]

function read(name: string, pos: number, length: number, flag = 0): RecordSpec {
  const bases = 'ACGT'
  let seq = ''
  for (let i = 0; i < length; i++) seq += bases[(i * 7 + pos) % 4]
  return {
    name, flag, refID: 0, pos, mapq: 60, cigar: `${length}M`, nextRefID: -1, nextPos: -1, tlen: 0,
    seq, qual: new Uint8Array(length).fill(30),
  }
}

/** Writes a BAM: header, then records; `between(i)` may add empty blocks or flushes after record i. */
function writeBam(name: string, text: string, refs: typeof REFS, records: RecordSpec[], between?: (w: BgzfWriter, i: number) => Uint8Array[]): string {
  const w = new BgzfWriter({ blockSize: 4096 })
  const parts: Uint8Array[] = [...w.write(encodeHeader(text, refs))]
  records.forEach((r, i) => {
    parts.push(...w.write(encodeRecord(r)))
    if (between) parts.push(...between(w, i))
  })
  parts.push(w.end())
  const file = path.join(dir, name)
  fs.writeFileSync(file, Buffer.concat(parts))
  return file
}

async function stats(file: string, chunkBytes: number): Promise<StitchStats> {
  let s: StitchStats | undefined
  await run(file, 'count', {}, { pool, chunkBytes, onStats: (x) => { s = x } })
  return s!
}

describe('records longer than a chunk', () => {
  it('counts a 1 Mbp read that spans hundreds of blocks and many chunks exactly', async () => {
    const records = [read('short1', 100, 150), read('long', 200, 1_000_000), read('short2', 300, 150, 16)]
    const file = writeBam('long.bam', '@HD\tVN:1.6\tSO:coordinate\n', REFS, records)
    for (const chunkBytes of [1, 64 * 1024, 300_000, undefined]) {
      expect(await count(file, { pool, chunkBytes })).toBe(3)
      expect((await flagstat(file, { pool, chunkBytes })).passed.mapped).toBe(3)
    }
    const s = await stats(file, 64 * 1024)
    expect(s.chunks).toBeGreaterThan(20)
    expect(s.records).toBe(3)
    if (hasCommand('samtools')) {
      expect(execFileSync('samtools', ['view', '-c', file], { encoding: 'utf8' }).trim()).toBe('3')
    }
  })
})

describe('header spanning many blocks', () => {
  it('reads 30 000 references and the records after them', async () => {
    const refs = Array.from({ length: 30_000 }, (_, i) => ({ name: `contig_${i}_with_a_long_name`, length: 1000 + i }))
    const text = `@HD\tVN:1.6\n${refs.map((r) => `@SQ\tSN:${r.name}\tLN:${r.length}\n`).join('')}`
    const records = Array.from({ length: 500 }, (_, i) => ({ ...read(`r${i}`, i, 100), refID: i % 30_000 }))
    const file = writeBam('many-refs.bam', text, refs, records)
    expect(fs.statSync(file).size).toBeGreaterThan(200_000)
    for (const chunkBytes of [1, undefined]) expect(await count(file, { pool, chunkBytes })).toBe(500)
    if (hasCommand('samtools')) {
      const want = execFileSync('samtools', ['flagstat', file], { encoding: 'utf8' })
      expect(formatFlagstat(await flagstat(file, { pool }))).toBe(want)
    }
  })
})

describe('empty and sparse files', () => {
  it('an empty BAM (header only) has zero records', async () => {
    const file = writeBam('empty.bam', '@HD\tVN:1.6\n', REFS, [])
    expect(await count(file, { pool })).toBe(0)
    const text = formatFlagstat(await flagstat(file, { pool }))
    expect(text.split('\n')[0]).toBe('0 + 0 in total (QC-passed reads + QC-failed reads)')
    if (hasCommand('samtools')) expect(text).toBe(execFileSync('samtools', ['flagstat', file], { encoding: 'utf8' }))
  })

  it('zero-length BGZF blocks between records change nothing', async () => {
    const records = Array.from({ length: 300 }, (_, i) => read(`r${i}`, i * 10, 120, i % 3 === 0 ? 0x400 : 0))
    const file = writeBam('empty-blocks.bam', '@HD\tVN:1.6\n', REFS, records, (w, i) => (i % 7 === 0 ? [...w.flush(), ...w.emptyBlock()] : []))
    for (const chunkBytes of [1, 5000, undefined]) {
      expect(await count(file, { pool, chunkBytes })).toBe(300)
      expect((await flagstat(file, { pool, chunkBytes })).passed.duplicates).toBe(100)
    }
    if (hasCommand('samtools')) expect(execFileSync('samtools', ['view', '-c', file], { encoding: 'utf8' }).trim()).toBe('300')
  })
})
