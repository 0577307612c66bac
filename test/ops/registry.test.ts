import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { builtinOpNames, loadOp, opReference, resolveOp } from '../../src/ops/registry.js'

// One op-name resolver for the CLI, the API and the daemon's config.

describe('resolveOp', () => {
  it('names a built-in op by its name', () => {
    expect(builtinOpNames()).toEqual(['count', 'flagstat', 'idxstats', 'view'])
    for (const name of builtinOpNames()) expect(resolveOp(name)).toEqual({ kind: 'builtin', name })
  })

  it('takes anything with a slash or a dot as a module path, relative to baseDir, or a file: URL', () => {
    const want = { kind: 'module', path: '/x/ops/mapq.js', url: 'file:///x/ops/mapq.js', label: 'mapq' }
    expect(resolveOp('ops/mapq.js', '/x')).toEqual(want)
    expect(resolveOp('/x/ops/mapq.js', '/elsewhere')).toEqual(want)
    expect(resolveOp('file:///x/ops/mapq.js')).toEqual(want)
    expect(resolveOp('mapq.mjs', '/x')).toMatchObject({ path: '/x/mapq.mjs', label: 'mapq' })
    expect(resolveOp('./count', '/x')).toMatchObject({ kind: 'module', path: '/x/count', label: 'count' }) // a path, not the built-in
  })

  it('refuses any other name with ERR_OPTION, listing the built-in ops', () => {
    expect(() => resolveOp('flagstats')).toThrow(expect.objectContaining({ code: 'ERR_OPTION', message: 'unknown op "flagstats" (built-in ops: count, flagstat, idxstats, view; or give a module path)' }))
  })
})

describe('opReference and loadOp', () => {
  it('gives what every thread can load: the built-in name, or an absolute file: URL', async () => {
    expect(opReference('count')).toBe('count')
    const file = path.resolve('test/sensor/fixtures/slow-op.mjs')
    expect(opReference('test/sensor/fixtures/slow-op.mjs')).toBe(pathToFileURL(file).href)
    expect((await loadOp(opReference('count'))).name).toBe('count')
    expect(typeof (await loadOp(opReference('test/sensor/fixtures/slow-op.mjs'))).record).toBe('function')
    await expect(loadOp(opReference('./no-such-op.js'))).rejects.toMatchObject({ code: 'ERR_OPTION' })
  })
})
