/**
 * The run storage schema (SQLite) and the mapping of its rows to objects.
 * Times are milliseconds since the Unix epoch; JSON columns hold JSON text.
 *
 * ```sql
 * runs         — one row per (sensor, run key): the run request, its engine options and its state
 * attempts     — one row per start of a run: when, by which daemon pid, and how it ended
 * run_events   — each run's own log (events and errors), shown by `runs show`
 * sensors      — each sensor: tick count, last tick, stopped or not
 * sensor_files — each sensor's cursor, one row per candidate file or URL
 * ticks        — tick history (`sensor ticks`)
 * outputs      — which (sensor, source) owns each output name
 * meta         — the daemon lease (which live process owns the state directory)
 * ```
 */
import type Database from 'better-sqlite3'
import { SensorError, type StoredError } from './errors.js'

/** Schema version, kept in `PRAGMA user_version`. Version 1 databases are upgraded in place. */
export const SCHEMA_VERSION = 2

const RUNS = (name: string): string => `
CREATE TABLE ${name} (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  sensor           TEXT    NOT NULL,
  run_key          TEXT    NOT NULL,
  source           TEXT    NOT NULL,             -- path or URL
  size             INTEGER,                      -- bytes when the run was requested
  stamp            TEXT,                         -- mtime (ns) or the URL's ETag / Last-Modified when requested
  op               TEXT    NOT NULL,             -- built-in name or absolute module path
  options          TEXT    NOT NULL DEFAULT '{}',-- JSON, as the op takes them
  engine           TEXT    NOT NULL DEFAULT '{}',-- JSON engine options of the run (chunkSize, maxRuntime)
  out_base         TEXT    NOT NULL,             -- result files are out_base + suffix
  status           TEXT    NOT NULL DEFAULT 'QUEUED'
                   CHECK (status IN ('QUEUED', 'STARTED', 'SUCCESS', 'FAILURE', 'CANCELED', 'SKIPPED')),
  attempts         INTEGER NOT NULL DEFAULT 0,   -- times started
  failures         INTEGER NOT NULL DEFAULT 0,   -- attempts that failed (interruptions do not count)
  max_attempts     INTEGER NOT NULL,
  not_before       INTEGER NOT NULL DEFAULT 0,   -- retry backoff: not claimed before this time
  owner            INTEGER,                      -- pid of the daemon running it (STARTED only)
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  progress_bytes   INTEGER,
  progress_records INTEGER,
  created_at       INTEGER NOT NULL,
  started_at       INTEGER,                      -- start of the latest attempt
  ended_at         INTEGER,
  updated_at       INTEGER NOT NULL,
  result           TEXT,                         -- JSON
  outputs          TEXT,                         -- JSON list of files written
  error            TEXT,                         -- JSON StoredError of the latest failure (or why it was SKIPPED)
  UNIQUE (sensor, run_key)
)`

const ATTEMPTS = (name: string): string => `
CREATE TABLE ${name} (
  run_id     INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  attempt    INTEGER NOT NULL,
  owner      INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at   INTEGER,
  outcome    TEXT CHECK (outcome IN ('SUCCESS', 'FAILURE', 'RETRY', 'INTERRUPTED', 'CANCELED', 'SKIPPED', 'PAUSED')),
  error      TEXT,
  PRIMARY KEY (run_id, attempt)
)`

/** Indexes and triggers of `runs` (made after the table, also when it is rebuilt). */
const RUNS_EXTRAS = `
CREATE INDEX IF NOT EXISTS runs_queue ON runs (status, not_before, id);
CREATE INDEX IF NOT EXISTS runs_sensor ON runs (sensor, id);
CREATE INDEX IF NOT EXISTS runs_ended ON runs (ended_at);
DROP TRIGGER IF EXISTS runs_success_is_final;
CREATE TRIGGER runs_success_is_final BEFORE UPDATE OF status ON runs
  WHEN OLD.status = 'SUCCESS' AND NEW.status NOT IN ('SUCCESS', 'QUEUED')
  BEGIN SELECT RAISE(ABORT, 'a SUCCESS run is final (it can only be re-executed)'); END;
`

