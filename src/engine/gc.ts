/**
 * An occasional full garbage collection of the main thread's heap during long
 * runs. The main thread allocates a little per chunk (block and chunk
 * descriptors, worker results); V8 lets that garbage grow the old space for a
 * long time before compacting, so peak memory crept up with the file size.
 * Collecting every few hundred chunks (a few ms each) keeps it flat.
 */
import v8 from 'node:v8'
import vm from 'node:vm'

/** Chunks between collections: about 512 MiB of uncompressed data at the default chunk size. */
export const GC_EVERY_CHUNKS = 256

let collect: (() => void) | null | undefined

/**
 * Runs a full collection if the runtime allows it (`gc` is taken from a fresh
 * context after enabling `--expose-gc`); does nothing otherwise.
 *
 * @example
 * ```ts
 * if (chunks % GC_EVERY_CHUNKS === 0) collectGarbage()
 * ```
 */
export function collectGarbage(): void {
  if (collect === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc')
      collect = vm.runInNewContext('gc') as () => void
    } catch {
      collect = null
    }
  }
  collect?.()
}
