import fs from 'node:fs'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Piscina } from 'piscina'
import { count, flagstat } from '../../src/engine/api.js'
import { usePoolAndDir } from '../helpers/setup.js'
import type { InternalRunOptions } from '../../src/engine/run.js'
import { view } from '../../src/engine/view.js'
import { writeSyntheticBam } from '../../bench/synthetic/synthetic.js'
import { formatFlagstat } from '../../src/ops/flagstat.js'
import { Collector } from '../helpers/collect.js'
import { blockStarts } from '../helpers/bgzf-blocks.js'
import { corpusBam, corpusNames, expected, hasCommand } from '../helpers/corpus.js'
import { encodeRecord } from '../../bench/synthetic/record-encoder.js'
import { encodeHeader } from '../../src/bam/encoder.js'
import { RecordView } from '../../src/bam/record.js'
import { SamWriter } from '../../src/bam/sam.js'
import { nativeAddonPath } from '../../src/bgzf/native.js'
import { bgzfCompress } from '../../src/bgzf/writer.js'
import { joinBytes } from '../../src/bytes.js'
import type { BamError } from '../../src/errors.js'
import { opDriver } from '../../src/ops/lifecycle.js'
import { viewOp } from '../../src/ops/view.js'

let pool: Piscina
let dir: string
usePoolAndDir('view', (p, d) => { pool = p; dir = d })

async function sam(file: string, options: Parameters<typeof view>[1] extends infer O ? Omit<O, 'output'> : never): Promise<string> {
  const out = new Collector()
  await view(file, { ...options, output: out, pool })
  return out.text
}

describe('SAM output against samtools view --no-PG -h (corpus)', () => {
  it.each(corpusNames())('%s', async (name) => {
    const want = expected(name, 'sam')
    expect(await sam(corpusBam(name), { header: 'include' })).toBe(want)
    expect(await sam(corpusBam(name), { header: 'include', chunkBytes: 1 })).toBe(want)
    const misalign: InternalRunOptions = { guessHook: 'misalign' } // every guess wrong: the stitcher must redo them all
    expect(await sam(corpusBam(name), { header: 'include', chunkBytes: 1, ...misalign })).toBe(want)
  })
})

describe('header options', () => {
  it('-H prints the header only, and no header by default', async () => {
    const name = 'htslib_test_ce_1000'
    const want = expected(name, 'sam')
    const headerEnd = want.split('\n').findIndex((l) => !l.startsWith('@'))
    const header = want.split('\n').slice(0, headerEnd).join('\n') + '\n'
    expect(await sam(corpusBam(name), { header: 'only' })).toBe(header)
    expect(await sam(corpusBam(name), {})).toBe(want.slice(header.length))
  })
})

describe('BAM output', () => {
  it.each(['htslib_test_ce_1000', 'htslib_test_xx_large_aux', 'htslib_test_ce_large_seq', 'htslib_test_auxf_values'])('%s round-trips through -b', async (name) => {
    const out = path.join(dir, `${name}.out.bam`)
    await view(corpusBam(name), { output: out, format: 'bam', pool, chunkBytes: 1 })
    const back = new Collector()
    await view(out, { output: back, header: 'include', pool })
    expect(back.text).toBe(expected(name, 'sam'))
    expect(formatFlagstat(await flagstat(out, { pool }))).toBe(expected(name, 'flagstat.txt'))
    if (hasCommand('samtools')) execFileSync('samtools', ['quickcheck', out])
  })

  it('a failed run leaves no output file', async () => {
    const cut = path.join(dir, 'cut.bam')
    const bytes = fs.readFileSync(corpusBam('htslib_test_ce_1000'))
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 5000))
    const out = path.join(dir, 'never.sam')
    await expect(view(cut, { output: out, pool })).rejects.toMatchObject({ code: 'ERR_TRUNCATED' })
    expect(fs.existsSync(out)).toBe(false)
    expect(fs.readdirSync(dir).filter((f) => f.includes('never.sam'))).toEqual([])
  })

  it('an unwritable output is a clear error', async () => {
    await expect(view(corpusBam('htslib_test_ce_1000'), { output: path.join(dir, 'no-such-dir', 'x.sam'), pool }))
      .rejects.toMatchObject({ code: 'ERR_OUTPUT' })
  })
})

