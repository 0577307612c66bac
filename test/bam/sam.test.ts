/**
 * SAM output against samtools 1.16: every corpus BAM byte for byte against its
 * committed `samtools view --no-PG -h` output, then hand-built records whose
 * expected lines were printed by samtools 1.16 from the same bytes. Every case
 * runs through both formatters, JavaScript and (when the addon is built) the
 * native one, which must give identical bytes and fail on the same records.
 */
import fs from 'node:fs'
import { describe, expect, it } from 'vitest'
import { formatG, formatKputd } from '../../src/bam/aux.js'
import { RecordView } from '../../src/bam/record.js'
import { SamWriter, encodeLatin1, formatHeader, sanitiseHeaderText } from '../../src/bam/sam.js'
import { nativeAddonPath } from '../../src/bgzf/native.js'
import { BamError } from '../../src/errors.js'
import { allCorpusNames, corpusBam, expected } from '../helpers/corpus.js'
import { readBam, records } from '../helpers/read-bam.js'

/** The formatters to test: JavaScript, and the native one when the addon is built. */
const FORMATTERS = nativeAddonPath() ? (['js', 'native'] as const) : (['js'] as const)

/**
 * samtools view --no-PG -h, as bytes: header then one line per record; the same from every formatter, record by
 * record (`append`) and all at once (`appendMany`, which stops at a record samtools refuses).
 */
function viewAll(file: string): Buffer {
  const bam = readBam(file)
  const header = encodeLatin1(formatHeader(bam.text, bam.refs))
  const outputs = FORMATTERS.flatMap((formatter) => {
    const writer = new SamWriter(bam.refs.map((r) => r.name), formatter)
    expect(writer.formatter).toBe(formatter)
    for (const rec of records(bam)) writer.append(rec)
    const one = Buffer.concat([header, writer.take()])
    const offsets = Int32Array.from(Array.from(records(bam), (r) => r.offset)) // one view, moved: read each offset as it comes
    const stop = writer.appendMany(bam.data, offsets, 0, offsets.length)
    expect(stop).toBe(offsets.length)
    return [one, Buffer.concat([header, writer.take()])]
  })
  for (const out of outputs.slice(1)) expect(out.equals(outputs[0]!)).toBe(true)
  return outputs[0]!
}

describe('corpus: samtools view --no-PG -h', () => {
  const names = allCorpusNames() // main thread only: fast enough for test:fast too
  it('finds the corpus', () => expect(names.length).toBeGreaterThanOrEqual(114))
  for (const name of names) {
    it(name, () => {
      const got = viewAll(corpusBam(name))
      const want = Buffer.from(expected(name, 'sam'), 'latin1')
      if (!got.equals(want)) expect(got.toString('latin1')).toBe(want.toString('latin1')) // a readable diff
      expect(got.equals(want)).toBe(true)
    })
  }
})

// ---- hand-built records -------------------------------------------------

interface Spec {
  name?: string, rawName?: Buffer, flag?: number, ref?: number, pos?: number, mapq?: number, cigar?: number[],
  seq?: string, qual?: number[], nextRef?: number, nextPos?: number, tlen?: number, aux?: Buffer
}

const REFS = ['chr1', 'chr2']
const op = (len: number, code: number): number => (len << 4) | code
const M = 0, I = 1, N = 3, S = 4

/** One BAM record, block_size included (SAMv1 §4.2). Defaults: an unplaced, unmapped read "r" with no SEQ. */
function record(s: Spec): Buffer {
  const name = s.rawName ?? Buffer.from(`${s.name ?? 'r'}\0`, 'latin1')
  const cigar = s.cigar ?? []
  const seq = s.seq ?? ''
  const packed = Buffer.alloc((seq.length + 1) >> 1)
  for (let i = 0; i < seq.length; i++) packed[i >> 1]! |= '=ACMGRSVTWYHKDBN'.indexOf(seq[i]!) << (i & 1 ? 0 : 4)
  const qual = Buffer.from(s.qual ?? new Array<number>(seq.length).fill(0xff))
  const fixed = Buffer.alloc(36)
  fixed.writeInt32LE(s.ref ?? -1, 4) // refID
  fixed.writeInt32LE(s.pos ?? -1, 8) // pos
  fixed.writeUInt8(name.length, 12) // l_read_name
  fixed.writeUInt8(s.mapq ?? 255, 13) // mapq
  fixed.writeUInt16LE(4680, 14) // bin
  fixed.writeUInt16LE(cigar.length, 16) // n_cigar_op
  fixed.writeUInt16LE(s.flag ?? 4, 18) // flag
  fixed.writeInt32LE(seq.length, 20) // l_seq
  fixed.writeInt32LE(s.nextRef ?? -1, 24) // next_refID
  fixed.writeInt32LE(s.nextPos ?? -1, 28) // next_pos
  fixed.writeInt32LE(s.tlen ?? 0, 32) // tlen
  const cig = Buffer.alloc(4 * cigar.length)
  cigar.forEach((c, i) => cig.writeUInt32LE(c >>> 0, 4 * i))
  const rec = Buffer.concat([fixed, name, cig, packed, qual, s.aux ?? Buffer.alloc(0)])
  rec.writeInt32LE(rec.length - 4, 0) // block_size
  return rec
}

