/**
 * A sensor tick: look at every candidate file or URL, and turn each complete,
 * not yet requested one into a run request.
 *
 * A candidate is complete when its size and modification stamp are the same
 * as at the previous look (the cursor keeps the previous look, so this holds
 * across daemon restarts) and it ends with the BGZF EOF block. Its run key is
 * made of the sensor's `runKey` fields (default path + size + mtime), so a
 * file rewritten in place gets a new key and a new run, while the same key
 * never gets a second one (the store's unique constraint backs this up).
 *
 * Skip reasons: `first-look` (seen once; wait for a second look), `changing`
 * (size or mtime moved since the last look), `no-eof` (stable but without the
 * EOF block: still being written, or truncated; once it has stayed so for the
 * sensor's `incompleteAfter`, it is requested anyway, so that its run fails
 * with the error on record), `already-requested` (the key has a run),
 * `unreachable` (a URL's HEAD failed).
 */
import path from 'node:path'
import type { SensorConfig } from './config.js'
import { endsWithEofBlock, observeFiles, observeUrl, readUrlList, type Observation } from './probe.js'
import type { RunRequest } from './store.js'

/** What the cursor remembers of a candidate: its last look, and the run key requested for it. */
export interface SeenEntry {
  size: number
  mtime: string
  /** When this size and mtime were first seen (ms since epoch). */
  since: number
  /** Set once a run exists for this look. */
  key?: string
}

/** A sensor's persisted cursor. */
export interface Cursor {
  v: 1
  /** Source (path or URL) → last look. Sources that vanish are dropped. */
  seen: Record<string, SeenEntry>
}

/** Why a candidate was not requested. */
export type SkipReason = 'first-look' | 'changing' | 'no-eof' | 'already-requested' | 'unreachable'

/** A candidate not requested this tick. */
export interface Skip {
  source: string
  reason: SkipReason
  detail?: string
}

/** The outcome of one tick. */
export interface TickResult {
  requests: RunRequest[]
  skips: Skip[]
  /** The cursor to save, together with the requests. */
  cursor: Cursor
}

/** Looks up the run of a key: its id and status, when one exists. */
export type KnownRuns = (runKey: string) => { id: number; status: string } | undefined

/**
 * Parses a saved cursor (an empty cursor when there is none or it is unreadable).
 *
 * @example
 * ```ts
 * const cursor = parseCursor(store.cursor('incoming'))
 * ```
 */
export function parseCursor(text: string | undefined): Cursor {
  if (!text) return { v: 1, seen: {} }
  try {
    const c = JSON.parse(text) as Cursor
    if (c && c.v === 1 && typeof c.seen === 'object' && c.seen !== null) return c
  } catch {
    // fall through: start afresh rather than refuse to run
  }
  return { v: 1, seen: {} }
}

/**
 * The run key of an observation.
 *
 * @example
 * ```ts
 * runKey({ source: '/in/a.bam', rel: 'a', size: 831, mtime: '1712000000000000000' }, ['path', 'size', 'mtime'])
 * // '/in/a.bam|size=831|mtime=1712000000000000000'
 * ```
 */
export function runKey(o: Observation, fields: SensorConfig['runKey']): string {
  const parts: string[] = []
  if (fields.includes('path')) parts.push(o.source)
  else if (fields.includes('name')) parts.push(path.posix.basename(o.rel))
  if (fields.includes('size')) parts.push(`size=${o.size}`)
  if (fields.includes('mtime')) parts.push(`mtime=${o.mtime}`)
  return parts.join('|')
}

/**
 * Runs one tick of `sensor` against its previous cursor. Reads the file
 * system and the network, writes nothing.
 *
 * @example
 * ```ts
 * const tick = await evaluateSensor(sensor, parseCursor(store.cursor(sensor.name)), (k) => store.findByKey(sensor.name, k))
 * store.enqueue(sensor.name, tick.requests, JSON.stringify(tick.cursor), Date.now())
 * ```
 */
export async function evaluateSensor(sensor: SensorConfig, cursor: Cursor, known: KnownRuns, now = Date.now()): Promise<TickResult> {
  const { observations, skips } = await observe(sensor)
  const next: Cursor = { v: 1, seen: {} }
  const requests: RunRequest[] = []
  for (const o of observations) {
    const decision = await decide(sensor, o, cursor.seen[o.source], known, now)
    next.seen[o.source] = decision.entry
    if (decision.skip) skips.push(decision.skip)
    else requests.push(request(sensor, o, decision.entry.key!))
  }
  for (const s of skips) {
    if (s.reason === 'unreachable' && cursor.seen[s.source]) next.seen[s.source] = cursor.seen[s.source]!
  }
  return { requests, skips, cursor: next }
}

async function observe(sensor: SensorConfig): Promise<{ observations: Observation[]; skips: Skip[] }> {
  // a sensor never consumes its own results (view -b writes .bam files), even when its out directory is inside a watched one
  const ownOut = sensor.out + path.sep
  const observations = (await observeFiles(sensor.watch, sensor.pattern, sensor.exclude)).filter((o) => !o.source.startsWith(ownOut))
  const skips: Skip[] = []
  const urls = [...sensor.urls]
  if (sensor.urlFile) {
    try {
      urls.push(...(await readUrlList(sensor.urlFile)))
    } catch (e) {
      skips.push({ source: sensor.urlFile, reason: 'unreachable', detail: `cannot read URL list: ${(e as Error).message}` })
    }
  }
  for (const url of new Set(urls)) {
    try {
      observations.push(await observeUrl(url))
    } catch (e) {
      skips.push({ source: url, reason: 'unreachable', detail: (e as Error).message })
    }
  }
  return { observations, skips }
}

interface Decision {
  entry: SeenEntry
  skip?: Skip
}

async function decide(sensor: SensorConfig, o: Observation, prev: SeenEntry | undefined, known: KnownRuns, now: number): Promise<Decision> {
  const same = prev !== undefined && prev.size === o.size && prev.mtime === o.mtime
  const entry: SeenEntry = { size: o.size, mtime: o.mtime, since: same ? prev.since ?? now : now }
  if (!prev) return { entry, skip: { source: o.source, reason: 'first-look', detail: `${o.size} bytes` } }
  if (!same) return { entry, skip: { source: o.source, reason: 'changing', detail: `${prev.size} → ${o.size} bytes` } }
  const key = runKey(o, sensor.runKey)
  if (prev.key === key) return { entry: { ...entry, key }, skip: { source: o.source, reason: 'already-requested', detail: key } }
  let complete: boolean
  try {
    complete = await endsWithEofBlock(o.source, o.size)
  } catch (e) {
    return { entry, skip: { source: o.source, reason: 'unreachable', detail: (e as Error).message } }
  }
  const overdue = sensor.incompleteAfter > 0 && now - entry.since >= sensor.incompleteAfter
  if (!complete && !overdue) return { entry, skip: { source: o.source, reason: 'no-eof', detail: `${o.size} bytes, no BGZF EOF block at the end` } }
  const run = known(key)
  if (run) return { entry: { ...entry, key }, skip: { source: o.source, reason: 'already-requested', detail: `run ${run.id} ${run.status}` } }
  return { entry: { ...entry, key } }
}

function request(sensor: SensorConfig, o: Observation, key: string): RunRequest {
  return {
    sensor: sensor.name, runKey: key, source: o.source, size: o.size, op: sensor.op, options: sensor.options,
    outBase: path.join(sensor.out, ...o.rel.split('/')), maxAttempts: sensor.maxAttempts,
  }
}
