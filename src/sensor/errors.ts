/**
 * Typed errors of the sensor, the daemon and the run storage, and the form in
 * which any error is stored on a run.
 *
 * @example
 * ```ts
 * try { loadConfig('bamstream.config.json') } catch (e) {
 *   if (e instanceof SensorError && e.code === 'ERR_CONFIG') console.error(e.message)
 * }
 * ```
 */
import { BamError } from '../errors.js'

/** Stable machine-readable codes of {@link SensorError}. */
export type SensorErrorCode =
  | 'ERR_CONFIG' // a config file or flag is invalid
  | 'ERR_STATE' // the state directory or its database cannot be used
  | 'ERR_LOCKED' // another live daemon holds the state directory
  | 'ERR_NOT_FOUND' // no run with that id
  | 'ERR_RUN_STATE' // the run is not in a status that allows the request
  | 'ERR_INTERRUPTED' // the daemon stopped (or died) while the run was STARTED
  | 'ERR_OUTPUT' // a result file could not be written (see `errno`)
  | 'ERR_TIMEOUT' // the run was still going after the sensor's maxRuntime
  | 'ERR_SUPERSEDED' // the source changed or vanished after its run was requested
  | 'ERR_CORRUPT' // the run storage is damaged

/**
 * An error of the sensor/daemon layer, with a stable `code`.
 *
 * @example
 * ```ts
 * throw new SensorError('ERR_CONFIG', 'sensor "x": unknown setting "watchh"')
 * ```
 */
export class SensorError extends Error {
  override name = 'SensorError'
  /** Stable code, e.g. `ERR_CONFIG`. */
  readonly code: SensorErrorCode
  /** For `ERR_OUTPUT`: the system error code (`ENOSPC`, `EROFS`, …), when there is one. */
  readonly errno?: string

  constructor(code: SensorErrorCode, message: string, options?: { cause?: unknown; errno?: string }) {
    super(message, options)
    this.code = code
    if (options?.errno) this.errno = options.errno
  }

  /** One line for a terminal. */
  describe(): string {
    return this.message
  }
}

/** An error as stored on a run (the `error` column, JSON). */
export interface StoredError {
  /** Error class name: `BamError`, `SensorError`, `Error`, … */
  name: string
  /** Stable code when the error has one (`ERR_BGZF_CRC`, `ENOENT`, …). */
  code?: string
  message: string
  /** Byte offset in the input, for a {@link BamError} that names one. */
  offset?: number
  /** The input the error concerns, when known. */
  source?: string
  /** True when the daemon considered the failure worth retrying. */
  retryable?: boolean
  /** The system error code under an `ERR_OUTPUT`. */
  errno?: string
}

/** System errors of the output side that mean "the storage is unavailable", not "this run is bad". */
const OUTAGE_ERRNOS = new Set(['ENOSPC', 'EROFS', 'EACCES', 'EPERM', 'EIO', 'EDQUOT'])

/**
 * True when a run failed because its results could not be written for a
 * reason that concerns the storage, not the run (full, read-only, no
 * permission, I/O error): the daemon pauses instead of counting a failure.
 *
 * @example
 * ```ts
 * isOutputOutage(new SensorError('ERR_OUTPUT', 'cannot write /out/a.txt: read-only file system', { errno: 'EROFS' })) // true
 * ```
 */
export function isOutputOutage(e: unknown): boolean {
  return e instanceof SensorError && e.code === 'ERR_OUTPUT' && e.errno !== undefined && OUTAGE_ERRNOS.has(e.errno)
}

/**
 * Wraps an error met while writing `dest` as `ERR_OUTPUT`, naming the file and
 * the system error once: `cannot write /out/a.txt: read-only file system (EROFS)`.
 *
 * @example
 * ```ts
 * try { await fs.promises.writeFile(dest, text) } catch (e) { throw outputError(dest, e) }
 * ```
 */
export function outputError(dest: string, e: unknown): SensorError {
  if (e instanceof SensorError && e.code === 'ERR_OUTPUT') return e
  const errno = (e as NodeJS.ErrnoException | undefined)?.code
  const raw = e instanceof Error ? e.message : String(e)
  // node's message is "EROFS: read-only file system, open '/out/.a.txt.tmp'": keep the words only
  const words = /^[A-Z]+: (.*?)(?:, \w+ '.*')?$/.exec(raw)?.[1] ?? raw
  return new SensorError('ERR_OUTPUT', `cannot write ${dest}: ${words}${errno ? ` (${errno})` : ''}`, { cause: e, errno })
}

/**
 * Turns anything thrown into a {@link StoredError}.
 *
 * @example
 * ```ts
 * storedError(new BamError('ERR_BGZF_CRC', 'CRC mismatch', 1234, 'a.bam'))
 * // { name: 'BamError', code: 'ERR_BGZF_CRC', message: 'CRC mismatch', offset: 1234, source: 'a.bam' }
 * ```
 */
export function storedError(e: unknown): StoredError {
  if (e instanceof BamError) {
    const out: StoredError = { name: 'BamError', code: e.code, message: e.message, source: e.source || undefined }
    if (e.offset >= 0) out.offset = e.offset
    return out
  }
  if (e instanceof SensorError && e.errno) return { name: e.name, code: e.code, message: e.message, errno: e.errno }
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code
    return { name: e.name, code: typeof code === 'string' ? code : undefined, message: e.message }
  }
  return { name: 'Error', message: String(e) }
}

/**
 * BamError codes caused by the bytes of the input itself: running again cannot help.
 * `ERR_OP` (a user op's own exception) is not one of them: it is retried like any failure.
 */
const PERMANENT_CODES = new Set([
  'ERR_NOT_BGZF', 'ERR_BGZF_CRC', 'ERR_BGZF_ISIZE', 'ERR_BGZF_INFLATE', 'ERR_TRUNCATED',
  'ERR_NOT_BAM', 'ERR_HEADER_LIMIT', 'ERR_BAD_RECORD', 'ERR_OPTION',
])

/**
 * Whether a failed run is worth another attempt. Corrupt or truncated input and
 * bad options fail at once; I/O trouble (a vanished file, HTTP errors, a full
 * disk, a crashed worker) is retried with backoff.
 *
 * @example
 * ```ts
 * isRetryable(new BamError('ERR_BGZF_CRC', 'CRC mismatch')) // false
 * isRetryable(new BamError('ERR_HTTP', 'HTTP 503'))         // true
 * ```
 */
export function isRetryable(e: unknown): boolean {
  if (e instanceof BamError) return !PERMANENT_CODES.has(e.code)
  if (e instanceof SensorError) return e.code === 'ERR_INTERRUPTED' || e.code === 'ERR_OUTPUT' || e.code === 'ERR_TIMEOUT'
  return true
}
