import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import type { Piscina } from 'piscina'
import { testPool } from './pool.js'

/**
 * Gives a test file its test worker's two-worker pool ({@link testPool}) and a
 * temporary folder before its tests, and removes the folder after them.
 *
 * @example
 * ```ts
 * let pool: Piscina
 * let dir: string
 * usePoolAndDir('view', (p, d) => { pool = p; dir = d })
 * ```
 */
export function usePoolAndDir(name: string, receive: (pool: Piscina, dir: string) => void): void {
  let pool: Piscina
  let dir: string
  beforeAll(() => {
    pool = testPool()
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `bamstream-${name}-`))
    receive(pool, dir)
  })
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true })
  })
}
