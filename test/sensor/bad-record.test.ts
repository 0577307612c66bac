/**
 * Issue 9.1: the daemon records a BAM whose records htslib refuses as FAILURE
 * (ERR_BAD_RECORD with the damaged record's block offset), never as SUCCESS.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FUZZ_RUN, fuzzCase, readBaseBam } from '../support/fuzz-bam.js'
import { allRuns, daemonDirs, removeTempDirs, requireBuild, stopDaemon, useDaemons } from './helpers.js'

afterAll(removeTempDirs)
beforeAll(requireBuild)
const daemon = useDaemons()

describe('daemon and bad records', () => {
  it('a file with a refID out of range is a FAILURE with ERR_BAD_RECORD at the record\'s block', async () => {
    const d = daemonDirs('bamstream-bad-record-')
    const c = fuzzCase(readBaseBam(FUZZ_RUN.base, FUZZ_RUN.records), FUZZ_RUN.seed, 0) // refID = -2: samtools refuses it
    fs.writeFileSync(path.join(d.watch, 'bad-ref.bam'), c.bam)
    const p = daemon(['daemon', '--watch', d.watch, '--out', d.out, '--state', d.state, '--interval', '100ms', '--threads', '1'])
    const failure = await p.waitForEvent('run.failure', 20_000)
    expect(failure).toMatchObject({ error: { code: 'ERR_BAD_RECORD', offset: c.damagedOffset } })
    expect(await stopDaemon(p)).toEqual({ code: 0, signal: null })
    expect(allRuns(d.state).map((r) => [r.status, r.error?.code])).toEqual([['FAILURE', 'ERR_BAD_RECORD']])
  })
})
