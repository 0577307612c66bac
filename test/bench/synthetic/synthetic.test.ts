import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { FDUP, FMREVERSE, FMUNMAP, FPAIRED, FPROPER_PAIR, FQCFAIL, FREAD1, FREAD2, FREVERSE, FSECONDARY, FSUPPLEMENTARY, FUNMAP } from '../../../src/bam/flags.js'
import { RecordView, latin1 } from '../../../src/bam/record.js'
import { syntheticRecords, writeSyntheticBam, type SyntheticOptions } from '../../../bench/synthetic/synthetic.js'
import { blockIsize, blockSize, isEofBlock } from '../../../src/bgzf/block.js'
import { BamError } from '../../../src/errors.js'
import { hasCommand } from '../../helpers/corpus.js'
import { readBam, records } from '../../helpers/read-bam.js'

const SAMTOOLS = hasCommand('samtools')
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'bamstream-synthetic-'))
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }))

async function collect(opts: SyntheticOptions): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  for await (const rec of syntheticRecords(opts)) out.push(rec)
  return out
}

/** Test-only aux reader for the types the generator writes (SAMv1 §4.2.4): i, Z, f, B:s. */
function tags(rec: RecordView): Map<string, string | number | number[]> {
  const m = new Map<string, string | number | number[]>()
  const { bytes, view } = rec
  for (let p = rec.auxOffset; p < rec.end;) {
    const tag = latin1(bytes, p, p + 2)
    const type = String.fromCharCode(bytes[p + 2]!)
    p += 3
    if (type === 'i') { m.set(tag, view.getInt32(p, true)); p += 4 } else if (type === 'f') { m.set(tag, view.getFloat32(p, true)); p += 4 } else if (type === 'Z') {
      const end = bytes.indexOf(0, p)
      m.set(tag, latin1(bytes, p, end))
      p = end + 1
    } else if (type === 'B' && bytes[p] === 's'.charCodeAt(0)) {
      const n = view.getInt32(p + 1, true)
      m.set(tag, Array.from({ length: n }, (_, i) => view.getInt16(p + 5 + 2 * i, true)))
      p += 5 + 2 * n
    } else throw new Error(`unexpected aux type ${type}`)
  }
  return m
}

/** NM implied by MD (mismatches and deleted bases) and the CIGAR's insertions. */
function nmFromMdAndCigar(md: string, cigar: string): number {
  const mismatches = md.replace(/\^[A-Z]+/g, '').replace(/[0-9]/g, '').length
  const deleted = [...md.matchAll(/\^([A-Z]+)/g)].reduce((n, m) => n + m[1]!.length, 0)
  const inserted = [...cigar.matchAll(/(\d+)I/g)].reduce((n, m) => n + Number(m[1]), 0)
  return mismatches + deleted + inserted
}

describe('syntheticRecords', () => {
  it('is deterministic for a seed and differs between seeds', async () => {
    const hash = async (seed: number): Promise<string> => {
      const h = createHash('sha256')
      for (const r of await collect({ seed, count: 500 })) h.update(r)
      return h.digest('hex')
    }
    expect(await hash(7)).toBe(await hash(7))
    expect(await hash(7)).not.toBe(await hash(8))
  })

  it('yields exactly count records: mapped in coordinate order, unmapped at the end, with consistent MD/NM', async () => {
    const recs = await collect({ seed: 1, count: 3000, unmappedTailFraction: 0.05, longReadEvery: 300 })
    expect(recs.length).toBe(3000)
    let lastKey = -1
    let unmapped = 0
    let flags = 0
    const seen = { lowMapq: 0, otherChr: 0, long: 0, ops: new Set<string>(), lengths: new Set<number>(), bArray: 0, float: 0 }
    for (const bytes of recs) {
      const rec = new RecordView(bytes)
      expect(rec.byteLength).toBe(bytes.length)
      flags |= rec.flag
      if (rec.refID < 0) { unmapped++; expect([rec.pos, rec.bin, rec.nCigarOp]).toEqual([-1, 4680, 0]); continue }
      expect(unmapped).toBe(0) // no mapped record after the first unplaced one
      const key = rec.refID * 2 ** 31 + rec.pos
      expect(key).toBeGreaterThanOrEqual(lastKey)
      lastKey = key
      seen.lengths.add(rec.lSeq)
      if (rec.lSeq >= 2000) seen.long++
      if (rec.mapq < 5) seen.lowMapq++
      if (rec.nextRefID >= 0 && rec.nextRefID !== rec.refID) seen.otherChr++
      const t = tags(rec)
      expect(t.get('RG')).toMatch(/^rg[12]$/)
      if (t.has('ZB')) seen.bArray++
      if (t.has('XF')) seen.float++
      if (rec.flag & FUNMAP) continue // a mate placed at its mapped mate's position
      for (const op of rec.cigar.replace(/\d+/g, '')) seen.ops.add(op)
      expect(t.get('NM')).toBe(nmFromMdAndCigar(t.get('MD') as string, rec.cigar))
      expect((t.get('MD') as string)).toMatch(/^[0-9]+(([A-Z]|\^[A-Z]+)[0-9]+)*$/)
    }
    expect(unmapped).toBe(150)
    const all = FPAIRED | FPROPER_PAIR | FUNMAP | FMUNMAP | FREVERSE | FMREVERSE | FREAD1 | FREAD2 | FSECONDARY | FQCFAIL | FDUP | FSUPPLEMENTARY
    expect(flags).toBe(all)
    expect([...seen.ops].sort().join('')).toBe('DHIMNS')
    expect(seen.lengths.size).toBeGreaterThan(40)
    expect(Math.min(seen.lowMapq, seen.otherChr, seen.long, seen.bArray, seen.float)).toBeGreaterThan(0)
  })

  it('stops near targetBytes of uncompressed records', async () => {
    const recs = await collect({ seed: 2, targetBytes: 200_000 })
    const total = recs.reduce((n, r) => n + r.length, 0)
    expect(total).toBeGreaterThanOrEqual(200_000)
    expect(total).toBeLessThan(220_000) // the last mates and the unmapped tail may run a little over
  })

  it('rejects bad options with ERR_OPTION', async () => {
    for (const bad of [{ seed: 1.5 }, { seed: 1, readLength: [0, 5] as const }, { seed: 1, nRefs: 0 }, { seed: 1, count: -1 },
      { seed: 1, pairedFraction: 2 }, { seed: 1, longReadLength: [10, 60_000] as const }]) {
      const err = await collect(bad).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(BamError)
      expect((err as BamError).code).toBe('ERR_OPTION')
    }
  })
})

