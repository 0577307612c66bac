/**
 * Output sinks with backpressure: a writable stream (stdout), or a path. A
 * regular file (or a new path) is written atomically through `atomic.ts`
 * (temporary file, fsync, rename), so a failed run never leaves a file that
 * looks finished; a device, FIFO or socket is written straight through, as
 * samtools does (renaming over `/dev/null` or a FIFO would replace it); a
 * symbolic link is followed to what it names.
 */
import fs from 'node:fs'
import net from 'node:net'
import type { Writable } from 'node:stream'
import { BamError } from '../errors.js'
import { createAtomicFile } from './atomic.js'

/** Where ordered output goes. */
export interface Sink {
  /**
   * Writes bytes, resolving when the stream can take more (backpressure).
   * `done`, when given, is called once the sink no longer refers to `bytes`
   * (they were handed to the OS), so that they may be reused; a sink that
   * cannot tell (a stream of unknown kind may keep them) never calls it.
   */
  write(bytes: Uint8Array, done?: () => void): Promise<void>
  /** Flushes and, for regular files, renames the temporary file into place. */
  close(): Promise<void>
  /** Abandons the output: a temporary file is removed. */
  abort(): Promise<void>
}

/**
 * A sink over any writable stream (not closed at the end: stdout stays open).
 * Standard output redirected to a regular file is written through an
 * asynchronous file stream on the same descriptor instead of Node's
 * synchronous one, so that the main thread goes on handing out chunks while
 * the OS copies the bytes (at most {@link WRITE_BEHIND_BYTES} queued).
 *
 * @example
 * ```ts
 * const sink = streamSink(process.stdout)
 * await sink.write(new TextEncoder().encode('hello\n'))
 * ```
 */
export function streamSink(stream: Writable, name = 'output', signal?: AbortSignal): Sink {
  const file = stream === process.stdout ? stdoutFileStream() : undefined
  return file ? ownStreamSink(file, name, signal) : ownStreamSink(stream, name, signal)
}

/** Bytes queued for writing before a write waits for the file: one chunk of SAM (more would hold more output buffers). */
export const WRITE_BEHIND_BYTES = 4 << 20

/** File descriptor of standard output. */
const STDOUT_FD = 1

/** An asynchronous stream over fd 1 when it is a regular file (never closed by it), else undefined. */
function stdoutFileStream(): Writable | undefined {
  try {
    if (!fs.fstatSync(STDOUT_FD).isFile()) return undefined
  } catch {
    return undefined
  }
  return fs.createWriteStream('', { fd: STDOUT_FD, autoClose: false, highWaterMark: WRITE_BEHIND_BYTES })
}

function ownStreamSink(stream: Writable, name: string, signal?: AbortSignal): Sink {
  let failure: Error | undefined
  const onError = (e: Error): void => { failure = e }
  stream.on('error', onError)
  const check = (): void => {
    if (failure) throw outputError(name, failure)
    if (stream.destroyed || stream.writableEnded) throw outputError(name, new Error('the output stream was closed'))
  }
  const detach = (): void => { stream.off('error', onError) }
  const handsToOs = writesToOs(stream)
  return {
    async write(bytes, done) {
      check()
      const more = done && handsToOs ? stream.write(bytes, (e) => { if (!e) done() }) : stream.write(bytes)
      if (!more) await waitDrain(stream, name, signal)
      check()
    },
    close: () => new Promise<void>((resolve, reject) => {
      try {
        check()
      } catch (e) {
        detach()
        return reject(e)
      }
      stream.write(new Uint8Array(0), (e) => {
        detach()
        return e ? reject(outputError(name, e)) : resolve()
      })
    }),
    abort: async () => detach(),
  }
}

/**
 * True for streams whose write callback means "handed to the OS": files and
 * sockets (stdout and stderr are one or the other, or a synchronous file
 * stream). Any other Writable may keep the chunk itself after its callback.
 */
function writesToOs(stream: Writable): boolean {
  return stream instanceof fs.WriteStream || stream instanceof net.Socket || stream === process.stdout || stream === process.stderr
}

/**
 * A sink to a path: atomic for a regular file or a new path, straight through
 * for a device, FIFO or socket (see the module comment).
 *
 * @example
 * ```ts
 * const sink = await fileSink('out.sam')
 * await sink.write(bytes); await sink.close()
 * ```
 */
