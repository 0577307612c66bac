/**
 * Writing command output: to stdout with backpressure, or to a file through the engine's sink.
 */
import fs from 'node:fs'
import { fileSink } from '../engine/sink.js'
import { BamError } from '../errors.js'

/** File descriptor of standard output. */
const STDOUT_FD = 1
/** Access-mode bits of open(2) flags, and O_RDWR. */
const O_ACCMODE = 3, O_RDWR = 2
/** Major and minor device numbers of /dev/null on Linux (1, 3), as `rdev`. */
const DEV_NULL_RDEV = (1 << 8) | 3

/**
 * Throws `ERR_OUTPUT` when the process was started with standard output
 * closed (`>&-`). Node then silently puts /dev/null, opened read-write, on
 * fd 1, and everything written would be lost with exit status 0; samtools
 * fails with EBADF. A shell's `> /dev/null` opens it write-only, so it is
 * told apart by the access mode (Linux: `/proc/self/fdinfo`; elsewhere nothing is checked).
 *
 * @example
 * ```ts
 * checkStdoutOpen() // before writing results to stdout
 * ```
 */
export function checkStdoutOpen(): void {
  let flags: number
  try {
    if (fs.fstatSync(STDOUT_FD).rdev !== DEV_NULL_RDEV) return
    const info = fs.readFileSync(`/proc/self/fdinfo/${STDOUT_FD}`, 'utf8')
    flags = parseInt(/^flags:\s*([0-7]+)/m.exec(info)?.[1] ?? '', 8)
  } catch {
    return
  }
  if ((flags & O_ACCMODE) === O_RDWR) {
    throw new BamError('ERR_OUTPUT', 'cannot write standard output: it is closed (bad file descriptor)')
  }
}

/**
 * Writes `text` to stdout and resolves once it is flushed to the OS.
 *
 * @example
 * ```ts
 * await writeStdout('1000\n')
 * ```
 */
export function writeStdout(text: string | Uint8Array): Promise<void> {
  checkStdoutOpen()
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (e) => (e ? reject(e) : resolve()))
  })
}

/**
 * Writes `text` to `path` as `view -o` writes (atomically for a regular file, in place for a device or FIFO).
 *
 * @example
 * ```ts
 * await writeFile('count.txt', '1000\n')
 * ```
 */
export async function writeFile(path: string, text: string): Promise<void> {
  const sink = await fileSink(path)
  try {
    await sink.write(Buffer.from(text, 'latin1'))
    await sink.close()
  } catch (e) {
    await sink.abort()
    throw e
  }
}
