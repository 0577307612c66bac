/**
 * Run storage: SQLite (better-sqlite3, WAL mode) in the state directory, file
 * `runs.sqlite`. Every change is one transaction, so a crash at any moment
 * loses nothing and duplicates nothing: the run requests of a tick and the
 * sensor's cursor commit together, a claim is a single
 * `UPDATE … WHERE status = 'QUEUED' RETURNING`, and `UNIQUE (sensor, run_key)`
 * makes a second run for the same key impossible.
 */
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { SensorError, type StoredError } from './errors.js'
import { migrate, toAttempt, toRun, type Attempt, type Run, type RunRow, type RunStatus } from './schema.js'

/** File name of the database inside the state directory. */
export const DB_FILE = 'runs.sqlite'

/** A run to create: the stored run's identity and what to run. */
export type RunRequest = Pick<Run, 'sensor' | 'runKey' | 'source' | 'size' | 'op' | 'options' | 'outBase' | 'maxAttempts'>

/** Filter of {@link RunStore.list}. */
export interface RunFilter {
  status?: RunStatus
  sensor?: string
  /** Most rows, newest first (default 100). */
  limit?: number
}

/** How a failed attempt ended. */
export interface FailOutcome {
  status: 'QUEUED' | 'FAILURE'
  failures: number
  notBefore: number
}

/**
 * The run storage of one state directory.
 *
 * @example
 * ```ts
 * const store = RunStore.open('.bamstream')
 * store.enqueue('incoming', [request], '{"v":1,"seen":{}}', Date.now())
 * const run = store.claim(process.pid, Date.now())
 * store.close()
 * ```
 */
export class RunStore {
  /** The database connection (for the lease and for tests). */
  readonly db: Database.Database

  private constructor(db: Database.Database) {
    this.db = db
  }

  /** Opens (creating when allowed) the store in `stateDir`. */
  static open(stateDir: string, options: { mustExist?: boolean } = {}): RunStore {
    const file = path.join(stateDir, DB_FILE)
    if (options.mustExist && !fs.existsSync(file)) {
      throw new SensorError('ERR_STATE', `no run storage at ${file} (start a daemon with --state ${stateDir} first)`)
    }
    let db: Database.Database
    try {
      fs.mkdirSync(stateDir, { recursive: true })
      db = new Database(file)
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = FULL')
      db.pragma('busy_timeout = 10000')
      db.pragma('foreign_keys = ON')
      migrate(db)
    } catch (e) {
      if (e instanceof SensorError) throw e
      throw new SensorError('ERR_STATE', `cannot open run storage ${file}: ${(e as Error).message}`, { cause: e })
    }
    return new RunStore(db)
  }

  close(): void {
    this.db.close()
  }

  /** Inserts the run requests of one sensor tick and saves its cursor, in one transaction. Returns the new runs; keys already present are skipped. */
  enqueue(sensor: string, requests: RunRequest[], cursor: string, now: number): Run[] {
    const insert = this.db.prepare(`INSERT INTO runs (sensor, run_key, source, size, op, options, out_base, max_attempts, created_at, updated_at)
      VALUES (@sensor, @runKey, @source, @size, @op, @options, @outBase, @maxAttempts, @now, @now)
      ON CONFLICT (sensor, run_key) DO NOTHING RETURNING *`)
    const saveCursor = this.db.prepare(`INSERT INTO sensors (name, cursor, ticks, last_tick_at, updated_at) VALUES (?, ?, 1, ?, ?)
      ON CONFLICT (name) DO UPDATE SET cursor = excluded.cursor, ticks = ticks + 1, last_tick_at = excluded.last_tick_at, updated_at = excluded.updated_at`)
    return this.db.transaction(() => {
      const created: Run[] = []
      for (const r of requests) {
        const row = insert.get({ ...r, sensor, options: JSON.stringify(r.options), now }) as RunRow | undefined
        if (row) created.push(toRun(row))
      }
      saveCursor.run(sensor, cursor, now, now)
      return created
    }).immediate()
  }

  /** The saved cursor of a sensor, if any. */
  cursor(sensor: string): string | undefined {
    return (this.db.prepare('SELECT cursor FROM sensors WHERE name = ?').get(sensor) as { cursor: string } | undefined)?.cursor
  }

  /** The run of a (sensor, run key), if any. */
  findByKey(sensor: string, runKey: string): Run | undefined {
    const row = this.db.prepare('SELECT * FROM runs WHERE sensor = ? AND run_key = ?').get(sensor, runKey) as RunRow | undefined
    return row && toRun(row)
  }

