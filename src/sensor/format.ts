/**
 * Text forms of runs and sensor previews for the terminal (`bamstream runs`,
 * `runs show`, `sensor preview`). The `--json` forms are the objects themselves.
 */
import type { Attempt, Run } from './schema.js'
import type { TickResult } from './sensor.js'

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
export function formatRunDetail(run: Run, attempts: Attempt[], now = Date.now()): string {
  const lines = [
    `run ${run.id}: ${run.status}${run.cancelRequested && run.status === 'STARTED' ? ' (cancel requested)' : ''}`,
    `  sensor    ${run.sensor}`,
    `  run key   ${run.runKey}`,
    `  source    ${run.source}${run.size === null ? '' : ` (${run.size} bytes)`}`,
    `  op        ${run.op} ${JSON.stringify(run.options)}`,
    `  attempts  ${run.attempts} started, ${run.failures} failed, at most ${run.maxAttempts} failures`,
    `  created   ${time(run.createdAt)}`,
    `  started   ${run.startedAt ? time(run.startedAt) : '-'}`,
    `  ended     ${run.endedAt ? time(run.endedAt) : '-'}   (${duration(run, now)})`,
  ]
  if (run.status === 'QUEUED' && run.notBefore > now) lines.push(`  retry at  ${time(run.notBefore)}`)
  if (run.status === 'STARTED' && run.progressBytes !== null) lines.push(`  progress  ${run.progressBytes} bytes read by pid ${run.owner}`)
  if (run.outputs.length > 0) lines.push(`  outputs   ${run.outputs.join('\n            ')}`)
  if (run.error) lines.push(`  error     ${describeError(run.error)}`)
  if (run.result !== null) lines.push(`  result    ${JSON.stringify(run.result)}`)
  lines.push('  history')
  for (const a of attempts) {
    const took = a.endedAt ? milliseconds(a.endedAt - a.startedAt) : 'running'
    lines.push(`    #${a.attempt} pid ${a.owner} ${time(a.startedAt)} ${took} ${a.outcome ?? 'STARTED'}${a.error ? ` — ${describeError(a.error)}` : ''}`)
  }
  return `${lines.join('\n')}\n`
}

/**
 * What a sensor's next tick would do.
 *
 * @example
 * ```ts
 * process.stdout.write(formatPreview('default', await evaluateSensor(sensor, cursor, known)))
 * ```
 */
export function formatPreview(sensor: string, tick: TickResult): string {
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
