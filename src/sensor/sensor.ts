/**
 * A sensor tick: look at every candidate file or URL, and turn each complete,
 * not yet requested one into a run request.
 *
 * A candidate is complete when its size and modification stamp are the same
 * as at the previous look (the cursor, one stored row per candidate, keeps the
 * previous look, so this holds across daemon restarts; the listing is
 * incremental, so a tick decides only about files that changed or still wait) and it ends with the BGZF EOF block. Its run key is
 * made of the sensor's `runKey` fields (default path + size + mtime), so a
 * file rewritten in place gets a new key and a new run, while the same key
 * never gets a second one (the store's unique constraint backs this up).
 *
 * Skip reasons: `first-look` (seen once; wait for a second look), `changing`
 * (size or mtime moved since the last look), `no-eof` (stable but without the
 * EOF block: still being written, or truncated; once it has stayed so for the
 * sensor's `incompleteAfter`, it is requested anyway, so that its run fails
 * with the error on record), `already-requested` (the key has a run),
 * `unreachable` (a URL's HEAD failed), `output-collision` (another source
 * already owns the output name this one would write).
 */
import { createHash } from 'node:crypto'
import path from 'node:path'
import type { SensorConfig } from './config.js'
import type { Lister } from './lister.js'
import { endsWithEofBlock, observeUrl, readUrlList } from './probe.js'
import type { CursorRow, RunRequest } from './store.js'

/** A sensor's cursor: source (path or URL) → last look. Sources that vanish are dropped. */
export type Cursor = Map<string, CursorRow>

/** Why a candidate was not requested. */
export type SkipReason = 'first-look' | 'changing' | 'no-eof' | 'already-requested' | 'unreachable' | 'output-collision'

/** A candidate not requested this tick. */
export interface Skip {
  source: string
  reason: SkipReason
  detail?: string
}

/** The outcome of one tick: what to store (requests and cursor changes, together) and what to say. */
export interface TickResult {
  requests: RunRequest[]
  skips: Skip[]
  /** Cursor rows added or changed this tick. */
  changed: Array<[string, CursorRow]>
  /** Sources gone since the last tick. */
  removed: string[]
  /** Files and URLs looked at. */
  candidates: number
  /** Watched folders that do not exist. */
  missingRoots: string[]
  /** Time the directory scan took (on the lister's thread), ms. */
  scanMs: number
}

/** Looks up the run of a key: its id and status, when one exists. */
export type KnownRuns = (runKey: string) => { id: number; status: string } | undefined

/** Looks up which (sensor, source) owns an output name, when one does. */
export type OutputOwners = (outBase: string) => { sensor: string; source: string } | undefined

/** What a tick reads besides the file system. */
export interface TickContext {
  known: KnownRuns
  lister: Lister
  owners?: OutputOwners
  /** Ask the lister for a full report (after a tick whose results were not stored). */
  reset?: boolean
  now?: number
}

/** One look at a candidate. */
interface Candidate {
  source: string
  size: number
  stamp: string
  /** Output path below the sensor's out directory, as segments, without extension. */
  out: string[]
}

/**
 * The run key of a look at a source.
 *
 * @example
 * ```ts
 * runKey('/in/a.bam', 831, '1712000000000000000', ['path', 'size', 'mtime'])
 * // '/in/a.bam|size=831|mtime=1712000000000000000'
 * ```
 */
export function runKey(source: string, size: number, stamp: string, fields: SensorConfig['runKey']): string {
  const parts: string[] = []
  if (fields.includes('path')) parts.push(source)
  else if (fields.includes('name')) parts.push(baseName(source))
  if (fields.includes('size')) parts.push(`size=${size}`)
  if (fields.includes('mtime')) parts.push(`mtime=${stamp}`)
  return parts.join('|')
}

/**
 * Runs one tick of `sensor` against its cursor. Reads the file system (through
 * the lister) and the network, writes nothing.
 *
 * @example
 * ```ts
 * const tick = await evaluateSensor(sensor, store.cursor(sensor.name), { known: (k) => store.findByKey(sensor.name, k), lister: inProcessLister() })
 * store.commitTick(sensor.name, { ...tick, tick: record }, Date.now())
 * ```
 */
