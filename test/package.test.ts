import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

// Project policy, checked.
const ROOT = path.resolve(import.meta.dirname, '..')
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string; type: string; bin: Record<string, string>; engines: { node: string }
  dependencies: Record<string, string>; devDependencies: Record<string, string>; scripts: Record<string, string>
  files: string[]
}
const tsconfig = (name: string): { include: string[]; extends?: string } =>
  JSON.parse(fs.readFileSync(path.join(ROOT, name), 'utf8')) as { include: string[]; extends?: string }

describe('package.json', () => {
  it('is the bamstream ESM package with a bin and Node ≥ 20', () => {
    expect(pkg.name).toBe('bamstream')
    expect(pkg.type).toBe('module')
    expect(Object.keys(pkg.bin)).toEqual(['bamstream'])
    expect(pkg.engines.node).toBe('>=20')
  })

  it('has exactly the runtime dependencies DESIGN.md names, better-sqlite3 on 12.x (13 crashes on Node 20), bullmq on 6.x', () => {
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['better-sqlite3', 'bullmq', 'commander', 'ioredis', 'piscina'])
    expect(pkg.dependencies['better-sqlite3']).toMatch(/^\^?12\./)
    expect(pkg.dependencies.bullmq).toMatch(/^\^?6\./)
  })

  it('pins every devDependency to an exact version', () => {
    for (const [name, version] of Object.entries(pkg.devDependencies)) expect(version, name).toMatch(/^\d+\.\d+\.\d+$/)
  })

  it('ships only the product: the build config compiles src and workers, and files names nothing else of dist', () => {
    expect(tsconfig('tsconfig.build.json').include).toEqual(['src', 'workers'])
    expect(pkg.scripts.prepare).toContain('tsc -p tsconfig.build.json')
    expect(pkg.files.filter((f) => f.startsWith('dist'))).toEqual(['dist/src', 'dist/workers', 'dist/bundle'])
  })

  it('runs the command from its bundle, which every build makes after tsc (README "Start-up")', () => {
    expect(pkg.bin.bamstream).toBe('dist/bundle/bamstream.cjs')
    for (const script of ['build', 'prepare', 'test', 'bench']) expect(pkg.scripts[script], script).toMatch(/^tsc -p \S+ && node scripts\/bundle\.mjs && |^tsc -p \S+ && node scripts\/bundle\.mjs$/)
    expect(pkg.devDependencies).toHaveProperty('esbuild')
  })

  it('type-checks the tests and benchmarks too (tsconfig.json, run by npm test)', () => {
    expect(tsconfig('tsconfig.json')).toMatchObject({ extends: './tsconfig.build.json', include: ['src', 'workers', 'bench', 'test'] })
    expect(pkg.scripts.test).toMatch(/^tsc -p tsconfig\.json && /)
  })

  it('has a fast test loop that starts no processes beside the full npm test', () => {
    expect(pkg.scripts['test:fast']).toMatch(/vitest run --mode fast$/)
    expect(pkg.scripts.test).not.toContain('--mode')
  })

  it('builds on install and tests with the command the README shows', () => {
    expect(pkg.scripts.prepare).toContain('tsc')
    expect(pkg.scripts.test).toContain('vitest run')
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
    expect(readme.split('\n').slice(0, 6).join('\n')).toMatch(/npm install\nnpx bamstream flagstat test\/fixtures\/\S+\.bam\nnpm test/)
    expect(fs.readFileSync(path.join(ROOT, '.ci/run'), 'utf8')).toMatch(/\nnpm ci\n(.*\n)*npm test\n/)
  })
})

describe('source layout (STYLE.md)', () => {
  const files = (dir: string): string[] => fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f))
  const src = files(path.join(ROOT, 'src'))

  it('keeps src/ at most two directories deep and index.ts to re-exports', () => {
    for (const f of src) expect(path.relative(path.join(ROOT, 'src'), f).split(path.sep).length, f).toBeLessThanOrEqual(2)
    const index = fs.readFileSync(path.join(ROOT, 'src/index.ts'), 'utf8')
    for (const line of index.split('\n').filter(Boolean)) expect(line).toMatch(/^export /)
  })

  it('throws typed errors only', () => {
    for (const f of [...src, ...files(path.join(ROOT, 'workers'))]) expect(fs.readFileSync(f, 'utf8'), f).not.toMatch(/throw new Error\(/)
  })

  it('never builds a DataView over a whole buffer ignoring byteOffset', () => {
    for (const f of src) expect(fs.readFileSync(f, 'utf8'), f).not.toMatch(/new DataView\([\w.]+\.buffer\)/)
  })
})
