/**
 * Where a sensor's scans run: in this thread ({@link inProcessLister}, for
 * `sensor preview` and tests) or in a worker thread ({@link workerLister}, for
 * the daemon: a scan of 100,000 files then costs the launching of runs nothing).
 */
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { SensorError } from './errors.js'
import { Listing, type ListingDiff, type ListingSpec } from './listing.js'

/** Scans the files of the sensor `key`; `reset` asks for a full report (every file as changed); `pending` files are looked at every scan. */
export interface Lister {
  list(key: string, spec: ListingSpec, reset?: boolean, pending?: string[]): Promise<ListingDiff>
  close(): Promise<void>
}

/**
 * Scans in this thread.
 *
 * @example
 * ```ts
 * const lister = inProcessLister()
 * const diff = await lister.list('incoming', { roots: ['/in'], include: ['*.bam'], exclude: [] })
 * ```
 */
export function inProcessLister(): Lister {
  const listings = new Map<string, Listing>()
  return {
    list(key, spec, reset, pending) {
      let listing = listings.get(key)
      if (!listing) listings.set(key, (listing = new Listing(spec)))
      if (reset) listing.reset()
      return Promise.resolve(listing.scan(new Set(pending)))
    },
    close: () => Promise.resolve(),
  }
}

/**
 * Scans in a worker thread (falls back to this thread when the compiled worker
 * script is not there, e.g. when running from TypeScript sources).
 *
 * @example
 * ```ts
 * const lister = workerLister()
 * const diff = await lister.list('incoming', spec)
 * await lister.close()
 * ```
 */
export function workerLister(): Lister {
  const script = fileURLToPath(new URL('./listing-worker.js', import.meta.url))
  if (!fs.existsSync(script)) return inProcessLister()
  const worker = new Worker(script)
  worker.unref()
  let next = 0
  const waiting = new Map<number, { resolve: (d: ListingDiff) => void; reject: (e: Error) => void }>()
  const failAll = (e: Error): void => {
    for (const w of waiting.values()) w.reject(e)
    waiting.clear()
  }
  worker.on('message', (m: { id: number; diff?: ListingDiff; error?: string }) => {
    const w = waiting.get(m.id)
    waiting.delete(m.id)
    if (m.diff) w?.resolve(m.diff)
    else w?.reject(new SensorError('ERR_STATE', `directory scan failed: ${m.error}`))
  })
  worker.on('error', failAll)
  worker.on('exit', () => failAll(new SensorError('ERR_STATE', 'the directory scan worker exited')))
  return {
    list(key, spec, reset, pending) {
      return new Promise((resolve, reject) => {
        const id = next++
        waiting.set(id, { resolve, reject })
        worker.postMessage({ id, key, spec, reset, pending })
      })
    },
    async close() {
      await worker.terminate()
    },
  }
}
