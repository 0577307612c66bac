/**
 * Result files written atomically: bytes go to a hidden temporary file in the
 * destination's directory, are flushed to disk, and the file is renamed over
 * the destination. A reader (or a daemon killed with `kill -9` at any moment)
 * sees either the old file, the complete new one, or a hidden temporary that
 * the next daemon start removes, never a half-written result.
 *
 * Temporary names: `.<name>.bamstream-tmp-<pid>-<random>`.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { isProcessAlive } from './pid.js'

/** Marks temporary files; see {@link removeStaleTemps}. */
export const TEMP_TAG = '.bamstream-tmp-'

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
export async function createAtomicFile(dest: string): Promise<AtomicFile> {
  const dir = path.dirname(dest)
  await fs.promises.mkdir(dir, { recursive: true })
  const temp = path.join(dir, `.${path.basename(dest)}${TEMP_TAG}${process.pid}-${randomBytes(4).toString('hex')}`)
  const handle = await fs.promises.open(temp, 'wx')
  let state: 'open' | 'committed' | 'aborted' = 'open'
  return {
    path: dest,
    async write(bytes) {
      await handle.write(typeof bytes === 'string' ? Buffer.from(bytes) : bytes)
    },
    async commit() {
      await handle.sync()
      await handle.close()
      await fs.promises.rename(temp, dest)
      state = 'committed'
      await syncDir(dir)
    },
    async abort() {
      if (state !== 'open') return
      state = 'aborted'
      await handle.close().catch(() => {})
      await fs.promises.rm(temp, { force: true })
    },
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
