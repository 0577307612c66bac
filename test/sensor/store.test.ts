import { spawn } from 'node:child_process'
import { pathToFileURL } from 'node:url'
import path from 'node:path'
import { afterEach, describe, expect, it, afterAll } from 'vitest'
import { SensorError } from '../../src/sensor/errors.js'
import { acquireLease, heartbeat, readLease, releaseLease } from '../../src/sensor/lease.js'
import { RunStore, type RunRequest } from '../../src/sensor/store.js'
import { ROOT, requireBuild, tempDir, removeTempDirs } from './helpers.js'

afterAll(removeTempDirs)

const open: RunStore[] = []
function store(dir = tempDir()): RunStore {
  const s = RunStore.open(dir)
  open.push(s)
  return s
}
afterEach(() => {
  for (const s of open.splice(0)) if (s.db.open) s.close()
})

function request(key: string, extra: Partial<RunRequest> = {}): RunRequest {
  return { sensor: 's', runKey: key, source: `/in/${key}.bam`, size: 100, op: 'flagstat', options: {}, outBase: `/out/${key}`, maxAttempts: 3, ...extra }
}

const noDelay = (): number => 0

describe('RunStore', () => {
  it('creates one run per (sensor, run key), saving the cursor in the same transaction', () => {
    const s = store()
    expect(s.enqueue('s', [request('a'), request('b')], '{"v":1,"seen":{}}', 1000).map((r) => r.runKey)).toEqual(['a', 'b'])
    expect(s.enqueue('s', [request('a'), request('c')], 'cursor-2', 2000).map((r) => r.runKey)).toEqual(['c'])
    expect(s.enqueue('other', [request('a', { sensor: 'other' })], 'x', 3000)).toHaveLength(1)
    expect(s.cursor('s')).toBe('cursor-2')
    expect(s.counts().QUEUED).toBe(4)
    const insert = s.db.prepare("INSERT INTO runs (sensor, run_key, source, op, out_base, max_attempts, created_at, updated_at) VALUES ('s', 'a', 'x', 'flagstat', 'o', 1, 0, 0)")
    expect(() => insert.run()).toThrow(/UNIQUE constraint failed: runs.sensor, runs.run_key/)
  })

  it('uses WAL mode', () => {
    expect(store().db.pragma('journal_mode', { simple: true })).toBe('wal')
  })

  it('claims QUEUED runs oldest first, STARTED by the owner, with an attempt row', () => {
    const s = store()
    s.enqueue('s', [request('a'), request('b')], '{}', 0)
    const a = s.claim(42, 10)!
    expect([a.runKey, a.status, a.owner, a.attempts, a.startedAt]).toEqual(['a', 'STARTED', 42, 1, 10])
    expect(s.claim(42, 11)!.runKey).toBe('b')
    expect(s.claim(42, 12)).toBeUndefined()
    expect(s.attempts(a.id)).toMatchObject([{ attempt: 1, owner: 42, startedAt: 10, endedAt: null, outcome: null }])
  })

  it('never hands one run to two processes claiming at the same time', async () => {
    requireBuild()
    const dir = tempDir()
    const s = store(dir)
    s.enqueue('s', Array.from({ length: 600 }, (_, i) => request(`k${i}`)), '{}', 0)
    const storeUrl = pathToFileURL(path.join(ROOT, 'dist/src/sensor/store.js')).href
    const script = `import { RunStore } from '${storeUrl}'
      const s = RunStore.open(process.argv[1]); const ids = []
      for (let r; (r = s.claim(process.pid, Date.now())); ) ids.push(r.id)
      s.close(); process.stdout.write(JSON.stringify(ids))`
    const claimers = Array.from({ length: 4 }, () => new Promise<number[]>((resolve, reject) => {
      const p = spawn(process.execPath, ['--input-type=module', '-e', script, dir], { stdio: ['ignore', 'pipe', 'inherit'] })
      let out = ''
      p.stdout.on('data', (d: Buffer) => { out += d.toString() })
      p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as number[]) : reject(new Error(`claimer exited ${code}`))))
    }))
    const perProcess = await Promise.all(claimers)
    const claimed = perProcess.flat()
    expect(perProcess.filter((ids) => ids.length > 0).length).toBeGreaterThan(1) // they really competed
    expect(claimed).toHaveLength(600)
    expect(new Set(claimed).size).toBe(600)
    expect(s.counts()).toMatchObject({ QUEUED: 0, STARTED: 600 })
  }, 20_000)

  it('retries a retryable failure after the backoff, then leaves it FAILURE at the limit', () => {
    const s = store()
    const [run] = s.enqueue('s', [request('a', { maxAttempts: 2 })], '{}', 0)
    s.claim(1, 0)
    const error = { name: 'BamError', code: 'ERR_SOURCE', message: 'gone' }
    expect(s.fail(run!.id, 1, error, true, (n) => 1000 * n, 100)).toEqual({ status: 'QUEUED', failures: 1, notBefore: 1100 })
    expect(s.claim(1, 1099)).toBeUndefined()
    expect(s.nextDue()).toBe(1100)
    expect(s.claim(1, 1100)!.attempts).toBe(2)
    expect(s.fail(run!.id, 1, error, true, noDelay, 1200)?.status).toBe('FAILURE')
    const done = s.get(run!.id)
    expect([done.status, done.attempts, done.failures, done.endedAt]).toEqual(['FAILURE', 2, 2, 1200])
    expect(done.error).toMatchObject({ code: 'ERR_SOURCE', retryable: true })
    expect(s.attempts(run!.id).map((a) => a.outcome)).toEqual(['RETRY', 'FAILURE'])
  })

  it('fails a non-retryable error at once', () => {
    const s = store()
    const [run] = s.enqueue('s', [request('a')], '{}', 0)
    s.claim(1, 0)
    expect(s.fail(run!.id, 1, { name: 'BamError', code: 'ERR_BGZF_CRC', message: 'bad', offset: 120 }, false, noDelay, 5)?.status).toBe('FAILURE')
    expect(s.get(run!.id).error).toEqual({ name: 'BamError', code: 'ERR_BGZF_CRC', message: 'bad', offset: 120, retryable: false })
  })

  it('records SUCCESS once, and a SUCCESS run can never change status', () => {
    const s = store()
    const [run] = s.enqueue('s', [request('a')], '{}', 0)
    s.claim(7, 0)
    expect(s.succeed(run!.id, 8, {}, [], 1)).toBe(false) // not the owner
    expect(s.succeed(run!.id, 7, { n: 1 }, ['/out/a.json'], 2)).toBe(true)
    expect(s.succeed(run!.id, 7, { n: 2 }, [], 3)).toBe(false)
    expect(s.get(run!.id)).toMatchObject({ status: 'SUCCESS', result: { n: 1 }, outputs: ['/out/a.json'], owner: null })
    expect(() => s.db.prepare("UPDATE runs SET status = 'QUEUED' WHERE id = ?").run(run!.id)).toThrow(/a SUCCESS run is final/)
    expect(() => s.retry(run!.id, 4)).toThrow(SensorError)
  })

  it('re-queues STARTED runs on recovery and on interruption, without counting a failure', () => {
    const s = store()
    const runs = s.enqueue('s', [request('a'), request('b')], '{}', 0)
    s.claim(1, 0)
    s.claim(1, 0)
    expect(s.requeue(runs[0]!.id, 1, 'stopping', 5)).toBe(true)
    expect(s.recover(6).map((r) => r.id)).toEqual([runs[1]!.id])
    for (const r of runs) {
      expect(s.get(r.id)).toMatchObject({ status: 'QUEUED', failures: 0, attempts: 1, owner: null })
      expect(s.attempts(r.id)[0]).toMatchObject({ outcome: 'INTERRUPTED', error: { code: 'ERR_INTERRUPTED' } })
    }
  })

  it('cancels a QUEUED run at once and flags a STARTED one for its daemon; retry re-queues', () => {
    const s = store()
    const [a, b] = s.enqueue('s', [request('a'), request('b')], '{}', 0)
    s.claim(9, 0) // a
    expect(s.requestCancel(b!.id, 1).status).toBe('CANCELED')
    expect(s.requestCancel(a!.id, 1)).toMatchObject({ status: 'STARTED', cancelRequested: true })
    expect(s.cancelRequested(9)).toEqual([a!.id])
    expect(s.cancelStarted(a!.id, 9, 2)).toBe(true)
    expect(s.get(a!.id).status).toBe('CANCELED')
    expect(() => s.requestCancel(a!.id, 3)).toThrow(/only QUEUED or STARTED/)
    expect(s.retry(a!.id, 4)).toMatchObject({ status: 'QUEUED', failures: 0, cancelRequested: false })
    expect(() => s.get(999)).toThrow(expect.objectContaining({ code: 'ERR_NOT_FOUND' }))
  })
})

describe('lease', () => {
  it('refuses a second live daemon and is taken over from a dead one', async () => {
    const s = store()
    expect(acquireLease(s.db, process.pid, 1000, 60_000)).toBeUndefined()
    expect(() => acquireLease(s.db, process.pid + 100_000, Date.now(), 60_000)).not.toThrow() // heartbeat 1000 is stale
    acquireLease(s.db, process.pid, Date.now(), 60_000)
    expect(() => acquireLease(s.db, 1, Date.now(), 60_000)).toThrow(expect.objectContaining({ code: 'ERR_LOCKED' }))
    const dead = spawn(process.execPath, ['-e', '0'])
    await new Promise((r) => dead.on('exit', r))
    s.db.prepare("UPDATE meta SET value = json_set(value, '$.pid', ?) WHERE key = 'lease'").run(dead.pid!)
    expect(acquireLease(s.db, process.pid, Date.now(), 60_000)?.pid).toBe(dead.pid)
    expect(heartbeat(s.db, process.pid, Date.now())).toBe(true)
    expect(heartbeat(s.db, dead.pid!, Date.now())).toBe(false)
    releaseLease(s.db, process.pid)
    expect(readLease(s.db)).toBeUndefined()
  })
})
