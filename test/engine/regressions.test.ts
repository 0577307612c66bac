import fs from 'node:fs'
import path from 'node:path'
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import type { Piscina } from 'piscina'
import { count } from '../../src/engine/api.js'
import { view } from '../../src/engine/view.js'
import { encodeHeader } from '../../src/bam/encoder.js'
import { encodeRecord } from '../../bench/synthetic/record-encoder.js'
import { bgzfCompress } from '../../src/bgzf/writer.js'
import { writeSyntheticBam } from '../../bench/synthetic/synthetic.js'
import { joinBytes } from '../../src/bytes.js'
import { BamError } from '../../src/errors.js'
import { Collector } from '../helpers/collect.js'
import { corpusBam } from '../helpers/corpus.js'
import { usePoolAndDir } from '../helpers/setup.js'

// Found in review: each case failed before its fix.
let pool: Piscina
let dir: string
usePoolAndDir('regressions', (p, d) => { pool = p; dir = d })

const REFS = [{ name: 'chr1', length: 100_000 }]

/**
 * Valid records whose B:C tag holds zeros and then nine back-to-back fake records
 * that pass the boundary checker but that view refuses (CIGAR 1M, 4 bases):
 * a guess landing on them must be redone, not reported.
 */
function adversarialBam(): string {
  const fake = encodeRecord({ name: 'f', flag: 0, refID: 0, pos: 5, mapq: 0, cigar: '1M', nextRefID: -1, nextPos: -1, tlen: 0, seq: 'ACGT', qual: null })
  const payload = joinBytes([new Uint8Array(3000), ...Array.from({ length: 9 }, () => fake)])
  const records = Array.from({ length: 400 }, (_, i) => encodeRecord({
    name: `r${i}`, flag: 0, refID: 0, pos: i, mapq: 30, cigar: '4M', nextRefID: -1, nextPos: -1, tlen: 0, seq: 'ACGT', qual: null,
    tags: [{ tag: 'XB', type: 'B', subtype: 'C', value: payload }],
  }))
  const file = path.join(dir, 'adversarial.bam')
  fs.writeFileSync(file, bgzfCompress(joinBytes([encodeHeader('@HD\tVN:1.6\n@SQ\tSN:chr1\tLN:100000\n', REFS), ...records])))
  return file
}

describe('regressions', () => {
  it('an op refusing a record after a wrong guess means a redo, not an error', async () => {
    const file = adversarialBam()
    const whole = new Collector()
    expect(await view(file, { output: whole, pool, chunkBytes: 256 << 20 })).toBe(400)
    const chunked = new Collector()
    expect(await view(file, { output: chunked, pool, chunkBytes: 65536 })).toBe(400)
    expect(chunked.text).toBe(whole.text)
  })

  it('an op error on a really bad record carries a file offset', async () => {
    const bad = encodeRecord({ name: 'bad', flag: 0, refID: 0, pos: 1, mapq: 0, cigar: '1M', nextRefID: -1, nextPos: -1, tlen: 0, seq: 'ACGT', qual: null })
    const file = path.join(dir, 'bad-cigar.bam')
    fs.writeFileSync(file, bgzfCompress(joinBytes([encodeHeader('@SQ\tSN:chr1\tLN:100000\n', REFS), bad])))
    const e = await view(file, { output: new Collector(), pool }).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(BamError)
    expect((e as BamError).code).toBe('ERR_BAD_RECORD')
    expect((e as BamError).offset).toBeGreaterThanOrEqual(0)
  })

  it('a stream source is released when the run fails', async () => {
    const bytes = Buffer.from(fs.readFileSync(corpusBam('htslib_test_ce_large_seq')))
    bytes[Math.floor(bytes.length / 6)]! ^= 0xff
    const file = path.join(dir, 'flipped.bam')
    fs.writeFileSync(file, bytes)
    const stream = fs.createReadStream(file, { highWaterMark: 4096 })
    await expect(count(stream, { pool, chunkBytes: 1 })).rejects.toBeInstanceOf(BamError)
    await new Promise((r) => setTimeout(r, 50))
    expect(stream.destroyed).toBe(true)
  })

  it('an output stream destroyed mid-run ends the run with ERR_OUTPUT instead of hanging', async () => {
    let writes = 0
    const out = new Writable({
      highWaterMark: 1024,
      write(_chunk, _enc, done) {
        if (++writes === 3) setTimeout(() => out.destroy(), 5)
        setTimeout(done, 10)
      },
    })
    const file = path.join(dir, 'many.bam')
    await writeSyntheticBam(file, { seed: 5, count: 20_000 })
    await expect(view(file, { output: out, pool, chunkBytes: 65536 })).rejects.toMatchObject({ code: 'ERR_OUTPUT' })
  })

  it('two views to one path in one process never publish a failed run', async () => {
    const out = path.join(dir, 'shared.sam')
    const cut = path.join(dir, 'cut.bam')
    const bytes = fs.readFileSync(corpusBam('htslib_test_ce_1000'))
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 5000))
    const [ok, failed] = await Promise.allSettled([view(corpusBam('htslib_test_ce_1000'), { output: out, pool }), view(cut, { output: out, pool })])
    expect(ok.status).toBe('fulfilled')
    expect(failed.status).toBe('rejected')
    expect(fs.readFileSync(out, 'latin1').split('\n').filter(Boolean).length).toBe(1000)
    expect(fs.readdirSync(dir).filter((f) => f.includes('partial'))).toEqual([])
  })

  it('rejects a non-positive in-flight cap with ERR_OPTION', async () => {
    await expect(count(corpusBam('htslib_test_ce_1000'), { pool, maxInFlight: 0 })).rejects.toMatchObject({ code: 'ERR_OPTION' })
  })
})
