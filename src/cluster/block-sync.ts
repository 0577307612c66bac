/**
 * Finding the first BGZF block at or after an arbitrary file offset (the start
 * of a split): gzip magic with the `BC` extra subfield (SAMv1 §4.1), confirmed
 * by a chain of following blocks whose headers agree with each one's `BSIZE`,
 * so that compressed bytes that happen to look like a block header are skipped.
 */
import { blockSize, GZIP_ID1, GZIP_ID2 } from '../bgzf/block.js'
import { BamError } from '../errors.js'

/** Blocks after a candidate that must also parse (or the file end must come first). */
export const SYNC_CHAIN = 4

/** Reads up to `length` bytes at `offset` (fewer only at the end of the file). */
export type ReadAt = (offset: number, length: number) => Promise<Uint8Array>

/** Bytes read per look while searching; a block is at most 64 KiB, so one look holds a candidate and usually its chain. */
const WINDOW = 256 * 1024

/**
 * Returns the file offset of the first block starting in `[from, limit)` that
 * is followed by {@link SYNC_CHAIN} well-formed blocks (or by the end of the
 * file, `size`, exactly), or `limit` when there is none.
 *
 * @example
 * ```ts
 * const at = await syncToBlock((o, n) => readRange(path, o, n), 1 << 20, 2 << 20, fileSize)
 * ```
 */
export async function syncToBlock(read: ReadAt, from: number, limit: number, size: number): Promise<number> {
  let base = from
  while (base < limit) {
    const bytes = await read(base, Math.min(WINDOW, size - base))
    if (bytes.length === 0) break
    const stop = Math.min(bytes.length, limit - base)
    for (let i = 0; i < stop; i++) {
      if (bytes[i] !== GZIP_ID1 || (i + 1 < bytes.length && bytes[i + 1] !== GZIP_ID2)) continue // not gzip magic: skipped without the throw blockSize would make
      if (await chainAt(read, bytes, base, base + i, size)) return base + i
    }
    base += stop
  }
  return limit
}

/** True if a block starts at `at` and the next {@link SYNC_CHAIN} blocks (or the file end) follow by `BSIZE`. */
async function chainAt(read: ReadAt, window: Uint8Array, base: number, at: number, size: number): Promise<boolean> {
  let p = at
  for (let n = 0; n <= SYNC_CHAIN; n++) {
    if (p === size) return n > 0
    let s = sizeIn(window, p - base)
    if (s === undefined) {
      // the header is past the window: read just it
      s = sizeIn(await read(p, Math.min(FIELD_BYTES, size - p)), 0)
    }
    if (s === undefined || s <= 0 || p + s > size) return false
    p += s
  }
  return true
}

/** Enough bytes to read the BGZF header up to BSIZE with a typical XLEN of 6. */
const FIELD_BYTES = 64

/** The block size at `pos` of `bytes`, `undefined` if more bytes are needed, -1 if not a block header. */
function sizeIn(bytes: Uint8Array, pos: number): number | undefined {
  if (pos >= bytes.length) return undefined
  try {
    const s = blockSize(bytes, pos, 0)
    return s < 0 ? undefined : s
  } catch (e) {
    if (e instanceof BamError) return -1
    throw e
  }
}
