import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { compileExpr, readGroupLibraries } from '../../src/bam/expr.js'
import { BamError } from '../../src/errors.js'
import { corpusBam, corpusNames } from '../helpers/corpus.js'
import { readBam, records } from '../helpers/read-bam.js'

const DIR = path.resolve(import.meta.dirname, '../fixtures/samtools')
/** The expressions, one a line, and `samtools view -c -e EXPR` for each on every corpus BAM (expr-counts.sh). */
const EXPRESSIONS = fs.readFileSync(path.join(DIR, 'expressions.txt'), 'utf8').split('\n').filter((l) => l !== '')
const COUNTS = JSON.parse(fs.readFileSync(path.join(DIR, 'expr-counts.json'), 'utf8')) as Record<string, number[]>

describe('filter expressions against samtools 1.16 view -c -e', () => {
  const compiled = EXPRESSIONS.map((e) => compileExpr(e))
  it.each(corpusNames())('%s', (name) => {
    const bam = readBam(corpusBam(name))
    const got = compiled.map(() => 0)
    const libraries = readGroupLibraries(bam.text)
    for (const rec of records(bam)) compiled.forEach((f, i) => { if (f.test(rec, bam.refs, libraries)) got[i]!++ })
    const want = COUNTS[`${name}.bam`]!
    expect(Object.fromEntries(EXPRESSIONS.map((e, i) => [e, got[i]]))).toEqual(Object.fromEntries(EXPRESSIONS.map((e, i) => [e, want[i]])))
  })
})

describe('compileExpr refusals', () => {
  it.each([
    ['mapq >', 'expected a value at column 7'],
    ['foo', 'expected a value at column 1'],
    ['flag.bogus', 'unrecognised flag name at column 1'],
    ['mapq > 3)', 'unexpected text at column 9'],
    ['(mapq > 3', "missing ')' at column 10"],
    ['rname == "chr1', 'unterminated string at column 10'],
    ['frob(mapq)', 'unknown function "frob"'],
  ])('%s', (text, why) => {
    let error: unknown
    try {
      compileExpr(text)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(BamError)
    expect((error as BamError).code).toBe('ERR_OPTION')
    expect((error as BamError).message).toContain(why)
  })
})