describe('SAM formatted a chunk at a time into recycled buffers', () => {
  it.each(['htslib_test_ce_1000', 'htslib_test_xx_large_aux', 'htslib_test_auxf_values'])('%s to a file and to a file stream, one block per chunk', async (name) => {
    const want = expected(name, 'sam')
    const out = path.join(dir, `${name}.out.sam`)
    await view(corpusBam(name), { output: out, header: 'include', pool, chunkBytes: 1 })
    expect(fs.readFileSync(out, 'latin1')).toBe(want)
    const streamed = path.join(dir, `${name}.stream.sam`)
    const stream = fs.createWriteStream(streamed)
    await view(corpusBam(name), { output: stream, header: 'include', pool, chunkBytes: 1 })
    await new Promise((resolve) => stream.end(resolve))
    expect(fs.readFileSync(streamed, 'latin1')).toBe(want)
  })

  /** 3000 records with an `XA:A:x` tag; record 1500's tag type is made unknown, which samtools refuses when printing it. */
  function corruptAuxBam(): { file: string, data: Uint8Array, offsets: number[], bad: number } {
    const records = Array.from({ length: 3000 }, (_, i) => encodeRecord({
      name: `r${i}`, flag: 0, refID: 0, pos: i, mapq: 30, cigar: '4M', nextRefID: -1, nextPos: -1, tlen: 0, seq: 'ACGT', qual: null,
      tags: Uint8Array.from(Buffer.from('XAAx', 'latin1')),
    }))
    const bad = 1500
    records[bad]![records[bad]!.length - 2] = 'q'.charCodeAt(0) // the aux type byte (SAMv1 §4.2.4: tag, type, value)
    const header = encodeHeader('@SQ\tSN:chr1\tLN:100000\n', [{ name: 'chr1', length: 100_000 }])
    const data = joinBytes([header, ...records])
    const offsets = records.map((_, i) => header.length + records.slice(0, i).reduce((n, r) => n + r.length, 0))
    const file = path.join(dir, 'corrupt-aux.bam')
    fs.writeFileSync(file, bgzfCompress(data))
    return { file, data, offsets, bad }
  }

  it('a record samtools refuses fails at its own offset, though it is formatted with its chunk in one call', async () => {
    const { file, data, offsets, bad } = corruptAuxBam()
    const js = new SamWriter(['chr1'], 'js')
    const message = (() => { try { js.append(new RecordView(data).moveTo(offsets[bad]!)) } catch (e) { return (e as Error).message } return '' })()
    expect(message).toMatch(/aux/)
    const formatters = nativeAddonPath() ? ['js', 'native'] : ['js']
    const saved = process.env.BAMSTREAM_SAM
    try {
      for (const formatter of formatters) { // on this thread: the walk reports the failing record's offset
        process.env.BAMSTREAM_SAM = formatter
        const drive = opDriver(viewOp, { references: [{ name: 'chr1', length: 100_000 }], headerText: '', options: {} })
        const e = (() => { try { drive.walk(drive.fresh(), data, offsets[0]!, (u) => 10_000_000 + u) } catch (err) { return err } return undefined })() as BamError
        expect([e.code, e.message, e.offset], formatter).toEqual(['ERR_BAD_RECORD', message, 10_000_000 + offsets[bad]!])
      }
    } finally {
      if (saved === undefined) delete process.env.BAMSTREAM_SAM
      else process.env.BAMSTREAM_SAM = saved
    }
    const blocks = blockStarts(file)
    const blockOfBad = blocks.filter(([u]) => u <= offsets[bad]!).at(-1)![1]
    for (const options of [{}, { chunkBytes: 1 }, { chunkBytes: 1, guessHook: 'misalign' } as InternalRunOptions]) { // exact, guessed, guessed wrong
      const e = await view(file, { output: new Collector(), pool, ...options }).catch((x: unknown) => x) as BamError
      expect([e.code, e.message, e.offset]).toEqual(['ERR_BAD_RECORD', message, blockOfBad])
    }
  })
})

describe.runIf(hasCommand('samtools'))('live against samtools on a generated file', () => {
  let file: string
  beforeAll(async () => {
    file = path.join(dir, 'synthetic.bam')
    await writeSyntheticBam(file, { seed: 7, count: 20_000, blockSize: 20_000 })
    execFileSync('samtools', ['index', file])
  })
  const run = (args: string[]): string => execFileSync('samtools', args, { encoding: 'latin1', maxBuffer: 1 << 30 })

  it('SAM with filters equals samtools view --no-PG', async () => {
    for (const [f, F, q] of [[0, 0, 0], [2, 0, 0], [0, 0x904, 0], [1, 0x10, 30]] as const) {
      const want = run(['view', '--no-PG', '-h', '-f', `${f}`, '-F', `${F}`, '-q', `${q}`, file])
      expect(await sam(file, { header: 'include', requiredFlags: f, excludedFlags: F, minMapq: q, chunkBytes: 100_000 })).toBe(want)
      expect(await count(file, { requiredFlags: f, excludedFlags: F, minMapq: q, pool })).toBe(Number(run(['view', '-c', '-f', `${f}`, '-F', `${F}`, '-q', `${q}`, file])))
    }
  })

  it('regions equal samtools with an index', async () => {
    const ref = run(['view', file]).split('\n')[500]!.split('\t')
    const pos = Number(ref[3])
    for (const region of [`${ref[2]}`, `${ref[2]}:${pos}-${pos + 3000}`, `${ref[2]}:${pos + 10}`, `${ref[2]}:1-1`]) {
      expect(await sam(file, { region }), region).toBe(run(['view', '--no-PG', file, region]))
    }
  })

  it('BAM output read by samtools equals samtools view of the input with the same filters', async () => {
    const out = path.join(dir, 'filtered.bam')
    await view(file, { output: out, format: 'bam', excludedFlags: 4, minMapq: 20, pool })
    run(['quickcheck', out])
    expect(run(['view', out])).toBe(run(['view', '-F', '4', '-q', '20', file]))
  })
})
