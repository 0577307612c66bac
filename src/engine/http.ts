/**
 * Reading a BAM over HTTP(S) without hanging: a timeout for the response
 * headers and one for each silence in the body, bounded retries with backoff
 * that resume where the body broke off (a `Range` request), redirects
 * followed up to a limit, the body never decoded (`Accept-Encoding: identity`
 * is asked for, and a `Content-Encoding: gzip` label on BGZF bytes is
 * ignored, as samtools does), and errors that say what went wrong.
 */
import type http from 'node:http'
import { createRequire } from 'node:module'
import { BamError } from '../errors.js'

/** How HTTP sources are read. */
export interface HttpOptions {
  /** Longest wait for response headers, and longest silence within a body, in ms (default 20 s). */
  timeoutMs?: number
  /** Retries after a failed or broken response, each resuming where the body stopped (default 2). */
  retries?: number
}

/** Default of {@link HttpOptions.timeoutMs}. */
export const DEFAULT_HTTP_TIMEOUT_MS = 20_000
/** Default of {@link HttpOptions.retries}. */
export const DEFAULT_HTTP_RETRIES = 2
/** Redirects followed before giving up (a loop, most likely). */
const MAX_REDIRECTS = 10
/** First retry delay; doubled each time. */
const BACKOFF_MS = 250
/** HTTP statuses. */
const OK = 200, PARTIAL = 206, NOT_SATISFIABLE = 416

/** An HTTP source opened: the body as a stream that resumes itself, and its size when known. */
export interface HttpBody {
  size?: number
  stream: AsyncIterable<Uint8Array>
  close(): void
}

/**
 * Opens `url` for reading (after following redirects). Fails with
 * `ERR_HTTP` naming the cause: refused, DNS, TLS, redirect loop, timeout, status.
 *
 * @example
 * ```ts
 * const body = await openHttpBody('https://example.org/x.bam', { timeoutMs: 10_000 })
 * for await (const bytes of body.stream) console.log(bytes.length)
 * ```
 */
export async function openHttpBody(url: string, options: HttpOptions = {}, signal?: AbortSignal): Promise<HttpBody> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS
  const retries = options.retries ?? DEFAULT_HTTP_RETRIES
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new BamError('ERR_OPTION', `HTTP timeout must be a positive number of ms, got ${timeoutMs}`, -1, url)
  if (!Number.isInteger(retries) || retries < 0) throw new BamError('ERR_OPTION', `HTTP retries must be an integer ≥ 0, got ${retries}`, -1, url)
  const first = await withRetries(url, 0, retries, () => get(url, 0, timeoutMs, signal))
  let current = first.res
  let closed = false
  const size = first.size
  async function* body(): AsyncGenerator<Uint8Array> {
    let offset = 0
    let res = current
    for (let attempt = 0; ; attempt++) {
      try {
        for await (const piece of res) {
          offset += (piece as Buffer).length
          yield piece as Buffer
        }
        if (size !== undefined && offset < size) throw new HttpFailure(`the connection closed after ${offset} of ${size} bytes`, true)
        return
      } catch (e) {
        if (closed || signal?.aborted) throw e
        const req = requestOf.get(res)
        const failure = (req && timeouts.get(req)) ?? asFailure(e)
        if (!failure.retry || attempt >= retries || !first.ranges) throw httpError(failure, url, offset, attempt)
        await sleep(BACKOFF_MS << attempt, signal)
        res = (await withRetries(url, offset, retries - attempt - 1, () => get(first.url, offset, timeoutMs, signal))).res
        current = res
      }
    }
  }
  return {
    size,
    stream: body(),
    close: () => {
      closed = true
      current.destroy()
    },
  }
}

/** A response being read, the URL it came from after redirects, and what it says of the body. */
interface Opened {
  res: http.IncomingMessage
  url: string
  size?: number
  /** The server takes Range requests. */
  ranges: boolean
}

/** The timeout that ended a request, when one did (the response then fails with a bare "aborted"). */
const timeouts = new WeakMap<http.ClientRequest, HttpFailure>()
/** The request of each response. */
const requestOf = new WeakMap<http.IncomingMessage, http.ClientRequest>()

/** Why a request failed, and whether trying again may help. */
class HttpFailure extends Error {
  constructor(message: string, readonly retry: boolean) {
    super(message)
  }
}

/** Retries `attempt` up to `retries` times with backoff while its failure is retryable. */
async function withRetries(url: string, offset: number, retries: number, attempt: () => Promise<Opened>): Promise<Opened> {
  for (let i = 0; ; i++) {
    try {
      return await attempt()
    } catch (e) {
      const failure = asFailure(e)
      if (!failure.retry || i >= retries) throw httpError(failure, url, offset, i)
      await sleep(BACKOFF_MS << i)
    }
  }
}

