/**
 * Record-level fuzzing against samtools 1.16 (issue 9): a few hundred BAMs,
 * each with one damaged record, regenerated from a committed seed and a small
 * base file; samtools' outcomes are committed (`test/fixtures/fuzz/expectations.json`).
 * For every file and op, bamstream must print exactly what samtools prints, or
 * fail (one line, the file offset of the damaged record's block) where samtools fails.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Piscina } from 'piscina'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { count, flagstat, idxstats } from '../../src/engine/api.js'
import { createPool } from '../../src/engine/pool.js'
import { view } from '../../src/engine/view.js'
import { BamError } from '../../src/errors.js'
import { formatFlagstat } from '../../src/ops/flagstat.js'
import { formatIdxstats } from '../../src/ops/idxstats.js'
import { Collector } from '../helpers/collect.js'
import { FUZZ_RUN, SAMTOOLS_COMMANDS, UNSORTED, fuzzCase, readBaseBam, sha1, type FuzzCase } from '../support/fuzz-bam.js'

/** samtools' outcome per case, one per op in `ops` order: stdout's SHA-1 prefix, or `error …`. */
const EXPECTATIONS = JSON.parse(fs.readFileSync('test/fixtures/fuzz/expectations.json', 'utf8')) as {
  run: typeof FUZZ_RUN
  ops: string[]
  cases: Record<string, string[]>
}
const MAIN = path.resolve(import.meta.dirname, '../../dist/src/cli/main.js')
/** Small chunks: many chunks per file, so guessed starts and straddling records are exercised. */
const CHUNK_BYTES = 2048
/** Kinds where the damaged record itself may be accepted and a later one refused (a longer block_size swallows records). */
const LATER_ERROR_KINDS = new Set(['block-size-bit', 'random-byte', 'fixed-bit', 'n-cigar-op', 'l-read-name', 'l-seq-bit'])

type Op = keyof typeof SAMTOOLS_COMMANDS
const OPS = Object.keys(SAMTOOLS_COMMANDS) as Op[]

let pool: Piscina
beforeAll(() => { pool = createPool(2) })
afterAll(async () => { await pool.destroy() })

/** bamstream's stdout for one op, as the CLI prints it; throws what the run throws. */
async function output(op: Op, bam: Uint8Array): Promise<string | Buffer> {
  const source = (async function* () { yield bam })()
  const o = { pool, chunkBytes: CHUNK_BYTES }
  switch (op) {
    case 'count': return `${await count(source, o)}\n`
    case 'flagstat': return formatFlagstat(await flagstat(source, o))
    case 'idxstats': return formatIdxstats(await idxstats(source, o))
    case 'view': {
      const out = new Collector()
      await view(source, { ...o, output: out })
      return out.bytes
    }
  }
  throw new RangeError(`unknown op ${String(op)}`)
}

/**
 * `idxstats-unsorted`: samtools' idxstats without an index refuses a file whose
 * records are not grouped by reference (a damaged refID can do that); bamstream
 * refuses it too (`ERR_UNSORTED`, issue 13.3), which counts as `both-error`;
 * `idxstats-unsorted` would be bamstream printing counts there. Like samtools'
 * message, that refusal names no record, so it has no offset to check.
 */
type Verdict = 'same-output' | 'both-error' | 'bamstream-only-ok' | 'bamstream-only-error' | 'different-output' | 'idxstats-unsorted'

interface Row { c: FuzzCase; op: Op; verdict: Verdict; error?: BamError }

describe('record fuzzing against samtools (issue 9)', () => {
  const base = readBaseBam(EXPECTATIONS.run.base, EXPECTATIONS.run.records)
  const rows: Row[] = []
  let peakRss = 0
  let startRss = 0

  it('matches samtools on every fuzzed file and op, or fails where samtools fails', async () => {
    expect(EXPECTATIONS.run).toEqual(FUZZ_RUN)
    startRss = process.memoryUsage().rss
    expect(EXPECTATIONS.ops).toEqual(OPS)
    for (let i = 0; i < FUZZ_RUN.cases; i++) {
      const c = fuzzCase(base, FUZZ_RUN.seed, i)
      const expected = EXPECTATIONS.cases[c.name]
      expect(expected, c.name).toBeDefined()
      for (const op of OPS) {
        const want = expected![OPS.indexOf(op)]!
        let got: string | Buffer | undefined
        let error: unknown
        try {
          got = await output(op, c.bam)
        } catch (e) {
          error = e
        }
        const verdict: Verdict = want === `error: ${UNSORTED}` && !error ? 'idxstats-unsorted'
          : want.startsWith('error') ? (error ? 'both-error' : 'bamstream-only-ok')
            : error ? 'bamstream-only-error' : sha1(got!) === want ? 'same-output' : 'different-output'
        rows.push({ c, op, verdict, error: error instanceof BamError ? error : undefined })
        peakRss = Math.max(peakRss, process.memoryUsage().rss)
        if (error && !(error instanceof BamError)) throw error
      }
    }
    const table: Record<string, number> = {}
    for (const r of rows) table[r.verdict] = (table[r.verdict] ?? 0) + 1
    console.log('fuzz outcomes (case × op):', table, `RSS ${(startRss / 2 ** 20).toFixed(0)} MiB at start, peak ${(peakRss / 2 ** 20).toFixed(0)} MiB`)
    const wrong = rows.filter((r) => r.verdict !== 'same-output' && r.verdict !== 'both-error')
    expect(wrong.map((r) => `${r.c.name} (${r.c.detail}) ${r.op}: ${r.verdict} ${r.error?.describe() ?? ''}`)).toEqual([])
    expect(peakRss - startRss).toBeLessThan(512 * 2 ** 20)
  })

  it('names the file offset of the damaged record\'s block in every error', () => {
    const errors = rows.filter((r) => r.verdict === 'both-error')
    expect(errors.length).toBeGreaterThan(100)
    for (const { c, op, error } of errors) {
      const where = `${c.name} (${c.detail}) ${op}: ${error?.describe()}`
      expect(error, where).toBeInstanceOf(BamError)
      expect(error!.describe(), where).not.toContain('\n')
      if (error!.code === 'ERR_UNSORTED') continue
      if (LATER_ERROR_KINDS.has(c.kind)) expect(error!.offset, where).toBeGreaterThanOrEqual(c.damagedOffset)
      else expect(error!.offset, where).toBe(c.damagedOffset)
    }
  })

  it('the CLI fails with one line and a non-zero exit where samtools fails', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bamstream-fuzz-'))
    try {
      const picks = rows.filter((r) => r.verdict === 'both-error' && r.op === 'count').slice(0, 2)
      for (const { c } of picks) {
        const file = path.join(dir, `${c.name}.bam`)
        fs.writeFileSync(file, c.bam)
        for (const args of [['count'], ['flagstat'], ['view']]) {
          const r = spawnSync(process.execPath, [MAIN, ...args, '-@', '2', '--chunk-size', '2k', file], { encoding: 'latin1' })
          expect(r.status, `${c.name} ${args}`).toBe(1)
          expect(r.stderr.trimEnd().split('\n'), `${c.name} ${args}`).toHaveLength(1)
          expect(r.stderr).toMatch(/\(at byte \d+\)/)
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
