import fs from 'node:fs'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import type { Reference } from '../../src/bam/header.js'
import { NO_SCAN_FILTER, SCAN_FLAGSTAT, nativeScan, nativeScanKernel } from '../../src/bam/scan.js'
import { loadAddon } from '../../src/bgzf/native.js'
import { BamError } from '../../src/errors.js'
import { countOp } from '../../src/ops/count.js'
import { flagstatOp } from '../../src/ops/flagstat.js'
import { opDriver } from '../../src/ops/lifecycle.js'
import type { AnyOp } from '../../src/ops/op.js'
import { FUZZ_RUN, fuzzCase, readBaseBam } from '../support/fuzz-bam.js'
import { fastMode } from '../helpers/corpus.js'

// The native flagstat/count walk (native/scan.c) against the JavaScript one
// (walkRecords + validate.ts + the ops' record): the same partials, records,
// ends, and the same errors (code, message, offset), on the corpus, on
// aligner-made records, on hand-built bad records and on the fuzz cases.

const BUILT = typeof loadAddon()?.scanRecords === 'function'
const saved = process.env.BAMSTREAM_SCAN
afterEach(() => {
  if (saved === undefined) delete process.env.BAMSTREAM_SCAN
  else process.env.BAMSTREAM_SCAN = saved
})

/** The count filters compared: none, samtools' usual ones, and every flag filter at once. */
const COUNT_OPTIONS = [
  {}, { excludedFlags: 0x904 }, { minMapq: 20 }, { requiredFlags: 0x1, excludedFlags: 0x400, minMapq: 1 },
  { requiredFlags: 0x41, excludedAllFlags: 0xc, anyFlags: 0x12, minMapq: 255 },
]
const OPS: [AnyOp, Record<string, unknown>][] = [[flagstatOp, {}], ...COUNT_OPTIONS.map((o): [AnyOp, Record<string, unknown>] => [countOp, o])]
/** A file offset for each walked offset, so that errors' offsets are compared too. */
const where = (u: number): number => 1_000_000 + u

/** Everything a walk gives: the WalkEnd and finished result, or the error's code, message and offset. */
function outcome(kernel: 'js' | 'native', op: AnyOp, options: Record<string, unknown>, data: Uint8Array, start: number, nRef: number): unknown {
  process.env.BAMSTREAM_SCAN = kernel
  const references: Reference[] = Array.from({ length: nRef }, (_, i) => ({ name: `r${i}`, length: 1000 }))
  const drive = opDriver(op, { references, headerText: '', options })
  const p = drive.fresh()
  try {
    const walked = drive.walk(p, data, start, where)
    return { walked, result: drive.finish(drive.merge(drive.fresh(), drive.sealed(p))) }
  } catch (e) {
    return e instanceof BamError ? { code: e.code, message: e.message, offset: e.offset } : e
  }
}

/** Asserts both kernels give the same outcome for every op and filter; returns the flagstat one. */
function same(data: Uint8Array, start: number, nRef: number, label: string): unknown {
  let first: unknown
  for (const [op, options] of OPS) {
    const js = outcome('js', op, options, data, start, nRef)
    expect(outcome('native', op, options, data, start, nRef), `${label} ${op.name} ${JSON.stringify(options)}`).toEqual(js)
    first ??= js
  }
  return first
}

/** The records of a BAM's inflated data: offset of the first, and n_ref. */
function layout(data: Uint8Array): { first: number, nRef: number } {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  let p = 8 + view.getInt32(4, true)
  const nRef = view.getInt32(p, true)
  p += 4
  for (let i = 0; i < nRef; i++) p += 8 + view.getInt32(p, true)
  return { first: p, nRef }
}

function bamFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const file = path.join(dir, e.name)
    return e.isDirectory() ? bamFiles(file) : e.name.endsWith('.bam') ? [file] : []
  })
}

/** Inflated BGZF bytes, or null when zlib does not read them whole. */
function inflated(bgzf: Uint8Array): Uint8Array | null {
  try {
    return new Uint8Array(gunzipSync(bgzf))
  } catch {
    return null
  }
}

