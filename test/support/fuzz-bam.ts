/**
 * A seeded record-level BAM fuzzer: takes the records of a small base BAM,
 * damages one record per case (one of {@link MUTATION_KINDS}), and writes the
 * result as valid BGZF (correct CRCs, small blocks, EOF block), so that only
 * the BAM record layer is wrong. Cases are a pure function of (seed, index):
 * the test regenerates the bytes and only samtools' outcomes are committed
 * (`test/fixtures/fuzz/expectations.json`, written by `record-fuzz-expectations.ts`).
 *
 * @example
 * ```ts
 * const base = readBaseBam('test/fixtures/htslib/htslib_test_ce_1000.bam', 120)
 * const c = fuzzCase(base, 7, 0) // { kind: 'ref-id', record: 41, bam: Uint8Array, damagedOffset: 2841, ... }
 * ```
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import zlib from 'node:zlib'
import { headerLength } from '../../src/bam/header.js'
import { EOF_BLOCK } from '../../src/bgzf/block.js'

/** Record field offsets, SAMv1 §4.2 (relative to block_size). */
const REF_ID = 4, POS = 8, L_READ_NAME = 12, MAPQ = 13, N_CIGAR_OP = 16, FLAG = 18, L_SEQ = 20, NEXT_REF_ID = 24, TLEN = 32, READ_NAME = 36

/** How one record is damaged. */
export const MUTATION_KINDS = [
  'ref-id', 'next-ref-id', 'block-size-bit', 'block-size-small', 'l-read-name', 'n-cigar-op', 'l-seq-bit',
  'cigar-op-code', 'cigar-op-length', 'flag-bits', 'aux-byte', 'read-name-nul', 'pos', 'random-byte', 'fixed-bit', 'truncate',
] as const
/** One of {@link MUTATION_KINDS}. */
export type MutationKind = typeof MUTATION_KINDS[number]

/** The base file split into header bytes and record bytes. */
export interface BaseBam {
  header: Uint8Array
  records: Uint8Array[]
  nRef: number
}

/** One fuzzed file. */
export interface FuzzCase {
  /** `<seed>-<index>-<kind>`. */
  name: string
  kind: MutationKind
  /** Index of the damaged record. */
  record: number
  /** What was done, for messages. */
  detail: string
  /** The BAM file's bytes. */
  bam: Uint8Array
  /** File offset of the BGZF block where the damaged record starts. */
  damagedOffset: number
}

/** Uncompressed bytes per BGZF block: small, so that records straddle blocks and runs have many chunks. */
const BLOCK_DATA = 1500

/** Reads the first `maxRecords` records of a BAM (whole file inflated: meant for small files). */
export function readBaseBam(path: string, maxRecords: number): BaseBam {
  const data = new Uint8Array(zlib.gunzipSync(fs.readFileSync(path)))
  const hlen = headerLength(data)
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const records: Uint8Array[] = []
  for (let p = hlen; p < data.length && records.length < maxRecords; p += 4 + view.getInt32(p, true)) {
    records.push(data.slice(p, p + 4 + view.getInt32(p, true)))
  }
  const lText = view.getInt32(4, true)
  return { header: data.slice(0, hlen), records, nRef: view.getInt32(8 + lText, true) }
}

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * The case `index` of the run seeded with `seed`: kinds rotate with the index,
 * the record and the damage are drawn from the seeded PRNG.
 */
