/**
 * The daemon's state read from its store alone: what `bamstream status`
 * prints and what the status page's API serves.
 */
import type { StatusReport } from './format.js'
import { leaseIsLive, readLease } from './lease.js'
import type { RunStore } from './store.js'

/** A lease whose heartbeat is older than this counts as dead (the daemon beats every second). */
const STALE_MS = 60_000

/**
 * Is the daemon alive, who holds the lease, sensors with their last ticks, backlog by status, queue lag, an outage.
 *
 * @example
 * ```ts
 * const report = statusReport(store, '/data/.bamstream')
 * if (!report.alive) console.log('no daemon')
 * ```
 */
export function statusReport(s: RunStore, state: string, now = Date.now()): StatusReport {
  const lease = readLease(s.db)
  const oldest = s.oldestQueued()
  return {
    state, lease, alive: lease !== undefined && leaseIsLive(lease, now, STALE_MS), counts: s.counts(),
    lagMs: oldest === undefined ? null : now - oldest, outage: s.meta('outage'),
    sensors: s.sensors().map((x) => ({ ...x, queued: s.counts(x.name).QUEUED, last: s.ticks(x.name, 1)[0] })),
  }
}