export async function fileSink(file: string): Promise<Sink> {
  let target: string
  let kind: 'regular' | 'special'
  try {
    ({ target, kind } = await resolveOutput(file))
  } catch (e) {
    throw outputError(file, e as Error)
  }
  return kind === 'regular' ? atomicSink(file, target) : await specialSink(file, target)
}

/** What `file` names: the path to write (links followed) and whether it is (or will be) a regular file. */
async function resolveOutput(file: string): Promise<{ target: string; kind: 'regular' | 'special' }> {
  let target = file
  let stat: fs.Stats
  try {
    stat = await fs.promises.stat(file) // follows links
    target = await fs.promises.realpath(file)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
    const link = await fs.promises.lstat(file).catch(() => undefined)
    return { target, kind: link?.isSymbolicLink() ? 'special' : 'regular' } // a dangling link: write through it
  }
  if (stat.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' })
  return { target, kind: stat.isFile() ? 'regular' : 'special' }
}

async function atomicSink(name: string, target: string): Promise<Sink> {
  let file: Awaited<ReturnType<typeof createAtomicFile>>
  try {
    file = await createAtomicFile(target, { createDirs: false })
  } catch (e) {
    throw outputError(name, e as Error)
  }
  return {
    write: (bytes, done) => file.write(bytes).then(done, (e: Error) => { throw outputError(name, e) }),
    close: () => file.commit().catch((e: Error) => { throw outputError(name, e) }),
    abort: () => file.abort().catch(() => {}),
  }
}

/** A device, FIFO, socket or dangling link: opened for writing and written in place. */
async function specialSink(name: string, target: string): Promise<Sink> {
  const stream = fs.createWriteStream(target, { flags: 'w' })
  try {
    await new Promise<void>((resolve, reject) => { stream.once('open', () => resolve()); stream.once('error', reject) })
  } catch (e) {
    throw outputError(name, e as Error)
  }
  const inner = streamSink(stream, name)
  return {
    write: inner.write,
    close: () => new Promise((resolve, reject) => {
      stream.end((e?: Error | null) => (e ? reject(outputError(name, e)) : resolve()))
    }),
    async abort() {
      await inner.abort()
      stream.destroy()
    },
  }
}

/** Waits for 'drain'; an abort, an error or a close ends the wait (a stalled output never holds a run that was aborted). */
function waitDrain(stream: Writable, name: string, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      cleanup()
      reject(signal!.reason)
    }
    const cleanup = (): void => {
      stream.off('drain', onDrain)
      stream.off('error', onError)
      stream.off('close', onClose)
      signal?.removeEventListener('abort', onAbort)
    }
    const done = (e?: Error): void => {
      cleanup()
      if (e) reject(outputError(name, e))
      else resolve()
    }
    if (signal?.aborted) return onAbort()
    signal?.addEventListener('abort', onAbort, { once: true })
    const onDrain = (): void => done()
    const onError = (e: Error): void => done(e)
    // destroyed without an error: no 'drain' will ever come
    const onClose = (): void => done(new Error('the output stream was closed'))
    stream.once('drain', onDrain)
    stream.once('error', onError)
    stream.once('close', onClose)
  })
}

/**
 * An `ERR_OUTPUT` naming the output (as its `source`) and the cause once:
 * `out.sam: cannot write output: no such file or directory (ENOENT)`, not
 * Node's message with the code and path repeated.
 *
 * @example
 * ```ts
 * outputError('out.sam', e).describe() // 'out.sam: cannot write output: permission denied (EACCES)'
 * ```
 */
export function outputError(name: string, e: Error): BamError {
  if (e instanceof BamError) return e
  return new BamError('ERR_OUTPUT', `cannot write output: ${errnoText(e)}`, -1, name)
}

/** `no such file or directory (ENOENT)` from Node's `ENOENT: no such file or directory, open 'x'`. */
export function errnoText(e: Error): string {
  const code = (e as NodeJS.ErrnoException).code
  if (!code) return e.message
  const m = new RegExp(`^${code}: ([^,]+)`).exec(e.message)
  return `${m ? m[1] : e.message} (${code})`
}