export async function evaluateSensor(sensor: SensorConfig, cursor: Cursor, ctx: TickContext): Promise<TickResult> {
  const waiting: string[] = []
  const knownUrls: string[] = []
  for (const [source, row] of cursor) {
    if (source.startsWith('http') && isUrl(source)) knownUrls.push(source)
    else if (row.key === undefined) waiting.push(source)
  }
  const diff = sensor.watch.length > 0
    ? await ctx.lister.list(sensor.name, { roots: sensor.watch, include: sensor.pattern, exclude: sensor.exclude, skipUnder: sensor.out }, ctx.reset, waiting)
    : { changed: [], removed: [] as string[], total: 0, missingRoots: [] as string[], ms: 0 }
  const now = ctx.now ?? Date.now() // the time of this look: after the scan, which may take a while
  const result: TickResult = {
    requests: [], skips: [], changed: [], removed: [...diff.removed], candidates: diff.total, missingRoots: diff.missingRoots, scanMs: Math.round(diff.ms),
  }
  const gone = new Set(diff.removed)
  const looks: Candidate[] = diff.changed.map((f) => ({ source: f.source, size: f.size, stamp: f.stamp, out: fileOut(sensor, f.root, f.rel) }))
  const reported = new Set(looks.map((c) => c.source))
  for (const source of waiting) {
    // a look the lister did not report is the same as the last one: only those still waiting need a decision
    const row = cursor.get(source)!
    if (!reported.has(source) && !gone.has(source)) {
      const out = fileOutOfSource(sensor, source)
      if (out) looks.push({ source, size: row.size, stamp: row.stamp, out })
    }
  }
  const urls = await observeUrls(sensor, result.skips)
  result.candidates += urls.length + result.skips.length
  looks.push(...urls)
  const urlSources = new Set(urls.map((u) => u.source))
  for (const source of knownUrls) {
    if (!urlSources.has(source) && !result.skips.some((s) => s.source === source)) result.removed.push(source) // dropped from the list
  }
  const taken = new Map<string, string>() // output names given out this tick
  for (const c of looks) {
    const prev = cursor.get(c.source)
    const d = await decide(sensor, c, prev, ctx, now)
    if (!prev || !sameRow(prev, d.entry)) result.changed.push([c.source, d.entry])
    if (d.skip) { result.skips.push(d.skip); continue }
    const req = request(sensor, c, d.entry.key!)
    const clash = taken.get(req.outBase) ?? otherOwner(ctx.owners?.(req.outBase), sensor.name, c.source)
    if (clash) {
      result.changed[result.changed.length - 1] = [c.source, { ...d.entry, key: undefined }]
      result.skips.push({ source: c.source, reason: 'output-collision', detail: `${req.outBase}.* already holds the results of ${clash}` })
      continue
    }
    taken.set(req.outBase, `${sensor.name}:${c.source}`)
    result.requests.push(req)
  }
  return result
}

/** A source's file name without `.bam` (the `name` run key field). */
function baseName(source: string): string {
  const last = isUrl(source) ? new URL(source).pathname.split('/').filter(Boolean).pop() ?? '' : path.basename(source)
  let name: string
  try {
    name = decodeURIComponent(last)
  } catch {
    name = last
  }
  return name.replace(/\.bam$/i, '')
}

function otherOwner(o: { sensor: string; source: string } | undefined, sensor: string, source: string): string | undefined {
  return o && (o.sensor !== sensor || o.source !== source) ? `${o.sensor}:${o.source}` : undefined
}

function sameRow(a: CursorRow, b: CursorRow): boolean {
  return a.size === b.size && a.stamp === b.stamp && a.since === b.since && a.key === b.key
}

function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source)
}