/** GET `url` from byte `from`, following redirects. */
async function get(url: string, from: number, timeoutMs: number, signal?: AbortSignal): Promise<Opened> {
  let target = url
  for (let hops = 0; hops <= MAX_REDIRECTS; hops++) {
    const res = await request(target, from, timeoutMs, signal)
    const status = res.statusCode ?? 0
    const location = res.headers.location
    if (status >= 300 && status < 400 && location) {
      res.resume()
      target = new URL(location, target).toString()
      continue
    }
    if (from > 0 && status !== PARTIAL) {
      res.resume()
      throw new HttpFailure(status === NOT_SATISFIABLE || status === OK ? `the server cannot resume at byte ${from} (HTTP ${status})` : `HTTP ${status} ${res.statusMessage ?? ''}`.trim(), status >= 500)
    }
    if (status !== OK && status !== PARTIAL) {
      res.resume()
      throw new HttpFailure(`HTTP ${status} ${res.statusMessage ?? ''}`.trim(), status >= 500 || status === 429)
    }
    const length = Number(res.headers['content-length'])
    return {
      res, url: target,
      size: from === 0 && Number.isSafeInteger(length) && length > 0 ? length : undefined,
      ranges: res.headers['accept-ranges'] === 'bytes',
    }
  }
  throw new HttpFailure(`more than ${MAX_REDIRECTS} redirects (a redirect loop?)`, false)
}

/** One request: resolves at the response headers, which must come within `timeoutMs`; the body may then be silent for at most `timeoutMs` at a time. */
/** node:http or node:https, loaded on first use: they cost ~10 ms of start-up to every command, and only URLs need them. */
function httpModule(name: 'node:http' | 'node:https'): typeof http {
  return createRequire(import.meta.url)(name) as typeof http
}

function request(url: string, from: number, timeoutMs: number, signal?: AbortSignal): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const lib = httpModule(url.startsWith('https:') ? 'node:https' : 'node:http')
    const headers: Record<string, string> = { 'accept-encoding': 'identity' }
    if (from > 0) headers.range = `bytes=${from}-`
    const req = lib.get(url, { headers, signal, agent: false }) // a fresh connection per request: a retry never reuses a broken one
    const fail = (failure: HttpFailure): void => {
      timeouts.set(req, failure)
      req.destroy(failure)
    }
    const headerTimer = setTimeout(() => fail(new HttpFailure(`no response within ${seconds(timeoutMs)}`, true)), timeoutMs)
    req.setTimeout(timeoutMs, () => fail(new HttpFailure(`no data for ${seconds(timeoutMs)}`, true)))
    req.once('response', (res) => {
      clearTimeout(headerTimer)
      requestOf.set(res, req)
      resolve(res)
    })
    req.once('error', (e) => {
      clearTimeout(headerTimer)
      reject(e)
    })
  })
}

/** The cause of a failure in words, and whether to retry. */
function asFailure(e: unknown): HttpFailure {
  if (e instanceof HttpFailure) return e
  const err = e as NodeJS.ErrnoException
  switch (err.code) {
    case 'ECONNREFUSED': return new HttpFailure('connection refused (ECONNREFUSED)', true)
    case 'ENOTFOUND': return new HttpFailure(`cannot resolve the host name (DNS: ENOTFOUND ${(err as { hostname?: string }).hostname ?? ''})`.replace(' )', ')'), false)
    case 'EAI_AGAIN': return new HttpFailure('cannot resolve the host name now (DNS: EAI_AGAIN)', true)
    case 'ECONNRESET': return new HttpFailure('the connection was reset (ECONNRESET)', true)
    case 'ETIMEDOUT': return new HttpFailure('the connection timed out (ETIMEDOUT)', true)
    case 'EHOSTUNREACH': case 'ENETUNREACH': return new HttpFailure(`the host cannot be reached (${err.code})`, true)
    case 'ABORT_ERR': return new HttpFailure('aborted', false)
    default:
      if (err.code && /CERT|SSL|TLS|SELF_SIGNED/.test(err.code)) return new HttpFailure(`TLS: ${err.message} (${err.code})`, false)
      return new HttpFailure(err.message ?? String(e), err.code === 'ERR_STREAM_PREMATURE_CLOSE' || err.message === 'aborted')
  }
}

function httpError(failure: HttpFailure, url: string, offset: number, retried: number): BamError {
  const tries = retried > 0 ? ` (after ${retried} ${retried === 1 ? 'retry' : 'retries'})` : ''
  return new BamError('ERR_HTTP', `HTTP read failed: ${failure.message}${tries}`, offset > 0 ? offset : -1, url)
}

function seconds(ms: number): string {
  return `${ms / 1000} s`
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const t = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => { clearTimeout(t); reject(signal.reason) }, { once: true })
  })
}