/** Aux field bytes: key, type, value. */
const tag = (key: string, type: string, value: Buffer | number[] | string): Buffer =>
  Buffer.concat([Buffer.from(key + type, 'latin1'), typeof value === 'string' ? Buffer.from(value, 'latin1') : Buffer.from(value)])
const u32 = (...v: number[]): Buffer => Buffer.from(new Uint32Array(v).buffer)
const array = (key: string, sub: string, bytes: Buffer, n: number): Buffer => tag(key, 'B', Buffer.concat([Buffer.from(sub), u32(n), bytes]))

/** The line SamWriter prints for one record (newline dropped), at an odd offset to cover unaligned reads; the same from every formatter. */
function line(s: Spec): string {
  const bytes = Buffer.concat([Buffer.alloc(3), record(s)])
  const lines = FORMATTERS.map((formatter) => {
    const writer = new SamWriter(REFS, formatter)
    writer.append(new RecordView(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length)).moveTo(3))
    return Buffer.from(writer.take()).toString('latin1').replace(/\n$/, '')
  })
  for (const l of lines.slice(1)) expect(l).toBe(lines[0])
  return lines[0]!
}

const UNPLACED = 'r\t4\t*\t0\t255\t*\t*\t0\t0\t*\t*'
const CG = tag('CG', 'B', Buffer.concat([Buffer.from('I'), u32(2, op(3, M), op(1, I))]))
const PLACEHOLDER: Spec = { flag: 0, ref: 0, pos: 9, cigar: [op(4, S), op(3, N)], seq: 'ACGT' }

describe('SamWriter fields', () => {
  const cases: [string, Spec, string][] = [
    ['qual: 0xFF first is *, others +33 mod 256', { seq: 'ACGTN', qual: [0, 1, 2, 0xff, 223] }, 'r\t4\t*\t0\t255\t*\t*\t0\t0\tACGTN\t!"# \x00'],
    ['qual: only qual[0] decides *', { seq: 'ACGTN', qual: [0xff, 1, 2, 0xff, 93] }, 'r\t4\t*\t0\t255\t*\t*\t0\t0\tACGTN\t*'],
    ['seq codes', { seq: '=ACMGRSVTWYHKDBN', qual: [...Array(16).keys()] }, 'r\t4\t*\t0\t255\t*\t*\t0\t0\t=ACMGRSVTWYHKDBN\t!"#$%&\'()*+,-./0'],
    ['odd seq, no qual', { seq: 'ACG' }, 'r\t4\t*\t0\t255\t*\t*\t0\t0\tACG\t*'],
    ['CIGAR op 9 is B, 10..15 are ?', { flag: 0, ref: 0, pos: 5, cigar: [...Array(16).keys()].map((c) => op(1, c)) },
      'r\t0\tchr1\t6\t255\t1M1I1D1N1S1H1P1=1X1B1?1?1?1?1?1?\t*\t0\t0\t*\t*'],
    ['name without NUL is printed whole', { rawName: Buffer.from('abcd') }, `abcd${UNPLACED.slice(1)}`],
    ['name with an inner NUL', { rawName: Buffer.from('a\0b\0') }, `a\0b${UNPLACED.slice(1)}`],
    ['empty name', { rawName: Buffer.from([0]) }, UNPLACED.slice(1)],
    ['negative pos, RNEXT name, int32 TLEN', { flag: 0, ref: 0, pos: -5, nextRef: 1, nextPos: -7, tlen: -2147483648, mapq: 0 },
      'r\t0\tchr1\t-4\t0\t*\tchr2\t-6\t-2147483648\t*\t*'],
    ['RNEXT =, PNEXT past int32', { flag: 65535, ref: 1, pos: 2147483646, nextRef: 1, nextPos: 2147483647, tlen: 2147483647, mapq: 254 },
      'r\t65535\tchr2\t2147483647\t254\t*\t=\t2147483648\t2147483647\t*\t*'],
    ['unmapped: CIGAR length not checked', { flag: 4, ref: 0, pos: 5, cigar: [op(3, M)], seq: 'ACGT' }, 'r\t4\tchr1\t6\t255\t3M\t*\t0\t0\tACGT\t*'],
  ]
  for (const [title, spec, want] of cases) it(title, () => expect(line(spec)).toBe(want))
})