/** Walks from the first record, from guessed starts inside the records, and over a cut-off prefix. */
function compareAt(data: Uint8Array, label: string): void {
  if (data.length < 12 || String.fromCharCode(...data.subarray(0, 4)) !== 'BAM\x01') return
  const { first, nRef } = (() => { try { return layout(data) } catch { return { first: -1, nRef: 0 } } })()
  if (first < 0 || first > data.length || nRef < 0 || nRef > 1e6) return
  const span = data.length - first
  for (const start of [first, first + 1, first + (span >> 2), first + (span >> 1) + 3]) {
    if (start <= data.length) same(data, start, nRef, `${label} from ${start}`)
  }
  same(data.subarray(0, first + Math.floor(span * 0.6)), first, nRef, `${label} cut`)
}

describe.skipIf(!BUILT)('native scan kernel (native/scan.c) vs JavaScript', () => {
  it('is in use unless BAMSTREAM_SCAN=js, and refuses an unknown name', () => {
    process.env.BAMSTREAM_SCAN = 'native'
    expect(nativeScanKernel()).not.toBeNull()
    process.env.BAMSTREAM_SCAN = 'js'
    expect(nativeScanKernel()).toBeNull()
    process.env.BAMSTREAM_SCAN = 'fast'
    expect(() => nativeScanKernel()).toThrow(/unknown scan kernel "fast"/)
  })

  it('leaves count with expressions, regions, subsampling or non-int32 filters to JavaScript', () => {
    process.env.BAMSTREAM_SCAN = 'native'
    const stop = { at: -1, records: -1 }
    const ctx = (options: Record<string, unknown>) => ({ references: [], headerText: '', options })
    for (const options of [{ expression: 'mapq > 5' }, { subsample: { fraction: 0.5, seed: 0 } }, { minMapq: 1.5 }, { excludedFlags: 2 ** 32 }]) {
      expect(countOp.scan!([0], new Uint8Array(0), 0, ctx(options), stop), JSON.stringify(options)).toBe(false)
    }
    expect(stop).toEqual({ at: -1, records: -1 })
    expect(countOp.scan!([0], new Uint8Array(0), 0, ctx({ excludedFlags: 4, minMapq: 0 }), stop)).toBe(true)
    expect(stop).toEqual({ at: 0, records: 0 })
  })

  it('gives identical results and errors on every BAM of test/fixtures', () => {
    const files = bamFiles(path.resolve(import.meta.dirname, '../fixtures'))
    expect(files.length).toBeGreaterThan(50)
    let compared = 0
    for (const file of files) {
      const data = inflated(fs.readFileSync(file))
      if (!data) continue
      compareAt(data, path.basename(file))
      compared++
    }
    expect(compared).toBeGreaterThan(50)
  })

  it('folds aligner-made records itself, stopping only at the cut-off tail', () => {
    const bam = readBaseBam(FUZZ_RUN.base, 1000)
    const records = bam.records.flatMap((r) => [...r])
    const data = new Uint8Array([...records, ...bam.records[0]!.subarray(0, 30)])
    const counters = new Float64Array(32)
    const stop = { at: 0, records: 0 }
    process.env.BAMSTREAM_SCAN = 'native'
    expect(nativeScan(SCAN_FLAGSTAT, data, 0, bam.nRef, NO_SCAN_FILTER, counters, stop)).toBe(true)
    expect(stop).toEqual({ at: records.length, records: bam.records.length })
    expect(counters[0]).toBe(bam.records.length)
    expect(same(data, 0, bam.nRef, 'ce_1000 records')).toMatchObject({ walked: { end: records.length, records: bam.records.length, invalidAt: -1 } })
  })

  it('leaves every record validate.ts refuses, and the CG case, to JavaScript: same error and offset', () => {
    const good = record({})
    const soft = (4 << 4) | 4 // 4S
    const cg = [0x43, 0x47, 0x42, 0x49, 2, 0, 0, 0, (2 << 4) | 0, 0, 0, 0, (2 << 4) | 1, 0, 0, 0] // CG:B:I,2M,2I
    const bad: [string, Uint8Array][] = [
      ['block_size < 32', patch(good, 0, 20)],
      ['block_size > cap', patch(good, 0, 0x20000001)],
      ['l_read_name 0', record({ lReadName: 0 })],
      ['l_seq < 0', patch(good, 20, -4)],
      ['sizes', record({ nCigarOp: 500 })],
      ['refID', record({ refID: 2 })],
      ['refID < -1', record({ refID: -2 })],
      ['next_refID', record({ nextRefID: 5 })],
      ['CIGAR qlen', record({ cigar: [(3 << 4) | 0] })],
      ['op code 9', record({ cigar: [(4 << 4) | 9] })],
      ['aux', record({ cigar: [soft, (8 << 4) | 3], aux: [0x58, 0x58, 0x3f, 1] })],
      ['CG ok', record({ cigar: [soft, (8 << 4) | 3], aux: cg })],
      ['CG bad', record({ cigar: [soft, (8 << 4) | 3], aux: [...cg.slice(0, 8), (3 << 4) | 0, 0, 0, 0, (2 << 4) | 1, 0, 0, 0] })],
      ['unplaced 4S8N', record({ cigar: [soft, (8 << 4) | 3], aux: [0x58, 0x58, 0x3f, 1], refID: -1 })],
      ['unmapped, qlen differs', record({ cigar: [(3 << 4) | 0], flag: 4 })],
    ]
    const outcomes = new Set<string>()
    for (const [label, rec] of bad) {
      const data = new Uint8Array([...good, ...good, ...rec, ...good])
      outcomes.add(JSON.stringify(same(data, 0, 2, label)))
      same(data.subarray(0, 2 * good.length + 36), 0, 2, `${label}, fixed fields only`) // cut off after its fixed fields
    }
    expect(outcomes.size).toBeGreaterThan(5)
  })

  it('gives the fuzz cases identical outcomes', () => {
    const base = readBaseBam(FUZZ_RUN.base, FUZZ_RUN.records)
    for (let i = 0; i < FUZZ_RUN.cases; i += fastMode() ? 3 : 1) { // every third case under test:fast
      const c = fuzzCase(base, FUZZ_RUN.seed, i)
      const data = inflated(c.bam)
      if (data) compareAt(data, `${c.name} (${c.detail})`)
    }
  })
})

