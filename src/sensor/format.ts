/**
 * Text forms of runs and sensor previews for the terminal (`bamstream runs`,
 * `runs show`, `sensor preview`). The `--json` forms are the objects themselves.
 */
import type { Lease } from './lease.js'
import type { Attempt, Run, RunEvent, RunStatus } from './schema.js'
import type { TickResult } from './sensor.js'
import type { SensorState, TickRecord } from './store.js'

/**
 * A table of runs, one per line, with a header.
 *
 * @example
 * ```ts
 * process.stdout.write(formatRunTable(store.list()))
 * // ID  STATUS   SENSOR   OP        TRIES  CREATED              TIME    SOURCE
 * // 3   SUCCESS  default  flagstat  1      2025-01-01 12:00:00  0.4s    /in/a.bam
 * ```
 */
export function formatRunTable(runs: Run[], now = Date.now()): string {
  const rows = runs.map((r) => [
    String(r.id), r.status, r.sensor, opName(r.op), String(r.attempts), time(r.createdAt), duration(r, now), r.source,
    r.error ? `${r.error.code ?? r.error.name}: ${r.error.message}` : '',
  ])
  return table([['ID', 'STATUS', 'SENSOR', 'OP', 'TRIES', 'CREATED', 'TIME', 'SOURCE', 'ERROR'], ...rows])
}

/**
 * Everything about one run, with its attempts.
 *
 * @example
 * ```ts
 * process.stdout.write(formatRunDetail(store.get(3), store.attempts(3)))
 * ```
 */
