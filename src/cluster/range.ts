/**
 * Random-access reading for split tasks: a shared file path, or an http(s) URL
 * read with `Range` requests. A dropped connection is retried with backoff a
 * bounded number of times; a server that ignores `Range` is a clear error.
 */
import fs from 'node:fs'
import { BamError } from '../errors.js'

/** A source that can be read at any offset. */
export interface RangeSource {
  /** Path or URL, for messages. */
  name: string
  /** Total size in bytes. */
  size: number
  /**
   * Up to `length` bytes at `offset` (fewer only at the end). With `into`
   * (at least `length` bytes), a file is read into it and a view of it returned.
   */
  read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array>
  /** Bytes read so far (for the coordinator's "header only" figure). */
  bytesRead(): number
  /** Releases the file handle. */
  close(): Promise<void>
}

/** Retries of one HTTP range request after a dropped connection or a 5xx answer. */
export const HTTP_RETRIES = 4
/** First wait before a retry; doubled each time. */
export const HTTP_BACKOFF_MS = 200

/**
 * How an http(s) range source retries a failed request (a file path ignores these).
 *
 * @example
 * ```ts
 * const src = await openRange('https://example.org/x.bam', { retries: 2, backoffMs: 50 })
 * ```
 */
export interface RangeOptions {
  /** Retries of one range request after a dropped connection or a 5xx answer (default {@link HTTP_RETRIES}). */
  retries?: number
  /** First wait before a retry, in ms, doubled each time (default {@link HTTP_BACKOFF_MS}). */
  backoffMs?: number
}

/** {@link RangeOptions} with the defaults filled in. */
interface RetryPolicy {
  retries: number
  backoffMs: number
}
/** HTTP 206 Partial Content, RFC 9110 §15.3.7. */
const PARTIAL_CONTENT = 206

/**
 * Opens a path or http(s) URL for random access. A URL's range requests are
 * retried as `options` say (defaults {@link HTTP_RETRIES} and {@link HTTP_BACKOFF_MS}).
 *
 * @example
 * ```ts
 * const src = await openRange('/shared/big.bam')
 * const first = await src.read(0, 65536)
 * await src.close()
 * ```
 */
