/**
 * Splits (DESIGN.md "Across machines"): byte ranges of the compressed file,
 * computed from its size alone. The coordinator never scans the file; each
 * split task finds its own first block (block-sync.ts) and its first record.
 */
import { BamError } from '../errors.js'

/** Default compressed bytes per split (`--split-size`). */
export const DEFAULT_SPLIT_BYTES = 256 * 1024 * 1024

/** Smallest accepted split size: one byte (tests cut tiny files into several splits; real runs use hundreds of MiB). */
export const MIN_SPLIT_BYTES = 1

/** One split: the blocks that start in `[start, end)` of the compressed file. */
export interface Split {
  /** 0-based, in file order; results are keyed by it. */
  index: number
  /** File offset where the search for the first block begins. */
  start: number
  /** Blocks starting at or after this offset belong to the next split. */
  end: number
  /**
   * Split 0 only: `start` is exactly a block start (where the header ends) and
   * this is the exact offset of the first record in that block's data.
   */
  exactStart?: number
}

/**
 * Cuts `[recordsCoffset, size)` into splits of `splitBytes` aligned to
 * multiples of `splitBytes`; split 0 begins exactly at the block holding the
 * first record (`firstRecord` bytes into its data).
 *
 * @param size - the file's size in bytes.
 * @param recordsCoffset - file offset of the block where records begin (from the header read).
 * @param firstRecord - offset of the first record in that block's inflated data.
 * @example
 * ```ts
 * planSplits(1000_000, 5000, 120, 256 * 1024) // 4 splits: [5000, 262144), [262144, 524288), …
 * ```
 */
export function planSplits(size: number, recordsCoffset: number, firstRecord: number, splitBytes: number): Split[] {
  checkSplitBytes(splitBytes)
  const splits: Split[] = [{ index: 0, start: recordsCoffset, end: size, exactStart: firstRecord }]
  for (let at = (Math.floor(recordsCoffset / splitBytes) + 1) * splitBytes; at < size; at += splitBytes) {
    splits[splits.length - 1]!.end = at
    splits.push({ index: splits.length, start: at, end: size })
  }
  return splits
}

/**
 * Throws `ERR_OPTION` unless `n` is a whole number of bytes ≥ {@link MIN_SPLIT_BYTES}; returns it.
 *
 * @example
 * ```ts
 * checkSplitBytes(256 * 1024 * 1024)
 * ```
 */
export function checkSplitBytes(n: number): number {
  if (!Number.isSafeInteger(n) || n < MIN_SPLIT_BYTES) {
    throw new BamError('ERR_OPTION', `split size ${n} is below the ${MIN_SPLIT_BYTES} bytes allowed`)
  }
  return n
}
