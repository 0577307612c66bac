/**
 * Opening a source: a local path, `-` for stdin, or an `http(s)://` URL,
 * as a stream of byte chunks. The only place that reads input.
 */
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { BamError } from '../errors.js'
import { openHttpBody, type HttpOptions } from './http.js'
import { errnoText } from './sink.js'

/** Where to read a BAM from: a path, `-` (stdin), a URL string, or any async iterable of bytes. */
export type Source = string | URL | AsyncIterable<Uint8Array>

/** An opened source. */
export interface OpenedSource {
  /** Name used in messages. */
  name: string
  /** Total size in bytes when known (files, HTTP with Content-Length), else undefined. */
  size?: number
  /** The bytes, streamed. */
  stream: AsyncIterable<Uint8Array>
  /** Stops reading early and releases the source. */
  close(): void
}

/** Bytes per read from a file. */
const READ_BYTES = 1024 * 1024

/**
 * Opens a source for streaming, from byte `start` of a file when given (the
 * indexed-region path reads from index offsets).
 *
 * @example
 * ```ts
 * const src = await openSource('test/fixtures/htslib/htslib_test_ce_1000.bam')
 * for await (const bytes of src.stream) console.log(bytes.length)
 * ```
 */
export async function openSource(source: Source, signal?: AbortSignal, http?: HttpOptions, start = 0): Promise<OpenedSource> {
  checkSource(source)
  if (typeof source !== 'string' && !(source instanceof URL)) {
    if (start > 0) throw new BamError('ERR_SOURCE', 'cannot seek in a stream', -1, '<stream>')
    return { name: '<stream>', stream: source, close: () => closeIterable(source) }
  }
  const name = source.toString()
  if (/^https?:\/\//i.test(name)) {
    if (start > 0) throw new BamError('ERR_SOURCE', `cannot read from byte ${start} of a URL yet`, -1, name)
    return openHttp(name, signal, http)
  }
  if (name === '-') {
    if (start > 0) throw new BamError('ERR_SOURCE', 'cannot seek in standard input', -1, '-')
    return openStdin()
  }
  if (/^file:/i.test(name)) return openFile(fileURLToPath(name), start)
  return openFile(name, start)
}

/**
 * Throws `ERR_OPTION` unless `source` is a path, a URL (http, https, file) or an async iterable of bytes.
 *
 * @example
 * ```ts
 * checkSource(null) // throws: source must be a path, URL or async iterable of bytes, got null
 * ```
 */
