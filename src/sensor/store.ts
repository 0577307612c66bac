/**
 * Run storage: SQLite (better-sqlite3, WAL mode) in the state directory, file
 * `runs.sqlite`. Every change is one transaction, so a crash at any moment
 * loses nothing and duplicates nothing: the run requests of a tick and the
 * changed rows of the sensor's cursor commit together, a claim is a single
 * `UPDATE … WHERE status = 'QUEUED' RETURNING`, `UNIQUE (sensor, run_key)`
 * makes a second run for the same key impossible, and the `outputs` table
 * gives each output name to one (sensor, source) only.
 */
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { SensorError, type StoredError } from './errors.js'
import { FINAL_STATUSES, migrate, toAttempt, toRun, toRunEvent, type Attempt, type Run, type RunEvent, type RunRow, type RunStatus } from './schema.js'

/** File name of the database inside the state directory. */
export const DB_FILE = 'runs.sqlite'

/** A run to create: the stored run's identity and what to run. */
export type RunRequest = Pick<Run, 'sensor' | 'runKey' | 'source' | 'size' | 'stamp' | 'op' | 'options' | 'engine' | 'outBase' | 'maxAttempts'>

/** Filter of {@link RunStore.list} and of the bulk commands. */
export interface RunFilter {
  status?: RunStatus
  sensor?: string
  /** Only runs created at or after this time (ms since epoch). */
  since?: number
  /** Most rows, newest first (default 100). */
  limit?: number
}

/** One row of a sensor's cursor: its last look at a candidate. */
export interface CursorRow {
  size: number
  stamp: string
  /** When this size and stamp were first seen (ms since epoch). */
  since: number
  /** Set once a run exists for this look. */
  key?: string
}

/** What one tick stores, in one transaction. */
export interface TickWrite {
  requests: RunRequest[]
  /** Cursor rows added or changed. */
  changed: Array<[string, CursorRow]>
  /** Sources gone since the last tick. */
  removed: string[]
  /** The tick's history row. */
  tick: TickRecord
}

/** One row of the tick history. */
export interface TickRecord {
  sensor: string
  startedAt: number
  ms: number
  candidates: number
  requested: number
  /** Skip reason → count. */
  skipped: Record<string, number>
  error: StoredError | null
}

/** A run request refused because another source already owns its output name. */
export interface OutputCollision {
  request: RunRequest
  owner: { sensor: string; source: string }
}

/** A sensor's stored state. */
export interface SensorState {
  name: string
  ticks: number
  lastTickAt: number | null
  stopped: boolean
}