describe('SamWriter aux fields', () => {
  const ints = Buffer.from([0xff, 0x80, 0xff, 0xff, 0x00, 0x80, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x80])
  const cases: [string, Buffer, string][] = [
    ['integer extremes', Buffer.concat([tag('XC', 'C', [ints[0]!]), tag('Xc', 'c', [ints[1]!]), tag('XS', 'S', [...ints.subarray(2, 4)]),
      tag('Xs', 's', [...ints.subarray(4, 6)]), tag('XI', 'I', [...ints.subarray(6, 10)]), tag('Xi', 'i', [...ints.subarray(10, 14)])]),
    '\tXC:i:255\tXc:i:-128\tXS:i:65535\tXs:i:-32768\tXI:i:4294967295\tXi:i:-2147483648'],
    ['A, H and Z bytes are raw', Buffer.concat([tag('XA', 'A', [0]), tag('XB', 'A', '\t'), tag('XH', 'H', 'abc\0'), tag('XZ', 'Z', '\xff\x01\0')]),
      '\tXA:A:\x00\tXB:A:\t\tXH:H:abc\tXZ:Z:\xff\x01'],
    ['empty arrays', Buffer.concat([array('XB', 'c', Buffer.alloc(0), 0), array('XB', 'f', Buffer.alloc(0), 0)]), '\tXB:B:c\tXB:B:f'],
    ['arrays', Buffer.concat([array('BC', 'C', Buffer.from([0, 255]), 2), array('Bs', 's', Buffer.from([0, 0x80, 0xff, 0x7f]), 2),
      array('BI', 'I', u32(4294967295), 1)]), '\tBC:B:C,0,255\tBs:B:s,-32768,32767\tBI:B:I,4294967295'],
    ['d (not in the spec) prints like f', tag('XD', 'd', [...Buffer.from(new Float64Array([1 / 3]).buffer)]), '\tXD:d:0.333333'],
    ['a tail of 1..3 bytes is ignored', Buffer.concat([tag('XA', 'A', 'x'), Buffer.from('XYZ')]), '\tXA:A:x'],
    ['a lone 3-byte tail is ignored', Buffer.from('XYZ'), ''],
    ['C with no value byte is a tail', Buffer.from('XCC'), ''],
  ]
  for (const [title, aux, want] of cases) it(title, () => expect(line({ aux })).toBe(UNPLACED + want))

  it('formats f like %g and B:f like 1.16 kputd (ties rounded up)', () => {
    // [float bits, samtools 1.16 `XF:f:` text, `BF:B:f` element text]
    const table: [number, string, string][] = [
      [0x00000000, '0', '0'], [0x80000000, '-0', '-0'], [0x3f800000, '1', '1'], [0xbf000000, '-0.5', '-0.5'],
      [0x38d1b717, '0.0001', '0.0001'], [0x38d1b1b9, '9.999e-05', '9.999e-05'], [0x497423f0, '999999', '999999'],
      [0x497423f8, '1e+06', '1e+06'], [0x497423e8, '999998', '999999'], [0x47f12040, '123456', '123457'],
      [0x47c35040, '100000', '100001'], [0x461c4100, '10000.2', '10000.3'], [0xc6645500, '-14613.2', '-14613.3'],
      [0x3dcccccd, '0.1', '0.1'], [0x3eaaaaab, '0.333333', '0.333333'], [0x21921924, '9.9e-19', '9.9e-19'],
      [0x00000001, '1.4013e-45', '1.4013e-45'], [0x7f7fc99e, '3.4e+38', '3.4e+38'], [0x3c23d70a, '0.01', '0.01'],
      [0x4640e69a, '12345.7', '12345.7'], [0x3727c5ac, '1e-05', '1e-05'], [0x3903126f, '0.000125', '0.000125'],
      [0x42c7ffff, '100', '100'], [0x7f800000, 'inf', 'inf'], [0xff800000, '-inf', '-inf'],
      [0x7fc00000, 'nan', 'nan'], [0xffc00000, '-nan', '-nan'],
    ]
    const scalars = Buffer.concat(table.map(([bits]) => tag('XF', 'f', [...u32(bits)])))
    const elements = array('BF', 'f', u32(...table.map(([bits]) => bits)), table.length)
    const want = table.map(([, s]) => `\tXF:f:${s}`).join('') + `\tBF:B:f,${table.map(([, , a]) => a).join(',')}`
    expect(line({ aux: Buffer.concat([scalars, elements]) })).toBe(UNPLACED + want)
  })

  it('prints integers at every decimal length, and repeated f values the same each time (the native formatter caches them)', () => {
    const values: number[] = [0, 1]
    for (let p = 10; p <= 4294967295; p *= 10) values.push(p - 1, p, p + 1)
    values.push(4294967295)
    const ints = Buffer.concat(values.map((v) => tag('XI', 'I', [...u32(v)])))
    const negatives = Buffer.concat(values.filter((v) => v <= 2147483648).map((v) => tag('Xi', 'i', [...Buffer.from(new Int32Array([-v]).buffer)])))
    const want = values.map((v) => `\tXI:i:${v}`).join('') + values.filter((v) => v <= 2147483648).map((v) => `\tXi:i:${-v | 0}`).join('')
    expect(line({ aux: Buffer.concat([ints, negatives]) })).toBe(UNPLACED + want)
    const floats = [0x3c23d70a, 0x3dcccccd, 0x00000000, 0x3c23d70a, 0x4640e69a, 0x3dcccccd] // 0.01 0.1 0 0.01 12345.7 0.1
    const texts = ['0.01', '0.1', '0', '0.01', '12345.7', '0.1']
    const recs = floats.map((bits) => record({ aux: tag('de', 'f', [...u32(bits)]) }))
    const bytes = new Uint8Array(Buffer.concat(recs))
    const offsets = Int32Array.from(recs.map((_, i) => recs.slice(0, i).reduce((n, r) => n + r.length, 0)))
    for (const formatter of FORMATTERS) {
      const writer = new SamWriter(REFS, formatter)
      expect(writer.appendMany(bytes, offsets, 0, offsets.length)).toBe(offsets.length)
      expect(Buffer.from(writer.take()).toString('latin1')).toBe(texts.map((t) => `${UNPLACED}\tde:f:${t}\n`).join(''))
    }
  })

  it('formatG and formatKputd on doubles', () => {
    // expectations from C printf("%g") (glibc), i.e. exact values with ties to even
    expect([formatG(1234565), formatG(-2512.625), formatG(1e100), formatG(5e-324), formatG(0.00001234565)])
      .toEqual(['1.23456e+06', '-2512.62', '1e+100', '4.94066e-324', '1.23456e-05'])
    expect([formatKputd(2512.625), formatKputd(0.0099999999), formatKputd(9.999999)]).toEqual(['2512.63', '0.01', '10'])
  })
})

