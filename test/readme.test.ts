import fs from 'node:fs'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { builtBin } from './helpers/bin.js'

// Every example in the README runs: JS blocks against the built package, shell
// lines against the built CLI. Untested docs rot.
const ROOT = path.resolve(import.meta.dirname, '..')
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
const MAIN = builtBin() // package.json's bin, as `npx bamstream` runs it
const INDEX = path.join(ROOT, 'dist/src/index.js')

function blocks(lang: string): string[] {
  return [...README.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!)
}

const jsBlocks = blocks('js')
const shLines = blocks('sh').flatMap((b) => b.split('\n')).filter((l) => /^(npx bamstream|cat .*npx bamstream)/.test(l))

describe('README', () => {
  it('has examples', () => {
    expect(jsBlocks.length).toBeGreaterThanOrEqual(5)
    expect(shLines.length).toBeGreaterThanOrEqual(8)
  })

  it.each(jsBlocks.map((b, i) => [i, b] as const))('JS example %i runs', (i, code) => {
    const file = path.join(ROOT, `.readme-example-${i}.mjs`)
    fs.writeFileSync(file, code.replaceAll("from 'bamstream'", `from '${INDEX}'`))
    try {
      const r = spawnSync(process.execPath, [file], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })
      expect(r.stderr).toBe('')
      expect(r.status).toBe(0)
      expect(r.stdout.length).toBeGreaterThan(0)
    } finally {
      fs.rmSync(file, { force: true })
    }
  })

  it.each(shLines)('%s', (line) => {
    const cmd = line.replaceAll('npx bamstream', `"${process.execPath}" "${MAIN}"`)
    const r = spawnSync('bash', ['-o', 'pipefail', '-c', cmd], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    if (!line.includes(' -o ')) expect(r.stdout.length).toBeGreaterThan(0)
  })
})
