/**
 * An occasional full garbage collection of the main thread's heap during long
 * runs. The main thread allocates a little per chunk (block and chunk
 * descriptors, worker results); V8 lets that garbage grow the old space for a
 * long time before compacting, so peak memory crept up with the file size.
 * Collecting every few hundred chunks (a few ms each) keeps it flat. The CLI
 * turns this on; library users opt in with {@link enablePeriodicGc}.
 */
import { createRequire } from 'node:module'

/** Chunks between collections: about 512 MiB of uncompressed data at the default chunk size. */
export const GC_EVERY_CHUNKS = 256

/** `gc`, once made; null when it could not be; undefined before the first collection. */
let collect: (() => void) | null | undefined
let enabled = false

/**
 * Turns the periodic collections on for this process. The `bamstream` command
 * does so at start-up; a library user's process is left alone (it changes a
 * process-wide V8 flag: `gc` is taken from a fresh context after enabling
 * `--expose-gc`). That is done at the first collection, not here: node:v8,
 * node:vm and a new context cost tens of milliseconds, which a short run
 * (most of them) never needs to spend.
 *
 * @example
 * ```ts
 * enablePeriodicGc()
 * ```
 */
export function enablePeriodicGc(): void {
  enabled = true
}

function makeGc(): (() => void) | null {
  try {
    const require = createRequire(import.meta.url)
    ;(require('node:v8') as typeof import('node:v8')).setFlagsFromString('--expose-gc')
    return (require('node:vm') as typeof import('node:vm')).runInNewContext('gc') as () => void
  } catch {
    return null
  }
}

/**
 * Called after each chunk: a full collection every {@link GC_EVERY_CHUNKS}
 * chunks when {@link enablePeriodicGc} was called, else nothing.
 */
export function afterChunk(chunks: number): void {
  if (!enabled || chunks % GC_EVERY_CHUNKS !== 0) return
  if (collect === undefined) collect = makeGc()
  collect?.()
}
