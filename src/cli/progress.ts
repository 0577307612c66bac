/**
 * A progress bar on stderr, drawn only when stderr is a terminal.
 */
import type { Progress } from '../engine/run.js'

/** Redraws at most this often. */
const REDRAW_MS = 200

/**
 * Returns an `onProgress` callback drawing bytes, MB/s, records/s and ETA on a
 * TTY stream, or `undefined` when `stream` is not a TTY (nothing is written then).
 *
 * @example
 * ```ts
 * await flagstat(path, { onProgress: progressBar(process.stderr) })
 * ```
 */
export function progressBar(stream: NodeJS.WriteStream): ((p: Progress) => void) | undefined {
  if (!stream.isTTY) return undefined
  let last = 0
  return (p) => {
    const now = Date.now()
    if (now - last < REDRAW_MS && !p.done) return
    last = now
    stream.write(`\r${describeProgress(p, stream.columns ?? 80)}\x1b[K${p.done ? '\n' : ''}`)
  }
}

/** One line: bar, percentage, bytes, MB/s, records/s, ETA. */
export function describeProgress(p: Progress, columns: number): string {
  const seconds = Math.max(p.elapsedMs / 1000, 1e-3)
  const mbps = p.bytes / 1e6 / seconds
  const rps = p.records / seconds
  const stats = `${mb(p.bytes)}${p.totalBytes ? `/${mb(p.totalBytes)}` : ''} MB  ${mbps.toFixed(1)} MB/s  ${Math.round(rps).toLocaleString('en-US')} rec/s`
  if (!p.totalBytes) return stats
  const frac = Math.min(1, p.bytes / p.totalBytes)
  const eta = frac > 0 ? (seconds / frac) * (1 - frac) : 0
  const width = Math.max(10, Math.min(40, columns - stats.length - 20))
  const filled = Math.round(frac * width)
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(1)}%  ${stats}  ETA ${eta.toFixed(0)}s`
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1)
}