  /** Atomically takes the oldest QUEUED run that is due and marks it STARTED by `owner`. */
  claim(owner: number, now: number): Run | undefined {
    const take = this.db.prepare(`UPDATE runs SET status = 'STARTED', attempts = attempts + 1, owner = @owner, started_at = @now,
        ended_at = NULL, progress_bytes = 0, updated_at = @now
      WHERE id = (SELECT id FROM runs WHERE status = 'QUEUED' AND not_before <= @now ORDER BY id LIMIT 1) AND status = 'QUEUED'
      RETURNING *`)
    const log = this.db.prepare('INSERT INTO attempts (run_id, attempt, owner, started_at) VALUES (?, ?, ?, ?)')
    return this.db.transaction(() => {
      const row = take.get({ owner, now }) as RunRow | undefined
      if (!row) return undefined
      const run = toRun(row)
      log.run(run.id, run.attempts, owner, now)
      return run
    }).immediate()
  }

  /** STARTED → SUCCESS with its result. False when `owner` no longer holds the run. */
  succeed(id: number, owner: number, result: unknown, outputs: string[], now: number): boolean {
    return this.db.transaction(() => {
      const changed = this.db.prepare(`UPDATE runs SET status = 'SUCCESS', result = ?, outputs = ?, error = NULL, ended_at = ?, updated_at = ?,
        owner = NULL, progress_bytes = NULL WHERE id = ? AND status = 'STARTED' AND owner = ?`)
        .run(JSON.stringify(result ?? null), JSON.stringify(outputs), now, now, id, owner).changes === 1
      if (changed) this.endAttempt(id, 'SUCCESS', null, now)
      return changed
    }).immediate()
  }

  /** Records a failed attempt: back to QUEUED after `delay(failures)` ms when `retry` and attempts remain, else FAILURE. */
  fail(id: number, owner: number, error: StoredError, retry: boolean, delay: (failures: number) => number, now: number): FailOutcome | undefined {
    return this.db.transaction(() => {
      const row = this.db.prepare("SELECT failures, max_attempts FROM runs WHERE id = ? AND status = 'STARTED' AND owner = ?").get(id, owner) as
        { failures: number; max_attempts: number } | undefined
      if (!row) return undefined
      const failures = row.failures + 1
      const again = retry && failures < row.max_attempts
      const notBefore = again ? now + delay(failures) : 0
      this.db.prepare(`UPDATE runs SET status = ?, failures = ?, not_before = ?, error = ?, ended_at = ?, updated_at = ?, owner = NULL,
        progress_bytes = NULL WHERE id = ?`).run(again ? 'QUEUED' : 'FAILURE', failures, notBefore, JSON.stringify({ ...error, retryable: retry }), again ? null : now, now, id)
      this.endAttempt(id, again ? 'RETRY' : 'FAILURE', error, now)
      return { status: again ? 'QUEUED' : 'FAILURE', failures, notBefore } satisfies FailOutcome
    }).immediate()
  }

  /** STARTED → QUEUED without counting a failure (the daemon is stopping). */
  requeue(id: number, owner: number, reason: string, now: number): boolean {
    return this.db.transaction(() => {
      const changed = this.db.prepare(`UPDATE runs SET status = 'QUEUED', owner = NULL, not_before = 0, progress_bytes = NULL, updated_at = ?
        WHERE id = ? AND status = 'STARTED' AND owner = ?`).run(now, id, owner).changes === 1
      if (changed) this.endAttempt(id, 'INTERRUPTED', { name: 'SensorError', code: 'ERR_INTERRUPTED', message: reason }, now)
      return changed
    }).immediate()
  }

  /** STARTED → CANCELED (a cancel was requested and the daemon stopped the run). */
  cancelStarted(id: number, owner: number, now: number): boolean {
    return this.db.transaction(() => {
      const changed = this.db.prepare(`UPDATE runs SET status = 'CANCELED', owner = NULL, ended_at = ?, updated_at = ?, progress_bytes = NULL
        WHERE id = ? AND status = 'STARTED' AND owner = ?`).run(now, now, id, owner).changes === 1
      if (changed) this.endAttempt(id, 'CANCELED', null, now)
      return changed
    }).immediate()
  }

  /** Re-queues every STARTED run (call only while holding the lease: their daemon is dead). Returns them. */
  recover(now: number): Run[] {
    return this.db.transaction(() => {
      const rows = this.db.prepare(`UPDATE runs SET status = 'QUEUED', owner = NULL, not_before = 0, progress_bytes = NULL, updated_at = ?
        WHERE status = 'STARTED' RETURNING *`).all(now) as RunRow[]
      this.db.prepare(`UPDATE attempts SET ended_at = ?, outcome = 'INTERRUPTED', error = ? WHERE ended_at IS NULL`)
        .run(now, JSON.stringify({ name: 'SensorError', code: 'ERR_INTERRUPTED', message: 'daemon died while the run was STARTED' }))
      return rows.map(toRun)
    }).immediate()
  }

