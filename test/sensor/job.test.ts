import fs from 'node:fs'
import path from 'node:path'
import type { Piscina } from 'piscina'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPool } from '../../src/engine/pool.js'
import { BamError } from '../../src/errors.js'
import { TEMP_TAG, createAtomicFile, removeStaleTemps, writeFileAtomic } from '../../src/engine/atomic.js'
import { SensorError, isOutputOutage, isRetryable, outputError, storedError } from '../../src/sensor/errors.js'
import { executeJob, normaliseJob, opLabel } from '../../src/sensor/job.js'
import { CE_1000, FIXTURES, SLOW_OP, corruptCopy, listFiles, makeReadOnly, requireBuild, tempDir, removeTempDirs } from './helpers.js'

afterAll(removeTempDirs)

let pool: Piscina
beforeAll(() => {
  requireBuild()
  pool = createPool(2)
})
afterAll(async () => {
  await pool.destroy()
})

const fixture = (name: string, ext: string): string => fs.readFileSync(path.join(FIXTURES, `${name}${ext}`), 'utf8')

describe('executeJob', () => {
  it('writes flagstat results exactly as `bamstream flagstat` (and samtools) prints them', async () => {
    const out = tempDir()
    for (const name of ['htslib_test_ce_1000', 'htslib_samples_sample', 'htslib_test_xx_pair']) {
      const job = { source: path.join(FIXTURES, `${name}.bam`), op: 'flagstat', options: {}, outBase: path.join(out, 'sub', name) }
      const { result, outputs } = await executeJob(job, { pool, chunkBytes: 65536 })
      expect(outputs).toEqual([`${job.outBase}.flagstat.json`, `${job.outBase}.flagstat.txt`])
      expect(fs.readFileSync(outputs[0]!, 'utf8')).toBe(fixture(name, '.flagstat.json'))
      expect(fs.readFileSync(outputs[1]!, 'utf8')).toBe(fixture(name, '.flagstat.txt'))
      expect(result).toMatchObject({ passed: { total: Number(fixture(name, '.count')) } })
    }
    expect(listFiles(out).filter((f) => f.includes(TEMP_TAG))).toEqual([])
  })

  it('writes count results as `bamstream count` prints them, with -f/-F/-q options', async () => {
    const out = tempDir()
    const all = await executeJob({ source: CE_1000, op: 'count', options: {}, outBase: path.join(out, 'a') }, { pool, chunkBytes: 65536 })
    expect(fs.readFileSync(all.outputs[0]!, 'utf8')).toBe(fixture('htslib_test_ce_1000', '.count'))
    const job = normaliseJob('count', { F: '0x10' }, '.')
    const fwd = await executeJob({ source: CE_1000, ...job, outBase: path.join(out, 'b') }, { pool, chunkBytes: 65536 })
    expect(fwd.result).toBeLessThan(1000)
    expect(fs.readFileSync(path.join(out, 'b.count.txt'), 'utf8')).toBe(`${fwd.result as number}\n`)
  })

  it('writes idxstats and view results as `bamstream idxstats` and `bamstream view -h -o` would', async () => {
    const out = tempDir()
    const base = path.join(out, 'ce')
    const idx = await executeJob({ source: CE_1000, op: 'idxstats', options: {}, outBase: base }, { pool, chunkBytes: 65536 })
    expect(fs.readFileSync(idx.outputs[0]!, 'utf8')).toBe(fixture('htslib_test_ce_1000', '.idxstats.txt'))
    const sam = await executeJob({ source: CE_1000, ...normaliseJob('view', { header: 'include' }, '.'), outBase: base }, { pool, chunkBytes: 65536 })
    expect(sam).toEqual({ result: 1000, outputs: [`${base}.view.sam`] })
    expect(fs.readFileSync(`${base}.view.sam`, 'utf8')).toBe(fixture('htslib_test_ce_1000', '.sam'))
    const bam = await executeJob({ source: CE_1000, ...normaliseJob('view', { format: 'bam', F: 16 }, '.'), outBase: base }, { pool, chunkBytes: 65536 })
    const forward = await executeJob({ source: `${base}.view.bam`, op: 'count', options: {}, outBase: path.join(out, 'fwd') }, { pool, chunkBytes: 65536 })
    expect(forward.result).toBe(bam.result)
    expect(listFiles(out)).toEqual(['ce.idxstats.txt', 'ce.view.bam', 'ce.view.sam', 'fwd.count.txt'])
  })

  it('runs a user op given as a module path and writes its result as JSON', async () => {
    const out = tempDir()
    const job = normaliseJob(path.relative(process.cwd(), SLOW_OP), { msPerRecord: 0 }, process.cwd())
    expect(job.op).toBe(SLOW_OP)
    const { result, outputs } = await executeJob({ source: CE_1000, ...job, outBase: path.join(out, 'a') }, { pool, chunkBytes: 65536 })
    expect(result).toEqual({ records: 1000 })
    expect(outputs).toEqual([path.join(out, 'a.slow-op.json')])
    expect(JSON.parse(fs.readFileSync(outputs[0]!, 'utf8'))).toEqual({ records: 1000 })
    expect(opLabel(SLOW_OP)).toBe('slow-op')
  })

  it('fails a corrupt BAM with a typed, non-retryable error and writes nothing', async () => {
    const dir = tempDir()
    const bad = path.join(dir, 'bad.bam')
    corruptCopy(CE_1000, bad)
    const error = await executeJob({ source: bad, op: 'flagstat', options: {}, outBase: path.join(dir, 'out/bad') }, { pool, chunkBytes: 65536 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BamError)
    expect(storedError(error)).toMatchObject({ name: 'BamError', code: 'ERR_BGZF_CRC', source: bad })
    expect(isRetryable(error)).toBe(false)
    expect(listFiles(path.join(dir, 'out'))).toEqual([])
  })

  it('stops when aborted', async () => {
    const ac = new AbortController()
    const job = normaliseJob(SLOW_OP, { msPerRecord: 5 }, '.')
    const running = executeJob({ source: CE_1000, ...job, outBase: path.join(tempDir(), 'a') }, { pool, chunkBytes: 65536, signal: ac.signal })
    setTimeout(() => ac.abort(new Error('stop')), 100)
    const started = Date.now()
    await expect(running).rejects.toThrow()
    expect(Date.now() - started).toBeLessThan(4000) // 1000 records × 5 ms would take 5 s
  })
})

describe('output errors', () => {
  it('name the file once and the system error once (issue 12.7), and tell an outage from a bad run', () => {
    const e = outputError('/out/a.count.txt', Object.assign(new Error("EROFS: read-only file system, open '/out/.a.count.txt.bamstream-tmp-1-ab'"), { code: 'EROFS' }))
    expect([e.code, e.message, e.errno]).toEqual(['ERR_OUTPUT', 'cannot write /out/a.count.txt: read-only file system (EROFS)', 'EROFS'])
    expect(isOutputOutage(e)).toBe(true)
    expect(storedError(e)).toEqual({ name: 'SensorError', code: 'ERR_OUTPUT', message: e.message, errno: 'EROFS' })
    expect(isOutputOutage(outputError('/out/a', Object.assign(new Error('ENOTDIR: not a directory'), { code: 'ENOTDIR' })))).toBe(false)
    expect(isOutputOutage(new BamError('ERR_SOURCE', 'EACCES reading input'))).toBe(false) // the input side is the run's problem
    expect(isRetryable(new SensorError('ERR_TIMEOUT', 'hung'))).toBe(true)
  })

  for (const op of ['count', 'view', SLOW_OP]) {
    it(`are ERR_OUTPUT naming the result file when the out folder is read-only (${path.basename(op)})`, async (ctx) => {
      const out = path.join(tempDir(), 'out')
      const undo = makeReadOnly(out)
      if (!undo) return ctx.skip()
      try {
        const job = { source: CE_1000, op, options: op === SLOW_OP ? { msPerRecord: 0 } : {}, outBase: path.join(out, 'a') }
        const e = await executeJob(job, { pool, chunkBytes: 65536 }).catch((x: unknown) => x)
        expect(e).toMatchObject({ code: 'ERR_OUTPUT', message: expect.stringMatching(new RegExp(`^cannot write ${out}/a\\.\\S+: .* \\((EROFS|EACCES)\\)$`)) })
        expect(isOutputOutage(e)).toBe(true)
      } finally {
        undo()
      }
    })
  }
})

describe('normaliseJob', () => {
  it('checks op names and options at config time', () => {
    expect(normaliseJob('count', { excludedFlags: '0x904', q: 5 }, '.')).toEqual({ op: 'count', options: { excludedFlags: 0x904, minMapq: 5 } })
    expect(() => normaliseJob('nope', {}, '.')).toThrow(expect.objectContaining({ code: 'ERR_CONFIG', message: expect.stringMatching(/unknown op "nope"/) }))
    expect(() => normaliseJob('count', { mapq: 1 }, '.')).toThrow(/unknown option "mapq"/)
    expect(() => normaliseJob('count', { minMapq: 'x' }, '.')).toThrow(/expected a non-negative integer/)
    expect(() => normaliseJob('flagstat', { x: 1 }, '.')).toThrow(/it takes none/)
    expect(() => normaliseJob('view', { format: 'cram' }, '.')).toThrow(/view format: expected one of sam, bam/)
    expect(() => normaliseJob('./missing-op.js', {}, '/tmp')).toThrow(/does not exist/)
  })

  it('takes the filters by the API\'s names or samtools\' letters, as the CLI does, and nothing else', () => {
    expect(normaliseJob('count', { requiredFlags: 1, F: 4, minMapq: 3 }, '.').options).toEqual({ requiredFlags: 1, excludedFlags: 4, minMapq: 3 })
    for (const old of ['requireFlags', 'excludeFlags', 'minMQ']) expect(() => normaliseJob('count', { [old]: 1 }, '.')).toThrow(/unknown option/)
  })
})

describe('atomic files', () => {
  it('never shows a partial file under the final name', async () => {
    const dir = tempDir()
    const dest = path.join(dir, 'deep/a.json')
    const f = await createAtomicFile(dest)
    await f.write('{"half":')
    expect(fs.existsSync(dest)).toBe(false)
    await f.write('true}')
    await f.commit()
    await f.abort() // no-op after commit
    expect(fs.readFileSync(dest, 'utf8')).toBe('{"half":true}')
    await writeFileAtomic(dest, 'second')
    expect(fs.readFileSync(dest, 'utf8')).toBe('second')
    expect(listFiles(dir)).toEqual(['deep/a.json'])
  })

  it('removes temporary files of dead processes only', async () => {
    const dir = tempDir()
    fs.mkdirSync(path.join(dir, 'x'))
    const dead = path.join(dir, `x/.a.json${TEMP_TAG}999999999-abcd`)
    const mine = path.join(dir, `.b.json${TEMP_TAG}${process.pid}-abcd`)
    fs.writeFileSync(dead, 'partial')
    fs.writeFileSync(mine, 'in progress')
    fs.writeFileSync(path.join(dir, 'keep.json'), '{}')
    expect(await removeStaleTemps(dir)).toEqual([dead])
    expect(listFiles(dir)).toEqual([path.basename(mine), 'keep.json'])
  })
})