describe('writeSyntheticBam', () => {
  const file = path.join(TMP, 'small-blocks.bam')
  let written = { bytes: 0, records: 0 }

  it('streams a BAM with a full header, small blocks and the EOF block', async () => {
    written = await writeSyntheticBam(file, { seed: 3, count: 4000, nRefs: 40, blockSize: 4096, level: 1 })
    expect(written.records).toBe(4000)
    const raw = fs.readFileSync(file)
    expect(raw.length).toBe(written.bytes)
    let blocks = 0
    let p = 0
    for (let size = 0; p < raw.length; p += size, blocks++) {
      size = blockSize(raw, p, p)
      expect(blockIsize(raw, p, size)).toBeLessThanOrEqual(4096)
    }
    expect(blocks).toBeGreaterThan(100)
    expect(isEofBlock(raw, raw.length - 28, 28)).toBe(true)
    const bam = readBam(file)
    expect(bam.text).toMatch(/^@HD\tVN:1\.6\tSO:coordinate\n@SQ\tSN:chr1\tLN:\d+\n/)
    expect(bam.text).toMatch(/\n@RG\tID:rg1\t[^\n]*\n[^]*@PG\tID:bamstream-synthetic\t/)
    expect(bam.refs.length).toBe(40)
    expect(bam.text.split('\n').filter((l) => l.startsWith('@SQ')).length).toBe(40)
    let n = 0
    for (const _ of records(bam)) n++
    expect(n).toBe(4000)
  })

  it.skipIf(!SAMTOOLS)('passes samtools quickcheck, view -c, index (sorted) and shows the encoded tags', () => {
    const run = (...args: string[]): string => {
      const r = spawnSync('samtools', args, { encoding: 'latin1', maxBuffer: 1 << 28 })
      expect(r.stderr).toBe('')
      expect(r.status).toBe(0)
      return r.stdout
    }
    run('quickcheck', file)
    expect(Number(run('view', '-c', file))).toBe(written.records)
    run('index', file) // fails on unsorted input
    const idx = run('idxstats', file).trim().split('\n').map((l) => l.split('\t'))
    expect(idx.reduce((n, f) => n + Number(f[2]) + Number(f[3]), 0)).toBe(written.records)
    const first = records(readBam(file)).next().value!
    const t = tags(first)
    const line = run('view', file).split('\n')[0]!.split('\t')
    expect(line[0]).toBe(first.name)
    expect(line.slice(11)).toEqual(expect.arrayContaining([`NM:i:${t.get('NM')}`, `MD:Z:${t.get('MD')}`, `RG:Z:${t.get('RG')}`]))
    expect(run('flagstat', file)).toMatch(/[1-9]\d* \+ 0 supplementary/)
  })

  it('keeps records within blocks with alignRecords', async () => {
    const aligned = path.join(TMP, 'aligned.bam')
    await writeSyntheticBam(aligned, { seed: 4, count: 1000, blockSize: 2000, alignRecords: true, level: 1 })
    const raw = fs.readFileSync(aligned)
    const starts = new Set<number>()
    for (let p = 0, u = 0, size = 0; p < raw.length; p += size) { size = blockSize(raw, p, p); starts.add(u); u += blockIsize(raw, p, size) }
    const bam = readBam(aligned)
    for (const rec of records(bam)) {
      if (rec.byteLength > 2000) continue
      const blockStart = [...starts].filter((s) => s <= rec.offset).at(-1)!
      expect(rec.end - blockStart).toBeLessThanOrEqual(2000) // no straddle
    }
  })

  it('stops at about targetFileBytes of compressed output', async () => {
    const sized = path.join(TMP, 'sized.bam')
    const { bytes, records: n } = await writeSyntheticBam(sized, { seed: 5, targetFileBytes: 300_000 })
    expect(fs.statSync(sized).size).toBe(bytes)
    expect(bytes).toBeGreaterThanOrEqual(300_000)
    expect(bytes).toBeLessThan(300_000 + 70_000)
    expect(n).toBeGreaterThan(1000)
  })

  it('reports an unwritable path as ERR_OUTPUT', async () => {
    const err = await writeSyntheticBam(path.join(TMP, 'no/such/dir/x.bam'), { seed: 1, count: 10 }).catch((e: unknown) => e)
    expect((err as BamError).code).toBe('ERR_OUTPUT')
  })
})
