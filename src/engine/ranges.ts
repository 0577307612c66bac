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
import { EOF_BLOCK, EXTRA_OFFSET, MAX_BLOCK_ISIZE, XLEN_OFFSET, blockIsize, blockSize, isEofBlock } from '../bgzf/block.js'
import type { Block } from '../bgzf/scanner.js'
import { BamError } from '../errors.js'
import { loadAddon } from '../bgzf/native.js'

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
/**
 * Bytes the header walk reads past what it needs: one read holds a block's
 * trailer and the headers and trailers of the blocks after it, which the walk
 * then finds in memory. Measured on a warm 262 MB file (10.9 K blocks): 0.5 KiB
 * per block 85 ms, 64 KiB 94 ms, 1 MiB 74 ms of main-thread wall time (one
 * small read costs about what copying its block's bytes does); on a cold file
 * large sequential reads also let the kernel read ahead, where scattered small
 * ones each wait for the disk.
 */
export const WALK_READ_AHEAD = 1 << 20

/** Blocks the native walk (native/walk.c) finds per call: ~64 KiB of state, a few MB of file. */
const NATIVE_BATCH = 256

/** Which header walk to use: `BAMSTREAM_WALK=js` forces the JavaScript one (for comparisons); else the native one when the addon has it. */
export type WalkKind = 'native' | 'js'

/**
 * The native header walk, or null when the addon lacks it or `BAMSTREAM_WALK=js`.
 *
 * @example
 * ```ts
 * const walk = nativeWalk() // null: BlockWalker reads 1 MiB windows instead
 * ```
 */
export function nativeWalk(kind: WalkKind | undefined = process.env.BAMSTREAM_WALK === 'js' ? 'js' : undefined): ((fd: number, position: number, sizes: Uint32Array, isizes: Uint32Array) => number) | null {
  if (kind === 'js') return null
  const walk = loadAddon()?.walkBlocks
  return typeof walk === 'function' ? walk : null
}

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

const EMPTY = new Uint8Array(0)

/** A read-ahead window over a file: serves the header walk's many tiny reads with few system calls. */
class FileWindow {
  /** The file's bytes from offset `at` on, as many as the last read got. */
  view = new Uint8Array(0)
  at = 0
  private buf: Uint8Array<ArrayBuffer>

  constructor(private readonly fd: number, private readonly readAhead: number) {
    this.buf = new Uint8Array(MAX_BLOCK_ISIZE + readAhead)
  }

  /**
   * Makes `length` bytes at `position` available in `view` (fewer only where
   * the file ends) and returns where they begin in it; valid until the next call.
   */
  load(position: number, length: number): number {
    if (position < this.at || position + length > this.at + this.view.length) this.fill(position, length + this.readAhead)
    return position - this.at
  }

  private fill(position: number, length: number): void {
    if (this.buf.length < length) this.buf = new Uint8Array(length)
    this.at = position
    this.view = EMPTY // a failed read leaves nothing cached
    this.view = this.buf.subarray(0, readAt(this.fd, this.buf, length, position))
  }
}

/**
 * Finds the BGZF blocks of an open local file by walking their headers and
 * trailers only, with the same checks and errors as
 * the stream scanner (`scanBlocks`): `ERR_NOT_BGZF` for a bad header,
 * `ERR_TRUNCATED` for a file that ends inside a block or, unless
 * `onMissingEof` is given, without the EOF marker block.
 *
 * The plain blocks that make up nearly all of a file are found by the native
 * walk ({@link nativeWalk}: one 26-byte read per block, in batches of
 * {@link NATIVE_BATCH}); every other block (the EOF marker, other headers, a
 * cut-off end), and all of them without the addon or with `walk: 'js'`, by
 * positional reads of `readAhead` bytes (default {@link WALK_READ_AHEAD}), each
 * holding the headers of the blocks in it. Both ways give the same blocks and
 * the same errors (test/engine/ranges.test.ts).
 *
 * {@link BlockWalker.advance} moves a cursor (no allocation per block: the
 * planner's loop); {@link BlockWalker.next} returns each block as an object.
 * Blocks come without their bytes (`bytes` is empty) unless `withBytes` is set:
 * the header is read that way, then the chunks' bytes are read by the workers.
 *
 * @example
 * ```ts
 * const walker = new BlockWalker(fd)
 * while (walker.advance()) console.log(walker.coffset, walker.csize, walker.isize)
 * ```
 */