describe('SamWriter CG tag (htslib bam_tag2cigar)', () => {
  it('moves CG:B:I over a <l_seq>S<n>N placeholder and drops the tag', () => {
    const aux = Buffer.concat([tag('XA', 'A', 'x'), CG, tag('YA', 'A', 'y')])
    expect(line({ ...PLACEHOLDER, aux })).toBe('r\t0\tchr1\t10\t255\t3M1I\t*\t0\t0\tACGT\t*\tXA:A:x\tYA:A:y')
  })
  it('moves it on an unmapped flag too, and for an empty SEQ', () => {
    expect(line({ ...PLACEHOLDER, flag: 4, aux: CG })).toBe('r\t4\tchr1\t10\t255\t3M1I\t*\t0\t0\tACGT\t*')
    expect(line({ ...PLACEHOLDER, cigar: [op(0, S), op(3, N)], seq: '', aux: CG })).toBe('r\t0\tchr1\t10\t255\t3M1I\t*\t0\t0\t*\t*')
  })
  it('leaves it when pos < 0, the first op is not S, or the tag is not B:I/B:i', () => {
    expect(line({ ...PLACEHOLDER, pos: -1, aux: CG })).toBe('r\t0\tchr1\t0\t255\t4S3N\t*\t0\t0\tACGT\t*\tCG:B:I,48,17')
    expect(line({ ...PLACEHOLDER, cigar: [op(4, M), op(3, N)], aux: CG })).toBe('r\t0\tchr1\t10\t255\t4M3N\t*\t0\t0\tACGT\t*\tCG:B:I,48,17')
    const shorts = tag('CG', 'B', Buffer.concat([Buffer.from('S'), u32(2), Buffer.from([0x30, 0, 0x11, 0])]))
    expect(line({ ...PLACEHOLDER, aux: shorts })).toBe('r\t0\tchr1\t10\t255\t4S3N\t*\t0\t0\tACGT\t*\tCG:B:S,48,17')
  })
})

