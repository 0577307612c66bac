import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { measureGuesser, sumErrors } from '../../bench/guesser.js'
import { encodeRecord } from '../../bench/synthetic/record-encoder.js'
import { encodeHeader } from '../../src/bam/encoder.js'
import { bgzfCompress } from '../../src/bgzf/writer.js'
import { joinBytes } from '../../src/bytes.js'
import { CORPUS, allCorpusNames } from '../helpers/corpus.js'

// The boundary checker's error rates on the corpus (bench/guesser.ts): at every
// byte offset of every file's record data, it accepts exactly the record starts.
// Measured 2026-12: 0 false positives in 3.09 M offsets, 0 false negatives in
// 2109 starts (one-record rules alone: also 0), here and on a 20 MB synthetic file.

describe('boundary checker on the htslib corpus', () => {
  it('accepts every record start and nothing else', () => {
    const list = allCorpusNames().map((name) => measureGuesser(path.join(CORPUS, `${name}.bam`)))
    const total = sumErrors(list)
    expect(total.starts).toBeGreaterThan(2000)
    expect(total.offsets).toBeGreaterThan(3_000_000)
    expect(list.filter((e) => e.falsePositives + e.falseNegatives + e.wrongGuesses > 0).map((e) => path.basename(e.file))).toEqual([])
    expect(total).toMatchObject({ falsePositives: 0, falseNegatives: 0, wrongGuesses: 0 })
  })

  it('counts a refused start as a false negative, and the offsets it sends astray as wrong guesses', () => {
    const spec = { flag: 0, refID: 0, mapq: 60, cigar: '4M', nextRefID: -1, nextPos: -1, tlen: 0, seq: 'ACGT', qual: null }
    const records = [0, 1, 2, 3].map((i) => encodeRecord({ ...spec, name: `r${i}`, pos: i === 2 ? -2 : 10 * i })) // pos -2: refused
    const header = encodeHeader('', [{ name: 'chr1', length: 1000 }])
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bamstream-guesser-'))
    const file = path.join(dir, 'one-refused.bam')
    try {
      fs.writeFileSync(file, bgzfCompress(joinBytes([header, ...records])))
      const e = measureGuesser(file)
      const size = records[0]!.length
      expect(e).toMatchObject({ starts: 4, falsePositives: 0, falseNegatives: 3 }) // r0 and r1 too: their chains run through r2
      expect(e.offsets).toBe(4 * size - 35) // the last candidate leaves room for block_size and the fixed part
      // from every offset up to r2's start the first accepted offset is r3's start
      expect(e.wrongGuesses).toBe(2 * size + 1)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
