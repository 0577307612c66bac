import { describe, expect, it } from 'vitest'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { movableMarker } from '../../workers/chunk.js'

// The worker marks its result movable without loading piscina's main module:
// checked in a real pool worker (the compiled dist/workers/chunk.js, as
// workers/entry.cjs loads it) by whether a returned buffer was detached.

const { Piscina } = createRequire(import.meta.url)('piscina') as typeof import('piscina')
const TRANSFERABLE = Symbol.for('Piscina.transferable')
const VALUE = Symbol.for('Piscina.valueOf')

/** A worker file: task "give" returns a marked 16-byte buffer; task "check" says whether it was moved, and whether piscina's main module was loaded. */
function handlerFile(): string {
  const compiled = pathToFileURL(path.resolve('dist/workers/chunk.js')).href
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'chunk-worker-')), 'handler.cjs')
  fs.writeFileSync(file, `
let given
module.exports = async function (task) {
  const { movableMarker } = await import(${JSON.stringify(compiled)})
  if (task === 'give') {
    given = new ArrayBuffer(16)
    const value = { [Symbol.for('Piscina.transferable')]: [given], [Symbol.for('Piscina.valueOf')]: given }
    movableMarker()(value)
    return value
  }
  return { moved: given.byteLength === 0, piscinaMain: Object.keys(require.cache).some((k) => /piscina[\\\\/]dist[\\\\/]index\\.js$/.test(k)) }
}
`)
  return file
}

describe('movableMarker', () => {
  it('in a pool worker: moves the result and loads no more of piscina', async () => {
    const pool = new Piscina({ filename: handlerFile(), minThreads: 1, maxThreads: 1 })
    try {
      const given = (await pool.run('give')) as ArrayBuffer
      expect(given.byteLength).toBe(16)
      expect(await pool.run('check')).toEqual({ moved: true, piscinaMain: false })
    } finally {
      await pool.destroy()
    }
  })

  it('outside a pool: falls back to Piscina.move, which marks the value as piscina checks it', () => {
    const value = { [TRANSFERABLE]: [new ArrayBuffer(8)], [VALUE]: 1 }
    movableMarker()(value)
    const kMovable = Object.getOwnPropertySymbols(value).find((s) => s.description === 'Piscina.kMovable')
    expect(kMovable && (value as Record<symbol, unknown>)[kMovable]).toBe(true)
    expect(Piscina.move(value as never)).toBe(value) // already transferable: marked, not wrapped
  })
})

describe('the bundled command\'s piscina (scripts/bundle.mjs)', () => {
  const bundle = path.resolve('dist/bundle')

  it('is inside cli.cjs, which starts its workers on piscina-worker.cjs', () => {
    const cli = fs.readFileSync(path.join(bundle, 'cli.cjs'), 'utf8')
    // matched with booleans: a failing toMatch would print the whole 400 KB bundle
    expect(/require\(["']piscina["']\)/.test(cli), 'a runtime require of piscina').toBe(false)
    expect(/\(__dirname,\s*["']piscina-worker\.cjs["']\)/.test(cli), 'workers started on piscina-worker.cjs').toBe(true)
    expect(fs.existsSync(path.join(bundle, 'piscina-worker.cjs'))).toBe(true)
  })

  it('piscina-worker.cjs exports the markMovable and isMovable of the module its worker checks results with', async () => {
    const { Worker } = await import('node:worker_threads')
    const file = path.join(bundle, 'piscina-worker.cjs')
    const worker = new Worker(`
const { parentPort } = require('node:worker_threads')
const m = require(${JSON.stringify(file)})
const value = { [Symbol.for('Piscina.transferable')]: [], [Symbol.for('Piscina.valueOf')]: 1 }
const before = m.isMovable(value)
m.markMovable(value)
parentPort.postMessage({ functions: typeof m.markMovable + ' ' + typeof m.isMovable, before, after: m.isMovable(value) })
`, { eval: true })
    try {
      const reply = await new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject) })
      expect(reply).toEqual({ functions: 'function function', before: false, after: true })
    } finally {
      await worker.terminate()
    }
  })
})
