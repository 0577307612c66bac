/**
 * Errors across the queue: a job's failure reaches the coordinator as a string
 * (BullMQ's `failedReason`), so a {@link BamError} travels as tagged JSON and
 * is rebuilt there with its code, file and offset.
 */
import { UnrecoverableError } from 'bullmq'
import { BamError, type SerializedBamError } from '../errors.js'

/** Prefix of an encoded error in a failed reason. */
const MARK = 'bamstream-error:'

/** Codes that no retry can fix: the data or the request is wrong. */
const PERMANENT = new Set<string>([
  'ERR_NOT_BGZF', 'ERR_BGZF_CRC', 'ERR_BGZF_ISIZE', 'ERR_BGZF_INFLATE', 'ERR_TRUNCATED', 'ERR_NOT_BAM',
  'ERR_HEADER_LIMIT', 'ERR_BAD_RECORD', 'ERR_OPTION', 'ERR_OP',
])

/**
 * The error a job processor throws for `e`: BullMQ's `UnrecoverableError`
 * (no retry) for bad data, a plain Error (retried with backoff) for I/O.
 *
 * @example
 * ```ts
 * try { return await runSplit(job.data, pool) } catch (e) { throw jobError(e) }
 * ```
 */
export function jobError(e: unknown): Error {
  const serialized: SerializedBamError = e instanceof BamError
    ? e.toJSON()
    : { code: 'ERR_OP', message: (e as Error)?.message ?? String(e), offset: -1, source: '' }
  const text = `${MARK}${JSON.stringify(serialized)}`
  return PERMANENT.has(serialized.code) ? new UnrecoverableError(text) : new Error(text)
}

/**
 * Rebuilds the error from a failed job's reason (a plain message when it was not ours).
 *
 * @example
 * ```ts
 * throw errorFromReason(job.failedReason)
 * ```
 */
export function errorFromReason(reason: string | undefined, source: string): BamError {
  const at = reason?.indexOf(MARK) ?? -1
  if (reason && at >= 0) {
    try {
      return BamError.fromJSON(JSON.parse(reason.slice(at + MARK.length)) as SerializedBamError).withSource(source)
    } catch {
      // fall through: not ours after all
    }
  }
  return new BamError('ERR_REDIS', `cluster job failed: ${reason ?? 'no reason given'}`, -1, source)
}