async function observeUrls(sensor: SensorConfig, skips: Skip[]): Promise<Candidate[]> {
  const urls = [...sensor.urls]
  if (sensor.urlFile) {
    try {
      urls.push(...(await readUrlList(sensor.urlFile)))
    } catch (e) {
      skips.push({ source: sensor.urlFile, reason: 'unreachable', detail: `cannot read URL list: ${(e as Error).message}` })
    }
  }
  const out: Candidate[] = []
  for (const url of new Set(urls)) {
    try {
      const o = await observeUrl(url)
      out.push({ source: url, size: o.size, stamp: o.mtime, out: urlOut(url) })
    } catch (e) {
      skips.push({ source: url, reason: 'unreachable', detail: (e as Error).message })
    }
  }
  return out
}

/**
 * Output path segments of a watched file: its path below the root, under the
 * root's folder name when the sensor watches several roots (so that two roots
 * holding `x.bam` never share a result name).
 */
function fileOut(sensor: SensorConfig, root: number, rel: string): string[] {
  const segments = rel.replace(/\.bam$/i, '').split('/')
  return sensor.watch.length > 1 ? [path.basename(sensor.watch[root]!), ...segments] : segments
}

function fileOutOfSource(sensor: SensorConfig, source: string): string[] | undefined {
  const root = sensor.watch.findIndex((r) => source.startsWith(r + path.sep))
  return root < 0 ? undefined : fileOut(sensor, root, source.slice(sensor.watch[root]!.length + 1).split(path.sep).join('/'))
}

/**
 * Output path segments of a URL: host (and port), then the path, so that two
 * URLs ending in the same name never share a result name; a query string adds
 * a short hash of itself.
 */
function urlOut(url: string): string[] {
  const u = new URL(url)
  const safe = (s: string): string => {
    let name: string
    try {
      name = decodeURIComponent(s)
    } catch {
      name = s
    }
    name = name.replace(/[/\\\0]/g, '_')
    return name === '' || /^\.+$/.test(name) ? '_' : name
  }
  const segments = [safe(u.host.replace(':', '_')), ...u.pathname.split('/').filter(Boolean).map(safe)]
  if (segments.length === 1) segments.push('index')
  let last = segments.pop()!.replace(/\.bam$/i, '')
  if (u.search) last += `_${createHash('sha1').update(u.search).digest('hex').slice(0, 8)}`
  return [...segments, last]
}

interface Decision {
  entry: CursorRow
  skip?: Skip
}

async function decide(sensor: SensorConfig, c: Candidate, prev: CursorRow | undefined, ctx: TickContext, now: number): Promise<Decision> {
  const same = prev !== undefined && prev.size === c.size && prev.stamp === c.stamp
  const entry: CursorRow = { size: c.size, stamp: c.stamp, since: same ? prev.since : now }
  if (!prev) return { entry, skip: { source: c.source, reason: 'first-look', detail: `${c.size} bytes` } }
  if (!same) return { entry, skip: { source: c.source, reason: 'changing', detail: `${prev.size} → ${c.size} bytes` } }
  const key = runKey(c.source, c.size, c.stamp, sensor.runKey)
  if (prev.key === key) return { entry: { ...entry, key }, skip: { source: c.source, reason: 'already-requested', detail: key } }
  let complete: boolean
  try {
    complete = await endsWithEofBlock(c.source, c.size)
  } catch (e) {
    return { entry, skip: { source: c.source, reason: 'unreachable', detail: (e as Error).message } }
  }
  const overdue = sensor.incompleteAfter > 0 && now - entry.since >= sensor.incompleteAfter
  if (!complete && !overdue) return { entry, skip: { source: c.source, reason: 'no-eof', detail: `${c.size} bytes, no BGZF EOF block at the end` } }
  const run = ctx.known(key)
  if (run) return { entry: { ...entry, key }, skip: { source: c.source, reason: 'already-requested', detail: `run ${run.id} ${run.status}` } }
  return { entry: { ...entry, key } }
}

function request(sensor: SensorConfig, c: Candidate, key: string): RunRequest {
  return {
    sensor: sensor.name, runKey: key, source: c.source, size: c.size, stamp: c.stamp, op: sensor.op, options: sensor.options,
    engine: sensor.engine, outBase: path.join(sensor.out, ...c.out), maxAttempts: sensor.maxAttempts,
  }
}
