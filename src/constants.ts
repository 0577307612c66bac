/**
 * Limits and defaults shared by the main thread and the workers.
 * Sizes are in bytes unless the name says otherwise.
 */

/**
 * Default uncompressed bytes per chunk handed to one worker task, for ops with
 * ordered output (view), whose chunks' output waits in memory for its turn
 * (chosen by `bench/chunk-size`); also the chunk size of `chunks()`, the
 * daemon and cluster splits.
 */
export const DEFAULT_CHUNK_BYTES = 2 * 1024 * 1024

/**
 * Default uncompressed bytes per chunk for ops without ordered output
 * (flagstat, count, idxstats, most user ops), which hold nothing per chunk:
 * half as many chunks as {@link DEFAULT_CHUNK_BYTES} halves what each costs
 * besides its bytes (messages, boundary guesses, stitching). On the realistic
 * benchmark input (flagstat -@2, 13 interleaved runs): 2 → 4 MiB took the
 * median from 1.050 to 0.997 s wall and 1.88 to 1.80 CPU-s, peak RSS 84 → 90
 * MB; `bench/chunk-size` (bench/results/report-chunk-size-realistic.md) puts
 * 8 MiB over 100 MB (108) and no faster.
 */
export const SCAN_CHUNK_BYTES = 4 * 1024 * 1024

/** Smallest accepted `--chunk-size`: one byte means "one BGZF block per chunk". */
export const MIN_CHUNK_BYTES = 1

/** Largest accepted `--chunk-size`. */
export const MAX_CHUNK_BYTES = 256 * 1024 * 1024

/** Largest BAM header text (`l_text`) accepted before the file is declared hostile. */
export const MAX_HEADER_TEXT = 256 * 1024 * 1024

/** Largest number of reference sequences (`n_ref`) accepted in a BAM header. */
export const MAX_REFERENCES = 50_000_000

/** Largest single reference name (`l_name`), NUL included. */
export const MAX_REFERENCE_NAME = 64 * 1024

/** Largest `block_size` of one alignment record accepted (a 100 Mbp read with qualities fits). */
export const MAX_RECORD_BYTES = 512 * 1024 * 1024

/** Records chained by `block_size` that the boundary checker must find plausible after a candidate start. */
export const BOUNDARY_CHAIN = 8
