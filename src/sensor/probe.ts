/**
 * What a sensor looks at (besides the directory listing, listing.ts): the size
 * and modification stamp of a URL, and whether it ends with the BGZF EOF block (SAMv1 §4.1.2), the
 * 28 bytes every complete BAM ends with.
 */
import fs from 'node:fs'
import { EOF_BLOCK } from '../bgzf/block.js'
import { BamError } from '../errors.js'

/** One look at a URL. */
export interface Observation {
  /** Absolute path or URL. */
  source: string
  /** Bytes. */
  size: number
  /** Modification stamp: the URL's ETag or Last-Modified. */
  mtime: string
}

/** HTTP requests of a sensor give up after this long. */
const HTTP_TIMEOUT_MS = 30_000

/**
 * Looks at a URL with a HEAD request. Throws `ERR_HTTP` when it fails or gives no length.
 *
 * @example
 * ```ts
 * const o = await observeUrl('https://example.org/a.bam') // { size: 123456, mtime: '"etag"', … }
 * ```
 */
export async function observeUrl(url: string): Promise<Observation> {
  let res: Response
  try {
    res = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) })
  } catch (e) {
    throw new BamError('ERR_HTTP', `HEAD failed: ${(e as Error).message}`, -1, url)
  }
  if (!res.ok) throw new BamError('ERR_HTTP', `HEAD: HTTP ${res.status} ${res.statusText}`.trim(), -1, url)
  const size = Number(res.headers.get('content-length') ?? NaN)
  if (!Number.isSafeInteger(size) || size < 0) throw new BamError('ERR_HTTP', 'HEAD: no Content-Length, cannot tell when the file is complete', -1, url)
  const mtime = res.headers.get('etag') ?? res.headers.get('last-modified') ?? ''
  return { source: url, size, mtime }
}

/**
 * Reads a URL list: one URL per line; blank lines and `#` comments ignored.
 *
 * @example
 * ```ts
 * const urls = await readUrlList('urls.txt')
 * ```
 */
export async function readUrlList(file: string): Promise<string[]> {
  const text = await fs.promises.readFile(file, 'utf8')
  return text.split(/\r?\n/).map((l) => l.replace(/#.*/, '').trim()).filter((l) => l.length > 0)
}

/**
 * True when the last 28 bytes of `source` (whose size is `size`) are the BGZF EOF block.
 *
 * @example
 * ```ts
 * await endsWithEofBlock('a.bam', 46639) // true for a complete BAM
 * ```
 */
export async function endsWithEofBlock(source: string, size: number): Promise<boolean> {
  if (size < EOF_BLOCK.length) return false
  const tail = /^https?:\/\//i.test(source) ? await urlTail(source, size) : await fileTail(source, size)
  return tail.length === EOF_BLOCK.length && tail.every((b, i) => b === EOF_BLOCK[i])
}

async function fileTail(file: string, size: number): Promise<Uint8Array> {
  const h = await fs.promises.open(file, 'r')
  try {
    const buf = new Uint8Array(EOF_BLOCK.length)
    const { bytesRead } = await h.read(buf, 0, buf.length, size - buf.length)
    return buf.subarray(0, bytesRead)
  } finally {
    await h.close()
  }
}

async function urlTail(url: string, size: number): Promise<Uint8Array> {
  const n = EOF_BLOCK.length
  const res = await fetch(url, { headers: { range: `bytes=${size - n}-${size - 1}` }, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) })
  if (!res.ok || !res.body) throw new BamError('ERR_HTTP', `ranged GET: HTTP ${res.status}`, -1, url)
  let tail = new Uint8Array(0)
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    const joined = new Uint8Array(Math.min(n, tail.length + chunk.length))
    const both = new Uint8Array(tail.length + chunk.length)
    both.set(tail)
    both.set(chunk, tail.length)
    joined.set(both.subarray(both.length - joined.length))
    tail = joined
  }
  return tail
}
