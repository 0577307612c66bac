/**
 * The daemon's log: one line per event on stderr.
 *
 * Format `json` (default) writes one JSON object per line, always with `time`
 * (ISO 8601, UTC), `level` (`debug`, `info`, `warn`, `error`) and `event`
 * (dotted name, e.g. `run.success`), then the event's own fields:
 *
 * ```
 * {"time":"2025-01-01T12:00:00.000Z","level":"info","event":"run.success","run":7,"sensor":"incoming","source":"/in/a.bam","ms":412}
 * ```
 *
 * Format `text` writes the same as `TIME LEVEL EVENT key=value …`, values
 * JSON-quoted only when they contain spaces or quotes.
 *
 * Events: `daemon.start`, `daemon.recovered`, `daemon.temps_removed`,
 * `daemon.reprocess`, `daemon.output_unavailable`, `daemon.output_available`,
 * `daemon.pruned`, `daemon.error`, `daemon.lease_lost`, `daemon.stopping`,
 * `daemon.stop`, `http.listening`, `sensor.tick`, `sensor.skip`,
 * `sensor.watch_missing`, `sensor.output_collision`, `sensor.error`,
 * `run.queued`, `run.started`, `run.success`, `run.retry`, `run.failure`,
 * `run.paused`, `run.skipped`, `run.source_removed`, `run.requeued`,
 * `run.canceled`, `run.lost`, `store.error`. The `run.*` events after
 * `run.queued` are also kept in the run's own log (`runs show`).
 */

/** Severity, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/** Line format. */
export type LogFormat = 'json' | 'text'

/** Writes events. */
export interface Logger {
  log(level: LogLevel, event: string, fields?: Record<string, unknown>): void
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 }

/**
 * A logger writing lines to `stream` at or above `minLevel`.
 *
 * @example
 * ```ts
 * const log = createLogger(process.stderr, 'json', 'info')
 * log.log('info', 'run.success', { run: 7, ms: 412 })
 * ```
 */
export function createLogger(stream: { write(s: string): unknown }, format: LogFormat = 'json', minLevel: LogLevel = 'info'): Logger {
  return {
    log(level, event, fields = {}) {
      if (RANK[level] < RANK[minLevel]) return
      const time = new Date().toISOString()
      stream.write(format === 'json' ? jsonLine(time, level, event, fields) : textLine(time, level, event, fields))
    },
  }
}

function jsonLine(time: string, level: LogLevel, event: string, fields: Record<string, unknown>): string {
  return `${JSON.stringify({ time, level, event, ...fields })}\n`
}

function textLine(time: string, level: LogLevel, event: string, fields: Record<string, unknown>): string {
  const parts = [time, level.toUpperCase().padEnd(5), event]
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue
    const s = typeof v === 'string' ? v : JSON.stringify(v)
    parts.push(`${k}=${/[\s"=]/.test(s) || s === '' ? JSON.stringify(s) : s}`)
  }
  return `${parts.join(' ')}\n`
}
