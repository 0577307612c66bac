/**
 * The run storage schema (SQLite) and the mapping of its rows to objects.
 * Times are milliseconds since the Unix epoch; JSON columns hold JSON text.
 *
 * ```sql
 * runs     — one row per (sensor, run key): the run request and its state
 * attempts — one row per start of a run: when, by which daemon pid, and how it ended
 * sensors  — each sensor's persisted cursor
 * meta     — the daemon lease (which live process owns the state directory)
 * ```
 */
import type Database from 'better-sqlite3'
import { SensorError, type StoredError } from './errors.js'

/** Schema version, kept in `PRAGMA user_version`. */
export const SCHEMA_VERSION = 1

const DDL = `
CREATE TABLE runs (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  sensor           TEXT    NOT NULL,
  run_key          TEXT    NOT NULL,
  source           TEXT    NOT NULL,             -- path or URL
  size             INTEGER,                      -- bytes when the run was requested
  op               TEXT    NOT NULL,             -- built-in name or absolute module path
  options          TEXT    NOT NULL DEFAULT '{}',-- JSON, as the op takes them
  out_base         TEXT    NOT NULL,             -- result files are out_base + suffix
  status           TEXT    NOT NULL DEFAULT 'QUEUED'
                   CHECK (status IN ('QUEUED', 'STARTED', 'SUCCESS', 'FAILURE', 'CANCELED')),
  attempts         INTEGER NOT NULL DEFAULT 0,   -- times started
  failures         INTEGER NOT NULL DEFAULT 0,   -- attempts that failed (interruptions do not count)
  max_attempts     INTEGER NOT NULL,
  not_before       INTEGER NOT NULL DEFAULT 0,   -- retry backoff: not claimed before this time
  owner            INTEGER,                      -- pid of the daemon running it (STARTED only)
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  progress_bytes   INTEGER,
  created_at       INTEGER NOT NULL,
  started_at       INTEGER,                      -- start of the latest attempt
  ended_at         INTEGER,
  updated_at       INTEGER NOT NULL,
  result           TEXT,                         -- JSON
  outputs          TEXT,                         -- JSON list of files written
  error            TEXT,                         -- JSON StoredError of the latest failure
  UNIQUE (sensor, run_key)
);
CREATE INDEX runs_queue ON runs (status, not_before, id);
CREATE TRIGGER runs_success_is_final BEFORE UPDATE OF status ON runs
  WHEN OLD.status = 'SUCCESS' AND NEW.status <> 'SUCCESS'
  BEGIN SELECT RAISE(ABORT, 'a SUCCESS run is final'); END;
CREATE TABLE attempts (
  run_id     INTEGER NOT NULL REFERENCES runs (id),
  attempt    INTEGER NOT NULL,
  owner      INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at   INTEGER,
  outcome    TEXT CHECK (outcome IN ('SUCCESS', 'FAILURE', 'RETRY', 'INTERRUPTED', 'CANCELED')),
  error      TEXT,
  PRIMARY KEY (run_id, attempt)
);
CREATE TABLE sensors (
  name         TEXT PRIMARY KEY,
  cursor       TEXT    NOT NULL,
  ticks        INTEGER NOT NULL DEFAULT 0,
  last_tick_at INTEGER,
  updated_at   INTEGER NOT NULL
);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`

/**
 * Creates the tables in an empty database, or checks the version of an existing one.
 *
 * @example
 * ```ts
 * migrate(new Database('runs.sqlite'))
 * ```
 */
export function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number
  if (version === SCHEMA_VERSION) return
  if (version !== 0) throw new SensorError('ERR_STATE', `run storage has schema version ${version}; this bamstream knows ${SCHEMA_VERSION}`)
  db.transaction(() => {
    db.exec(DDL)
    db.pragma(`user_version = ${SCHEMA_VERSION}`)
  }).immediate()
}

/** Status of a run. QUEUED → STARTED → SUCCESS | FAILURE | CANCELED (STARTED → QUEUED on retry or interruption). */
export type RunStatus = 'QUEUED' | 'STARTED' | 'SUCCESS' | 'FAILURE' | 'CANCELED'

/** Every status, in lifecycle order. */
export const RUN_STATUSES: readonly RunStatus[] = ['QUEUED', 'STARTED', 'SUCCESS', 'FAILURE', 'CANCELED']

/** A run as stored. */
export interface Run {
  id: number
  sensor: string
  runKey: string
  source: string
  size: number | null
  op: string
  options: Record<string, unknown>
  outBase: string
  status: RunStatus
  attempts: number
  failures: number
  maxAttempts: number
  notBefore: number
  owner: number | null
  cancelRequested: boolean
  progressBytes: number | null
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
  outcome: 'SUCCESS' | 'FAILURE' | 'RETRY' | 'INTERRUPTED' | 'CANCELED' | null
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
    size: r.size as number | null, op: r.op as string, options: parse(r.options) as Record<string, unknown>,
    outBase: r.out_base as string, status: r.status as RunStatus, attempts: r.attempts as number,
    failures: r.failures as number, maxAttempts: r.max_attempts as number, notBefore: r.not_before as number,
    owner: r.owner as number | null, cancelRequested: r.cancel_requested === 1, progressBytes: r.progress_bytes as number | null,
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
