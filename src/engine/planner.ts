/**
 * ChunkPlanner (DESIGN.md step 3): groups consecutive BGZF blocks into chunks of
 * about `chunkBytes` uncompressed and yields each as a dynamic output
 * `{ mappingKey: "chunk_<n>", value }` the moment it is complete.
 */
import { EOF_BLOCK, blockIsize } from '../bgzf/block.js'
import type { Block } from '../bgzf/scanner.js'
import type { ChunkFile } from './ranges.js'
import type { LocalBlocks, OpenBam } from './reader.js'

/** A chunk: self-contained compressed bytes plus where they came from. */
export interface ChunkDescriptor {
  /** 0-based chunk index in file order. */
  index: number
  /** `chunk_<index>`. */
  mappingKey: string
  /** File offset of the chunk's first block. */
  coffset: number
  /** File offset just past its last block. */
  cend: number
  /** Number of BGZF blocks. */
  blockCount: number
  /** Uncompressed bytes. */
  isize: number
  /** Exact offset of the first record in the inflated chunk, or -1 when a worker must guess it. */
  start: number
  /** On-disk size of each block. */
  blockSizes: Uint32Array
  /**
   * The blocks' bytes (`cend - coffset` of them, from its start), in an
   * ArrayBuffer of its own, ready to be transferred. Exactly that long from
   * {@link planChunks} without a recycler (the public `chunks()`); a run's
   * recycled buffer may be longer.
   */
  compressed: ArrayBuffer
  /**
   * Set for a chunk of a local file read by byte ranges (a run's own planning
   * of an {@link OpenBam} with `file`): `compressed` is then empty, and the
   * worker reads the bytes from this file itself.
   */
  file?: ChunkFile
  /** With `file`: each block's ISIZE field, to place positions in the chunk's data at file offsets without its bytes. */
  blockIsizes?: Uint32Array
}

/** A dynamic output, in the seed's terms. */
export interface DynamicOutput<T> {
  mappingKey: string
  value: T
}

/**
 * Where chunk buffers come from. The run recycles the buffers that come back
 * from the workers, so that a long run allocates no new buffer per chunk (each
 * dead buffer would otherwise wait for a GC, and the main thread's heap would
 * grow by V8's external-memory allowance). A buffer from `take` may be longer
 * than asked for.
 */
export interface BufferRecycler {
  /** A buffer of at least `bytes` bytes, fresh or recycled. */
  take(bytes: number): ArrayBuffer
  /** A buffer that nothing refers to any more (its contents are dead). */
  give(buffer: ArrayBuffer): void
}

/** Without a recycler: exact-size buffers, each of its own. */
const EXACT: BufferRecycler = { take: (bytes) => new ArrayBuffer(bytes), give: () => {} }

/** Initial capacity of a chunk's buffer before its compressed size is known. */
const FIRST_GUESS = 256 * 1024

/** The chunk being filled: its blocks' bytes are copied in as they are scanned. */
class ChunkBuilder {
  bytes: Uint8Array
  csize = 0
  isize = 0
  coffset = -1
  sizes: number[] = []

  constructor(private readonly recycler: BufferRecycler, capacity: number, public start: number) {
    this.bytes = new Uint8Array(recycler.take(capacity))
  }

  add(block: Block): void {
    if (this.coffset < 0) this.coffset = block.coffset
    const end = this.csize + block.csize
    if (end > this.bytes.length) {
      const bigger = new Uint8Array(this.recycler.take(Math.max(end, 2 * this.bytes.length)))
      bigger.set(this.bytes.subarray(0, this.csize))
      this.recycler.give(this.bytes.buffer as ArrayBuffer)
      this.bytes = bigger
    }
    this.bytes.set(block.bytes, this.csize)
    this.csize = end
    this.isize += block.isize
    this.sizes.push(block.csize)
  }

  /** Hands the buffer over as the chunk's descriptor. */
  finish(index: number, exact: boolean): DynamicOutput<ChunkDescriptor> {
    const buffer = this.bytes.buffer as ArrayBuffer
    const compressed = exact && buffer.byteLength !== this.csize ? buffer.slice(0, this.csize) : buffer
    const mappingKey = `chunk_${index}`
    const value: ChunkDescriptor = {
      index, mappingKey, coffset: this.coffset, cend: this.coffset + this.csize, blockCount: this.sizes.length,
      isize: this.isize, start: this.start, blockSizes: Uint32Array.from(this.sizes), compressed,
    }
    return { mappingKey, value }
  }
}

/** Most blocks a chunk of the default size holds is a few dozen; the scratch grows for more. */
const FIRST_BLOCKS = 256

/** The chunks of a local file being planned: only their blocks' places and sizes, no bytes, in reused scratch arrays. */
class RangeBuilder {
  csize = 0
  isize = 0
  coffset = -1
  count = 0
  private sizes = new Uint32Array(FIRST_BLOCKS)
  private isizes = new Uint32Array(FIRST_BLOCKS)

