/**
 * A local BGZF file read by byte ranges (DESIGN.md data flow, step 1 for local
 * files): the main thread walks the BGZF block headers with small positional
 * reads and never reads the compressed data; each worker reads its chunk's
 * byte range itself, with one positional read into a buffer it reuses.
 *
 * Both sides read through one file descriptor, opened by the main thread and
 * closed when the run ends (after every chunk in flight has come back): worker
 * threads share the process's descriptors, and positional reads share no file
 * position. One descriptor also means one file: a file renamed over the path
 * during the run is not half read.
 */
import fs from 'node:fs'
import { EOF_BLOCK, EXTRA_OFFSET, MAX_BLOCK_ISIZE, XLEN_OFFSET, blockIsize, blockSize } from '../bgzf/block.js'
import type { Block } from '../bgzf/scanner.js'
import { BamError } from '../errors.js'

/** What a worker needs to read a chunk's bytes itself: an open descriptor of the file and its name (for errors). */
export interface ChunkFile {
  /** A descriptor opened by the main thread, valid for the whole run. */
  fd: number
  /** The file's path, for error messages. */
  name: string
}

/** A block found by {@link BlockWalker}: like the scanner's, plus the raw ISIZE field. */
export interface WalkedBlock extends Block {
  /** The block's ISIZE field as stored (`isize` is capped at 65536, as the scanner caps it). */
  isizeField: number
}

/** Header bytes read first: the fixed gzip header and one `BC` subfield (XLEN = 6), SAMv1 §4.1. */
const HEADER_BYTES = EXTRA_OFFSET + 6
/** The last bytes of a block read to get its ISIZE (all of it for the 28-byte EOF block). */
const TAIL_BYTES = EOF_BLOCK.length
/** Bytes read past what is needed, so that one read holds a block's trailer and the next block's header. */
const READ_AHEAD = 512

/**
 * Reads up to `length` bytes at file offset `position` into `into` (from its
 * start); fewer only where the file ends. Returns the bytes read.
 *
 * @example
 * ```ts
 * const n = readAt(fd, buf, 1 << 20, 0)
 * ```
 */
export function readAt(fd: number, into: Uint8Array, length: number, position: number): number {
  let done = 0
  while (done < length) {
    const n = fs.readSync(fd, into, done, length - done, position + done)
    if (n === 0) break
    done += n
  }
  return done
}

/** A small read-ahead window over a file: serves the header walk's many tiny reads with few system calls. */
class FileWindow {
  private buf = new Uint8Array(MAX_BLOCK_ISIZE + READ_AHEAD)
  private at = 0
  private have = 0

  constructor(private readonly fd: number) {}

  /** Up to `length` bytes at `position` (fewer only where the file ends); valid until the next call. */
  get(position: number, length: number): Uint8Array {
    if (position < this.at || position + length > this.at + this.have) this.fill(position, length + READ_AHEAD)
    const from = position - this.at
    return this.buf.subarray(from, Math.min(from + length, this.have))
  }

  private fill(position: number, length: number): void {
    if (this.buf.length < length) this.buf = new Uint8Array(length)
    this.at = position
    this.have = 0 // a failed read leaves nothing cached
    this.have = readAt(this.fd, this.buf, length, position)
  }
}

/**
 * Finds the BGZF blocks of an open local file by reading their headers and
 * trailers only (one small positional read per block, which holds a block's
 * trailer and the next block's header), with the same checks and errors as
 * the stream scanner (`scanBlocks`): `ERR_NOT_BGZF` for a bad header,
 * `ERR_TRUNCATED` for a file that ends inside a block or, unless
 * `onMissingEof` is given, without the EOF marker block.
 *
 * Blocks come without their bytes (`bytes` is empty) unless `withBytes` is set:
 * the header is read that way, then the chunks' bytes are read by the workers.
 *
 * @example
 * ```ts
 * const walker = new BlockWalker(fd, 'x.bam')
 * for (let b = walker.next(); b; b = walker.next()) console.log(b.coffset, b.csize, b.isize)
 * ```
 */
export class BlockWalker {
  /** Give each block's bytes (a view valid until the next call) instead of none. */
  withBytes = false
  private readonly window: FileWindow
  private position: number
  private any = false
  private sawEof = false
  private ended = false

  constructor(private readonly fd: number, private readonly onMissingEof?: (offset: number) => void, start = 0) {
    this.window = new FileWindow(fd)
    this.position = start
  }

