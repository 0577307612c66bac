/**
 * The daemon's status page in a real headless browser (Debian's chromium,
 * driven through the DevTools protocol by fixtures/browser.mjs): a run seen
 * going QUEUED → SUCCESS, its details, the status filter, and a screenshot
 * saved to test-results/status-page.png. Skipped when chromium is absent.
 */
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CE_1000, FIXTURES, ROOT, SLOW_OP, allRuns, daemonArgs, daemonDirs, removeTempDirs, requireBuild, stopDaemon, useDaemons, waitFor } from './helpers.js'

afterAll(removeTempDirs)
beforeAll(requireBuild)

const daemon = useDaemons()
const hasChromium = spawnSync(process.env.CHROMIUM ?? 'chromium', ['--version'], { stdio: 'ignore' }).status === 0
export const SCREENSHOT = path.join(ROOT, 'test-results', 'status-page.png')

describe.skipIf(!hasChromium)('status page in headless chromium', () => {
  it('shows a run going QUEUED → SUCCESS, its details and the status filter; screenshot saved', async () => {
    const d = daemonDirs('bamstream-page-')
    fs.copyFileSync(CE_1000, path.join(d.watch, 'a.bam')) // runs first, slowly
    fs.copyFileSync(path.join(FIXTURES, 'htslib_samples_sample.bam'), path.join(d.watch, 'b.bam')) // waits behind it
    const p = daemon(daemonArgs(d, ['--op', SLOW_OP, '--op-options', '{"msPerRecord":4}', '--max-concurrent', '1', '--http', '127.0.0.1:0']))
    const listening = await p.waitForEvent('http.listening', 15_000)
    await waitFor(() => allRuns(d.state).length === 2, 10_000, 'two runs')
    const b = allRuns(d.state).find((r) => r.source.endsWith('b.bam'))!
    expect(b.status).toBe('QUEUED')
    fs.rmSync(SCREENSHOT, { force: true })
    const browser = spawn(process.execPath, ['--experimental-websocket', '--no-warnings', path.join(ROOT, 'test/sensor/fixtures/browser.mjs'), String(listening.url), String(b.id), SCREENSHOT, '40000'],
      { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    browser.stdout.on('data', (x: Buffer) => { out += x })
    browser.stderr.on('data', (x: Buffer) => { err += x })
    const code = await new Promise((r) => browser.on('exit', r))
    expect(code, err).toBe(0)
    const seen = JSON.parse(out) as { statuses: string[]; detail: string; filtered: string[]; title: string; sensors: string[] }
    expect(seen.title).toBe('bamstream daemon')
    expect(seen.statuses[0]).toBe('QUEUED')
    expect(seen.statuses[seen.statuses.length - 1]).toBe('SUCCESS')
    expect(seen.detail).toMatch(/Status\s+SUCCESS/)
    expect(seen.detail).toContain('b.bam')
    expect(seen.detail).toMatch(/run\.success/)
    expect(seen.filtered.every((s) => s === 'SUCCESS')).toBe(true)
    expect(seen.sensors[0]).toMatch(/^default\s+RUNNING/)
    expect(fs.statSync(SCREENSHOT).size).toBeGreaterThan(10_000)
    expect(fs.readFileSync(SCREENSHOT).subarray(1, 4).toString()).toBe('PNG')
    expect(await stopDaemon(p)).toEqual({ code: 0, signal: null })
  }, 90_000)
})