describe('SamWriter failures (where samtools 1.16 fails too)', () => {
  const cases: [string, Spec][] = [
    ['unknown aux type', { aux: tag('XQ', 'q', '1234') }],
    ['Z without NUL', { aux: tag('XZ', 'Z', 'abc') }],
    ['B:A array', { aux: array('XB', 'A', Buffer.from('abc'), 3) }],
    ['B array past the end', { aux: array('XB', 's', Buffer.from([1, 0, 2, 0]), 3) }],
    ['bad B subtype', { aux: array('XB', 'q', Buffer.from([1, 0, 2, 0]), 1) }],
    ['truncated S', { aux: tag('XS', 'S', [1]) }],
    ['truncated f', { aux: tag('XF', 'f', [1, 2, 3]) }],
    ['CIGAR and SEQ lengths differ', { flag: 0, ref: 0, pos: 5, cigar: [op(3, M)], seq: 'ACGT' }],
    ['moved CG CIGAR and SEQ lengths differ', { ...PLACEHOLDER, aux: tag('CG', 'B', Buffer.concat([Buffer.from('I'), u32(2, op(2, M), op(1, I))])) }],
    ['corrupt aux when looking for CG', { ...PLACEHOLDER, aux: tag('XQ', 'q', '1234') }],
    ['refID out of range', { flag: 0, ref: 2, pos: 5 }],
    ['next_refID out of range', { flag: 0, ref: 0, pos: 5, nextRef: 5 }],
  ]
  for (const [title, spec] of cases) {
    it.each(FORMATTERS)(`${title} (%s)`, (formatter) => {
      const writer = new SamWriter(REFS, formatter)
      const ok = record({})
      const bad = record(spec)
      const bytes = new Uint8Array(Buffer.concat([ok, bad]))
      writer.append(new RecordView(bytes))
      const error = (() => { try { writer.append(new RecordView(bytes).moveTo(ok.length)) } catch (e) { return e } return null })()
      expect(error).toBeInstanceOf(BamError)
      expect((error as BamError).code).toBe('ERR_BAD_RECORD')
      expect(Buffer.from(writer.take()).toString('latin1')).toBe(`${UNPLACED}\n`) // nothing of the bad line kept
    })
    it.each(FORMATTERS)(`${title}: appendMany stops there (%s)`, (formatter) => {
      const writer = new SamWriter(REFS, formatter)
      const ok = record({})
      const bytes = new Uint8Array(Buffer.concat([ok, record(spec), ok]))
      const offsets = Int32Array.of(0, ok.length, bytes.length - ok.length)
      expect(writer.appendMany(bytes, offsets, 0, 3)).toBe(1)
      expect(writer.appendMany(bytes, offsets, 2, 3)).toBe(3)
      expect(Buffer.from(writer.take()).toString('latin1')).toBe(`${UNPLACED}\n${UNPLACED}\n`)
    })
  }
})

