/**
 * Split tasks and their merge without Redis: every split of a file run
 * directly, then merged, compared with a local run, including forced wrong
 * guesses at split level.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Piscina } from 'piscina'
import { encodeValue, decodeValue } from '../../src/cluster/codec.js'
import { mergeSplits } from '../../src/cluster/merge.js'
import { openRange } from '../../src/cluster/range.js'
import { planSplits, type Split } from '../../src/cluster/split.js'
import { readHeaderOnly, runSplit, type SplitJob, type SplitResult } from '../../src/cluster/task.js'
import { createPool } from '../../src/engine/pool.js'
import { run } from '../../src/engine/run.js'
import type { GuessHook } from '../../src/engine/task.js'
import { corpusBam } from '../helpers/corpus.js'

let pool: Piscina
let dir: string
/** A generated BAM whose records run across BGZF blocks (no --align-records), so that splits begin inside records. */
let straddling: string
beforeAll(() => {
  pool = createPool(1)
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bamstream-splits-'))
  straddling = path.join(dir, 'straddling.bam')
  const gen = spawnSync(process.execPath, [path.resolve(import.meta.dirname, '../../dist/bench/generate.js'), '--out', straddling, '--count', '3000', '--block-size', '4000', '--seed', '3'], { encoding: 'utf8' })
  expect(gen.status, gen.stderr).toBe(0)
})
afterAll(async () => {
  await pool.destroy()
  fs.rmSync(dir, { recursive: true, force: true })
})

async function splitsOf(name: string, splitBytes: number, guessHook?: GuessHook): Promise<{ results: SplitResult[]; merged: unknown; redone: number; task: Omit<SplitJob, 'split' | 'carry'>; splits: Split[] }> {
  const file = name.endsWith('.bam') ? name : corpusBam(name)
  const src = await openRange(file)
  const bam = await readHeaderOnly(src)
  await src.close()
  const splits = planSplits(src.size, bam.recordsCoffset, bam.first?.start ?? 0, splitBytes)
  const task = { runId: `${name}-${splitBytes}-${guessHook}`, source: file, op: 'flagstat', options: encodeValue({}), chunkBytes: 4096, guessHook }
  const results: SplitResult[] = []
  for (const split of splits) results.push(await runSplit({ ...task, split }, pool))
  const outcome = await mergeSplits({ task, splits }, new Map(results.map((r) => [r.index, r])), pool)
  return { results, merged: decodeValue(outcome.result), redone: outcome.redone, task, splits }
}

describe('split tasks', () => {
  it('cover splits that start inside a block, inside a record, and splits with no block start', async () => {
    const { results, merged } = await splitsOf('htslib_test_ce_large_seq', 5000)
    expect(results.some((r) => r.blockStart >= r.blockEnd && r.blockStart > 0)).toBe(true) // no block start
    expect(results.some((r) => r.index > 0 && r.blockStart < r.blockEnd)).toBe(true) // synced to a block inside its range
    expect(results.some((r) => r.start < 0 && r.head.length > 0)).toBe(true) // all inside one long record
    expect(merged).toEqual(await run(corpusBam('htslib_test_ce_large_seq'), 'flagstat', {}, { pool }))
  })

  it('splits whose first record begins after the end of a record cut off before them', async () => {
    const { results, merged } = await splitsOf(straddling, 3000, 'none')
    expect(merged).toEqual(await run(straddling, 'flagstat', {}, { pool }))
    expect(results.filter((r) => r.start > 0 && !r.exact).length).toBeGreaterThan(5)
  })

  it.each(['misalign', 'skip'] as const)('forced %s guesses at split level are redone exactly', async (hook) => {
    for (const name of ['htslib_test_ce_1000', 'htslib_test_ce_large_seq', 'htslib_test_range', straddling]) {
      const { merged, redone } = await splitsOf(name, 2000, hook)
      expect(merged).toEqual(await run(name.endsWith('.bam') ? name : corpusBam(name), 'flagstat', {}, { pool }))
      if (hook === 'misalign' && name === 'htslib_test_ce_1000') expect(redone).toBeGreaterThan(0)
    }
  })

  it('a split done twice gives the same result (results are keyed by split index)', async () => {
    const { results, task, splits } = await splitsOf(straddling, 5000)
    for (const i of [1, 2]) expect(await runSplit({ ...task, split: splits[i]! }, pool)).toEqual(results[i])
  })
})
