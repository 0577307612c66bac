/**
 * The daemon's status page, JSON API and Prometheus metrics
 * (`bamstream daemon --http [host:]port`).
 *
 * | path | what |
 * |---|---|
 * | `GET /` | a small page: runs with status filters, a run's details and live progress, sensors with their last ticks |
 * | `GET /api/status` | daemon, lease, backlog by status, lag, outage, sensors, runs in progress |
 * | `GET /api/runs?status=&sensor=&limit=` | runs, newest first, and the total matching |
 * | `GET /api/runs/:id` | one run with its attempts, its log and live progress |
 * | `GET /api/sensors`, `GET /api/sensors/:name/ticks` | sensors; tick history |
 * | `GET /metrics` | Prometheus text: runs by status, bytes and records processed, tick durations, queue lag |
 * | `POST /api/runs/:id/cancel`, `…/retry`, `…/reexecute` | only with `Authorization: Bearer <token>` and a token configured |
 *
 * Bound to 127.0.0.1 unless a host is given. Everything is read-only unless
 * the daemon was given a token; even then only those three actions exist.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { SensorError, storedError } from './errors.js'
import type { Daemon } from './daemon.js'
import type { Logger } from './log.js'
import { RUN_STATUSES, type RunStatus } from './schema.js'
import { statusReport } from './status.js'
import { STATUS_PAGE } from './status-page.js'

/** Where to listen. */
export interface Listen {
  host: string
  port: number
}

/**
 * Parses `--http`: `PORT`, `HOST:PORT` or `[IPv6]:PORT`; the host defaults to 127.0.0.1.
 *
 * @example
 * ```ts
 * parseListen('8080')         // { host: '127.0.0.1', port: 8080 }
 * parseListen('0.0.0.0:9000') // { host: '0.0.0.0', port: 9000 }
 * ```
 */
export function parseListen(text: string): Listen {
  const m = /^(?:\[([^\]]+)\]:|([^:]+):)?(\d{1,5})$/.exec(text.trim())
  const port = Number(m?.[3])
  if (!m || port > 65535) throw new SensorError('ERR_CONFIG', `--http: expected PORT or HOST:PORT, got "${text}"`)
  return { host: m[1] ?? m[2] ?? '127.0.0.1', port }
}

/** A running status server. */
export interface StatusServer {
  /** The port listened on (useful with port 0). */
  port: number
  close(): Promise<void>
}

/**
 * Serves the status page, API and metrics of a running daemon.
 *
 * @example
 * ```ts
 * const server = await serveStatus(daemon, { host: '127.0.0.1', port: 8080, logger })
 * await daemon.finished
 * await server.close()
 * ```
 */