describe('SamWriter buffer', () => {
  it.each(FORMATTERS)('detach hands out the lines without a copy and goes on in a buffer from its source (%s)', (formatter) => {
    const taken: Uint8Array[] = []
    const given: Uint8Array[] = []
    const buffers = { take: (n: number) => { const b = new Uint8Array(n); taken.push(b); return b }, give: (b: Uint8Array) => { given.push(b) } }
    const writer = new SamWriter(REFS, formatter, buffers)
    const rec = new RecordView(new Uint8Array(record({})))
    writer.append(rec)
    const first = writer.detach(100)
    expect(first.buffer).toBe(taken[0]!.buffer)
    expect(Buffer.from(first).toString('latin1')).toBe(`${UNPLACED}\n`)
    expect(taken[1]!.length).toBe(100)
    const seq = 'ACGT'.repeat(50) // longer than 100 bytes: the writer outgrows its buffer and gives it back
    writer.append(new RecordView(new Uint8Array(record({ seq }))))
    expect(given.length).toBeGreaterThanOrEqual(1) // each buffer outgrown (it at least doubles) goes back
    given.forEach((b, i) => expect(b).toBe(taken[i + 1]))
    expect(Buffer.from(writer.detach()).toString('latin1')).toBe(`${UNPLACED.slice(0, -4)}\t${seq}\t*\n`)
    expect(Buffer.from(first).toString('latin1')).toBe(`${UNPLACED}\n`) // untouched by what came after
  })

  it.each(FORMATTERS)('grows by doubling for long reads and take() empties it (%s)', (formatter) => {
    const seq = 'ACGT'.repeat(50_000)
    const writer = new SamWriter(REFS, formatter)
    const rec = new RecordView(new Uint8Array(record({ seq, qual: new Array<number>(seq.length).fill(30) })))
    writer.append(rec)
    writer.append(rec)
    const want = `${UNPLACED.slice(0, -4)}\t${seq}\t${'?'.repeat(seq.length)}\n`
    expect(writer.length).toBe(2 * want.length)
    const bytes = writer.take()
    expect(bytes.byteLength).toBe(bytes.buffer.byteLength) // owns its buffer: transferable
    expect(Buffer.from(bytes).toString('latin1')).toBe(want + want)
    expect(writer.length).toBe(0)
  })
})

describe('formatHeader', () => {
  const refs = [{ name: 'chr1', length: 1000 }, { name: 'chr2', length: 2000 }]
  const sq = '@SQ\tSN:chr1\tLN:1000\n@SQ\tSN:chr2\tLN:2000\n'
  const cases: [string, string, string][] = [
    ['kept as stored', '@HD  VN:1.6\t\n@SQ\tSN:chr2\tLN:2000\r\n@hd\n', '@HD  VN:1.6\t\n@SQ\tSN:chr2\tLN:2000\r\n@hd\n'],
    ['@SQ lines added when the text has none', '@CO\t@SQ\tSN:x\n@SQX\n@SQ\n', `@CO\t@SQ\tSN:x\n@SQX\n@SQ\n${sq}`],
    ['empty text', '', sq],
    ['newline added', '@HD\tVN:1.6', `@HD\tVN:1.6\n${sq}`],
    ['newline replaces the first NUL', '@HD\tVN:1.6\0\0', `@HD\tVN:1.6\n\0${sq}`],
    ['NUL padding kept', `@HD\tVN:1.6\n${sq}\0\0`, `@HD\tVN:1.6\n${sq}\0\0`],
    ['@SQ after a NUL does not count', `@HD\tVN:1.6\n\0${sq}`, `@HD\tVN:1.6\n\0${sq}${sq}`],
    ['only NULs', '\0\0\0', `\0\0\0${sq}`],
  ]
  for (const [title, text, want] of cases) it(title, () => expect(formatHeader(text, refs)).toBe(want))

  it('prints LN as int32 and names up to a NUL', () => {
    expect(formatHeader('', [{ name: 'big', length: 3e9 }, { name: '', length: 5 }, { name: 'max', length: 4294967295 }]))
      .toBe('@SQ\tSN:big\tLN:-1294967296\n@SQ\tSN:\tLN:5\n@SQ\tSN:max\tLN:-1\n')
    expect(formatHeader('', [])).toBe('')
  })

  it('rejects a line not starting with @ before the first NUL, as samtools does', () => {
    for (const text of ['@HD\tVN:1.6\n\n', '\n', '@HD\nhello\n', '@HD\n\r\n']) {
      expect(() => sanitiseHeaderText(text)).toThrow(BamError)
    }
    expect(sanitiseHeaderText('@HD\n\0hello\n')).toBe('@HD\n\0hello\n')
  })
})

it('corpus expectations are committed beside the BAMs', () => {
  expect(fs.existsSync(corpusBam('htslib_test_no_hdr_sq_1'))).toBe(true)
})
