/**
 * Typed errors. Every error the engine raises for bad input is a {@link BamError}
 * with a stable `code`, the input it concerns and the byte offset in that input.
 *
 * @example
 * ```ts
 * try { await flagstat('broken.bam') } catch (e) {
 *   if (e instanceof BamError) console.error(e.code, e.offset)
 * }
 * ```
 */

/** Stable machine-readable error codes. */
export type BamErrorCode =
  | 'ERR_NOT_BGZF'
  | 'ERR_BGZF_CRC'
  | 'ERR_BGZF_ISIZE'
  | 'ERR_BGZF_INFLATE'
  | 'ERR_TRUNCATED'
  | 'ERR_NOT_BAM'
  | 'ERR_HEADER_LIMIT'
  | 'ERR_BAD_RECORD'
  | 'ERR_SOURCE'
  | 'ERR_HTTP'
  | 'ERR_OUTPUT'
  | 'ERR_OPTION'
  | 'ERR_OP'
  | 'ERR_REDIS'
  | 'ERR_UNSORTED'
  | 'ERR_ABORTED'

/** Base class: an error about a particular input at a particular byte offset. */
export class BamError extends Error {
  override name = 'BamError'
  /** Stable code, e.g. `ERR_TRUNCATED`. */
  readonly code: BamErrorCode
  /** Byte offset in the compressed input (file offset) where the problem was found, or -1 when none applies. */
  readonly offset: number
  /** The input (path, URL or `-`) the error concerns; empty until {@link BamError.withSource} names it. */
  source: string

  /**
   * @param options.cause for `ERR_OP`, what the op threw (its `stack` is the op's own, also after crossing a thread)
   */
  constructor(code: BamErrorCode, message: string, offset = -1, source = '', options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.offset = offset
    this.source = source
    // Format the stack now: until it is first read, V8 keeps every frame's receiver and
    // function alive, and through them a failed run's buffers (MiBs per kept error).
    void this.stack
  }

  /** Names the input in the error, if it was not named yet. Returns `this`. */
  withSource(source: string): this {
    if (!this.source) this.source = source
    return this
  }

  /** One line for a terminal: `<source>: <message> (at byte <offset>)`. */
  describe(): string {
    const where = this.offset >= 0 ? ` (at byte ${this.offset})` : ''
    return `${this.source ? `${this.source}: ` : ''}${this.message}${where}`
  }

  /** A structured-clone-safe form, to cross a worker boundary. */
  toJSON(): SerializedBamError {
    const out: SerializedBamError = { code: this.code, message: this.message, offset: this.offset, source: this.source }
    if (this.cause !== undefined) out.cause = serializeThrown(this.cause)
    return out
  }

  /** Rebuilds an error serialised with {@link BamError.toJSON}. */
  static fromJSON(e: SerializedBamError): BamError {
    return new BamError(e.code, e.message, e.offset, e.source, e.cause ? { cause: reviveThrown(e.cause) } : undefined)
  }
}

/** What a worker sends back instead of throwing, so the code and offset survive the thread boundary. */
export interface SerializedBamError {
  code: BamErrorCode
  message: string
  offset: number
  source: string
  /** The error's cause (for `ERR_OP`, what the op threw), name, message and stack kept. */
  cause?: SerializedThrown
}

/** Anything thrown, as plain data: an Error's name, message and stack, or a thrown value's text. */
export interface SerializedThrown {
  name: string
  message: string
  stack?: string
}

/**
 * Anything thrown, as structured-clone-safe data.
 *
 * @example
 * ```ts
 * serializeThrown(new TypeError('x')) // { name: 'TypeError', message: 'x', stack: 'TypeError: x\n    at …' }
 * ```
 */
export function serializeThrown(e: unknown): SerializedThrown {
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack }
  return { name: 'Error', message: String(e) }
}

/**
 * An Error rebuilt from {@link serializeThrown}'s data, with the original name, message and stack.
 *
 * @example
 * ```ts
 * throw reviveThrown(result.crash)
 * ```
 */
export function reviveThrown(s: SerializedThrown): Error {
  const e = new Error(s.message)
  e.name = s.name
  e.stack = s.stack ?? `${s.name}: ${s.message}`
  return e
}

/**
 * A thrown value as one line: `TypeError: message`.
 *
 * @example
 * ```ts
 * thrownText(new RangeError('bad')) // 'RangeError: bad'
 * ```
 */
export function thrownText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e)
}

/**
 * What an op's exception becomes: a {@link BamError} the op raised on purpose
 * (e.g. view refusing a record samtools refuses) keeps its code; anything else
 * is the op's own failure, `ERR_OP`, with what it threw as `cause`. Either way
 * the error gets the file offset of the record concerned, if it had none.
 *
 * @example
 * ```ts
 * try { op.record(p, rec, ctx) } catch (e) { throw opFailure(e, op.name, fileOffset) }
 * ```
 */
export function opFailure(e: unknown, opName: string, offset: number): unknown {
  if (e instanceof BamError) return withOffset(e, offset)
  return new BamError('ERR_OP', `op "${opName}" threw ${thrownText(e)}`, offset, '', { cause: e })
}

/**
 * Gives a {@link BamError} raised without a position (e.g. by an op refusing a
 * record) the file offset of the record it concerns; other errors pass through.
 *
 * @example
 * ```ts
 * throw withOffset(e, blockOffset)
 * ```
 */
export function withOffset(e: unknown, offset: number): unknown {
  if (e instanceof BamError && e.offset < 0) return new BamError(e.code, e.message, offset, e.source, e.cause === undefined ? undefined : { cause: e.cause })
  return e
}