/** Tick history rows kept per sensor (trimmed every 100 ticks). */
const TICKS_KEPT = 1000

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
 * store.commitTick('incoming', { requests: [request], changed: [], removed: [], tick }, Date.now())
 * const run = store.claim(process.pid, Date.now())
 * store.close()
 * ```
 */
export class RunStore {
  /** The database connection (for the lease and for tests). */
  readonly db: Database.Database
  /** True when this open created the database (no state existed). */
  readonly created: boolean

  private constructor(db: Database.Database, created: boolean) {
    this.db = db
    this.created = created
  }

  /** Opens (creating when allowed) the store in `stateDir`. */
  static open(stateDir: string, options: { mustExist?: boolean } = {}): RunStore {
    const file = path.join(stateDir, DB_FILE)
    const existed = fs.existsSync(file)
    if (options.mustExist && !existed) {
      throw new SensorError('ERR_STATE', `no run storage at ${file} (start a daemon with --state ${stateDir} first)`)
    }
    let db: Database.Database
    try {
      fs.mkdirSync(stateDir, { recursive: true })
      db = new Database(file)
      db.pragma('busy_timeout = 10000') // first: every later statement may meet another process's lock
      retryBusy(() => db.pragma('journal_mode = WAL'))
      db.pragma('synchronous = FULL')
      db.pragma('cache_size = -32768') // 32 MiB: the pages of a store with 100,000 runs stay in memory
      db.pragma('foreign_keys = ON')
      migrate(db)
    } catch (e) {
      if (e instanceof SensorError) throw e
      if (isCorruptionError(e)) throw new SensorError('ERR_CORRUPT', `run storage ${file} is damaged (${(e as Error).message}): restore it from a backup or move it aside`, { cause: e })
      throw new SensorError('ERR_STATE', `cannot open run storage ${file}: ${(e as Error).message}`, { cause: e })
    }
    return new RunStore(db, !existed)
  }

  close(): void {
    this.db.close()
  }

  /** SQLite's `quick_check`: an empty list when the database is sound, else its complaints. */
  quickCheck(): string[] {
    try {
      const rows = this.db.pragma('quick_check') as Array<{ quick_check: string }>
      return rows.map((r) => r.quick_check).filter((m) => m !== 'ok')
    } catch (e) {
      if (isCorruptionError(e)) return [(e as Error).message]
      throw e
    }
  }

  /** True when nothing was ever stored: no run and no sensor tick. */
  isEmpty(): boolean {
    return (this.db.prepare('SELECT (SELECT count(*) FROM runs) + (SELECT count(*) FROM sensors) AS n').get() as { n: number }).n === 0
  }

  /**
   * Stores one tick: the new runs (keys already present are skipped, as are
   * requests whose output name another source owns), the changed cursor rows,
   * the tick's history row. Returns the new runs and the refused requests.
   */
  commitTick(sensor: string, w: TickWrite, now: number): { created: Run[]; collisions: OutputCollision[] } {
    const insert = this.db.prepare(`INSERT INTO runs (sensor, run_key, source, size, stamp, op, options, engine, out_base, max_attempts, created_at, updated_at)
      VALUES (@sensor, @runKey, @source, @size, @stamp, @op, @options, @engine, @outBase, @maxAttempts, @now, @now)
      ON CONFLICT (sensor, run_key) DO NOTHING RETURNING *`)
    const own = this.db.prepare('INSERT INTO outputs (out_base, sensor, source) VALUES (?, ?, ?) ON CONFLICT (out_base) DO NOTHING')
    const owner = this.db.prepare('SELECT sensor, source FROM outputs WHERE out_base = ?')
    const upsert = this.db.prepare(`INSERT INTO sensor_files (sensor, source, size, stamp, since, run_key) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (sensor, source) DO UPDATE SET size = excluded.size, stamp = excluded.stamp, since = excluded.since, run_key = excluded.run_key`)
    const remove = this.db.prepare('DELETE FROM sensor_files WHERE sensor = ? AND source = ?')
    return this.db.transaction(() => {
      const created: Run[] = []
      const collisions: OutputCollision[] = []
      for (const r of w.requests) {
        own.run(r.outBase, sensor, r.source)
        const o = owner.get(r.outBase) as { sensor: string; source: string }
        if (o.sensor !== sensor || o.source !== r.source) {
          collisions.push({ request: r, owner: o })
          continue
        }
        const row = insert.get({ ...r, sensor, options: JSON.stringify(r.options), engine: JSON.stringify(r.engine), now }) as RunRow | undefined
        if (row) created.push(toRun(row))
      }
      const refused = new Set(collisions.map((c) => c.request.source))
      for (const [source, e] of w.changed) {
        upsert.run(sensor, source, e.size, e.stamp, e.since, refused.has(source) ? null : e.key ?? null)
      }
      for (const source of w.removed) remove.run(sensor, source)
      this.recordTick(w.tick, now)
      return { created, collisions }
    }).immediate()
  }

  /** Records a tick that failed (no runs, no cursor change). */
  recordTick(t: TickRecord, now: number): void {
    this.db.prepare(`INSERT INTO sensors (name, ticks, last_tick_at, updated_at) VALUES (?, 1, ?, ?)
      ON CONFLICT (name) DO UPDATE SET ticks = ticks + 1, last_tick_at = excluded.last_tick_at, updated_at = excluded.updated_at`).run(t.sensor, t.startedAt, now)
    const id = this.db.prepare(`INSERT INTO ticks (sensor, started_at, ms, candidates, requested, skipped, error) VALUES (?, ?, ?, ?, ?, ?, ?)`)
      .run(t.sensor, t.startedAt, t.ms, t.candidates, t.requested, JSON.stringify(t.skipped), t.error && JSON.stringify(t.error)).lastInsertRowid
    if (Number(id) % 100 === 0) {
      this.db.prepare('DELETE FROM ticks WHERE sensor = ? AND id < (SELECT id FROM ticks WHERE sensor = ? ORDER BY id DESC LIMIT 1 OFFSET ?)')
        .run(t.sensor, t.sensor, TICKS_KEPT - 1)
    }
  }

  /** A sensor's cursor: source → last look. */
  cursor(sensor: string): Map<string, CursorRow> {
    const out = new Map<string, CursorRow>()
    const rows = this.db.prepare('SELECT source, size, stamp, since, run_key FROM sensor_files WHERE sensor = ?').raw().iterate(sensor) as
      IterableIterator<[string, number, string, number, string | null]>
    for (const [source, size, stamp, since, key] of rows) out.set(source, key === null ? { size, stamp, since } : { size, stamp, since, key })
    return out
  }

  /** The run of a (sensor, run key), if any. */
  findByKey(sensor: string, runKey: string): Run | undefined {
    const row = this.db.prepare('SELECT * FROM runs WHERE sensor = ? AND run_key = ?').get(sensor, runKey) as RunRow | undefined
    return row && toRun(row)
  }

  /** Who owns an output name, if anyone. */
  outputOwner(outBase: string): { sensor: string; source: string } | undefined {
    return this.db.prepare('SELECT sensor, source FROM outputs WHERE out_base = ?').get(outBase) as { sensor: string; source: string } | undefined
  }

  /** Atomically takes the oldest QUEUED run that is due (of a sensor not stopped) and marks it STARTED by `owner`. */
  claim(owner: number, now: number): Run | undefined {
    const take = this.db.prepare(`UPDATE runs SET status = 'STARTED', attempts = attempts + 1, owner = @owner, started_at = @now,
        ended_at = NULL, progress_bytes = 0, progress_records = 0, cancel_requested = 0, updated_at = @now
      WHERE id = (SELECT id FROM runs WHERE status = 'QUEUED' AND not_before <= @now
        AND sensor NOT IN (SELECT name FROM sensors WHERE stopped = 1) ORDER BY id LIMIT 1) AND status = 'QUEUED'
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
  succeed(id: number, owner: number, result: unknown, outputs: string[], now: number, totals: { bytes?: number; records?: number } = {}): boolean {
    return this.db.transaction(() => {
      const changed = this.db.prepare(`UPDATE runs SET status = 'SUCCESS', result = ?, outputs = ?, error = NULL, ended_at = ?, updated_at = ?,
        owner = NULL, progress_bytes = coalesce(?, progress_bytes), progress_records = coalesce(?, progress_records) WHERE id = ? AND status = 'STARTED' AND owner = ?`)
        .run(JSON.stringify(result ?? null), JSON.stringify(outputs), now, now, totals.bytes ?? null, totals.records ?? null, id, owner).changes === 1
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
      this.db.prepare(`UPDATE runs SET status = ?, failures = ?, not_before = ?, error = ?, ended_at = ?, updated_at = ?, owner = NULL
        WHERE id = ?`).run(again ? 'QUEUED' : 'FAILURE', failures, notBefore, JSON.stringify({ ...error, retryable: retry }), again ? null : now, now, id)
      this.endAttempt(id, again ? 'RETRY' : 'FAILURE', error, now)
      return { status: again ? 'QUEUED' : 'FAILURE', failures, notBefore } satisfies FailOutcome
    }).immediate()
  }

  /** STARTED → QUEUED without counting a failure: the output side is unavailable (the daemon pauses). */
  pause(id: number, owner: number, error: StoredError, now: number): boolean {
    return this.db.transaction(() => {
      const changed = this.db.prepare(`UPDATE runs SET status = 'QUEUED', owner = NULL, not_before = 0, updated_at = ?
        WHERE id = ? AND status = 'STARTED' AND owner = ?`).run(now, id, owner).changes === 1
      if (changed) this.endAttempt(id, 'PAUSED', error, now)
      return changed
    }).immediate()
  }

  /** STARTED → SKIPPED: the source no longer matches the run's key (`error` says why). */
  skip(id: number, owner: number, error: StoredError, now: number): boolean {
    return this.db.transaction(() => {
      const changed = this.db.prepare(`UPDATE runs SET status = 'SKIPPED', owner = NULL, error = ?, ended_at = ?, updated_at = ?
        WHERE id = ? AND status = 'STARTED' AND owner = ?`).run(JSON.stringify(error), now, now, id, owner).changes === 1
      if (changed) this.endAttempt(id, 'SKIPPED', error, now)
      return changed
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
      const changed = this.db.prepare(`UPDATE runs SET status = 'CANCELED', owner = NULL, ended_at = ?, updated_at = ?
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
        throw new SensorError('ERR_RUN_STATE', `run ${id} is ${run.status}; only FAILURE or CANCELED runs can be retried${run.status === 'SUCCESS' ? ' (re-execute it with `runs reexecute`)' : ''}`)
      }
      this.requeueFinal(id, now)
      return this.get(id)
    }).immediate()
  }

  /** A finished run (SUCCESS, FAILURE or CANCELED) → QUEUED: a new attempt under the same key, fresh retry budget. */
  reexecute(id: number, now: number): Run {
    return this.db.transaction(() => {
      const run = this.get(id)
      if (run.status !== 'SUCCESS' && run.status !== 'FAILURE' && run.status !== 'CANCELED') {
        throw new SensorError('ERR_RUN_STATE', `run ${id} is ${run.status}; only SUCCESS, FAILURE or CANCELED runs can be re-executed`)
      }
      this.requeueFinal(id, now)
      return this.get(id)
    }).immediate()
  }

  /** Ids of the runs matching a filter (all of them, oldest first). */
  ids(filter: RunFilter): number[] {
    return (this.db.prepare(`SELECT id FROM runs WHERE (@status IS NULL OR status = @status) AND (@sensor IS NULL OR sensor = @sensor)
      AND (@since IS NULL OR created_at >= @since) ORDER BY id`).all(params(filter)) as Array<{ id: number }>).map((r) => r.id)
  }

  /** Applies `retry`, `requestCancel` or `delete` to every run matching `filter`, in one transaction. Returns the ids changed. */
  bulk(action: 'retry' | 'cancel' | 'delete', filter: RunFilter, now: number): number[] {
    return this.db.transaction(() => {
      const ids = this.ids(filter)
      for (const id of ids) {
        if (action === 'retry') this.retry(id, now)
        else if (action === 'cancel') this.requestCancel(id, now)
        else this.delete(id)
      }
      return ids
    }).immediate()
  }

  /** Deletes a run that is not STARTED, with its attempts and log. Its output files and cursor row stay (the key is not requested again). */
  delete(id: number): void {
    this.db.transaction(() => {
      const run = this.get(id)
      if (run.status === 'STARTED') throw new SensorError('ERR_RUN_STATE', `run ${id} is STARTED; cancel it first`)
      this.db.prepare('DELETE FROM runs WHERE id = ?').run(id)
    }).immediate()
  }

  /** Retention: deletes finished runs that ended before `before`, and ticks older than it. Returns how many runs. */
  prune(before: number): number {
    return this.db.transaction(() => {
      const final = FINAL_STATUSES.map((s) => `'${s}'`).join(', ')
      const n = this.db.prepare(`DELETE FROM runs WHERE status IN (${final}) AND ended_at < ?`).run(before).changes
      this.db.prepare('DELETE FROM ticks WHERE started_at < ?').run(before)
      return n
    }).immediate()
  }

  /** Ids among `owner`'s STARTED runs whose cancel was requested. */
  cancelRequested(owner: number): number[] {
    return (this.db.prepare("SELECT id FROM runs WHERE status = 'STARTED' AND owner = ? AND cancel_requested = 1").all(owner) as Array<{ id: number }>)
      .map((r) => r.id)
  }

  /** Records progress of a STARTED run (compressed bytes read, records so far). */
  progress(id: number, owner: number, bytes: number, now: number, records?: number): void {
    this.db.prepare("UPDATE runs SET progress_bytes = ?, progress_records = coalesce(?, progress_records), updated_at = ? WHERE id = ? AND status = 'STARTED' AND owner = ?")
      .run(bytes, records ?? null, now, id, owner)
  }

  /** Appends to a run's own log. */
  logEvent(id: number, attempt: number | null, level: RunEvent['level'], event: string, fields: Record<string, unknown>, now: number): void {
    this.db.prepare('INSERT INTO run_events (run_id, attempt, time, level, event, fields) VALUES (?, ?, ?, ?, ?, ?)')
      .run(id, attempt, now, level, event, JSON.stringify(fields))
  }

  /** A run's own log, oldest first. */
  events(id: number): RunEvent[] {
    return (this.db.prepare('SELECT * FROM run_events WHERE run_id = ? ORDER BY id').all(id) as RunRow[]).map(toRunEvent)
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
      AND (@since IS NULL OR created_at >= @since) ORDER BY id DESC LIMIT @limit`).all({ ...params(filter), limit: filter.limit ?? 100 }) as RunRow[]
    return rows.map(toRun)
  }

  /** How many runs match a filter (its limit aside). */
  total(filter: RunFilter = {}): number {
    return (this.db.prepare(`SELECT count(*) AS n FROM runs WHERE (@status IS NULL OR status = @status) AND (@sensor IS NULL OR sensor = @sensor)
      AND (@since IS NULL OR created_at >= @since)`).get(params(filter)) as { n: number }).n
  }

  /** The attempts of a run, oldest first. */
  attempts(id: number): Attempt[] {
    return (this.db.prepare('SELECT * FROM attempts WHERE run_id = ? ORDER BY attempt').all(id) as RunRow[]).map(toAttempt)
  }

  /** Number of runs per status (all statuses present, zero when none), optionally of one sensor. */
  counts(sensor?: string): Record<RunStatus, number> {
    const out: Record<RunStatus, number> = { QUEUED: 0, STARTED: 0, SUCCESS: 0, FAILURE: 0, CANCELED: 0, SKIPPED: 0 }
    const rows = this.db.prepare('SELECT status, count(*) AS n FROM runs WHERE (? IS NULL OR sensor = ?) GROUP BY status').all(sensor ?? null, sensor ?? null) as
      Array<{ status: RunStatus; n: number }>
    for (const r of rows) out[r.status] = r.n
    return out
  }

  /** Totals over SUCCESS runs: compressed bytes and records processed. */
  processed(): { bytes: number; records: number } {
    const row = this.db.prepare("SELECT coalesce(sum(progress_bytes), 0) AS bytes, coalesce(sum(progress_records), 0) AS records FROM runs WHERE status = 'SUCCESS'")
      .get() as { bytes: number; records: number }
    return row
  }

  /** When the oldest claimable QUEUED run was created (its lag), or undefined. */
  oldestQueued(): number | undefined {
    const row = this.db.prepare(`SELECT min(created_at) AS t FROM runs WHERE status = 'QUEUED'
      AND sensor NOT IN (SELECT name FROM sensors WHERE stopped = 1)`).get() as { t: number | null }
    return row.t ?? undefined
  }

  /** Earliest `not_before` among claimable QUEUED runs, or undefined when none is queued. */
  nextDue(): number | undefined {
    const row = this.db.prepare(`SELECT min(not_before) AS t FROM runs WHERE status = 'QUEUED'
      AND sensor NOT IN (SELECT name FROM sensors WHERE stopped = 1)`).get() as { t: number | null }
    return row.t ?? undefined
  }

  /** Every sensor the store knows. */
  sensors(): SensorState[] {
    return (this.db.prepare('SELECT name, ticks, last_tick_at, stopped FROM sensors ORDER BY name').all() as
      Array<{ name: string; ticks: number; last_tick_at: number | null; stopped: number }>)
      .map((r) => ({ name: r.name, ticks: r.ticks, lastTickAt: r.last_tick_at, stopped: r.stopped === 1 }))
  }

  /** Stops or starts a sensor (`sensor stop|start`). */
  setStopped(name: string, stopped: boolean, now: number): void {
    this.db.prepare(`INSERT INTO sensors (name, updated_at, stopped) VALUES (?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET stopped = excluded.stopped, updated_at = excluded.updated_at`).run(name, now, stopped ? 1 : 0)
  }

  /** Names of the stopped sensors. */
  stoppedSensors(): Set<string> {
    return new Set((this.db.prepare('SELECT name FROM sensors WHERE stopped = 1').all() as Array<{ name: string }>).map((r) => r.name))
  }

  /** Tick history, newest first. */
  ticks(sensor: string | undefined, limit: number): TickRecord[] {
    const rows = this.db.prepare('SELECT * FROM ticks WHERE (? IS NULL OR sensor = ?) ORDER BY id DESC LIMIT ?').all(sensor ?? null, sensor ?? null, limit) as RunRow[]
    return rows.map((r) => ({
      sensor: r.sensor as string, startedAt: r.started_at as number, ms: r.ms as number, candidates: r.candidates as number,
      requested: r.requested as number, skipped: JSON.parse(r.skipped as string) as Record<string, number>,
      error: r.error === null ? null : JSON.parse(r.error as string) as StoredError,
    }))
  }

  /** A value of the `meta` table (JSON), if set. */
  meta<T>(key: string): T | undefined {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined
    return row ? (JSON.parse(row.value) as T) : undefined
  }

  /** Sets (or, with undefined, removes) a value of the `meta` table. */
  setMeta(key: string, value: unknown): void {
    if (value === undefined) this.db.prepare('DELETE FROM meta WHERE key = ?').run(key)
    else this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, JSON.stringify(value))
  }

  private requeueFinal(id: number, now: number): void {
    this.db.prepare(`UPDATE runs SET status = 'QUEUED', failures = 0, not_before = 0, cancel_requested = 0, ended_at = NULL, error = NULL, updated_at = ?
      WHERE id = ?`).run(now, id)
  }

  private endAttempt(id: number, outcome: NonNullable<Attempt['outcome']>, error: StoredError | null, now: number): void {
    this.db.prepare(`UPDATE attempts SET ended_at = ?, outcome = ?, error = ?
      WHERE run_id = ? AND attempt = (SELECT attempts FROM runs WHERE id = ?)`).run(now, outcome, error && JSON.stringify(error), id, id)
  }
}

