/**
 * The file listing of a sensor, incremental: each scan reports only the files
 * added, changed (size or mtime) or removed since the previous scan of the
 * same {@link Listing}. A directory whose mtime is unchanged (and was already
 * old when it was read, so that a change within the clock's granularity cannot
 * hide) is not read again; its files are still looked at (`stat`), since a
 * file rewritten in place does not change its directory.
 *
 * Scans are synchronous: the daemon runs them in a worker thread
 * (listing-worker.ts) so that a scan of 100,000 files never holds up the
 * launching of runs; `sensor preview` and tests run them in-process.
 */
import fs from 'node:fs'
import path from 'node:path'
import { matcher } from './glob.js'

/** A file found by a scan. */
export interface ListedFile {
  /** Absolute path. */
  source: string
  /** Index of the watched root it was found under. */
  root: number
  /** Path relative to that root, `/`-separated. */
  rel: string
  size: number
  /** Modification time in nanoseconds. */
  stamp: string
}

/** What a scan found, relative to the previous scan. */
export interface ListingDiff {
  /** Files new or changed since the previous scan (every file at the first scan). */
  changed: ListedFile[]
  /** Files present at the previous scan and gone now. */
  removed: string[]
  /** Files matching now. */
  total: number
  /** Watched roots that do not exist (or are not directories). */
  missingRoots: string[]
  /** Directories read (the others came from the cache). */
  dirsRead: number
  /** Time the scan took, ms. */
  ms: number
}

/** What to scan. */
export interface ListingSpec {
  roots: readonly string[]
  include: readonly string[]
  exclude: readonly string[]
  /** Files under this directory are never candidates (a sensor's own results). */
  skipUnder?: string
}

/** A directory's mtime must be this much older than the moment it was read for its cached entries to be trusted. */
const RACY_MS = 2000

interface DirCache {
  mtimeMs: number
  readAt: number
  entries: Array<[string, 'dir' | 'file' | 'other']>
}

/**
 * An incremental scanner over a sensor's watched roots.
 *
 * @example
 * ```ts
 * const listing = new Listing({ roots: ['/data/in'], include: ['*.bam'], exclude: [] })
 * const first = listing.scan()  // every file in `changed`
 * const next = listing.scan()   // only what changed since
 * ```
 */
export class Listing {
  private readonly matches: (rel: string) => boolean
  private files = new Map<string, { size: number; stamp: string }>()
  private readonly dirs = new Map<string, DirCache>()

  constructor(private readonly spec: ListingSpec) {
    this.matches = matcher(spec.include, spec.exclude)
  }

  /** Forgets the previous scan: the next one reports every file as changed. */
  reset(): void {
    this.files = new Map()
  }

  /** Scans the roots; see {@link ListingDiff}. */
  scan(): ListingDiff {
    const started = performance.now()
    const now = new Map<string, { size: number; stamp: string }>()
    const changed: ListedFile[] = []
    const missingRoots: string[] = []
    const seenDirs = new Set<string>()
    let dirsRead = 0
    const skip = this.spec.skipUnder ? this.spec.skipUnder + path.sep : undefined
    this.spec.roots.forEach((root, index) => {
      const visit = (dir: string, rel: string): void => {
        const listed = this.entries(dir, seenDirs)
        if (!listed) return
        if (listed.read) dirsRead++
        for (const [name, kind] of listed.entries) {
          const full = path.join(dir, name)
          const childRel = rel ? `${rel}/${name}` : name
          if (kind === 'dir') visit(full, childRel)
          else if (kind === 'file' && !now.has(full) && this.matches(childRel) && !(skip && full.startsWith(skip))) {
            const s = fs.statSync(full, { bigint: true, throwIfNoEntry: false })
            if (!s || !s.isFile()) continue
            const look = { size: Number(s.size), stamp: s.mtimeNs.toString() }
            now.set(full, look)
            const before = this.files.get(full)
            if (!before || before.size !== look.size || before.stamp !== look.stamp) changed.push({ source: full, root: index, rel: childRel, ...look })
          }
        }
      }
      const st = fs.statSync(root, { throwIfNoEntry: false })
      if (!st || !st.isDirectory()) missingRoots.push(root)
      else visit(path.resolve(root), '')
    })
    const removed = [...this.files.keys()].filter((f) => !now.has(f))
    this.files = now
    return { changed, removed, total: now.size, missingRoots, dirsRead, ms: performance.now() - started }
  }

  /** A directory's entries, from the cache when its mtime says nothing changed; undefined when unreadable or already visited. */
  private entries(dir: string, seen: Set<string>): { entries: DirCache['entries']; read: boolean } | undefined {
    let real: string
    let mtimeMs: number
    try {
      real = fs.realpathSync(dir)
      mtimeMs = fs.statSync(dir).mtimeMs
    } catch {
      return undefined // vanished or unreadable: nothing to offer this scan
    }
    if (seen.has(real)) return undefined
    seen.add(real)
    const cached = this.dirs.get(dir)
    if (cached && cached.mtimeMs === mtimeMs && cached.readAt - mtimeMs > RACY_MS) return { entries: cached.entries, read: false }
    let dirents: fs.Dirent[]
    try {
      dirents = fs.readdirSync(dir, { withFileTypes: true })
    } catch {
      return undefined
    }
    const entries: DirCache['entries'] = dirents
      .filter((e) => !e.name.startsWith('.'))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((e) => [e.name, e.isSymbolicLink() ? statKind(path.join(dir, e.name)) : e.isDirectory() ? 'dir' : e.isFile() ? 'file' : 'other'])
    this.dirs.set(dir, { mtimeMs, readAt: Date.now(), entries })
    return { entries, read: true }
  }
}

function statKind(p: string): 'dir' | 'file' | 'other' {
  const s = fs.statSync(p, { throwIfNoEntry: false })
  return s?.isDirectory() ? 'dir' : s?.isFile() ? 'file' : 'other'
}
