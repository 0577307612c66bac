/**
 * The daemon's scans run in a worker thread: a scan of many files must not
 * hold up the main thread, where runs are launched (issue 12.5).
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inProcessLister, workerLister } from '../../src/sensor/lister.js'
import { removeTempDirs, requireBuild, tempDir } from './helpers.js'

afterAll(removeTempDirs)
beforeAll(requireBuild)

/** Runs `f` while sampling the event loop every 5 ms; returns f's result and the longest gap seen between samples. */
async function withLoopGap<T>(f: () => Promise<T>): Promise<{ value: T; maxGapMs: number }> {
  let last = performance.now()
  let maxGapMs = 0
  const timer = setInterval(() => {
    const now = performance.now()
    maxGapMs = Math.max(maxGapMs, now - last)
    last = now
  }, 5)
  try {
    const value = await f()
    await new Promise((r) => setTimeout(r, 20))
    return { value, maxGapMs }
  } finally {
    clearInterval(timer)
  }
}

describe('workerLister', () => {
  it('scans 20,000 files off the main thread, with the same result as a scan in this thread', async () => {
    const root = tempDir()
    for (let d = 0; d < 20; d++) {
      fs.mkdirSync(path.join(root, `d${d}`))
      for (let i = 0; i < 1000; i++) fs.writeFileSync(path.join(root, `d${d}`, `f${i}.bam`), '')
    }
    const spec = { roots: [root], include: ['*.bam'], exclude: [] }
    // the compiled worker script is used when present (dist/src/sensor/listing-worker.js); from sources it is the same scan in-process,
    // so load the built module to test the worker itself
    const built = (await import(path.join(process.cwd(), 'dist/src/sensor/lister.js'))) as { workerLister: typeof workerLister }
    const lister = built.workerLister()
    try {
      const { value: diff, maxGapMs } = await withLoopGap(() => lister.list('s', spec))
      expect(diff.total).toBe(20_000)
      expect(maxGapMs).toBeLessThan(Math.max(100, diff.ms / 4)) // the scan itself took diff.ms on the worker
      const local = await inProcessLister().list('s', spec)
      expect(diff.changed.map((f) => f.source)).toEqual(local.changed.map((f) => f.source))
      expect((await lister.list('s', spec)).changed).toEqual([]) // incremental on the worker too
      console.log(`20,000 files: worker scan ${diff.ms.toFixed(0)} ms (first), main-thread gap at most ${maxGapMs.toFixed(0)} ms`)
    } finally {
      await lister.close()
    }
  }, 60_000)
})