/** Tables new in version 2 (also made by the upgrade from 1). */
const V2_TABLES = `
CREATE TABLE sensor_files (                     -- the cursor, one row per candidate: only changes are written
  sensor  TEXT    NOT NULL,
  source  TEXT    NOT NULL,
  size    INTEGER NOT NULL,
  stamp   TEXT    NOT NULL,
  since   INTEGER NOT NULL,                       -- when this size and stamp were first seen
  run_key TEXT,                                   -- set once a run exists for this look
  PRIMARY KEY (sensor, source)
) WITHOUT ROWID;
CREATE TABLE ticks (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  sensor     TEXT    NOT NULL,
  started_at INTEGER NOT NULL,
  ms         INTEGER NOT NULL,
  candidates INTEGER NOT NULL,
  requested  INTEGER NOT NULL,
  skipped    TEXT    NOT NULL DEFAULT '{}',       -- JSON: reason → count
  error      TEXT                                 -- JSON StoredError when the tick failed
);
CREATE INDEX ticks_sensor ON ticks (sensor, id);
CREATE TABLE run_events (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id   INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  attempt  INTEGER,
  time     INTEGER NOT NULL,
  level    TEXT    NOT NULL,
  event    TEXT    NOT NULL,
  fields   TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX run_events_run ON run_events (run_id, id);
CREATE TABLE outputs (                          -- which source owns an output name: two sources never share one
  out_base TEXT PRIMARY KEY,
  sensor   TEXT NOT NULL,
  source   TEXT NOT NULL
);
`

const SENSORS = `
CREATE TABLE sensors (
  name         TEXT PRIMARY KEY,
  cursor       TEXT    NOT NULL DEFAULT '',     -- version 1's JSON cursor (moved to sensor_files)
  ticks        INTEGER NOT NULL DEFAULT 0,
  last_tick_at INTEGER,
  updated_at   INTEGER NOT NULL,
  stopped      INTEGER NOT NULL DEFAULT 0       -- \`sensor stop\`: requests nothing, its QUEUED runs wait
);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`

/**
 * Creates the tables in an empty database, upgrades a version 1 database, or
 * checks the version of an existing one. The version is read inside the
 * write transaction that creates the tables, so processes opening a new
 * state directory together create it exactly once.
 *
 * @example
 * ```ts
 * migrate(new Database('runs.sqlite'))
 * ```
 */
export function migrate(db: Database.Database): void {
  const version = (): number => db.pragma('user_version', { simple: true }) as number
  if (version() === SCHEMA_VERSION) return
  db.pragma('foreign_keys = OFF') // an upgrade rebuilds tables that others refer to; outside any transaction
  try {
    db.transaction(() => {
      const v = version()
      if (v === SCHEMA_VERSION) return
      if (v === 0) db.exec(`${RUNS('runs')};${ATTEMPTS('attempts')};${RUNS_EXTRAS}${V2_TABLES}${SENSORS}`)
      else if (v === 1) upgradeFrom1(db)
      else throw new SensorError('ERR_STATE', `run storage has schema version ${v}; this bamstream knows ${SCHEMA_VERSION}`)
      db.pragma(`user_version = ${SCHEMA_VERSION}`)
    }).immediate()
  } finally {
    db.pragma('foreign_keys = ON')
  }
}

