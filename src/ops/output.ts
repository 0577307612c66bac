/**
 * Recycled output buffers for ordered ops (view's SAM text). A worker formats a
 * chunk's output into a buffer of its own, the main thread writes it, and the
 * buffer goes back to the worker for a later chunk: no copy per chunk, no
 * fresh pages to fault in, no dead buffers waiting for a GC.
 *
 * The buffers are `SharedArrayBuffer`s: a view of one crosses to the main
 * thread by reference, and the main thread hands it back by clearing a flag in
 * the buffer's first bytes ({@link releaseOutput}), once the bytes were given
 * to the OS. A buffer never released (the output went to a stream that may
 * keep it, or the chunk's output was dropped) is simply not reused: a pool
 * whose buffers are all out replaces the oldest one, so memory stays bounded
 * and the worst case is a fresh buffer per chunk.
 *
 * Pools may share their buffers (`shared`: the pool workers' do): a buffer one
 * makes is announced on a BroadcastChannel, and every pool may claim any free
 * buffer it knows of (an atomic compare-and-swap of the state, so one owner at
 * a time). Without that each worker would keep as many buffers as it ever had
 * chunks in flight at once; shared, the process keeps about as many as the run
 * has in flight in all.
 */

/** Layout of a pool buffer: int32 state, int32 magic, then the bytes handed out. */
const STATE_INDEX = 0
const MAGIC_INDEX = 1
const HEADER_BYTES = 8
/** Marks a buffer as one of a pool's (`OUT_` in ASCII), so that {@link releaseOutput} leaves other shared buffers alone. */
const MAGIC = 0x4f55545f
const FREE = 0
const OUT = 1
/**
 * Capacities are a quarter more than asked for, rounded up to this: pages never
 * written cost no memory, and a buffer a little larger than the last chunk's
 * output fits the next chunk's too, so that sizes settle after a few chunks.
 */
const ROUNDING = 1024 * 1024
/** Buffers a pool keeps by default: more than the chunks one worker can have in flight (run.ts: 2 × threads + 2 in all). */
export const DEFAULT_POOL_BUFFERS = 8
/** The channel shared pools announce new buffers on. */
const CHANNEL = 'bamstream:output-buffers'

/**
 * A per-thread free list of shared output buffers.
 *
 * @example
 * ```ts
 * const pool = new OutputPool()
 * const out = pool.take(1 << 20) // in a worker: format into it, send out.subarray(0, n) to the main thread
 * releaseOutput(part)            // on the main thread, once the part is written: the worker may reuse it
 * ```
 */
export class OutputPool {
  private readonly buffers: Uint8Array[] = []
  private next = 0
  private readonly channel: BroadcastChannel | undefined

  /**
   * @param max buffers kept for reuse (at least 1).
   * @param shared share buffers with the other shared pools of the process (see the module comment).
   */
  constructor(private readonly max = DEFAULT_POOL_BUFFERS, shared = false) {
    if (!shared) return
    this.channel = new BroadcastChannel(CHANNEL)
    this.channel.onmessage = (e: MessageEvent) => this.adopt(e.data)
    ;(this.channel as unknown as { unref?: () => void }).unref?.() // never what keeps a thread alive
  }

  /** A buffer of at least `bytes` bytes, marked as out until it is released or given back. */
  take(bytes: number): Uint8Array {
    let smallFree = -1
    for (let i = 0; i < this.buffers.length; i++) {
      const b = this.buffers[i]!
      const state = stateOf(b)
      if (Atomics.load(state, STATE_INDEX) !== FREE) continue
      if (b.length < bytes) smallFree = i
      else if (Atomics.compareExchange(state, STATE_INDEX, FREE, OUT) === FREE) return b
    }
    const fresh = allocate(bytes)
    if (smallFree >= 0) this.buffers[smallFree] = fresh
    else this.keep(fresh)
    this.channel?.postMessage(fresh)
    return fresh
  }

  /** Stops sharing (a shared pool's channel is otherwise open for the thread's life). */
  close(): void {
    this.channel?.close()
  }

  private keep(b: Uint8Array): void {
    if (this.buffers.length < Math.max(1, this.max)) this.buffers.push(b)
    else {
      this.buffers[this.next] = b // all out: forget the oldest (whoever holds it keeps it)
      this.next = (this.next + 1) % this.buffers.length
    }
  }

  /** A buffer another pool made: known from now on, unless this pool is full. */
  private adopt(b: unknown): void {
    if (b instanceof Uint8Array && isPoolBuffer(b) && this.buffers.length < Math.max(1, this.max)) this.buffers.push(b)
  }

  /** Returns a buffer that was taken but never handed out (e.g. outgrown): free at once. */
  give(b: Uint8Array): void {
    if (isPoolBuffer(b)) Atomics.store(stateOf(b), STATE_INDEX, FREE)
  }
}

/**
 * Hands a part back to the pool it came from (any thread), once its bytes are
 * no longer needed; does nothing for bytes that are not from a pool.
 *
 * @example
 * ```ts
 * await sink.write(part, () => releaseOutput(part))
 * ```
 */
export function releaseOutput(part: Uint8Array): void {
  if (isPoolBuffer(part)) Atomics.store(stateOf(part), STATE_INDEX, FREE)
}

function allocate(bytes: number): Uint8Array {
  const capacity = Math.ceil((Math.max(bytes, 1) * 5) / 4 / ROUNDING) * ROUNDING
  const sab = new SharedArrayBuffer(HEADER_BYTES + capacity)
  const header = new Int32Array(sab, 0, HEADER_BYTES / Int32Array.BYTES_PER_ELEMENT)
  header[MAGIC_INDEX] = MAGIC
  Atomics.store(header, STATE_INDEX, OUT)
  return new Uint8Array(sab, HEADER_BYTES, capacity)
}

function isPoolBuffer(b: Uint8Array): boolean {
  return b.buffer instanceof SharedArrayBuffer && b.byteOffset >= HEADER_BYTES && stateOf(b)[MAGIC_INDEX] === MAGIC
}

function stateOf(b: Uint8Array): Int32Array {
  return new Int32Array(b.buffer, 0, HEADER_BYTES / Int32Array.BYTES_PER_ELEMENT)
}