export function fuzzCase(base: BaseBam, seed: number, index: number): FuzzCase {
  const rnd = prng(seed * 100_003 + index)
  const int = (n: number): number => Math.floor(rnd() * n)
  const kind = MUTATION_KINDS[index % MUTATION_KINDS.length]!
  const recordIndex = int(base.records.length)
  const rec = base.records[recordIndex]!.slice()
  const view = new DataView(rec.buffer)
  const lName = rec[L_READ_NAME]!
  const nCigar = view.getUint16(N_CIGAR_OP, true)
  const cigarAt = READ_NAME + lName
  const lSeq = view.getInt32(L_SEQ, true)
  const auxAt = cigarAt + 4 * nCigar + ((lSeq + 1) >> 1) + lSeq
  let detail = ''
  let truncateAt = -1
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!
  switch (kind) {
    case 'ref-id':
    case 'next-ref-id': {
      const v = pick([-2, -3, -1000, base.nRef, base.nRef + 1, 0x7fffffff, -1, 0, base.nRef - 1])
      view.setInt32(kind === 'ref-id' ? REF_ID : NEXT_REF_ID, v, true)
      detail = `${kind} = ${v}`
      break
    }
    case 'block-size-bit': {
      const bit = int(31)
      view.setInt32(0, view.getInt32(0, true) ^ (1 << bit), true)
      detail = `block_size bit ${bit}`
      break
    }
    case 'block-size-small': {
      const v = pick([0, 1, 31, 32, -1, view.getInt32(0, true) - 1 - int(8)])
      view.setInt32(0, v, true)
      detail = `block_size = ${v}`
      break
    }
    case 'l-read-name': {
      const v = pick([0, 1, lName - 1, lName + 1, 255, int(256)])
      rec[L_READ_NAME] = v
      detail = `l_read_name = ${v}`
      break
    }
    case 'n-cigar-op': {
      const v = pick([0, nCigar + 1, Math.max(0, nCigar - 1), 0xffff, int(0x10000)])
      view.setUint16(N_CIGAR_OP, v, true)
      detail = `n_cigar_op = ${v}`
      break
    }
    case 'l-seq-bit': {
      const bit = int(32)
      view.setInt32(L_SEQ, lSeq ^ (1 << bit), true)
      detail = `l_seq bit ${bit}`
      break
    }
    case 'cigar-op-code': {
      if (nCigar === 0) { rec[MAPQ] = int(256); detail = 'mapq (no CIGAR)'; break }
      const at = cigarAt + 4 * int(nCigar)
      const code = int(16)
      rec[at] = (rec[at]! & 0xf0) | code
      detail = `CIGAR op code ${code}`
      break
    }
    case 'cigar-op-length': {
      if (nCigar === 0) { rec[MAPQ] = int(256); detail = 'mapq (no CIGAR)'; break }
      const at = cigarAt + 4 * int(nCigar)
      const op = view.getUint32(at, true)
      const len = pick([0, (op >>> 4) + 1, Math.max(0, (op >>> 4) - 1), int(1 << 28)])
      view.setUint32(at, ((len << 4) | (op & 0xf)) >>> 0, true)
      detail = `CIGAR op length ${len}`
      break
    }
    case 'flag-bits': {
      const v = view.getUint16(FLAG, true) ^ pick([0x4, 0x1, 0x900, 0x10, int(0x10000)])
      view.setUint16(FLAG, v, true)
      detail = `flag = ${v}`
      break
    }
    case 'aux-byte': {
      if (auxAt >= rec.length) { rec[READ_NAME + int(Math.max(1, lName - 1))] = int(256); detail = 'name byte (no aux)'; break }
      const at = auxAt + int(rec.length - auxAt)
      rec[at] = pick([0, 0xff, int(256), 0x42, 0x5a])
      detail = `aux byte ${at - auxAt} = ${rec[at]}`
      break
    }
    case 'read-name-nul': {
      rec[READ_NAME + lName - 1] = pick([0x41, 0x20, 0xff])
      detail = 'read name without NUL'
      break
    }
    case 'pos': {
      const v = pick([-1, -2, -1000, 0x7fffffff, int(2 ** 31)])
      view.setInt32(pick([POS, POS + 20, TLEN]), v, true) // pos, next_pos or tlen
      detail = `pos/next_pos/tlen = ${v}`
      break
    }
    case 'random-byte': {
      const at = int(rec.length)
      rec[at] = int(256)
      detail = `byte ${at} = ${rec[at]}`
      break
    }
    case 'fixed-bit': {
      const at = 4 + int(32)
      const bit = int(8)
      rec[at] = rec[at]! ^ (1 << bit)
      detail = `fixed byte ${at} bit ${bit}`
      break
    }
    case 'truncate': {
      truncateAt = 1 + int(rec.length - 1)
      detail = `stream ends after ${truncateAt} of ${rec.length} bytes of the record`
      break
    }
  }
  const parts = [base.header]
  let damagedU = base.header.length
  for (let i = 0; i < base.records.length; i++) {
    if (i < recordIndex) damagedU += base.records[i]!.length
    if (i === recordIndex) {
      parts.push(truncateAt >= 0 ? rec.subarray(0, truncateAt) : rec)
      if (truncateAt >= 0) break
    } else parts.push(base.records[i]!)
  }
  const { bam, blockStarts } = writeBgzf(Buffer.concat(parts))
  let damagedOffset = 0
  for (const b of blockStarts) if (b.u <= damagedU) damagedOffset = b.coffset
  return { name: `${seed}-${index}-${kind}`, kind, record: recordIndex, detail, bam, damagedOffset }
}

/** Compresses `data` into BGZF blocks of {@link BLOCK_DATA} bytes plus the EOF block. */
function writeBgzf(data: Uint8Array): { bam: Uint8Array; blockStarts: { u: number; coffset: number }[] } {
  const out: Buffer[] = []
  const blockStarts: { u: number; coffset: number }[] = []
  let coffset = 0
  for (let u = 0; u < data.length; u += BLOCK_DATA) {
    const chunk = data.subarray(u, Math.min(data.length, u + BLOCK_DATA))
    const deflated = zlib.deflateRawSync(chunk, { level: 1 })
    const block = Buffer.alloc(18 + deflated.length + 8)
    block.set([0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, 0x42, 0x43, 2, 0])
    block.writeUInt16LE(block.length - 1, 16)
    block.set(deflated, 18)
    block.writeUInt32LE(zlib.crc32(chunk) >>> 0, 18 + deflated.length)
    block.writeUInt32LE(chunk.length, 22 + deflated.length)
    blockStarts.push({ u, coffset })
    coffset += block.length
    out.push(block)
  }
  out.push(Buffer.from(EOF_BLOCK))
  return { bam: new Uint8Array(Buffer.concat(out)), blockStarts }
}

/** The base file, seed and case count of the committed fuzz run. */
export const FUZZ_RUN = { base: 'test/fixtures/htslib/htslib_test_ce_1000.bam', records: 120, seed: 9, cases: 320 } as const

/** The samtools commands compared, by the name the test uses. */
export const SAMTOOLS_COMMANDS: Record<string, string[]> = {
  count: ['view', '-c'],
  flagstat: ['flagstat'],
  idxstats: ['idxstats'],
  view: ['view', '--no-PG'],
}

/** What `samtools idxstats` (without an index) says of a file whose records are not grouped by reference. */
export const UNSORTED = 'not position sorted'

/** SHA-1 of bytes, the first 16 hex digits. */
export function sha1(bytes: Uint8Array | string): string {
  return createHash('sha1').update(bytes).digest('hex').slice(0, 16)
}

