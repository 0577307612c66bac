import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { readBam, records } from '../helpers/read-bam.js'

/** Three records written by samtools 1.16 from SAM: `long` has 70,000 CIGAR ops (stored as `70000S35000N` + a CG tag). */
const LONG = path.resolve(import.meta.dirname, '../fixtures/pysam/long_cigar.bam')

function byName(name: string): Record<string, unknown> {
  return Array.from(records(readBam(LONG)), (r) => r.toJSON()).filter((r) => r.name === name)[0]!
}

describe('typed aux tags', () => {
  it('decodes each type as pysam does, in record order', () => {
    const short = byName('short')
    expect(short.tags).toEqual([
      { tag: 'XA', type: 'A', value: 'x' },
      { tag: 'XH', type: 'H', value: '1AE3' },
      { tag: 'Xd', type: 'B', value: Float32Array.of(0.5, -2) },
    ])
    expect(short.qualities).toBeNull() // SAM QUAL `*`
  })

  it('reads one tag by key, undefined when absent', () => {
    for (const rec of records(readBam(LONG))) {
      if (rec.name !== 'long') continue
      expect(rec.tag('NM')).toBe(35000)
      expect(rec.tag('XB')).toEqual(Int16Array.of(-1, 2, 300))
      expect(rec.tag('Xf')).toBe(3.5)
      expect(rec.tag('ZZ')).toBeUndefined()
      expect(rec.qualities).toEqual(new Uint8Array(70000).fill(40))
    }
  })
})

describe('CIGAR of more than 65,535 ops (CG tag)', () => {
  it('reports the CG tag CIGAR and hides the tag, as htslib bam_tag2cigar', () => {
    for (const rec of records(readBam(LONG))) {
      if (rec.name !== 'long') continue
      expect(rec.nCigarOp).toBe(2) // the placeholder: 70000S35000N
      expect(rec.cigarOp(0)).toBe((70000 << 4) | 4)
      const ops = rec.cigarOps()
      expect(ops.length).toBe(70000)
      expect(ops[0]).toBe((1 << 4) | 0) // 1M
      expect(ops[1]).toBe((1 << 4) | 1) // 1I
      expect(rec.cigar).toBe('1M1I'.repeat(35000))
      expect(rec.tag('CG')).toBeUndefined()
      expect(rec.tags().map((t) => t.tag)).toEqual(['NM', 'XB', 'Xf'])
    }
  })
})
