/**
 * The file listing of a sensor, incremental: each scan reports only the files
 * added, changed (size or mtime) or removed since the previous scan of the
 * same {@link Listing}. A directory whose mtime is unchanged (and was already
 * old when it was read, so that a change within the clock's granularity cannot
 * hide) is not read again. Which files are looked at (`stat`) each scan:
 * every file of a directory that changed, every file the caller still waits
 * on (`pending`: not requested yet, e.g. being copied in), and a rotating
 * slice of the others ({@link ROTATION_SCANS}): a file rewritten in place (its
 * directory does not change) is seen within that many scans.
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
  /** Settled files looked at per scan, at least (default 500: small trees are looked at whole every scan). */
  minSlice?: number
}

/** A directory's mtime must be this much older than the moment it was read for its cached entries to be trusted. */
const RACY_MS = 2000
/** Every settled file is looked at again at least once per this many scans. */
export const ROTATION_SCANS = 60
/** Default of {@link ListingSpec.minSlice}. */
const MIN_SLICE = 500

interface Entry {
  name: string
  kind: 'dir' | 'file' | 'other'
  full: string
  rel: string
  /** For files: whether the patterns select it. */
  matched: boolean
}

interface DirCache {
  real: string
  mtimeMs: number
  readAt: number
  entries: Entry[]
}

interface FileLook {
  size: number
  stamp: string
  gen: number
  root: number
  rel: string
  /** The folder it was found in. */
  dir: string
}

/** The real path recorded for a folder (what the scan's visited set holds), or the folder itself. */
function realOrSelf(dir: string, dirs: Map<string, DirCache>): string {
  return dirs.get(dir)?.real ?? dir
}

/**
 * An incremental scanner over a sensor's watched roots.
 *
 * @example
 * ```ts
 * const listing = new Listing({ roots: ['/data/in'], include: ['*.bam'], exclude: [] })
 * const first = listing.scan()              // every file in `changed`
 * const next = listing.scan(new Set(waiting)) // only what changed since
 * ```
 */
export class Listing {
  private readonly matches: (rel: string) => boolean
  /** Last look at each file: where it was found, and the scan that last looked at it. */
  private files = new Map<string, FileLook>()
  private gen = 0
  private dirs = new Map<string, DirCache>()
  /** Files in rotation order (rebuilt when files come or go), and where the next slice starts. */
  private order: string[] = []
  private rotation = 0

  constructor(private readonly spec: ListingSpec) {
    this.matches = matcher(spec.include, spec.exclude)
  }

  /** Forgets the previous scan: the next one reads every folder and reports every file as changed. */
  reset(): void {
    this.files = new Map()
    this.dirs = new Map()
    this.order = []
  }

  /**
   * Scans the roots; see {@link ListingDiff}. `pending`: files the caller
   * still waits on (looked at every scan). The work is proportional to the
   * folders, the folders that changed, the pending files and the rotation
   * slice, not to the number of files.
   */
  scan(pending: ReadonlySet<string> = new Set()): ListingDiff {
    const started = performance.now()
    const gen = ++this.gen
    const changed: ListedFile[] = []
    const removed: string[] = []
    const missingRoots: string[] = []
    const seenDirs = new Set<string>()
    const readDirs = new Set<string>()
    let vanished = false
    const skip = this.spec.skipUnder ? this.spec.skipUnder + path.sep : undefined
    const look = (full: string, root: number, rel: string, dir: string): void => {
      const before = this.files.get(full)
      if (before?.gen === gen) return // looked at already (two roots, a link, pending and in the slice)
      const s = fs.statSync(full, { bigint: true, throwIfNoEntry: false })
      if (!s || !s.isFile()) {
        if (before) {
          this.files.delete(full)
          removed.push(full)
          vanished = true
        }
        return
      }
      const size = Number(s.size)
      const stamp = s.mtimeNs.toString()
      if (before && before.size === size && before.stamp === stamp) {
        before.gen = gen
        return
      }
      this.files.set(full, { size, stamp, gen, root, rel, dir })
      if (!before) vanished = true // a new file: the rotation order changes
      changed.push({ source: full, root, rel, size, stamp })
    }
    this.spec.roots.forEach((root, index) => {
      const visit = (dir: string, rel: string): void => {
        const listed = this.entries(dir, rel, seenDirs)
        if (!listed) return
        if (!listed.read) {
          for (const e of listed.entries) if (e.kind === 'dir') visit(e.full, e.rel)
          return // an unchanged folder: its files come up in pending or the rotation
        }
        readDirs.add(dir)
        for (const e of listed.entries) {
          if (e.kind === 'dir') visit(e.full, e.rel)
          else if (e.kind === 'file' && e.matched && !(skip && e.full.startsWith(skip))) look(e.full, index, e.rel, dir)
        }
      }
      const st = fs.statSync(root, { throwIfNoEntry: false })
      if (!st || !st.isDirectory()) missingRoots.push(root)
      else visit(path.resolve(root), '')
    })
    for (const file of pending) {
      const f = this.files.get(file)
      if (f) look(file, f.root, f.rel, f.dir)
    }
    const slice = Math.min(this.order.length, Math.max(this.spec.minSlice ?? MIN_SLICE, Math.ceil(this.order.length / ROTATION_SCANS)))
    for (let i = 0; i < slice; i++) {
      const file = this.order[(this.rotation + i) % this.order.length]!
      const f = this.files.get(file)
      if (f) look(file, f.root, f.rel, f.dir)
    }
    this.rotation = this.order.length > 0 ? (this.rotation + slice) % this.order.length : 0
    if (readDirs.size > 0 || vanished || missingRoots.length > 0) {
      // files of a folder read again but not among its entries, or of a folder no longer reached
      for (const [file, f] of this.files) {
        if (f.gen === gen || (!readDirs.has(f.dir) && seenDirs.has(realOrSelf(f.dir, this.dirs)))) continue
        this.files.delete(file)
        removed.push(file)
      }
      this.order = [...this.files.keys()]
    }
    return { changed, removed, total: this.files.size, missingRoots, dirsRead: readDirs.size, ms: performance.now() - started }
  }

  /** A directory's entries, from the cache when its mtime says nothing changed; undefined when unreadable or already visited. */
  private entries(dir: string, rel: string, seen: Set<string>): { entries: Entry[]; read: boolean } | undefined {
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
    const entries: Entry[] = dirents
      .filter((e) => !e.name.startsWith('.'))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((e) => {
        const full = path.join(dir, e.name)
        const kind = e.isSymbolicLink() ? statKind(full) : e.isDirectory() ? 'dir' : e.isFile() ? 'file' : 'other'
        const childRel = rel ? `${rel}/${e.name}` : e.name
        return { name: e.name, kind, full, rel: childRel, matched: kind === 'file' && this.matches(childRel) }
      })
    this.dirs.set(dir, { real, mtimeMs, readAt: Date.now(), entries })
    return { entries, read: true }
  }
}

function statKind(p: string): 'dir' | 'file' | 'other' {
  const s = fs.statSync(p, { throwIfNoEntry: false })
  return s?.isDirectory() ? 'dir' : s?.isFile() ? 'file' : 'other'
}
