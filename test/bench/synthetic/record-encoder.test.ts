import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { encodeHeader } from '../../../src/bam/encoder.js'
import { RecordView } from '../../../src/bam/record.js'
import { bgzfCompress } from '../../../src/bgzf/writer.js'
import { joinBytes } from '../../../src/bytes.js'
import { BamError } from '../../../src/errors.js'
import {
  cigarReferenceLength, encodeAux, encodeRecord, packCigar, packSeq, reg2bin, type RecordSpec,
} from '../../../bench/synthetic/record-encoder.js'
import { hasCommand } from '../../helpers/corpus.js'

const SAMTOOLS = hasCommand('samtools')
const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0))
const le32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff]

function codeOf(fn: () => unknown): string | undefined {
  try { fn() } catch (e) { return e instanceof BamError ? e.code : `not a BamError: ${String(e)}` }
  return undefined
}

const base: RecordSpec = {
  name: 'r1', flag: 99, refID: 0, pos: 99, mapq: 60, cigar: '5S10M2I3D20M', nextRefID: 0, nextPos: 299, tlen: 230,
  seq: 'ACGTNACGTACGTACGTACGTACGTACGTACGTACGT', qual: null,
}

describe('reg2bin (SAMv1 §5.3)', () => {
  it('gives the spec bins at each level', () => {
    expect(reg2bin(-1, 0)).toBe(4680) // unplaced unmapped read
    expect(reg2bin(0, 1)).toBe(4681) // first 16 Kib bin
    expect(reg2bin(16384, 16385)).toBe(4682)
    expect(reg2bin(16383, 16385)).toBe(585) // crosses a 16 Kib boundary: 128 Kib level
    expect(reg2bin(0, 1 << 20)).toBe(73)
    expect(reg2bin(0, 1 << 23)).toBe(9)
    expect(reg2bin(0, 1 << 26)).toBe(1)
    expect(reg2bin(0, (1 << 26) + 1)).toBe(0)
  })
})

describe('packCigar, packSeq, cigarReferenceLength', () => {
  it('packs op_len << 4 | op and 4-bit bases, high nibble first', () => {
    expect(Array.from(packCigar('5S10M2I3D20M'))).toEqual([0x54, 0xa0, 0x21, 0x32, 0x140])
    expect(packCigar('*').length).toBe(0)
    expect(cigarReferenceLength(packCigar('5S10M2I3D20M4N1=2X3H'))).toBe(10 + 3 + 20 + 4 + 1 + 2)
    expect(packSeq('ACG')).toEqual({ packed: Uint8Array.of(0x12, 0x40), length: 3 })
    expect(packSeq('=n')).toEqual({ packed: Uint8Array.of(0x0f), length: 2 })
    expect(packSeq('*').length).toBe(0)
  })

  it('rejects malformed CIGARs and bases with ERR_OPTION', () => {
    for (const bad of ['', 'M', '10', '10Q', '5M3', '3M-2I']) expect(codeOf(() => packCigar(bad))).toBe('ERR_OPTION')
    expect(codeOf(() => packSeq('ACGU'))).toBe('ERR_OPTION')
  })
})

describe('encodeAux (SAMv1 §4.2.4)', () => {
  it('writes tag, val_type and a little-endian value for each type', () => {
    const bytes = encodeAux([
      { tag: 'NM', type: 'i', value: 3 }, { tag: 'XA', type: 'A', value: 'x' }, { tag: 'XC', type: 'c', value: -5 },
      { tag: 'XS', type: 'S', value: 1000 }, { tag: 'MD', type: 'Z', value: '10^ACG' }, { tag: 'XH', type: 'H', value: '1AE3' },
      { tag: 'ZB', type: 'B', subtype: 's', value: [1, -2] },
    ])
    expect(Array.from(bytes)).toEqual([
      ...ascii('NMi'), 3, 0, 0, 0,
      ...ascii('XAA'), ...ascii('x'),
      ...ascii('XCc'), 0xfb,
      ...ascii('XSS'), 0xe8, 0x03,
      ...ascii('MDZ'), ...ascii('10^ACG\0'),
      ...ascii('XHH'), ...ascii('1AE3\0'),
      ...ascii('ZBB'), ...ascii('s'), ...le32(2), 1, 0, 0xfe, 0xff, // subtype, count, int16 values
    ])
    const f = encodeAux([{ tag: 'XF', type: 'f', value: 1.5 }])
    expect(new DataView(f.buffer).getFloat32(3, true)).toBe(1.5)
  })

  it('rejects values that do not fit their type', () => {
    expect(codeOf(() => encodeAux([{ tag: 'XC', type: 'c', value: 128 }]))).toBe('ERR_OPTION')
    expect(codeOf(() => encodeAux([{ tag: 'XI', type: 'i', value: 1.5 }]))).toBe('ERR_OPTION')
    expect(codeOf(() => encodeAux([{ tag: 'XH', type: 'H', value: 'ABC' }]))).toBe('ERR_OPTION')
    expect(codeOf(() => encodeAux([{ tag: 'XA', type: 'A', value: 'xy' }]))).toBe('ERR_OPTION')
    expect(codeOf(() => encodeAux([{ tag: 'X', type: 'i', value: 1 }]))).toBe('ERR_OPTION')
  })
})