export async function openRange(source: string, options: RangeOptions = {}): Promise<RangeSource> {
  if (/^https?:\/\//i.test(source)) return openHttpRange(source, retryPolicy(options, source))
  if (source === '-') throw new BamError('ERR_OPTION', 'standard input cannot be split across machines: give a shared path or an http(s) URL', -1, '-')
  return openFileRange(source)
}

async function openFileRange(path: string): Promise<RangeSource> {
  let handle: fs.promises.FileHandle
  let size: number
  try {
    handle = await fs.promises.open(path, 'r')
    const stat = await handle.stat()
    if (stat.isDirectory()) {
      await handle.close()
      throw new BamError('ERR_SOURCE', 'is a directory, not a BAM file', -1, path)
    }
    size = stat.size
  } catch (e) {
    if (e instanceof BamError) throw e
    const code = (e as NodeJS.ErrnoException).code
    throw new BamError('ERR_SOURCE', `cannot open: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`, -1, path)
  }
  let total = 0
  return {
    name: path,
    size,
    async read(offset, length, into) {
      const want = Math.max(0, Math.min(length, size - offset))
      const buf = into && into.length >= want ? into.subarray(0, want) : new Uint8Array(want)
      let filled = 0
      while (filled < buf.length) {
        const { bytesRead } = await handle.read(buf, filled, buf.length - filled, offset + filled)
        if (bytesRead === 0) break
        filled += bytesRead
      }
      total += filled
      return filled === buf.length ? buf : buf.subarray(0, filled)
    },
    bytesRead: () => total,
    close: () => handle.close().catch(() => {}),
  }
}

/** Checks `options` and fills in the defaults. */
function retryPolicy(options: RangeOptions, url: string): RetryPolicy {
  const { retries = HTTP_RETRIES, backoffMs = HTTP_BACKOFF_MS } = options
  if (!Number.isInteger(retries) || retries < 0) throw new BamError('ERR_OPTION', `range retries must be an integer ≥ 0, got ${retries}`, -1, url)
  if (!Number.isFinite(backoffMs) || backoffMs < 0) throw new BamError('ERR_OPTION', `range backoff must be a number of ms ≥ 0, got ${backoffMs}`, -1, url)
  return { retries, backoffMs }
}

async function openHttpRange(url: string, policy: RetryPolicy): Promise<RangeSource> {
  let total = 0
  const probe = await rangeRequest(url, 0, 1)
  const size = totalFromContentRange(probe.headers.get('content-range'))
  await probe.body?.cancel().catch(() => undefined)
  if (size === undefined) throw new BamError('ERR_HTTP', 'the server gives no total size in Content-Range', -1, url)
  return {
    name: url,
    size,
    async read(offset, length) {
      const end = Math.min(size, offset + length)
      if (end <= offset) return new Uint8Array(0)
      const bytes = await fetchRange(url, offset, end - offset, policy)
      total += bytes.length
      return bytes
    },
    bytesRead: () => total,
    close: async () => {},
  }
}

/** `bytes a-b/TOTAL` → TOTAL. */
function totalFromContentRange(header: string | null): number | undefined {
  const m = header ? /\/(\d+)\s*$/.exec(header) : null
  return m ? Number(m[1]) : undefined
}

/** One range read, with bounded retries and exponential backoff on a dropped connection or a 5xx. */
async function fetchRange(url: string, offset: number, length: number, policy: RetryPolicy): Promise<Uint8Array> {
  let lastError: unknown
  for (let attempt = 0; attempt <= policy.retries; attempt++) {
    if (attempt > 0) await sleep(policy.backoffMs * 2 ** (attempt - 1))
    try {
      const res = await rangeRequest(url, offset, length)
      const bytes = new Uint8Array(await res.arrayBuffer())
      if (bytes.length !== length) throw new RetryableHttp('ERR_HTTP', `short body: ${bytes.length} of ${length} bytes`, offset, url)
      return bytes
    } catch (e) {
      if (e instanceof BamError && !isRetryable(e)) throw e
      lastError = e
    }
  }
  const why = lastError instanceof Error ? lastError.message : String(lastError)
  throw new BamError('ERR_HTTP', `range read of ${length} bytes failed after ${policy.retries + 1} attempts: ${why}`, offset, url)
}

/** Thrown for 5xx answers, which are worth another try. */
class RetryableHttp extends BamError {}

function isRetryable(e: BamError): boolean {
  return e instanceof RetryableHttp
}

async function rangeRequest(url: string, offset: number, length: number): Promise<Response> {
  let res: Response
  try {
    res = await fetch(url, { headers: { range: `bytes=${offset}-${offset + length - 1}` } })
  } catch (e) {
    throw new RetryableHttp('ERR_HTTP', `HTTP request failed: ${(e as Error).message}`, offset, url)
  }
  if (res.status === PARTIAL_CONTENT) return res
  await res.body?.cancel().catch(() => undefined) // a server ignoring Range would send the whole file
  if (res.status >= 500) throw new RetryableHttp('ERR_HTTP', `HTTP ${res.status} ${res.statusText}`.trim(), offset, url)
  if (res.ok) {
    throw new BamError('ERR_HTTP', `the server ignores Range requests (HTTP ${res.status} instead of 206): it cannot serve splits`, offset, url)
  }
  throw new BamError('ERR_HTTP', `HTTP ${res.status} ${res.statusText}`.trim(), offset, url)
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * The bytes from `from` onward as a stream of `piece`-sized reads, stopping
 * when the consumer stops pulling (or at the end of the source). Each piece
 * is valid only until the next one is asked for.
 *
 * @example
 * ```ts
 * for await (const bytes of rangeStream(src, 1 << 20)) scan(bytes)
 * ```
 */
export async function* rangeStream(src: RangeSource, from: number, piece = 1024 * 1024): AsyncGenerator<Uint8Array> {
  const buffer = new Uint8Array(piece) // reused: a piece is valid until the next is asked for (the scanner copies what it keeps)
  for (let at = from; at < src.size;) {
    const bytes = await src.read(at, piece, buffer)
    if (bytes.length === 0) return
    yield bytes
    at += bytes.length
  }
}
