/**
 * The daemon lease: at most one live daemon per state directory. The holder's
 * pid, host and heartbeat sit in the `meta` table. A new daemon takes the
 * lease when there is none, when its holder's process is gone (e.g. after
 * `kill -9`), or when the heartbeat is older than `staleMs`; only then may it
 * re-queue runs left STARTED.
 */
import os from 'node:os'
import type Database from 'better-sqlite3'
import { SensorError } from './errors.js'
import { isProcessAlive } from './pid.js'

/** Who holds the lease. */
export interface Lease {
  pid: number
  host: string
  /** When the holder started (ms since epoch). */
  startedAt: number
  /** Last heartbeat (ms since epoch). */
  heartbeat: number
}

const KEY = 'lease'

/**
 * The current lease, if any.
 *
 * @example
 * ```ts
 * const lease = readLease(store.db) // { pid: 4242, host: 'box', startedAt: …, heartbeat: … }
 * ```
 */
export function readLease(db: Database.Database): Lease | undefined {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(KEY) as { value: string } | undefined
  return row ? (JSON.parse(row.value) as Lease) : undefined
}

/**
 * True when the lease's holder is (probably) still running: its process exists
 * (same host) and its heartbeat is younger than `staleMs`.
 *
 * @example
 * ```ts
 * const lease = readLease(store.db)
 * if (lease && leaseIsLive(lease, Date.now(), 60_000)) console.log(`daemon ${lease.pid} is running`)
 * ```
 */
export function leaseIsLive(lease: Lease, now: number, staleMs: number): boolean {
  if (lease.host !== os.hostname()) return now - lease.heartbeat < staleMs
  return isProcessAlive(lease.pid) && now - lease.heartbeat < staleMs
}

/**
 * Takes the lease for `pid`, or throws `ERR_LOCKED` naming the live holder.
 * Returns the previous holder when it was taken over from a dead one.
 *
 * @example
 * ```ts
 * const previous = acquireLease(store.db, process.pid, Date.now(), 60_000)
 * if (previous) store.recover(Date.now())
 * ```
 */
export function acquireLease(db: Database.Database, pid: number, now: number, staleMs: number): Lease | undefined {
  return db.transaction(() => {
    const current = readLease(db)
    if (current && current.pid !== pid && leaseIsLive(current, now, staleMs)) {
      throw new SensorError('ERR_LOCKED', `another daemon (pid ${current.pid} on ${current.host}) is using this state directory`)
    }
    const lease: Lease = { pid, host: os.hostname(), startedAt: now, heartbeat: now }
    db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(KEY, JSON.stringify(lease))
    return current
  }).immediate()
}

/**
 * Refreshes the heartbeat. Returns false when the lease is no longer `pid`'s.
 *
 * @example
 * ```ts
 * if (!heartbeat(store.db, process.pid, Date.now())) stop('lease lost')
 * ```
 */
export function heartbeat(db: Database.Database, pid: number, now: number): boolean {
  return db.transaction(() => {
    const current = readLease(db)
    if (!current || current.pid !== pid || current.host !== os.hostname()) return false
    db.prepare('UPDATE meta SET value = ? WHERE key = ?').run(JSON.stringify({ ...current, heartbeat: now }), KEY)
    return true
  }).immediate()
}

/**
 * Gives the lease up, if `pid` holds it.
 *
 * @example
 * ```ts
 * releaseLease(store.db, process.pid)
 * ```
 */
export function releaseLease(db: Database.Database, pid: number): void {
  db.transaction(() => {
    const current = readLease(db)
    if (current && current.pid === pid && current.host === os.hostname()) db.prepare('DELETE FROM meta WHERE key = ?').run(KEY)
  }).immediate()
}