describe('encodeRecord', () => {
  it('reads back through RecordView field by field', () => {
    const qual = Uint8Array.from({ length: base.seq.length }, (_, i) => i % 42)
    const specs: RecordSpec[] = [
      { ...base, qual, tags: [{ tag: 'NM', type: 'i', value: 3 }] },
      { ...base, name: 'odd', seq: 'ACGTA', cigar: '5M', flag: 16 },
      { ...base, name: 'unplaced', flag: 4, refID: -1, pos: -1, mapq: 0, cigar: '*', nextRefID: -1, nextPos: -1, tlen: 0 },
      { ...base, name: 'secondary', flag: 256, seq: '*', cigar: '3H40M' },
    ]
    const bytes = joinBytes(specs.map((s) => encodeRecord(s)))
    const rec = new RecordView(bytes)
    let at = 0
    for (const spec of specs) {
      rec.moveTo(at)
      expect(rec.toJSON()).toMatchObject({
        name: spec.name, flag: spec.flag, refID: spec.refID, pos: spec.pos, mapq: spec.mapq, cigar: spec.cigar,
        nextRefID: spec.nextRefID, nextPos: spec.nextPos, tlen: spec.tlen, seq: spec.seq,
      })
      const refLen = cigarReferenceLength(packCigar(spec.cigar as string))
      expect(rec.referenceLength).toBe(refLen)
      expect(rec.bin).toBe(reg2bin(spec.pos, spec.pos + Math.max(1, refLen)))
      const quals = Array.from(bytes.subarray(rec.qualOffset, rec.auxOffset))
      expect(quals).toEqual(spec.qual ? Array.from(spec.qual) : quals.map(() => 0xff))
      at = rec.end
    }
    expect(at).toBe(bytes.length)
    rec.moveTo(0)
    expect(rec.referenceLength).toBe(33)
    expect(Array.from(bytes.subarray(rec.auxOffset, rec.end))).toEqual([...ascii('NMi'), 3, 0, 0, 0])
    expect(rec.moveTo(encodeRecord(specs[0]!).length).bin).toBe(4681)
  })

  it('keeps an explicit bin and already packed CIGAR, sequence and aux bytes', () => {
    const spec = { ...base, bin: 1234, cigar: packCigar('37M'), seq: packSeq(base.seq as string), tags: encodeAux([]) }
    const rec = new RecordView(encodeRecord(spec))
    expect([rec.bin, rec.cigar, rec.seq]).toEqual([1234, '37M', base.seq])
  })

  it('rejects long names, short qualities and too many CIGAR ops with ERR_OPTION', () => {
    expect(codeOf(() => encodeRecord({ ...base, name: 'x'.repeat(255) }))).toBe('ERR_OPTION')
    expect(encodeRecord({ ...base, name: 'x'.repeat(254) }).length).toBeGreaterThan(254)
    expect(codeOf(() => encodeRecord({ ...base, qual: new Uint8Array(3) }))).toBe('ERR_OPTION')
    expect(codeOf(() => encodeRecord({ ...base, cigar: new Uint32Array(0x10000) }))).toBe('ERR_OPTION')
  })
})

describe.skipIf(!SAMTOOLS)('encoded BAM read by samtools', () => {
  it('samtools view prints the fields and tags that were encoded', () => {
    const refs = [{ name: 'chr1', length: 10_000 }, { name: 'chr2', length: 5_000 }]
    const qual = Uint8Array.from({ length: base.seq.length }, () => 40)
    const records = [
      encodeRecord({
        ...base, qual, tags: [
          { tag: 'NM', type: 'i', value: 3 }, { tag: 'MD', type: 'Z', value: '10^ACG20' }, { tag: 'XA', type: 'A', value: 'x' },
          { tag: 'XC', type: 'c', value: -5 }, { tag: 'XS', type: 'S', value: 1000 }, { tag: 'XF', type: 'f', value: 1.5 },
          { tag: 'XH', type: 'H', value: '1AE3' }, { tag: 'ZB', type: 'B', subtype: 's', value: [1, -2, 3] },
          { tag: 'ZF', type: 'B', subtype: 'f', value: [0.5, 2] }, { tag: 'RG', type: 'Z', value: 'rg1' },
        ],
      }),
      encodeRecord({ ...base, name: 'r2', flag: 147, refID: 1, pos: 0, cigar: '37M', nextRefID: 0, nextPos: 99, tlen: 0 }),
      encodeRecord({ ...base, name: 'u1', flag: 4, refID: -1, pos: -1, mapq: 0, cigar: '*', nextRefID: -1, nextPos: -1, tlen: 0 }),
    ]
    const file = path.join(os.tmpdir(), `bamstream-encoder-${process.pid}.bam`)
    fs.writeFileSync(file, bgzfCompress(joinBytes([encodeHeader('@HD\tVN:1.6\tSO:coordinate\n', refs), ...records])))
    try {
      expect(spawnSync('samtools', ['quickcheck', file]).status).toBe(0)
      const out = spawnSync('samtools', ['view', file], { encoding: 'latin1' })
      expect(out.stderr).toBe('')
      const lines = out.stdout.trimEnd().split('\n')
      expect(lines).toEqual([
        ['r1', '99', 'chr1', '100', '60', '5S10M2I3D20M', '=', '300', '230', base.seq, 'I'.repeat(37), 'NM:i:3',
          'MD:Z:10^ACG20', 'XA:A:x', 'XC:i:-5', 'XS:i:1000', 'XF:f:1.5', 'XH:H:1AE3', 'ZB:B:s,1,-2,3', 'ZF:B:f,0.5,2', 'RG:Z:rg1'].join('\t'),
        ['r2', '147', 'chr2', '1', '60', '37M', 'chr1', '100', '0', base.seq, '*'].join('\t'),
        ['u1', '4', '*', '0', '0', '*', '*', '0', '0', base.seq, '*'].join('\t'),
      ])
    } finally {
      fs.rmSync(file, { force: true })
    }
  })
})