export async function serveStatus(daemon: Daemon, options: Listen & { token?: string; logger: Logger }): Promise<StatusServer> {
  const server = http.createServer((req, res) => {
    try {
      route(daemon, options.token, req, res)
    } catch (e) {
      const notFound = e instanceof SensorError && e.code === 'ERR_NOT_FOUND'
      send(res, notFound ? 404 : e instanceof SensorError ? 409 : 500, { error: storedError(e) })
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new SensorError('ERR_CONFIG', `--http: cannot listen on ${options.host}:${options.port}: ${e.message}`)))
    server.listen(options.port, options.host, resolve)
  })
  const port = (server.address() as AddressInfo).port
  options.logger.log('info', 'http.listening', { url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}/`, writeActions: options.token ? 'with token' : 'none' })
  return {
    port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    }),
  }
}

function route(daemon: Daemon, token: string | undefined, req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://localhost')
  const p = url.pathname
  const store = daemon.store
  if (req.method === 'POST') return action(daemon, token, req, res, p)
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: { message: 'read-only: GET only (POST actions need a token)' } })
  if (p === '/') return sendText(res, 200, STATUS_PAGE, 'text/html; charset=utf-8')
  if (p === '/metrics') return sendText(res, 200, metrics(daemon), 'text/plain; version=0.0.4; charset=utf-8')
  if (p === '/api/status') return send(res, 200, { ...statusReport(store, daemon.stateDir), daemon: live(daemon) })
  if (p === '/api/runs') {
    const status = url.searchParams.get('status') || undefined
    if (status !== undefined && !RUN_STATUSES.includes(status as RunStatus)) return send(res, 400, { error: { message: `unknown status ${status}` } })
    const filter = { status: status as RunStatus | undefined, sensor: url.searchParams.get('sensor') || undefined }
    const limit = Math.min(1000, Math.max(1, Number(url.searchParams.get('limit') ?? 100) || 100))
    return send(res, 200, { total: store.total(filter), counts: store.counts(), runs: store.list({ ...filter, limit }).map((r) => withLive(daemon, r)) })
  }
  const run = /^\/api\/runs\/(\d+)$/.exec(p)
  if (run) {
    const id = Number(run[1])
    return send(res, 200, { ...withLive(daemon, store.get(id)), history: store.attempts(id), log: store.events(id) })
  }
  if (p === '/api/sensors') {
    const snap = daemon.snapshot()
    const stored = new Map(store.sensors().map((s) => [s.name, s]))
    return send(res, 200, snap.sensors.map((s) => ({
      name: s.name, op: s.op, watch: s.watch, urls: s.urls, out: s.out, interval: s.interval, engine: s.engine,
      stopped: stored.get(s.name)?.stopped ?? false, ticks: stored.get(s.name)?.ticks ?? 0, lastTickAt: stored.get(s.name)?.lastTickAt ?? null,
      lastTick: store.ticks(s.name, 1)[0] ?? null, tickStats: snap.ticks[s.name] ?? null, queued: store.counts(s.name).QUEUED,
    })))
  }
  const ticks = /^\/api\/sensors\/([^/]+)\/ticks$/.exec(p)
  if (ticks) return send(res, 200, store.ticks(decodeURIComponent(ticks[1]!), Math.min(1000, Number(url.searchParams.get('limit') ?? 50) || 50)))
  send(res, 404, { error: { message: `no such page: ${p}` } })
}

/** Runs in progress in this daemon, with their live progress. */
function live(daemon: Daemon): Record<string, unknown> {
  const s = daemon.snapshot()
  return { pid: s.pid, startedAt: s.startedAt, running: s.running, outage: s.outage ?? null, ticks: s.ticks }
}

function withLive<T extends { id: number }>(daemon: Daemon, run: T): T & { live: unknown } {
  return { ...run, live: daemon.snapshot().running.find((r) => r.id === run.id) ?? null }
}

function action(daemon: Daemon, token: string | undefined, req: http.IncomingMessage, res: http.ServerResponse, p: string): void {
  const m = /^\/api\/runs\/(\d+)\/(cancel|retry|reexecute)$/.exec(p)
  if (!m) return send(res, 404, { error: { message: `no such action: ${p}` } })
  if (!token) return send(res, 403, { error: { message: 'read-only: start the daemon with --http-token to allow actions' } })
  if (req.headers.authorization !== `Bearer ${token}`) return send(res, 401, { error: { message: 'missing or wrong bearer token' } })
  const id = Number(m[1])
  const now = Date.now()
  const run = m[2] === 'cancel' ? daemon.store.requestCancel(id, now) : m[2] === 'retry' ? daemon.store.retry(id, now) : daemon.store.reexecute(id, now)
  send(res, 200, run)
}

/**
 * Prometheus text exposition of the daemon's numbers.
 *
 * @example
 * ```ts
 * metrics(daemon) // '# HELP bamstream_runs Runs by status.\n# TYPE bamstream_runs gauge\nbamstream_runs{status="QUEUED"} 3\n…'
 * ```
 */
export function metrics(daemon: Daemon, now = Date.now()): string {
  const store = daemon.store
  const snap = daemon.snapshot()
  const out: string[] = []
  const metric = (name: string, type: string, help: string, samples: Array<[string, number]>): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples.map(([labels, v]) => `${name}${labels} ${Number.isFinite(v) ? v : 0}`))
  }
  metric('bamstream_up', 'gauge', 'The daemon is running.', [['', 1]])
  metric('bamstream_runs', 'gauge', 'Runs by status.', Object.entries(store.counts()).map(([k, v]) => [`{status="${k}"}`, v]))
  const done = store.processed()
  metric('bamstream_processed_bytes_total', 'counter', 'Compressed bytes read by SUCCESS runs (kept runs only: retention lowers it).', [['', done.bytes]])
  metric('bamstream_processed_records_total', 'counter', 'Records processed by SUCCESS runs (kept runs only).', [['', done.records]])
  metric('bamstream_running_runs', 'gauge', 'Runs in progress in this daemon.', [['', snap.running.length]])
  metric('bamstream_running_bytes', 'gauge', 'Bytes read so far by the runs in progress.', [['', snap.running.reduce((n, r) => n + r.bytes, 0)]])
  const oldest = store.oldestQueued()
  metric('bamstream_queue_lag_seconds', 'gauge', 'Age of the oldest claimable QUEUED run (0 when none).', [['', oldest === undefined ? 0 : (now - oldest) / 1000]])
  metric('bamstream_output_outage', 'gauge', '1 while claiming is paused because results cannot be written.', [['', snap.outage ? 1 : 0]])
  const names = snap.sensors.map((s) => s.name)
  const stopped = store.stoppedSensors()
  const label = (n: string): string => `{sensor="${n.replace(/["\\\n]/g, '_')}"}`
  metric('bamstream_sensor_stopped', 'gauge', '1 when the sensor is stopped.', names.map((n) => [label(n), stopped.has(n) ? 1 : 0]))
  metric('bamstream_tick_duration_seconds', 'summary', 'Duration of sensor ticks since the daemon started.', names.flatMap((n): Array<[string, number]> => {
    const t = snap.ticks[n]
    return [[`_sum${label(n)}`, (t?.sumMs ?? 0) / 1000], [`_count${label(n)}`, t?.count ?? 0]]
  }))
  metric('bamstream_tick_last_duration_seconds', 'gauge', 'Duration of each sensor\'s last tick.', names.map((n) => [label(n), (snap.ticks[n]?.last ?? 0) / 1000]))
  metric('bamstream_tick_max_duration_seconds', 'gauge', 'Longest tick of each sensor since the daemon started.', names.map((n) => [label(n), (snap.ticks[n]?.maxMs ?? 0) / 1000]))
  return `${out.join('\n')}\n`
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  sendText(res, status, `${JSON.stringify(body)}\n`, 'application/json; charset=utf-8')
}

function sendText(res: http.ServerResponse, status: number, text: string, type: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' })
  res.end(text)
}