/** Version 1 → 2: runs and attempts rebuilt (new columns and statuses), the JSON cursor moved into rows. */
function upgradeFrom1(db: Database.Database): void {
  const runCols = 'id, sensor, run_key, source, size, op, options, out_base, status, attempts, failures, max_attempts, not_before, owner, cancel_requested, progress_bytes, created_at, started_at, ended_at, updated_at, result, outputs, error'
  db.exec(`${RUNS('runs_v2')}; INSERT INTO runs_v2 (${runCols}) SELECT ${runCols} FROM runs; DROP TABLE runs; ALTER TABLE runs_v2 RENAME TO runs;
    ${ATTEMPTS('attempts_v2')}; INSERT INTO attempts_v2 SELECT * FROM attempts; DROP TABLE attempts; ALTER TABLE attempts_v2 RENAME TO attempts;
    ${RUNS_EXTRAS}${V2_TABLES}
    ALTER TABLE sensors ADD COLUMN stopped INTEGER NOT NULL DEFAULT 0;`)
  const insert = db.prepare('INSERT INTO sensor_files (sensor, source, size, stamp, since, run_key) VALUES (?, ?, ?, ?, ?, ?)')
  for (const { name, cursor } of db.prepare('SELECT name, cursor FROM sensors').all() as Array<{ name: string; cursor: string }>) {
    const seen = (safeJson(cursor) as { seen?: Record<string, { size: number; mtime: string; since?: number; key?: string }> } | null)?.seen ?? {}
    for (const [source, e] of Object.entries(seen)) insert.run(name, source, e.size, e.mtime, e.since ?? 0, e.key ?? null)
  }
  db.prepare("UPDATE sensors SET cursor = ''").run()
  db.prepare("INSERT OR IGNORE INTO outputs (out_base, sensor, source) SELECT out_base, sensor, source FROM runs ORDER BY id").run()
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

/**
 * Status of a run. QUEUED → STARTED → SUCCESS | FAILURE | CANCELED | SKIPPED
 * (STARTED → QUEUED on retry, interruption or an output outage; SKIPPED when
 * the source no longer matches its run key; SUCCESS → QUEUED on re-execute).
 */
export type RunStatus = 'QUEUED' | 'STARTED' | 'SUCCESS' | 'FAILURE' | 'CANCELED' | 'SKIPPED'

/** Every status, in lifecycle order. */
export const RUN_STATUSES: readonly RunStatus[] = ['QUEUED', 'STARTED', 'SUCCESS', 'FAILURE', 'CANCELED', 'SKIPPED']

/** Statuses a run ends in (until retried or re-executed). */
export const FINAL_STATUSES: readonly RunStatus[] = ['SUCCESS', 'FAILURE', 'CANCELED', 'SKIPPED']

/** Engine options of a run, chosen per sensor and stored on every run. */
export interface EngineOptions {
  /** Uncompressed bytes per parallel chunk. */
  chunkSize: number
  /** A run still STARTED this long after its start is stopped and counted as a failure (ERR_TIMEOUT); 0: no limit. */
  maxRuntime: number
}

/** One entry of a run's own log. */
export interface RunEvent {
  time: number
  attempt: number | null
  level: 'debug' | 'info' | 'warn' | 'error'
  event: string
  fields: Record<string, unknown>
}

/** A run as stored. */
export interface Run {
  id: number
  sensor: string
  runKey: string
  source: string
  size: number | null
  /** The source's modification stamp when requested (mtime ns, or a URL's validator). */
  stamp: string | null
  op: string
  options: Record<string, unknown>
  engine: EngineOptions
  outBase: string
  status: RunStatus
  attempts: number
  failures: number
  maxAttempts: number
  notBefore: number
  owner: number | null
  cancelRequested: boolean
  progressBytes: number | null
  progressRecords: number | null
  createdAt: number
  startedAt: number | null
  endedAt: number | null
  updatedAt: number
  result: unknown
  outputs: string[]
  error: StoredError | null
}

/** One start of a run. */
export interface Attempt {
  runId: number
  attempt: number
  owner: number
  startedAt: number
  endedAt: number | null
  outcome: 'SUCCESS' | 'FAILURE' | 'RETRY' | 'INTERRUPTED' | 'CANCELED' | 'SKIPPED' | 'PAUSED' | null
  error: StoredError | null
}

/** A row of `runs` as better-sqlite3 returns it. */
export type RunRow = Record<string, string | number | null>

/**
 * Maps a `runs` row to a {@link Run}.
 *
 * @example
 * ```ts
 * const run = toRun(db.prepare('SELECT * FROM runs WHERE id = ?').get(1) as RunRow)
 * ```
 */
export function toRun(r: RunRow): Run {
  return {
    id: r.id as number, sensor: r.sensor as string, runKey: r.run_key as string, source: r.source as string,
    size: r.size as number | null, stamp: r.stamp as string | null, op: r.op as string, options: parse(r.options) as Record<string, unknown>,
    engine: { chunkSize: 0, maxRuntime: 0, ...(parse(r.engine) as Partial<EngineOptions> | null) },
    outBase: r.out_base as string, status: r.status as RunStatus, attempts: r.attempts as number,
    failures: r.failures as number, maxAttempts: r.max_attempts as number, notBefore: r.not_before as number,
    owner: r.owner as number | null, cancelRequested: r.cancel_requested === 1, progressBytes: r.progress_bytes as number | null,
    progressRecords: r.progress_records as number | null,
    createdAt: r.created_at as number, startedAt: r.started_at as number | null, endedAt: r.ended_at as number | null,
    updatedAt: r.updated_at as number, result: parse(r.result), outputs: (parse(r.outputs) as string[] | null) ?? [],
    error: parse(r.error) as StoredError | null,
  }
}

/**
 * Maps an `attempts` row to an {@link Attempt}.
 *
 * @example
 * ```ts
 * const history = (db.prepare('SELECT * FROM attempts WHERE run_id = ?').all(1) as RunRow[]).map(toAttempt)
 * ```
 */
export function toAttempt(r: RunRow): Attempt {
  return {
    runId: r.run_id as number, attempt: r.attempt as number, owner: r.owner as number, startedAt: r.started_at as number,
    endedAt: r.ended_at as number | null, outcome: r.outcome as Attempt['outcome'], error: parse(r.error) as StoredError | null,
  }
}

function parse(v: string | number | null | undefined): unknown {
  return typeof v === 'string' ? JSON.parse(v) : null
}

/**
 * Maps a `run_events` row to a {@link RunEvent}.
 *
 * @example
 * ```ts
 * const log = (db.prepare('SELECT * FROM run_events WHERE run_id = ?').all(1) as RunRow[]).map(toRunEvent)
 * ```
 */
export function toRunEvent(r: RunRow): RunEvent {
  return {
    time: r.time as number, attempt: r.attempt as number | null, level: r.level as RunEvent['level'], event: r.event as string,
    fields: (parse(r.fields) as Record<string, unknown> | null) ?? {},
  }
}