  /** Asks for a run to be canceled: a QUEUED run is CANCELED at once, a STARTED one is flagged for its daemon. */
  requestCancel(id: number, now: number): Run {
    return this.db.transaction(() => {
      const run = this.get(id)
      if (run.status === 'QUEUED') this.db.prepare("UPDATE runs SET status = 'CANCELED', ended_at = ?, updated_at = ? WHERE id = ?").run(now, now, id)
      else if (run.status === 'STARTED') this.db.prepare('UPDATE runs SET cancel_requested = 1, updated_at = ? WHERE id = ?').run(now, id)
      else throw new SensorError('ERR_RUN_STATE', `run ${id} is ${run.status}; only QUEUED or STARTED runs can be canceled`)
      return this.get(id)
    }).immediate()
  }

  /** FAILURE or CANCELED → QUEUED, with a fresh retry budget. */
  retry(id: number, now: number): Run {
    return this.db.transaction(() => {
      const run = this.get(id)
      if (run.status !== 'FAILURE' && run.status !== 'CANCELED') {
        throw new SensorError('ERR_RUN_STATE', `run ${id} is ${run.status}; only FAILURE or CANCELED runs can be retried`)
      }
      this.db.prepare(`UPDATE runs SET status = 'QUEUED', failures = 0, not_before = 0, cancel_requested = 0, ended_at = NULL, updated_at = ?
        WHERE id = ?`).run(now, id)
      return this.get(id)
    }).immediate()
  }

  /** Ids among `owner`'s STARTED runs whose cancel was requested. */
  cancelRequested(owner: number): number[] {
    return (this.db.prepare("SELECT id FROM runs WHERE status = 'STARTED' AND owner = ? AND cancel_requested = 1").all(owner) as Array<{ id: number }>)
      .map((r) => r.id)
  }

  /** Records progress of a STARTED run (compressed bytes read). */
  progress(id: number, owner: number, bytes: number, now: number): void {
    this.db.prepare("UPDATE runs SET progress_bytes = ?, updated_at = ? WHERE id = ? AND status = 'STARTED' AND owner = ?").run(bytes, now, id, owner)
  }

  /** One run; throws `ERR_NOT_FOUND`. */
  get(id: number): Run {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined
    if (!row) throw new SensorError('ERR_NOT_FOUND', `no run with id ${id}`)
    return toRun(row)
  }

  /** Runs, newest first. */
  list(filter: RunFilter = {}): Run[] {
    const rows = this.db.prepare(`SELECT * FROM runs WHERE (@status IS NULL OR status = @status) AND (@sensor IS NULL OR sensor = @sensor)
      ORDER BY id DESC LIMIT @limit`).all({ status: filter.status ?? null, sensor: filter.sensor ?? null, limit: filter.limit ?? 100 }) as RunRow[]
    return rows.map(toRun)
  }

  /** The attempts of a run, oldest first. */
  attempts(id: number): Attempt[] {
    return (this.db.prepare('SELECT * FROM attempts WHERE run_id = ? ORDER BY attempt').all(id) as RunRow[]).map(toAttempt)
  }

  /** Number of runs per status (all statuses present, zero when none). */
  counts(): Record<RunStatus, number> {
    const out: Record<RunStatus, number> = { QUEUED: 0, STARTED: 0, SUCCESS: 0, FAILURE: 0, CANCELED: 0 }
    for (const r of this.db.prepare('SELECT status, count(*) AS n FROM runs GROUP BY status').all() as Array<{ status: RunStatus; n: number }>) out[r.status] = r.n
    return out
  }

  /** Earliest `not_before` among QUEUED runs, or undefined when none is queued. */
  nextDue(): number | undefined {
    const row = this.db.prepare("SELECT min(not_before) AS t FROM runs WHERE status = 'QUEUED'").get() as { t: number | null }
    return row.t ?? undefined
  }

  private endAttempt(id: number, outcome: NonNullable<Attempt['outcome']>, error: StoredError | null, now: number): void {
    this.db.prepare(`UPDATE attempts SET ended_at = ?, outcome = ?, error = ?
      WHERE run_id = ? AND attempt = (SELECT attempts FROM runs WHERE id = ?)`).run(now, outcome, error && JSON.stringify(error), id, id)
  }
}
