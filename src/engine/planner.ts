/**
 * ChunkPlanner (DESIGN.md step 3): groups consecutive BGZF blocks into chunks of
 * about `chunkBytes` uncompressed and yields each as a dynamic output
 * `{ mappingKey: "chunk_<n>", value }` the moment it is complete.
 */
import type { Block } from '../bgzf/scanner.js'
import type { OpenBam } from './reader.js'

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
  /** The blocks' bytes, in an ArrayBuffer of its own, ready to be transferred. */
  compressed: ArrayBuffer
}

/** A dynamic output, in the seed's terms. */
export interface DynamicOutput<T> {
  mappingKey: string
  value: T
}

/**
 * Yields the chunks of an opened BAM in file order. Reading stops whenever the
 * consumer stops pulling, which is how backpressure reaches the source.
 *
 * @example
 * ```ts
 * for await (const { mappingKey, value } of planChunks(await openBam(path), 4 << 20)) {
 *   console.log(mappingKey, value.coffset, value.isize)
 * }
 * ```
 */
export async function* planChunks(bam: OpenBam, chunkBytes: number): AsyncGenerator<DynamicOutput<ChunkDescriptor>> {
  let group: Block[] = []
  let isize = 0
  let start = -1
  let index = 0
  if (bam.first) {
    group.push(bam.first.block)
    isize = bam.first.block.isize
    start = bam.first.start
  } else {
    start = 0
  }
  for (;;) {
    const next = await bam.blocks.next()
    if (next.done) break
    const block = next.value
    if (block.eof && block.isize === 0) continue
    group.push(block)
    isize += block.isize
    if (isize - Math.max(start, 0) >= chunkBytes) {
      yield output(index++, group, isize, start)
      group = []
      isize = 0
      start = -1
    }
  }
  if (group.length > 0 && isize > 0) yield output(index, group, isize, start)
}

function output(index: number, blocks: Block[], isize: number, start: number): DynamicOutput<ChunkDescriptor> {
  let csize = 0
  for (const b of blocks) csize += b.csize
  const compressed = new ArrayBuffer(csize)
  const bytes = new Uint8Array(compressed)
  const blockSizes = new Uint32Array(blocks.length)
  let at = 0
  blocks.forEach((b, i) => {
    bytes.set(b.bytes, at)
    blockSizes[i] = b.csize
    at += b.csize
  })
  const mappingKey = `chunk_${index}`
  const first = blocks[0]!
  const value: ChunkDescriptor = {
    index, mappingKey, coffset: first.coffset, cend: first.coffset + csize, blockCount: blocks.length,
    isize, start, blockSizes, compressed,
  }
  return { mappingKey, value }
}
