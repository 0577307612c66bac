import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import type { Piscina } from 'piscina'
import { createPool } from '../../src/engine/pool.js'

/**
 * Gives a test file a two-thread pool and a temporary folder before its tests,
 * and destroys both after them.
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
    pool = createPool(2)
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `bamstream-${name}-`))
    receive(pool, dir)
  })
  afterAll(async () => {
    await pool.destroy()
    fs.rmSync(dir, { recursive: true, force: true })
  })
}
