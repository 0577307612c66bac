/**
 * The run storage schema: creation by processes racing on a new state
 * directory, and the upgrade of a version-1 database.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { ROOT, removeTempDirs, requireBuild, tempDir } from './helpers.js'

afterAll(removeTempDirs)

/** Starts `n` processes that each open the store in `dir` at the same instant; resolves with their exit codes and stderr. */
function openTogether(dir: string, n: number): Promise<Array<{ code: number | null; stderr: string }>> {
  const storeUrl = pathToFileURL(path.join(ROOT, 'dist/src/sensor/store.js')).href
  const at = Date.now() + 1500 // every process is up and spinning by then
  const script = `import { RunStore } from '${storeUrl}'
    while (Date.now() < ${at}) {}
    const s = RunStore.open(process.argv[1]); s.counts(); s.close()`
  return Promise.all(Array.from({ length: n }, () => new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', script, dir], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    p.on('exit', (code) => resolve({ code, stderr }))
  })))
}

describe('schema', () => {
  it('is created once when several processes open a new state directory at the same moment', async () => {
    requireBuild()
    for (let round = 0; round < 3; round++) {
      const results = await openTogether(path.join(tempDir(), 'state'), 6)
      expect(results.filter((r) => r.code !== 0).map((r) => r.stderr)).toEqual([])
    }
  }, 30_000)
})
