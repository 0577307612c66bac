/**
 * An occasional full garbage collection of the main thread's heap during long
 * runs. The main thread allocates a little per chunk (block and chunk
 * descriptors, worker results); V8 lets that garbage grow the old space for a
 * long time before compacting, so peak memory crept up with the file size.
 * Collecting every few hundred chunks (a few ms each) keeps it flat. The CLI
 * turns this on; library users opt in with {@link enablePeriodicGc}.
 */
import v8 from 'node:v8'
import vm from 'node:vm'

/** Chunks between collections: about 512 MiB of uncompressed data at the default chunk size. */
export const GC_EVERY_CHUNKS = 256

let collect: (() => void) | null = null

/**
 * Turns the periodic collections on for this process. The `bamstream` command
 * does so at start-up; a library user's process is left alone (it changes a
 * process-wide V8 flag: `gc` is taken from a fresh context after enabling
 * `--expose-gc`).
 *
 * @example
 * ```ts
 * enablePeriodicGc()
 * ```
 */
export function enablePeriodicGc(): void {
  if (collect) return
  try {
    v8.setFlagsFromString('--expose-gc')
    collect = vm.runInNewContext('gc') as () => void
  } catch {
    collect = null
  }
}

/**
 * Called after each chunk: a full collection every {@link GC_EVERY_CHUNKS}
 * chunks when {@link enablePeriodicGc} was called, else nothing.
 */
export function afterChunk(chunks: number): void {
  if (collect && chunks % GC_EVERY_CHUNKS === 0) collect()
}