export function checkSource(source: unknown): asserts source is Source {
  if (typeof source === 'string') {
    if (source.length === 0) throw new BamError('ERR_OPTION', 'source must not be empty')
    return
  }
  if (source instanceof URL) {
    if (!['http:', 'https:', 'file:'].includes(source.protocol)) throw new BamError('ERR_OPTION', `source URL must be http:, https: or file:, got ${source.protocol}`)
    return
  }
  if (source !== null && typeof source === 'object' && typeof (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') return
  throw new BamError('ERR_OPTION', `source must be a path, URL or async iterable of bytes, got ${source === null ? 'null' : typeof source}`)
}

/** Releases a caller's stream that will not be read to its end: `destroy()` (Node streams) or `return()`. */
function closeIterable(source: AsyncIterable<Uint8Array>): void {
  const s = source as { destroy?: () => void; return?: () => unknown }
  if (typeof s.destroy === 'function') s.destroy()
  else if (typeof s.return === 'function') Promise.resolve(s.return()).catch(() => {})
}

async function openFile(path: string, start: number): Promise<OpenedSource> {
  let size: number
  let seekable: boolean
  try {
    const stat = await callback<fs.Stats>((done) => fs.stat(path, done))
    if (stat.isDirectory()) throw new BamError('ERR_SOURCE', 'is a directory, not a BAM file', -1, path)
    size = stat.size
    seekable = stat.isFile()
  } catch (e) {
    if (e instanceof BamError) throw e
    throw new BamError('ERR_SOURCE', `cannot open: ${errnoText(e as Error)}`, -1, path)
  }
  let fd: number
  try {
    fd = await callback<number>((done) => fs.open(path, 'r', done)) // off this thread: a FIFO's open waits for its writer
  } catch (e) {
    throw new BamError('ERR_SOURCE', `cannot open: ${errnoText(e as Error)}`, -1, path)
  }
  let closed = false
  const close = (): void => {
    if (!closed) fs.close(fd, () => {})
    closed = true
  }
  let position = start
  // A FIFO (a shell's `<(…)`, /dev/stdin) cannot be read at a position (ESPIPE): it is read in order, from its start.
  const read = !seekable && start === 0 ? (buf: Uint8Array): Promise<number> => readFd(fd, buf) : (buf: Uint8Array): Promise<number> => callback<number>((done) => fs.read(fd, buf, 0, buf.length, position, done)).then((n) => {
    position += n
    return n
  })
  return { name: path, size, stream: wrapErrors(readInto(read, close), path, start), close }
}

/**
 * A promise of what a callback-style fs call gives: the callback API does the
 * same work as fs.promises without loading it (a few ms at start-up).
 */
function callback<T>(call: (done: (e: NodeJS.ErrnoException | null, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => call((e, value) => (e ? reject(e) : resolve(value))))
}

/** A local regular file opened for reading by byte ranges (see ranges.ts): its descriptor, open until `close()`. */
export interface LocalSource extends OpenedSource {
  /** The open descriptor; positional reads only (any thread of the process may use it until `close()`). */
  fd: number
  size: number
}

/**
 * The local path `source` names (a path, or a `file:` URL), or undefined for
 * stdin, http(s) URLs and streams.
 *
 * @example
 * ```ts
 * localPath('file:///data/x.bam') // '/data/x.bam'
 * localPath('-') // undefined
 * ```
 */
export function localPath(source: Source): string | undefined {
  if (source instanceof URL) return source.protocol === 'file:' ? fileURLToPath(source) : undefined
  if (typeof source !== 'string' || source === '-' || /^https?:\/\//i.test(source)) return undefined
  return /^file:/i.test(source) ? fileURLToPath(source) : source
}

/**
 * Opens a local file for reading by byte ranges, or returns undefined when it
 * is not a regular file (a FIFO, a device: those are streamed). Fails as
 * {@link openSource} does for a file that cannot be opened or is a directory.
 *
 * @example
 * ```ts
 * const file = openLocalFile('test/fixtures/htslib/htslib_test_ce_1000.bam')
 * file?.close()
 * ```
 */
export function openLocalFile(path: string): LocalSource | undefined {
  let fd: number
  let stat: fs.Stats
  try {
    fd = fs.openSync(path, 'r')
  } catch (e) {
    throw new BamError('ERR_SOURCE', `cannot open: ${errnoText(e as Error)}`, -1, path)
  }
  try {
    stat = fs.fstatSync(fd)
  } catch (e) {
    fs.closeSync(fd)
    throw new BamError('ERR_SOURCE', `cannot open: ${errnoText(e as Error)}`, -1, path)
  }
  if (!stat.isFile()) {
    fs.closeSync(fd)
    if (stat.isDirectory()) throw new BamError('ERR_SOURCE', 'is a directory, not a BAM file', -1, path)
    return undefined
  }
  let closed = false
  const close = (): void => {
    if (!closed) fs.closeSync(fd)
    closed = true
  }
  let position = 0
  const read = (buf: Uint8Array): Promise<number> => new Promise((resolve, reject) => {
    fs.read(fd, buf, 0, buf.length, position, (e, n) => {
      if (e) return reject(e)
      position += n
      resolve(n)
    })
  })
  return { name: path, size: stat.size, fd, stream: wrapErrors(readInto(read, () => {}), path), close }
}

/** stdin: read from fd 0 into one reused buffer (like a file); its size is known when it is a file. */
function openStdin(): OpenedSource {
  let size: number | undefined
  try {
    const stat = fs.fstatSync(STDIN_FD)
    if (stat.isFile()) size = stat.size
  } catch {
    size = undefined
  }
  const read = (buf: Uint8Array): Promise<number> => readFd(STDIN_FD, buf)
  return { name: '-', size, stream: wrapErrors(readInto(read, () => {}), '-'), close: () => {} }
}

/** File descriptor of standard input. */
const STDIN_FD = 0
/** Wait before retrying a read of a non-blocking descriptor that had no data. */
const EAGAIN_RETRY_MS = 2

/** One read from a descriptor, waiting out EAGAIN (a non-blocking pipe with nothing yet). */
function readFd(fd: number, buf: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      fs.read(fd, buf, 0, buf.length, null, (e, n) => {
        if (e && (e as NodeJS.ErrnoException).code === 'EAGAIN') setTimeout(attempt, EAGAIN_RETRY_MS)
        else if (e) reject(e)
        else resolve(n)
      })
    }
    attempt()
  })
}

/**
 * Reads a file (or stdin) into one reused buffer: each piece yielded is valid only until
 * the next is requested (the scanner copies what it keeps). A fresh 1 MiB buffer
 * per read is garbage that V8 frees only after up to 64 MiB of it piles up.
 */
async function* readInto(read: (buf: Uint8Array) => Promise<number>, close: () => void): AsyncGenerator<Uint8Array> {
  const buf = new Uint8Array(READ_BYTES)
  try {
    for (;;) {
      const bytesRead = await read(buf)
      if (bytesRead === 0) return
      yield buf.subarray(0, bytesRead)
    }
  } finally {
    close()
  }
}

async function openHttp(url: string, signal?: AbortSignal, options?: HttpOptions): Promise<OpenedSource> {
  const body = await openHttpBody(url, options, signal)
  return { name: url, size: body.size, stream: wrapErrors(body.stream, url), close: body.close }
}

async function* wrapErrors(stream: AsyncIterable<Uint8Array>, name: string, start = 0): AsyncGenerator<Uint8Array> {
  let offset = start
  try {
    for await (const bytes of stream) {
      offset += bytes.length
      yield bytes
    }
  } catch (e) {
    if (e instanceof BamError) throw e
    throw new BamError('ERR_SOURCE', `read failed: ${(e as Error).message}`, offset, name)
  }
}