/**
 * True for SQLite's "the database file is damaged" errors (`SQLITE_CORRUPT*`, `SQLITE_NOTADB`).
 *
 * @example
 * ```ts
 * try { store.claim(pid, Date.now()) } catch (e) { if (isCorruptionError(e)) process.exit(1) }
 * ```
 */
export function isCorruptionError(e: unknown): boolean {
  const code = (e as { code?: unknown } | undefined)?.code
  return (typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB')) || (e instanceof SensorError && e.code === 'ERR_CORRUPT')
}

function params(f: RunFilter): { status: string | null; sensor: string | null; since: number | null } {
  return { status: f.status ?? null, sensor: f.sensor ?? null, since: f.since ?? null }
}

/** How long {@link retryBusy} keeps trying, and its pause between tries. */
const BUSY_RETRY_MS = 10_000
const BUSY_PAUSE_MS = 20

/**
 * Runs `fn`, trying again while SQLite answers SQLITE_BUSY. Switching a new
 * database to WAL while another process does the same can fail at once,
 * without the busy handler being called (SQLite does not wait where waiting
 * could deadlock), so `busy_timeout` alone does not cover it.
 *
 * @example
 * ```ts
 * retryBusy(() => db.pragma('journal_mode = WAL'))
 * ```
 */
function retryBusy<T>(fn: () => T): T {
  const deadline = Date.now() + BUSY_RETRY_MS
  for (;;) {
    try {
      return fn()
    } catch (e) {
      if ((e as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw e
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, BUSY_PAUSE_MS)
    }
  }
}
