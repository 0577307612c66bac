import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { codeCacheFile, privateFolder } from '../../src/cli/launcher.js'

let dir: string
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bamstream-launcher-')) })
afterAll(() => { fs.rmSync(dir, { recursive: true, force: true }) })

describe('the code cache of the bundled command', () => {
  it('is named after the bundle file and Node, in a folder of the user\'s own; BAMSTREAM_CODE_CACHE=0 turns it off', () => {
    const bundle = path.join(dir, 'cli.cjs')
    fs.writeFileSync(bundle, 'module.exports = 1\n')
    const a = codeCacheFile(bundle, fs.statSync(bundle))!
    expect(a).toMatch(new RegExp(`^${os.tmpdir()}/bamstream-code-cache-\\d+/cli-[0-9a-f]{8}\\.bin$`))
    expect(codeCacheFile(bundle, fs.statSync(bundle))).toBe(a)
    fs.writeFileSync(path.join(dir, 'next.cjs'), 'module.exports = 22\n')
    fs.renameSync(path.join(dir, 'next.cjs'), bundle) // as scripts/bundle.mjs replaces files
    expect(codeCacheFile(bundle, fs.statSync(bundle))).not.toBe(a)
    expect(codeCacheFile(bundle, fs.statSync(bundle), { BAMSTREAM_CODE_CACHE: '0' })).toBeNull()
  })

  it('is kept only in a folder that no other user may enter', () => {
    const own = path.join(dir, 'own')
    expect(privateFolder(own)).toBe(true)
    expect(fs.statSync(own).mode & 0o777).toBe(0o700)
    const shared = path.join(dir, 'shared')
    fs.mkdirSync(shared, { mode: 0o777 })
    fs.chmodSync(shared, 0o777)
    expect(privateFolder(shared)).toBe(false)
    fs.writeFileSync(path.join(dir, 'file'), '')
    expect(privateFolder(path.join(dir, 'file'))).toBe(false)
  })
})
