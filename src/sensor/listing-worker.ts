/**
 * Worker thread running the daemon's directory scans (listing.ts), one
 * {@link Listing} per sensor, so that a long scan never blocks the main thread.
 * Messages in: `{ id, key, spec, reset, pending }`; out: `{ id, diff }` or `{ id, error }`.
 */
import { parentPort } from 'node:worker_threads'
import { Listing, type ListingSpec } from './listing.js'

const listings = new Map<string, Listing>()

parentPort?.on('message', (m: { id: number; key: string; spec: ListingSpec; reset?: boolean; pending?: string[] }) => {
  try {
    let listing = listings.get(m.key)
    if (!listing) listings.set(m.key, (listing = new Listing(m.spec)))
    if (m.reset) listing.reset()
    parentPort!.postMessage({ id: m.id, diff: listing.scan(new Set(m.pending)) })
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: (e as Error).message })
  }
})