export function formatRunDetail(run: Run, attempts: Attempt[], now = Date.now(), events: RunEvent[] = []): string {
  const lines = [
    `run ${run.id}: ${run.status}${run.cancelRequested && run.status === 'STARTED' ? ' (cancel requested)' : ''}`,
    `  sensor    ${run.sensor}`,
    `  run key   ${run.runKey}`,
    `  source    ${run.source}${run.size === null ? '' : ` (${run.size} bytes)`}`,
    `  op        ${run.op} ${JSON.stringify(run.options)}`,
    `  engine    chunkSize ${run.engine.chunkSize || 'daemon default'}, maxRuntime ${run.engine.maxRuntime ? milliseconds(run.engine.maxRuntime) : 'none'}`,
    `  attempts  ${run.attempts} started, ${run.failures} failed, at most ${run.maxAttempts} failures`,
    `  created   ${time(run.createdAt)}`,
    `  started   ${run.startedAt ? time(run.startedAt) : '-'}`,
    `  ended     ${run.endedAt ? time(run.endedAt) : '-'}   (${duration(run, now)})`,
  ]
  if (run.status === 'QUEUED' && run.notBefore > now) lines.push(`  retry at  ${time(run.notBefore)}`)
  if (run.status === 'STARTED' && run.progressBytes !== null) {
    lines.push(`  progress  ${run.progressBytes} bytes${run.size ? ` of ${run.size}` : ''}, ${run.progressRecords ?? 0} records, by pid ${run.owner}`)
  }
  if (run.outputs.length > 0) lines.push(`  outputs   ${run.outputs.join('\n            ')}`)
  if (run.error) lines.push(`  error     ${describeError(run.error)}`)
  if (run.result !== null) lines.push(`  result    ${JSON.stringify(run.result)}`)
  lines.push('  history')
  for (const a of attempts) {
    const took = a.endedAt ? milliseconds(a.endedAt - a.startedAt) : 'running'
    lines.push(`    #${a.attempt} pid ${a.owner} ${time(a.startedAt)} ${took} ${a.outcome ?? 'STARTED'}${a.error ? ` — ${describeError(a.error)}` : ''}`)
  }
  if (events.length > 0) lines.push('  log')
  for (const e of events) {
    const fields = Object.entries(e.fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')
    lines.push(`    ${time(e.time)} ${e.level.toUpperCase().padEnd(5)} #${e.attempt ?? '-'} ${e.event}${fields ? ` ${fields}` : ''}`)
  }
  return `${lines.join('\n')}\n`
}

/** What `bamstream status` shows. */
export interface StatusReport {
  state: string
  lease: Lease | undefined
  alive: boolean
  counts: Record<RunStatus, number>
  /** Age of the oldest claimable QUEUED run, ms. */
  lagMs: number | null
  outage: { since: number; dir: string; error: { message: string } } | undefined
  sensors: Array<SensorState & { last?: TickRecord; queued?: number }>
}

/**
 * The daemon's state for `bamstream status`.
 *
 * @example
 * ```ts
 * process.stdout.write(formatStatus(report))
 * // daemon    running, pid 4242 on box, since 2025-01-01 12:00:00 (heartbeat 0.4s ago)
 * ```
 */
export function formatStatus(r: StatusReport, now = Date.now()): string {
  const l = r.lease
  const lines = [
    `state     ${r.state}`,
    `daemon    ${!l ? 'not running' : r.alive ? `running, pid ${l.pid} on ${l.host}, since ${time(l.startedAt)} (heartbeat ${milliseconds(now - l.heartbeat)} ago)` : `not running (pid ${l.pid} on ${l.host} stopped answering ${milliseconds(now - l.heartbeat)} ago)`}`,
    `backlog   ${Object.entries(r.counts).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `lag       ${r.lagMs === null ? 'none (nothing queued)' : `oldest QUEUED run waiting ${milliseconds(r.lagMs)}`}`,
  ]
  if (r.outage) lines.push(`outage    ${r.outage.dir} unavailable since ${time(r.outage.since)}: ${r.outage.error.message} (claiming paused)`)
  lines.push('sensors', ...formatSensors(r.sensors).trimEnd().split('\n').map((l) => `  ${l}`))
  return `${lines.join('\n')}\n`
}

/**
 * A table of sensors: running or stopped, ticks, the last tick, QUEUED backlog.
 *
 * @example
 * ```ts
 * process.stdout.write(formatSensors(store.sensors()))
 * ```
 */
export function formatSensors(sensors: Array<SensorState & { last?: TickRecord; queued?: number }>): string {
  const rows = sensors.map((s) => [
    s.name, s.stopped ? 'STOPPED' : 'RUNNING', String(s.ticks), s.lastTickAt ? time(s.lastTickAt) : '-', s.last ? milliseconds(s.last.ms) : '-',
    s.last ? String(s.last.requested) : '-', s.queued === undefined ? '' : String(s.queued), s.last?.error ? s.last.error.message : '',
  ])
  return table([['NAME', 'STATE', 'TICKS', 'LAST TICK', 'TOOK', 'REQUESTED', sensors.some((s) => s.queued !== undefined) ? 'QUEUED' : '', 'ERROR'], ...rows])
}

/**
 * Tick history, newest first.
 *
 * @example
 * ```ts
 * process.stdout.write(formatTicks(store.ticks('incoming', 20)))
 * ```
 */
export function formatTicks(ticks: TickRecord[]): string {
  const rows = ticks.map((t) => [
    time(t.startedAt), t.sensor, milliseconds(t.ms), String(t.candidates), String(t.requested),
    Object.entries(t.skipped).map(([k, v]) => `${k} ${v}`).join(', ') || '-', t.error ? `${t.error.code ?? t.error.name}: ${t.error.message}` : '',
  ])
  return table([['TIME', 'SENSOR', 'TOOK', 'CANDIDATES', 'REQUESTED', 'SKIPPED', 'ERROR'], ...rows])
}

/**
 * What a sensor's next tick would do.
 *
 * @example
 * ```ts
 * process.stdout.write(formatPreview('default', await evaluateSensor(sensor, cursor, known)))
 * ```
 */
export function formatPreview(sensor: string, tick: Pick<TickResult, 'requests' | 'skips'>): string {
  const lines = [`sensor ${sensor}: would request ${tick.requests.length} run(s), skip ${tick.skips.length}`]
  for (const r of tick.requests) lines.push(`  REQUEST  ${r.source}  (${opName(r.op)}, key ${r.runKey}, results ${r.outBase}.*)`)
  for (const s of tick.skips) lines.push(`  SKIP     ${s.source}  ${s.reason}${s.detail ? `: ${s.detail}` : ''}`)
  return `${lines.join('\n')}\n`
}

function describeError(e: NonNullable<Run['error']>): string {
  const where = e.offset !== undefined ? ` (at byte ${e.offset})` : ''
  return `${e.code ?? e.name}: ${e.message}${where}${e.retryable === false ? ' [not retried]' : ''}`
}

function opName(op: string): string {
  return op.includes('/') || op.includes('\\') ? op.slice(Math.max(op.lastIndexOf('/'), op.lastIndexOf('\\')) + 1) : op
}

function time(ms: number): string {
  const d = new Date(ms)
  const p = (n: number): string => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}

function duration(r: Run, now: number): string {
  if (!r.startedAt) return '-'
  const end = r.status === 'STARTED' ? now : r.endedAt ?? r.updatedAt
  return milliseconds(Math.max(0, end - r.startedAt))
}

function milliseconds(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(1)}s`
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n'
}