  /** The next block, or undefined at the end of the file. */
  next(): WalkedBlock | undefined {
    if (this.ended) return undefined
    const pos = this.position
    const size = this.blockSizeAt(pos)
    if (size === 0) return this.end()
    const bytes = this.withBytes ? this.window.get(pos, size) : undefined
    if (bytes && bytes.length < size) this.truncated(pos)
    const t = Math.min(size, TAIL_BYTES)
    const tail = bytes ? bytes.subarray(size - t) : this.window.get(pos + size - t, t)
    if (tail.length < t) this.truncated(pos)
    const isizeField = blockIsize(tail, 0, t)
    const eof = size === EOF_BLOCK.length && EOF_BLOCK.every((b, i) => tail[i] === b)
    this.position = pos + size
    this.any = true
    this.sawEof = eof
    // an ISIZE above the BGZF limit is taken as the limit, as the scanner takes it (see scanner.ts)
    return { coffset: pos, csize: size, isize: Math.min(isizeField, MAX_BLOCK_ISIZE), isizeField, bytes: bytes ?? EMPTY, eof }
  }

  /** The size of the block at `pos` (BSIZE + 1), or 0 at the end of the file; throws for a bad or cut-off header. */
  private blockSizeAt(pos: number): number {
    for (let want = HEADER_BYTES; ;) {
      const head = this.window.get(pos, want)
      if (head.length === 0) return 0
      const size = blockSize(head, 0, pos)
      if (size >= 0) return size
      if (head.length < want) this.truncated(pos)
      want = EXTRA_OFFSET + (head[XLEN_OFFSET]! | (head[XLEN_OFFSET + 1]! << 8)) // a longer extra field
    }
  }

  private end(): undefined {
    this.ended = true
    if (!this.any) throw new BamError('ERR_NOT_BGZF', 'not a BGZF file: the input is empty', 0)
    if (!this.sawEof) {
      if (!this.onMissingEof) throw new BamError('ERR_TRUNCATED', 'truncated file: no BGZF EOF marker block at the end', this.position)
      this.onMissingEof(this.position)
    }
    return undefined
  }

  private truncated(pos: number): never {
    const present = Math.max(0, fs.fstatSync(this.fd).size - pos)
    throw new BamError('ERR_TRUNCATED', `truncated file: the stream ends inside a BGZF block (${present} bytes of it present)`, pos)
  }
}

const EMPTY = new Uint8Array(0)

/**
 * One read buffer per thread, reused from chunk to chunk (like the inflate
 * scratch in kernel.ts): safe because a chunk is processed synchronously and
 * nothing returned points into it.
 */
let readBuffer = new Uint8Array(0)

/**
 * A chunk's compressed bytes, read by the worker from `file` at
 * `[coffset, coffset + Σ blockSizes)`: a view of this thread's reused read
 * buffer, valid until the next call. Each block's header is checked against
 * the size the main thread found there; a file that shrank or changed since is
 * `ERR_SOURCE` (a retryable I/O failure, not corrupt data) with the file's
 * name and the offset.
 *
 * @example
 * ```ts
 * const bytes = readChunk({ fd, name: 'x.bam' }, desc.coffset, desc.blockSizes)
 * ```
 */
export function readChunk(file: ChunkFile, coffset: number, blockSizes: ArrayLike<number>): Uint8Array {
  let csize = 0
  for (let i = 0; i < blockSizes.length; i++) csize += blockSizes[i]!
  if (readBuffer.length < csize) readBuffer = new Uint8Array(csize + (csize >> 3))
  let got: number
  try {
    got = readAt(file.fd, readBuffer, csize, coffset)
  } catch (e) {
    throw new BamError('ERR_SOURCE', `read failed: ${(e as Error).message}`, coffset, file.name)
  }
  if (got < csize) {
    throw new BamError('ERR_SOURCE', `the file shrank while it was read: ${csize} bytes expected here, ${got} present`, coffset, file.name)
  }
  const bytes = readBuffer.subarray(0, csize)
  checkBlocks(bytes, file.name, coffset, blockSizes)
  return bytes
}

/** Each block's header must still give the size found by the header walk, else the file changed under us. */
function checkBlocks(bytes: Uint8Array, name: string, coffset: number, blockSizes: ArrayLike<number>): void {
  for (let i = 0, pos = 0; i < blockSizes.length; pos += blockSizes[i]!, i++) {
    const expected = blockSizes[i]!
    let size: number
    try {
      size = blockSize(bytes.subarray(0, pos + expected), pos, coffset + pos)
    } catch {
      size = -1
    }
    if (size !== expected) {
      throw new BamError('ERR_SOURCE', `the file changed while it was read: the BGZF block here is no longer the ${expected}-byte block found before`, coffset + pos, name)
    }
  }
}
