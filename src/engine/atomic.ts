/**
 * The one atomic file writer (used by `view -o` and by the daemon's results):
 * bytes go to a hidden temporary file in the destination's directory, are
 * flushed to disk (fsync), and the file is renamed over the destination. A
 * reader (or a process killed with `kill -9` at any moment) sees either the
 * old file, the complete new one, or a hidden temporary that
 * {@link removeStaleTemps} removes later, never a half-written result. On
 * SIGINT, SIGTERM or SIGHUP the temporaries of a process that has no handler
 * of its own for the signal are removed before it dies of the signal.
 *
 * Temporary names: `.<name>.bamstream-tmp-<pid>-<random>`, `<name>` shortened
 * so that the whole name fits in 255 bytes (NAME_MAX).
 */
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { isProcessAlive } from '../sensor/pid.js'

/** Marks temporary files; see {@link removeStaleTemps}. */
export const TEMP_TAG = '.bamstream-tmp-'

/** `bytes` random bytes in hex; node:crypto is loaded on first use (~6 ms of start-up that most commands never need). */
function randomHex(bytes: number): string {
  return (createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto')).randomBytes(bytes).toString('hex')
}

/** Longest file name (bytes) on the file systems we write to (NAME_MAX). */
const NAME_MAX = 255
/** Signals after which a process's temporaries are removed. */
const CLEANUP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/** Options of {@link createAtomicFile}. */
export interface AtomicFileOptions {
  /** Create missing directories (default true: the daemon's result tree). `view -o` does not, like samtools. */
  createDirs?: boolean
}

/** A file being written; invisible under its final name until {@link AtomicFile.commit}. */
export interface AtomicFile {
  /** Final path. */
  readonly path: string
  /** Appends bytes, honouring backpressure. */
  write(bytes: Uint8Array | string): Promise<void>
  /** Flushes, closes and renames onto the final path. */
  commit(): Promise<void>
  /** Closes and removes the temporary file. Safe to call after commit (no-op). */
  abort(): Promise<void>
}

/**
 * Opens a temporary file next to `dest` (creating the directory).
 *
 * @example
 * ```ts
 * const f = await createAtomicFile('/out/a.sam')
 * try { await f.write('...'); await f.commit() } finally { await f.abort() }
 * ```
 */
export async function createAtomicFile(dest: string, options: AtomicFileOptions = {}): Promise<AtomicFile> {
  const dir = path.dirname(dest)
  if (options.createDirs ?? true) await fs.promises.mkdir(dir, { recursive: true })
  const temp = path.join(dir, tempName(path.basename(dest), process.pid, randomHex(4)))
  liveTemps.add(temp) // before it exists: a signal from now on removes it
  watchSignals()
  let handle: fs.promises.FileHandle
  try {
    handle = await fs.promises.open(temp, 'wx')
  } catch (e) {
    liveTemps.delete(temp)
    throw e
  }
  let state: 'open' | 'committed' | 'aborted' = 'open'
  return {
    path: dest,
    async write(bytes) {
      await handle.write(typeof bytes === 'string' ? Buffer.from(bytes) : bytes)
    },
    async commit() {
      await handle.sync()
      await handle.close()
      await refuseSpecial(dest)
      await fs.promises.rename(temp, dest)
      liveTemps.delete(temp)
      state = 'committed'
      await syncDir(dir)
    },
    async abort() {
      if (state !== 'open') return
      state = 'aborted'
      await handle.close().catch(() => {})
      await fs.promises.rm(temp, { force: true })
      liveTemps.delete(temp)
    },
  }
}

/**
 * Throws (EEXIST) when `dest` is a device, FIFO, socket or directory: renaming
 * over it would replace it (as root, `/dev/null` would become a file). Checked
 * just before the rename, whatever the caller saw when it chose this writer.
 */
async function refuseSpecial(dest: string): Promise<void> {
  const st = await fs.promises.lstat(dest).catch(() => undefined)
  if (st && !st.isFile() && !st.isSymbolicLink()) {
    throw Object.assign(new Error(`EEXIST: will not replace what is not a regular file, rename '${dest}'`), { code: 'EEXIST' })
  }
}

/**
 * The temporary name for `base`: `.<base>.bamstream-tmp-<pid>-<random>`, with
 * `<base>` cut (on a character boundary) so that the name fits in NAME_MAX bytes.
 *
 * @example
 * ```ts
 * tempName('a.sam', 42, 'beef') // '.a.sam.bamstream-tmp-42-beef'
 * ```
 */
export function tempName(base: string, pid: number, random: string): string {
  const suffix = `${TEMP_TAG}${pid}-${random}`
  const room = NAME_MAX - 1 - Buffer.byteLength(suffix)
  let kept = base
  while (Buffer.byteLength(kept) > room) kept = kept.slice(0, -1)
  if (kept.length > 0 && /[\ud800-\udbff]$/.test(kept)) kept = kept.slice(0, -1) // not half a surrogate pair
  return `.${kept}${suffix}`
}

/** Temporaries of this process not yet committed or aborted. */
const liveTemps = new Set<string>()
let watching = false

/**
 * On SIGINT, SIGTERM or SIGHUP, when nothing else in the process handles the
 * signal (the CLI), removes the live temporaries and dies of the signal as
 * before. A process with its own handler (the daemon) shuts down through it,
 * and its runs abort their files themselves.
 */
function watchSignals(): void {
  if (watching) return
  watching = true
  const handlers = new Map<NodeJS.Signals, () => void>()
  for (const signal of CLEANUP_SIGNALS) {
    handlers.set(signal, () => {
      if (process.listenerCount(signal) > 1) return
      for (const temp of liveTemps) fs.rmSync(temp, { force: true })
      liveTemps.clear()
      for (const [s, h] of handlers) process.off(s, h)
      process.kill(process.pid, signal)
    })
    process.on(signal, handlers.get(signal)!)
  }
}

/**
 * Writes a whole file atomically.
 *
 * @example
 * ```ts
 * await writeFileAtomic('/out/a.flagstat.json', json)
 * ```
 */
export async function writeFileAtomic(dest: string, content: Uint8Array | string): Promise<void> {
  const f = await createAtomicFile(dest)
  try {
    await f.write(content)
    await f.commit()
  } finally {
    await f.abort()
  }
}

/** Makes the rename durable (best effort: not every file system allows opening a directory). */
async function syncDir(dir: string): Promise<void> {
  let h: fs.promises.FileHandle | undefined
  try {
    h = await fs.promises.open(dir, 'r')
    await h.sync()
  } catch {
    // not supported here; the rename itself is still atomic
  } finally {
    await h?.close().catch(() => {})
  }
}

/**
 * Removes temporary files under `dir` (recursively) left by processes that no
 * longer exist. Returns the paths removed.
 *
 * @example
 * ```ts
 * const removed = await removeStaleTemps('/out') // after a daemon was killed mid-write
 * ```
 */
export async function removeStaleTemps(dir: string): Promise<string[]> {
  const removed: string[] = []
  let entries: fs.Dirent[]
  try {
    entries = await fs.promises.readdir(dir, { withFileTypes: true })
  } catch {
    return removed
  }
  for (const e of entries) {
    const full = path.join(dir, e.name)
    if (e.isDirectory()) removed.push(...(await removeStaleTemps(full)))
    else if (e.isFile() && isStaleTemp(e.name)) {
      await fs.promises.rm(full, { force: true })
      removed.push(full)
    }
  }
  return removed
}

function isStaleTemp(name: string): boolean {
  const at = name.lastIndexOf(TEMP_TAG)
  if (at < 0 || !name.startsWith('.')) return false
  const pid = Number(/^(\d+)-/.exec(name.slice(at + TEMP_TAG.length))?.[1])
  return !isProcessAlive(pid)
}
