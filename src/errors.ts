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

/** Base class: an error about a particular input at a particular byte offset. */
export class BamError extends Error {
  override name = 'BamError'
  /** Stable code, e.g. `ERR_TRUNCATED`. */
  readonly code: BamErrorCode
  /** Byte offset in the compressed input (file offset) where the problem was found, or -1 when none applies. */
  readonly offset: number
  /** The input (path, URL or `-`) the error concerns; empty until {@link BamError.withSource} names it. */
  source: string

  constructor(code: BamErrorCode, message: string, offset = -1, source = '') {
    super(message)
    this.code = code
    this.offset = offset
    this.source = source
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
    return { code: this.code, message: this.message, offset: this.offset, source: this.source }
  }

  /** Rebuilds an error serialised with {@link BamError.toJSON}. */
  static fromJSON(e: SerializedBamError): BamError {
    return new BamError(e.code, e.message, e.offset, e.source)
  }
}

/** What a worker sends back instead of throwing, so the code and offset survive the thread boundary. */
export interface SerializedBamError {
  code: BamErrorCode
  message: string
  offset: number
  source: string
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
  if (e instanceof BamError && e.offset < 0) return new BamError(e.code, e.message, offset, e.source)
  return e
}
