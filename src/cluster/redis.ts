/**
 * Redis for the cluster mode: connection options for BullMQ, queue names, and
 * a reachability check that turns "Redis is not there" into one clear line.
 */
import { Redis } from 'ioredis'
import { BamError } from '../errors.js'

/** Queue of split tasks (children of a run's flow). */
export const SPLIT_QUEUE = 'bamstream-splits'
/** Queue of merge tasks (the parent job of each run's flow). */
export const MERGE_QUEUE = 'bamstream-merge'

/** How long the reachability check waits for Redis to answer. */
export const CONNECT_TIMEOUT_MS = 3000

/** BullMQ connection options for a `redis://` (or `rediss://`) URL. */
export interface ClusterConnection {
  url: string
  /** BullMQ workers block on Redis: a command must wait for a reconnect instead of failing. */
  maxRetriesPerRequest: null
  /** Keeps retrying a lost connection (Redis restarted) at a steady pace. */
  retryStrategy: (times: number) => number
}

/** Longest wait between reconnection attempts. */
const MAX_RECONNECT_MS = 2000

/**
 * Connection options for BullMQ from a Redis URL; throws `ERR_OPTION` for one that is not `redis://` or `rediss://`.
 *
 * @example
 * ```ts
 * new Queue(SPLIT_QUEUE, { connection: connectionFor('redis://127.0.0.1:6379') })
 * ```
 */
export function connectionFor(url: string): ClusterConnection {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new BamError('ERR_OPTION', `invalid Redis URL "${url}" (expected e.g. redis://host:6379)`)
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new BamError('ERR_OPTION', `invalid Redis URL "${url}" (expected redis:// or rediss://)`)
  }
  return { url, maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(MAX_RECONNECT_MS, 50 * times) }
}

/**
 * Checks that Redis answers PING within {@link CONNECT_TIMEOUT_MS}; throws
 * `ERR_REDIS` naming the URL and the reason otherwise.
 *
 * @example
 * ```ts
 * await checkRedis('redis://127.0.0.1:6379')
 * ```
 */
export async function checkRedis(url: string): Promise<void> {
  connectionFor(url)
  const client = new Redis(url, {
    lazyConnect: true, connectTimeout: CONNECT_TIMEOUT_MS, maxRetriesPerRequest: 0,
    retryStrategy: () => null, enableOfflineQueue: false,
  })
  let lastError: Error | undefined
  client.on('error', (e: Error) => { lastError = e })
  try {
    await client.connect()
    await client.ping()
  } catch (e) {
    const why = (lastError ?? (e as Error)).message
    throw new BamError('ERR_REDIS', `cannot reach Redis at ${redact(url)}: ${why}`)
  } finally {
    client.disconnect()
  }
}

/**
 * The URL without its password, for messages and logs.
 *
 * @example
 * ```ts
 * redact('redis://:secret@host:6379') // 'redis://:***@host:6379'
 * ```
 */
export function redact(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return url
  }
}
