/**
 * BlockScanner: finds BGZF block boundaries in a byte stream without inflating
 * anything (DESIGN.md data flow step 1).
 */
import { BamError } from '../errors.js'
import { MAX_BLOCK_ISIZE, blockIsize, blockSize, isEofBlock } from './block.js'

/** One BGZF block as found by the scanner. */
export interface Block {
  /** File offset of the block's first byte. */
  coffset: number
  /** Size of the whole block on disk (BSIZE + 1). */
  csize: number
  /** Uncompressed size (ISIZE). */
  isize: number
  /**
   * The block's bytes. A view into the scanner's buffer, valid only until the
   * scanner is resumed: copy it to keep it.
   */
  bytes: Uint8Array
  /** True for the 28-byte EOF marker block. */
  eof: boolean
}

/**
 * Yields every BGZF block of `input` in order. Throws `ERR_NOT_BGZF` on a bad
 * header and `ERR_TRUNCATED` when the stream ends inside a block, or without the
 * EOF marker block unless `onMissingEof` is given (then it is told, and the
 * blocks read are all there is: samtools warns and reads such files).
 *
 * @example
 * ```ts
 * for await (const block of scanBlocks(fs.createReadStream('x.bam'))) console.log(block.coffset, block.isize)
 * ```
 */
export async function* scanBlocks(input: AsyncIterable<Uint8Array>, onMissingEof?: (offset: number) => void): AsyncGenerator<Block> {
  let work = new Uint8Array(2 * 1024 * 1024) // reused: the leftover partial block, then the next piece
  let pending: Uint8Array = work.subarray(0, 0)
  let base = 0 // file offset of pending[0]
  let sawEof = false
  let any = false
  for await (const piece of input) {
    const keep = pending.length
    if (work.length < keep + piece.length) {
      const bigger = new Uint8Array(Math.max(2 * work.length, keep + piece.length))
      bigger.set(pending)
      work = bigger
    } else {
      work.copyWithin(0, pending.byteOffset - work.byteOffset, pending.byteOffset - work.byteOffset + keep)
    }
    work.set(piece, keep) // pieces may be reused by the source once the next one is asked for
    pending = work.subarray(0, keep + piece.length)
    let pos = 0
    for (;;) {
      const size = blockSize(pending, pos, base + pos)
      if (size < 0 || pos + size > pending.length) break
      const block = makeBlock(pending, pos, size, base + pos)
      sawEof = block.eof
      any = true
      yield block
      pos += size
    }
    base += pos
    pending = pending.subarray(pos)
  }
  if (pending.length > 0) {
    throw new BamError('ERR_TRUNCATED', `truncated file: the stream ends inside a BGZF block (${pending.length} bytes of it present)`, base)
  }
  if (!any) throw new BamError('ERR_NOT_BGZF', 'not a BGZF file: the input is empty', 0)
  if (!sawEof) {
    if (!onMissingEof) throw new BamError('ERR_TRUNCATED', 'truncated file: no BGZF EOF marker block at the end', base)
    onMissingEof(base)
  }
}

function makeBlock(buf: Uint8Array, pos: number, size: number, coffset: number): Block {
  // An ISIZE above the BGZF limit is taken as the limit (htslib ignores the field; the inflater
  // then finds the real size): it only sizes chunks and buffers, which it must not blow up.
  const isize = Math.min(blockIsize(buf, pos, size), MAX_BLOCK_ISIZE)
  return { coffset, csize: size, isize, bytes: buf.subarray(pos, pos + size), eof: isEofBlock(buf, pos, size) }
}
