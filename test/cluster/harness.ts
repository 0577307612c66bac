/**
 * A real Redis and real worker processes for the cluster tests: redis-server
 * on a free port in a temporary folder (append-only file on), and
 * `bamstream worker` processes started from the built CLI.
 */
import fs from 'node:fs'
import path from 'node:path'
import { launchWorker, type TestWorker } from '../../bench/cluster-harness.js'
import { builtBin } from '../helpers/bin.js'

export { freePort, startRedis, waitFor, type TestRedis, type TestWorker } from '../../bench/cluster-harness.js'

/**
 * True when the cluster tests can run: redis-server is on PATH. CI sets
 * BAMSTREAM_REQUIRE_REDIS so that they run there (and fail without it) instead of skipping.
 */
export const HAVE_REDIS = Boolean(process.env.BAMSTREAM_REQUIRE_REDIS) || (process.env.PATH ?? '').split(path.delimiter).some((d) => fs.existsSync(path.join(d, 'redis-server')))

/** The built command (`npm test` builds dist/ first). */
export const MAIN = builtBin() // package.json's bin, as users run it

/** Starts a worker process with short lock times, so that a killed worker's split is handed over quickly. */
export function startWorker(url: string, extra: string[] = []): Promise<TestWorker> {
  return launchWorker([process.execPath, MAIN], url, ['-@', '1', '--concurrency', '2', '--lock-timeout', '2000', ...extra])
}
