/**
 * Opening a source: a local path, `-` for stdin, or an `http(s)://` URL,
 * as a stream of byte chunks. The only place that reads input.
 */
import fs from 'node:fs'
import { BamError } from '../errors.js'

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
 * Opens a source for streaming.
 *
 * @example
 * ```ts
 * const src = await openSource('test/fixtures/htslib/htslib_test_ce_1000.bam')
 * for await (const bytes of src.stream) console.log(bytes.length)
 * ```
 */
export async function openSource(source: Source, signal?: AbortSignal): Promise<OpenedSource> {
  if (typeof source !== 'string' && !(source instanceof URL)) {
    return { name: '<stream>', stream: source, close: () => {} }
  }
  const name = source.toString()
  if (/^https?:\/\//i.test(name)) return openHttp(name, signal)
  if (name === '-') return { name: '-', stream: process.stdin, close: () => process.stdin.pause() }
  return openFile(name)
}

async function openFile(path: string): Promise<OpenedSource> {
  let size: number
  try {
    const stat = await fs.promises.stat(path)
    if (stat.isDirectory()) throw new BamError('ERR_SOURCE', 'is a directory, not a BAM file', -1, path)
    size = stat.size
  } catch (e) {
    if (e instanceof BamError) throw e
    throw new BamError('ERR_SOURCE', `cannot open: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, -1, path)
  }
  const handle = await fs.promises.open(path, 'r')
  let closed = false
  const close = (): void => {
    if (!closed) handle.close().catch(() => {})
    closed = true
  }
  return { name: path, size, stream: wrapErrors(readInto(handle, close), path), close }
}

/**
 * Reads a file into one reused buffer: each piece yielded is valid only until
 * the next is requested (the scanner copies what it keeps). A fresh 1 MiB buffer
 * per read is garbage that V8 frees only after up to 64 MiB of it piles up.
 */
async function* readInto(handle: fs.promises.FileHandle, close: () => void): AsyncGenerator<Uint8Array> {
  const buf = new Uint8Array(READ_BYTES)
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, null)
      if (bytesRead === 0) return
      yield buf.subarray(0, bytesRead)
    }
  } finally {
    close()
  }
}

async function openHttp(url: string, signal?: AbortSignal): Promise<OpenedSource> {
  let res: Response
  try {
    res = await fetch(url, { signal })
  } catch (e) {
    throw new BamError('ERR_HTTP', `HTTP request failed: ${(e as Error).message}`, -1, url)
  }
  if (!res.ok || !res.body) {
    throw new BamError('ERR_HTTP', `HTTP ${res.status} ${res.statusText}`.trim(), -1, url)
  }
  const length = Number(res.headers.get('content-length'))
  const body = res.body
  const stream = wrapErrors(body as unknown as AsyncIterable<Uint8Array>, url)
  return {
    name: url,
    size: Number.isFinite(length) && length > 0 ? length : undefined,
    stream,
    close: () => { body.cancel().catch(() => {}) },
  }
}

async function* wrapErrors(stream: AsyncIterable<Uint8Array>, name: string): AsyncGenerator<Uint8Array> {
  let offset = 0
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
