import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BUILD_CONFIG, distState, ensureFreshDist, stampDist, STAMP } from './fresh-dist.js'
import { canSpawn } from './corpus.js'

// A project laid out like this one: src/ and workers/ compiled by tsconfig.build.json into dist/.
let root: string
const write = (file: string, text: string): void => {
  fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true })
  fs.writeFileSync(path.join(root, file), text)
}
const read = (file: string): string => fs.readFileSync(path.join(root, file), 'utf8')
/** Sets a file's times an hour back, as a restore from an archive or `cp -p` would. */
const age = (file: string): void => {
  const then = new Date(Date.now() - 3_600_000)
  fs.utimesSync(path.join(root, file), then, then)
}

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bamstream-fresh-dist-'))
  write('package.json', JSON.stringify({ type: 'module' }))
  write(BUILD_CONFIG, JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', outDir: 'dist', rootDir: '.', incremental: true, tsBuildInfoFile: 'dist/tsbuildinfo/build.json', types: [], lib: ['es2022'], skipLibCheck: true, strict: true },
    include: ['src', 'workers'],
  }))
  write('src/a.ts', 'export const a = 1\n')
  write('workers/w.ts', "import { a } from '../src/a.js'\nexport default a\n")
})
afterEach(() => fs.rmSync(root, { recursive: true, force: true }))

describe('distState', () => {
  /** As a build would leave it: compiled files, then the stamp. */
  function built(): void {
    write('dist/src/a.js', 'export const a = 1;\n')
    write('dist/workers/w.js', "import { a } from '../src/a.js';\nexport default a;\n")
    stampDist(root, true)
  }

  it('is fresh right after a build, and wants a build from scratch with no stamp', () => {
    expect(distState(root).state).toBe('dist')
    built()
    expect(distState(root)).toEqual({ state: 'fresh', why: 'dist matches src' })
  })

  it('sees a changed source by its content, even with an older mtime than the build', () => {
    built()
    write('src/a.ts', 'export const a = 2\n')
    age('src/a.ts')
    expect(distState(root)).toEqual({ state: 'sources', why: 'src/a.ts changed' })
  })

  it('sees sources added and removed', () => {
    built()
    write('src/b.ts', 'export const b = 1\n')
    expect(distState(root)).toEqual({ state: 'sources', why: 'src/b.ts is new' })
    stampDist(root, true)
    fs.rmSync(path.join(root, 'src/b.ts'))
    expect(distState(root)).toEqual({ state: 'sources', why: 'src/b.ts is gone' })
  })

  it('wants a build from scratch when something else wrote dist or the config changed', () => {
    built()
    write('dist/src/a.js', 'export const a = 2;\n') // tsconfig.json's build of an edit since undone
    expect(distState(root)).toEqual({ state: 'dist', why: 'dist/src/a.js changed (dist written by another build)' })
    built()
    fs.rmSync(path.join(root, 'dist/workers/w.js'))
    expect(distState(root).state).toBe('dist')
    built()
    write(BUILD_CONFIG, read(BUILD_CONFIG).replace('ES2022', 'ES2023'))
    expect(distState(root)).toEqual({ state: 'dist', why: `${BUILD_CONFIG} changed` })
  })

  it('is not fresh after a failed build', () => {
    built()
    stampDist(root, false)
    expect(distState(root)).toEqual({ state: 'sources', why: 'the last build failed' })
  })
})

// Starts tsc: left out of `npm run test:fast`, which starts no processes.
describe.skipIf(!canSpawn())('ensureFreshDist with tsc', () => {
  it('builds, rebuilds what changed, and compiles from scratch after another build wrote dist', () => {
    ensureFreshDist(root)
    expect(read('dist/src/a.js')).toContain('a = 1')
    expect(distState(root).state).toBe('fresh')

    write('src/a.ts', 'export const a = 2\n')
    age('src/a.ts') // older than tsc's build info: `tsc -b` would call this up to date
    ensureFreshDist(root)
    expect(read('dist/src/a.js')).toContain('a = 2')

    // another build compiled an edit that was then undone: tsc's own incremental
    // state still matches the sources, so only the stamp shows dist is wrong
    write('dist/src/a.js', 'export const a = 3;\n')
    ensureFreshDist(root)
    expect(read('dist/src/a.js')).toContain('a = 2')
    expect(JSON.parse(read(STAMP))).toMatchObject({ ok: true })

    write('src/a.ts', 'export const a: string = 2\n')
    expect(() => ensureFreshDist(root)).toThrow(/tsc -p tsconfig\.build\.json failed/)
    expect(distState(root)).toEqual({ state: 'sources', why: 'the last build failed' })
  }, 60_000)
})