  constructor(private readonly file: ChunkFile, public start: number) {}

  add(coffset: number, csize: number, isize: number, isizeField: number): void {
    if (this.coffset < 0) this.coffset = coffset
    if (this.count === this.sizes.length) {
      this.sizes = grow(this.sizes)
      this.isizes = grow(this.isizes)
    }
    this.sizes[this.count] = csize
    this.isizes[this.count++] = isizeField
    this.csize += csize
    this.isize += isize
  }

  /** The chunk so far as a descriptor; the builder then starts the next chunk (with a start to guess). */
  finish(index: number): DynamicOutput<ChunkDescriptor> {
    const mappingKey = `chunk_${index}`
    const value: ChunkDescriptor = {
      index, mappingKey, coffset: this.coffset, cend: this.coffset + this.csize, blockCount: this.count,
      isize: this.isize, start: this.start, blockSizes: this.sizes.slice(0, this.count), compressed: new ArrayBuffer(0),
      file: this.file, blockIsizes: this.isizes.slice(0, this.count),
    }
    this.csize = 0
    this.isize = 0
    this.coffset = -1
    this.count = 0
    this.start = -1
    return { mappingKey, value }
  }
}

function grow(a: Uint32Array): Uint32Array<ArrayBuffer> {
  const b = new Uint32Array(2 * a.length)
  b.set(a)
  return b
}

/**
 * The chunks of a local file read by byte ranges: the same chunks as
 * {@link planChunks} makes from the blocks' bytes, planned from the block
 * headers alone. Each chunk's blocks are found by one synchronous run of small
 * reads.
 */
async function* planRanges(bam: OpenBam, file: LocalBlocks, chunkBytes: number): AsyncGenerator<DynamicOutput<ChunkDescriptor>> {
  const chunk = new RangeBuilder({ fd: file.fd, name: file.name }, bam.first ? bam.first.start : 0)
  const first = bam.first?.block
  if (first) chunk.add(first.coffset, first.csize, first.isize, blockIsize(first.bytes, 0, first.csize))
  const walker = file.walker
  // EOF marker blocks (concatenated files) are left out of chunks, but one between two blocks
  // of a chunk is kept in it (it inflates to nothing): a chunk is one byte range of the file
  const skipped: number[] = []
  let index = 0
  while (walker.advance()) {
    const isize = walker.isize
    if (walker.eof && isize === 0) {
      if (chunk.count > 0) skipped.push(walker.csize)
      continue
    }
    for (const size of skipped.splice(0)) chunk.add(walker.coffset, size, 0, 0)
    chunk.add(walker.coffset, walker.csize, isize, walker.isizeField)
    if (chunk.isize - Math.max(chunk.start, 0) >= chunkBytes) yield chunk.finish(index++)
  }
  if (chunk.count > 0 && chunk.isize > 0) yield chunk.finish(index)
}

/**
 * Yields the chunks of an opened BAM in file order. Reading stops whenever the
 * consumer stops pulling, which is how backpressure reaches the source. Each
 * block is copied into its chunk's buffer as soon as it is scanned.
 *
 * @param recycler - where chunk buffers come from; with one, a chunk's
 *   `compressed` may be longer than its blocks (`cend - coffset` bytes). Without
 *   one, every chunk gets an exact buffer of its own.
 * @example
 * ```ts
 * for await (const { mappingKey, value } of planChunks(await openBam(path), 4 << 20)) {
 *   console.log(mappingKey, value.coffset, value.isize)
 * }
 * ```
 */
export async function* planChunks(bam: OpenBam, chunkBytes: number, recycler?: BufferRecycler): AsyncGenerator<DynamicOutput<ChunkDescriptor>> {
  if (bam.file) return yield* planRanges(bam, bam.file, chunkBytes)
  const source = recycler ?? EXACT
  const exact = recycler === undefined
  let guess = FIRST_GUESS
  let chunk = new ChunkBuilder(source, guess, bam.first ? bam.first.start : 0)
  if (bam.first) chunk.add(bam.first.block)
  let index = 0
  let eofs = 0 // EOF marker blocks since the chunk's last block: kept if another block follows (see planRanges)
  for (;;) {
    const next = await bam.blocks.next()
    if (next.done) break
    const block = next.value
    if (block.eof && block.isize === 0) {
      if (chunk.sizes.length > 0) eofs++
      continue
    }
    for (; eofs > 0; eofs--) chunk.add({ ...block, csize: EOF_BLOCK.length, isize: 0, bytes: EOF_BLOCK, eof: true })
    chunk.add(block)
    if (chunk.isize - Math.max(chunk.start, 0) >= chunkBytes) {
      guess = Math.max(guess, chunk.csize)
      yield chunk.finish(index++, exact)
      chunk = new ChunkBuilder(source, guess, -1)
      eofs = 0
    }
  }
  if (chunk.sizes.length > 0 && chunk.isize > 0) yield chunk.finish(index, exact)
  else source.give(chunk.bytes.buffer as ArrayBuffer)
}
