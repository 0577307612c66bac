import { createHash } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { RecordView } from '../../src/bam/record.js'
import type { TagValue } from '../../src/bam/tags.js'
import { corpusBam, corpusNames } from '../helpers/corpus.js'
import { readBam, records } from '../helpers/read-bam.js'

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/pysam')
/** Per corpus BAM, one digest per record of every field as pysam 0.20 exposes it (written by records.py). */
const PYSAM = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'records.json'), 'utf8')) as Record<string, string[]>

/** A float as the hex of its IEEE double bits, as records.py writes it ('nan' for any NaN). */
function hexDouble(x: number): string {
  if (Number.isNaN(x)) return 'nan'
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, x, true)
  return Buffer.from(view.buffer).toString('hex')
}

function tagJson(type: string, value: TagValue): [string, unknown] {
  if (typeof value === 'string') return [type, value]
  if (typeof value === 'number') return [type, type === 'f' || type === 'd' ? hexDouble(value) : value]
  const sub = value instanceof Float32Array ? 'f' : value instanceof Int8Array ? 'c' : value instanceof Uint8Array ? 'C'
    : value instanceof Int16Array ? 's' : value instanceof Uint16Array ? 'S' : value instanceof Int32Array ? 'i' : 'I'
  return [`B${sub}`, Array.from(value, (x) => (sub === 'f' ? hexDouble(x) : x))]
}

/** The record in records.py's canonical form: pysam's fields, in its order. */
function canonical(rec: RecordView): unknown[] {
  const q = rec.qualities
  return [rec.name, rec.flag, rec.refID, rec.pos, rec.mapq, rec.cigar, rec.nextRefID, rec.nextPos, rec.tlen, rec.seq,
    q === null ? null : Array.from(q), rec.tags().map(({ tag, type, value }) => [tag, ...tagJson(type, value)])]
}

/** JSON as Python's `json.dumps(separators=(',', ':'), ensure_ascii=True)` writes it. */
function pythonJson(x: unknown): string {
  return JSON.stringify(x).replace(/[\u007f-\uffff]/g, (c) => (c === '\u007f' ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`))
}

const digest = (rec: RecordView): string => createHash('sha256').update(pythonJson(canonical(rec))).digest('hex').slice(0, 16)

describe('RecordView against pysam', () => {
  const files = [...corpusNames().map((n) => corpusBam(n)), path.join(FIXTURES, 'long_cigar.bam')]
  it('has pysam digests for every file', () => {
    const names = files.map((f) => path.basename(f))
    expect(names.filter((n) => !(n in PYSAM))).toEqual([])
    if (!process.env.BAMSTREAM_TEST_FAST) expect(Object.keys(PYSAM).sort()).toEqual(names.sort()) // test:fast runs a corpus subset
  })
  it.each(files)('%s: every field of every record equals pysam', (file) => {
    const name = path.basename(file)
    const want = PYSAM[name]
    expect(Array.isArray(want)).toBe(true)
    const got = Array.from(records(readBam(file)), digest)
    if (got.join() !== want!.join() && hasPysam()) {
      const first = got.findIndex((d, i) => d !== want![i])
      const ours = Array.from(records(readBam(file)), (r) => pythonJson(canonical(r)))[first]
      const theirs = execFileSync('/usr/bin/python3', [path.join(FIXTURES, 'records.py'), name], { encoding: 'utf8' }).split('\n')[first]
      expect(ours).toBe(theirs)
    }
    expect(got).toEqual(want)
  })
})

function hasPysam(): boolean {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import pysam'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}