/** `bytes` with the int32 at `at` set to `value`. */
function patch(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const copy = bytes.slice()
  new DataView(copy.buffer).setInt32(at, value, true)
  return copy
}

/** Fields of one record, SAMv1 §4.2 (as in validate.test.ts). */
interface Fields { refID?: number, flag?: number, cigar?: number[], nextRefID?: number, aux?: number[], lReadName?: number, nCigarOp?: number }

/** Encodes a record: block_size, the 32 fixed bytes, name, CIGAR, 4-bit SEQ (4 bases), QUAL, aux. */
function record(f: Fields): Uint8Array {
  const name = 'r1\0'
  const cigar = f.cigar ?? [(4 << 4) | 0] // 4M
  const lSeq = 4
  const aux = f.aux ?? []
  const size = 32 + name.length + 4 * cigar.length + ((lSeq + 1) >> 1) + lSeq + aux.length
  const bytes = new Uint8Array(4 + size)
  const v = new DataView(bytes.buffer)
  v.setInt32(0, size, true) //                            block_size
  v.setInt32(4, f.refID ?? 0, true) //                    refID
  v.setInt32(8, 10, true) //                              pos
  bytes[12] = f.lReadName ?? name.length //               l_read_name
  bytes[13] = 60 //                                       mapq
  v.setUint16(16, f.nCigarOp ?? cigar.length, true) //    n_cigar_op
  v.setUint16(18, f.flag ?? 0x63, true) //                flag
  v.setInt32(20, lSeq, true) //                           l_seq
  v.setInt32(24, f.nextRefID ?? 1, true) //               next_refID
  v.setInt32(28, 20, true) //                             next_pos
  let p = 36
  for (const c of name) bytes[p++] = c.charCodeAt(0)
  for (const op of cigar) { v.setUint32(p, op, true); p += 4 }
  bytes.set(aux, p + ((lSeq + 1) >> 1) + lSeq)
  return bytes
}
