/**
 * The run storage schema: creation by processes racing on a new state
 * directory, and the upgrade of a version-1 database.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { RunStore } from '../../src/sensor/store.js'
import { ROOT, removeTempDirs, requireBuild, tempDir } from './helpers.js'

afterAll(removeTempDirs)

/** Starts `n` processes that each open the store in `dir` at the same instant; resolves with their exit codes and stderr. */
function openTogether(dir: string, n: number): Promise<Array<{ code: number | null; stderr: string }>> {
  const storeUrl = pathToFileURL(path.join(ROOT, 'dist/src/sensor/store.js')).href
  const at = Date.now() + 1500 // every process is up and spinning by then
  const script = `import { RunStore } from '${storeUrl}'
    while (Date.now() < ${at}) {}
    const s = RunStore.open(process.argv[1]); s.counts(); s.close()`
  return Promise.all(Array.from({ length: n }, () => new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', script, dir], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    p.on('exit', (code) => resolve({ code, stderr }))
  })))
}

/** The schema of bamstream 0.1.0 (version 1), as it shipped. */
const V1_DDL = `
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

describe('schema', () => {
  it('upgrades a version 1 database: runs and attempts kept, the JSON cursor moved into rows, output names owned', () => {
    const dir = tempDir()
    const db = new Database(path.join(dir, 'runs.sqlite'))
    db.exec(V1_DDL)
    db.pragma('user_version = 1')
    db.prepare(`INSERT INTO runs (sensor, run_key, source, size, op, out_base, status, attempts, max_attempts, created_at, updated_at, result, outputs)
      VALUES ('s', '/in/a.bam|size=5|mtime=7', '/in/a.bam', 5, 'count', '/out/a', 'SUCCESS', 1, 3, 10, 20, '42', '["/out/a.count.txt"]')`).run()
    db.prepare("INSERT INTO attempts (run_id, attempt, owner, started_at, ended_at, outcome) VALUES (1, 1, 99, 11, 20, 'SUCCESS')").run()
    const cursor = { v: 1, seen: { '/in/a.bam': { size: 5, mtime: '7', since: 3, key: '/in/a.bam|size=5|mtime=7' }, '/in/b.bam': { size: 9, mtime: '8', since: 4 } } }
    db.prepare('INSERT INTO sensors (name, cursor, ticks, last_tick_at, updated_at) VALUES (?, ?, 5, 30, 30)').run('s', JSON.stringify(cursor))
    db.close()
    const s = RunStore.open(dir)
    try {
      expect(s.db.pragma('user_version', { simple: true })).toBe(2)
      expect(s.get(1)).toMatchObject({ status: 'SUCCESS', result: 42, outputs: ['/out/a.count.txt'], stamp: null, engine: { chunkSize: 0, maxRuntime: 0 } })
      expect(s.attempts(1)).toMatchObject([{ outcome: 'SUCCESS', owner: 99 }])
      expect([...s.cursor('s')]).toEqual([
        ['/in/a.bam', { size: 5, stamp: '7', since: 3, key: '/in/a.bam|size=5|mtime=7' }], ['/in/b.bam', { size: 9, stamp: '8', since: 4 }],
      ])
      expect(s.sensors()).toEqual([{ name: 's', ticks: 5, lastTickAt: 30, stopped: false }])
      expect(s.outputOwner('/out/a')).toEqual({ sensor: 's', source: '/in/a.bam' })
      expect(s.quickCheck()).toEqual([])
      expect(s.db.pragma('foreign_key_check')).toEqual([])
    } finally {
      s.close()
    }
  })

  it('is created once when several processes open a new state directory at the same moment', async () => {
    requireBuild()
    for (let round = 0; round < 3; round++) {
      const results = await openTogether(path.join(tempDir(), 'state'), 6)
      expect(results.filter((r) => r.code !== 0).map((r) => r.stderr)).toEqual([])
    }
  }, 30_000)
})