export class BlockWalker {
  /** Read each block's bytes too (`next()` gives them, a view valid until the next call). */
  withBytes = false
  /** The current block (after `advance()` returned true): its file offset, size on disk, ISIZE field, and whether it is the EOF marker. */
  coffset = 0
  csize = 0
  isizeField = 0
  eof = false
  private readonly window: FileWindow
  private position: number
  private any = false
  private ended = false
  /** The native walk's last batch: `batchSizes`/`batchIsizes[batchNext..batchCount)` are the blocks from `position` on. */
  private readonly native: ReturnType<typeof nativeWalk>
  private batchSizes = new Uint32Array(0)
  private batchIsizes = new Uint32Array(0)
  private batchNext = 0
  private batchCount = 0

  constructor(private readonly fd: number, private readonly onMissingEof?: (offset: number) => void, start = 0, readAhead = WALK_READ_AHEAD, walk?: WalkKind) {
    this.window = new FileWindow(fd, readAhead)
    this.position = start
    this.native = nativeWalk(walk)
    if (this.native) {
      this.batchSizes = new Uint32Array(NATIVE_BATCH)
      this.batchIsizes = new Uint32Array(NATIVE_BATCH)
    }
  }

  /** The current block's ISIZE, capped at 65536 as the scanner caps it (see scanner.ts). */
  get isize(): number {
    return Math.min(this.isizeField, MAX_BLOCK_ISIZE)
  }

  /** Moves to the next block; false at the end of the file (told once). */
  advance(): boolean {
    if (this.ended) return false
    if (!this.withBytes && this.native && (this.batchNext < this.batchCount || this.refill())) return this.take()
    this.batchCount = 0 // what the native walk found further on is found again after this block
    const pos = this.position
    const size = this.blockSizeAt(pos)
    if (size === 0) return this.end()
    const t = Math.min(size, TAIL_BYTES)
    const w = this.window
    const at = this.withBytes ? w.load(pos, size) + size - t : w.load(pos + size - t, t)
    if (w.view.length - at < t) this.truncated(pos)
    this.isizeField = blockIsize(w.view, at, t)
    this.eof = size === EOF_BLOCK.length && isEofBlock(w.view, at, size)
    this.coffset = pos
    this.csize = size
    this.position = pos + size
    this.any = true
    return true
  }

  /** Asks the native walk for the blocks from `position` on; false when it is unsure of the very next one. */
  private refill(): boolean {
    this.batchNext = 0
    this.batchCount = this.native!(this.fd, this.position, this.batchSizes, this.batchIsizes)
    return this.batchCount > 0
  }

  /** Moves to the next block of the native walk's batch. */
  private take(): true {
    const size = this.batchSizes[this.batchNext]!
    this.isizeField = this.batchIsizes[this.batchNext++]!
    this.eof = false // the native walk leaves 28-byte blocks, the EOF marker's size, to the JavaScript walk
    this.coffset = this.position
    this.csize = size
    this.position += size
    this.any = true
    return true
  }

  /** The next block as an object, or undefined at the end of the file. */
  next(): WalkedBlock | undefined {
    if (!this.advance()) return undefined
    const w = this.window
    const bytes = this.withBytes ? w.view.subarray(this.coffset - w.at, this.coffset - w.at + this.csize) : EMPTY
    return { coffset: this.coffset, csize: this.csize, isize: this.isize, isizeField: this.isizeField, bytes, eof: this.eof }
  }

  /** The size of the block at `pos` (BSIZE + 1), or 0 at the end of the file; throws for a bad or cut-off header. */
  private blockSizeAt(pos: number): number {
    const w = this.window
    for (let want = HEADER_BYTES; ;) {
      const at = w.load(pos, want)
      const have = w.view.length - at
      if (have <= 0) return 0
      const size = blockSize(w.view, at, pos) // the view ends where the file does, if it does
      if (size >= 0) return size
      if (have < want) this.truncated(pos)
      want = EXTRA_OFFSET + (w.view[at + XLEN_OFFSET]! | (w.view[at + XLEN_OFFSET + 1]! << 8)) // a longer extra field
    }
  }

  private end(): false {
    this.ended = true
    if (!this.any) throw new BamError('ERR_NOT_BGZF', 'not a BGZF file: the input is empty', 0)
    if (!this.eof) {
      if (!this.onMissingEof) throw new BamError('ERR_TRUNCATED', 'truncated file: no BGZF EOF marker block at the end', this.position)
      this.onMissingEof(this.position)
    }
    return false
  }

  private truncated(pos: number): never {
    const present = Math.max(0, fs.fstatSync(this.fd).size - pos)
    throw new BamError('ERR_TRUNCATED', `truncated file: the stream ends inside a BGZF block (${present} bytes of it present)`, pos)
  }
}


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
      size = blockSize(bytes, pos, coffset + pos)
    } catch {
      size = -1
    }
    if (size !== expected) {
      throw new BamError('ERR_SOURCE', `the file changed while it was read: the BGZF block here is no longer the ${expected}-byte block found before`, coffset + pos, name)
    }
  }
}
