import { spawn } from 'node:child_process'
import { pathToFileURL } from 'node:url'
import path from 'node:path'
import { afterEach, describe, expect, it, afterAll } from 'vitest'
import { acquireLease, heartbeat, readLease, releaseLease } from '../../src/sensor/lease.js'
import type { Run } from '../../src/sensor/schema.js'
import { RunStore, type CursorRow, type RunRequest, type TickRecord } from '../../src/sensor/store.js'
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
  return {
    sensor: 's', runKey: key, source: `/in/${key}.bam`, size: 100, stamp: '1', op: 'flagstat', options: {}, engine: { chunkSize: 65536, maxRuntime: 0 },
    outBase: `/out/${key}`, maxAttempts: 3, ...extra,
  }
}

const tick = (sensor: string, now: number): TickRecord => ({ sensor, startedAt: now, ms: 1, candidates: 0, requested: 0, skipped: {}, error: null })

/** Stores a tick's requests (no cursor change) and returns the new runs. */
function enqueue(s: RunStore, sensor: string, requests: RunRequest[], now: number, changed: Array<[string, CursorRow]> = []): Run[] {
  return s.commitTick(sensor, { requests, changed, removed: [], tick: tick(sensor, now) }, now).created
}

const noDelay = (): number => 0

describe('RunStore', () => {
  it('creates one run per (sensor, run key), saving the changed cursor rows in the same transaction', () => {
    const s = store()
    const row = (key?: string): CursorRow => ({ size: 100, stamp: '1', since: 5, key })
    expect(enqueue(s, 's', [request('a'), request('b')], 1000, [['/in/a.bam', row('a')], ['/in/b.bam', row('b')], ['/in/x.bam', row()]]).map((r) => r.runKey)).toEqual(['a', 'b'])
    expect(s.commitTick('s', { requests: [request('a'), request('c')], changed: [['/in/c.bam', row('c')]], removed: ['/in/x.bam'], tick: tick('s', 2000) }, 2000)
      .created.map((r) => r.runKey)).toEqual(['c'])
    expect(enqueue(s, 'other', [request('a', { sensor: 'other', outBase: '/out/other/a' })], 3000)).toHaveLength(1)
    expect([...s.cursor('s')]).toEqual([['/in/a.bam', row('a')], ['/in/b.bam', row('b')], ['/in/c.bam', row('c')]])
    expect(s.counts().QUEUED).toBe(4)
    expect(s.get(1)).toMatchObject({ stamp: '1', engine: { chunkSize: 65536, maxRuntime: 0 } })
    expect(s.ticks('s', 10).map((t) => t.startedAt)).toEqual([2000, 1000])
    const insert = s.db.prepare("INSERT INTO runs (sensor, run_key, source, op, out_base, max_attempts, created_at, updated_at) VALUES ('s', 'a', 'x', 'flagstat', 'o', 1, 0, 0)")
    expect(() => insert.run()).toThrow(/UNIQUE constraint failed: runs.sensor, runs.run_key/)
  })

  it('uses WAL mode', () => {
    expect(store().db.pragma('journal_mode', { simple: true })).toBe('wal')
  })

  it('claims QUEUED runs oldest first, STARTED by the owner, with an attempt row', () => {
    const s = store()
    enqueue(s, 's', [request('a'), request('b')], 0)
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
    // enough runs that claiming them all outlasts a scheduler time slice: with 600, one claimer on a loaded
    // 2-core machine (CI) once took them all before the others were scheduled
    const RUNS = 2400
    enqueue(s, 's', Array.from({ length: RUNS }, (_, i) => request(`k${i}`)), 0)
    const storeUrl = pathToFileURL(path.join(ROOT, 'dist/src/sensor/store.js')).href
    const script = `import { RunStore } from '${storeUrl}'
      const s = RunStore.open(process.argv[1]); const ids = []
      while (Date.now() < Number(process.argv[2])) {} // all four start claiming at one instant
      for (let r; (r = s.claim(process.pid, Date.now())); ) ids.push(r.id)
      s.close(); process.stdout.write(JSON.stringify(ids))`
    const startAt = Date.now() + 3000 // after every claimer has booted, even on a loaded machine
    const claimers = Array.from({ length: 4 }, () => new Promise<number[]>((resolve, reject) => {
      const p = spawn(process.execPath, ['--input-type=module', '-e', script, dir, String(startAt)], { stdio: ['ignore', 'pipe', 'inherit'] })
      let out = ''
      p.stdout.on('data', (d: Buffer) => { out += d.toString() })
      p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as number[]) : reject(new Error(`claimer exited ${code}`))))
    }))
    const perProcess = await Promise.all(claimers)
    const claimed = perProcess.flat()
    expect(perProcess.filter((ids) => ids.length > 0).length).toBeGreaterThan(1) // they really competed
    expect(claimed).toHaveLength(RUNS)
    expect(new Set(claimed).size).toBe(RUNS)
    expect(s.counts()).toMatchObject({ QUEUED: 0, STARTED: RUNS })
  }, 20_000)

  it('retries a retryable failure after the backoff, then leaves it FAILURE at the limit', () => {
    const s = store()
    const [run] = enqueue(s, 's', [request('a', { maxAttempts: 2 })], 0)
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
    const [run] = enqueue(s, 's', [request('a')], 0)
    s.claim(1, 0)
    expect(s.fail(run!.id, 1, { name: 'BamError', code: 'ERR_BGZF_CRC', message: 'bad', offset: 120 }, false, noDelay, 5)?.status).toBe('FAILURE')
    expect(s.get(run!.id).error).toEqual({ name: 'BamError', code: 'ERR_BGZF_CRC', message: 'bad', offset: 120, retryable: false })
  })

  it('records SUCCESS once, and a SUCCESS run can never change status', () => {
    const s = store()
    const [run] = enqueue(s, 's', [request('a')], 0)
    s.claim(7, 0)
    expect(s.succeed(run!.id, 8, {}, [], 1)).toBe(false) // not the owner
    expect(s.succeed(run!.id, 7, { n: 1 }, ['/out/a.json'], 2)).toBe(true)
    expect(s.succeed(run!.id, 7, { n: 2 }, [], 3)).toBe(false)
    expect(s.get(run!.id)).toMatchObject({ status: 'SUCCESS', result: { n: 1 }, outputs: ['/out/a.json'], owner: null })
    expect(() => s.db.prepare("UPDATE runs SET status = 'FAILURE' WHERE id = ?").run(run!.id)).toThrow(/a SUCCESS run is final/)
    expect(() => s.retry(run!.id, 4)).toThrow(/re-execute it/)
  })

  it('re-executes a SUCCESS run: a new attempt under the same key', () => {
    const s = store()
    const [run] = enqueue(s, 's', [request('a')], 0)
    s.claim(7, 0)
    s.succeed(run!.id, 7, { n: 1 }, ['/out/a.json'], 2)
    expect(s.reexecute(run!.id, 3)).toMatchObject({ status: 'QUEUED', runKey: 'a', attempts: 1, error: null })
    expect(s.claim(7, 4)).toMatchObject({ id: run!.id, attempts: 2 })
    expect(s.succeed(run!.id, 7, { n: 2 }, ['/out/a.json'], 5)).toBe(true)
    expect(s.attempts(run!.id).map((a) => a.outcome)).toEqual(['SUCCESS', 'SUCCESS'])
    expect(() => s.reexecute(999, 6)).toThrow(expect.objectContaining({ code: 'ERR_NOT_FOUND' }))
  })

  it('pauses a run on an output outage without using an attempt; skips a superseded one', () => {
    const s = store()
    const [a, b] = enqueue(s, 's', [request('a', { maxAttempts: 1 }), request('b')], 0)
    s.claim(1, 0)
    s.claim(1, 0)
    const outage = { name: 'SensorError', code: 'ERR_OUTPUT', message: 'cannot write /out/a.count.txt: read-only file system (EROFS)', errno: 'EROFS' }
    expect(s.pause(a!.id, 1, outage, 5)).toBe(true)
    expect(s.get(a!.id)).toMatchObject({ status: 'QUEUED', failures: 0, attempts: 1, notBefore: 0 })
    expect(s.attempts(a!.id)[0]).toMatchObject({ outcome: 'PAUSED', error: { errno: 'EROFS' } })
    expect(s.skip(b!.id, 1, { name: 'SensorError', code: 'ERR_SUPERSEDED', message: 'changed' }, 6)).toBe(true)
    expect(s.get(b!.id)).toMatchObject({ status: 'SKIPPED', error: { code: 'ERR_SUPERSEDED' }, endedAt: 6 })
    expect(s.claim(1, 7)).toMatchObject({ id: a!.id, attempts: 2 })
  })

  it('retries, cancels and deletes in bulk by status, sensor and creation time; prunes old finished runs', () => {
    const s = store()
    enqueue(s, 's', [request('a'), request('b'), request('c')], 100)
    enqueue(s, 't', [request('d', { sensor: 't', outBase: '/out/t/d' })], 200)
    for (let i = 0; i < 4; i++) s.claim(1, 300)
    for (const id of [1, 2, 4]) s.fail(id, 1, { name: 'Error', message: 'x' }, false, noDelay, 400)
    s.succeed(3, 1, null, [], 400)
    expect(s.bulk('retry', { status: 'FAILURE', sensor: 's' }, 500)).toEqual([1, 2])
    expect(s.bulk('cancel', { status: 'QUEUED', since: 100 }, 600)).toEqual([1, 2])
    expect(s.counts()).toMatchObject({ CANCELED: 2, SUCCESS: 1, FAILURE: 1 })
    expect(s.bulk('retry', { status: 'FAILURE', since: 201 }, 700)).toEqual([])
    expect(s.bulk('delete', { status: 'CANCELED' }, 800)).toEqual([1, 2])
    expect(s.total()).toBe(2)
    expect(s.attempts(1)).toEqual([])
    expect(s.prune(401)).toBe(2) // the SUCCESS and the FAILURE ended at 400
    expect(s.total()).toBe(0)
  })

  it('keeps a stopped sensor\'s QUEUED runs waiting', () => {
    const s = store()
    enqueue(s, 's', [request('a')], 0)
    s.setStopped('s', true, 1)
    expect(s.claim(1, 2)).toBeUndefined()
    expect(s.nextDue()).toBeUndefined()
    expect(s.sensors()).toMatchObject([{ name: 's', stopped: true }])
    s.setStopped('s', false, 3)
    expect(s.claim(1, 4)?.runKey).toBe('a')
  })

  it('gives an output name to one source only', () => {
    const s = store()
    const both = { outBase: '/out/x' }
    const r = s.commitTick('s', { requests: [request('a', both)], changed: [], removed: [], tick: tick('s', 0) }, 0)
    expect(r.created).toHaveLength(1)
    const clash = s.commitTick('t', { requests: [request('b', { ...both, sensor: 't' })], changed: [['/in/b.bam', { size: 1, stamp: '1', since: 0, key: 'b' }]], removed: [], tick: tick('t', 1) }, 1)
    expect(clash.created).toEqual([])
    expect(clash.collisions).toEqual([{ request: expect.objectContaining({ source: '/in/b.bam' }), owner: { sensor: 's', source: '/in/a.bam' } }])
    expect(s.cursor('t').get('/in/b.bam')?.key).toBeUndefined() // decided again at the next tick, not marked requested
    expect(s.commitTick('s', { requests: [request('a2', { ...both, source: '/in/a.bam' })], changed: [], removed: [], tick: tick('s', 2) }, 2).created).toHaveLength(1) // the same source, rewritten
  })

  it('keeps the last 1000 or so ticks per sensor', () => {
    const s = store()
    for (let i = 0; i < 1250; i++) s.recordTick(tick(i % 5 === 0 ? 'other' : 's', i), i)
    const kept = s.ticks('s', 5000)
    expect(kept.length).toBeGreaterThanOrEqual(1000)
    expect(kept.length).toBeLessThan(1100)
    expect(kept[0]!.startedAt).toBe(1249)
    expect(s.ticks('other', 5000)).toHaveLength(250)
  })

  it('keeps a log per run', () => {
    const s = store()
    const [run] = enqueue(s, 's', [request('a')], 0)
    s.logEvent(run!.id, 1, 'warn', 'run.retry', { error: { code: 'ERR_HTTP' } }, 10)
    expect(s.events(run!.id)).toEqual([{ time: 10, attempt: 1, level: 'warn', event: 'run.retry', fields: { error: { code: 'ERR_HTTP' } } }])
  })

  it('re-queues STARTED runs on recovery and on interruption, without counting a failure', () => {
    const s = store()
    const runs = enqueue(s, 's', [request('a'), request('b')], 0)
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
    const [a, b] = enqueue(s, 's', [request('a'), request('b')], 0)
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
