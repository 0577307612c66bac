/**
 * Global setup of `npm run test:fast` (vitest.config.ts): the tests import
 * src/ directly, but pool workers run compiled code (workers/entry.cjs
 * imports dist/workers/chunk.js, which imports dist/src/), so dist must match
 * src before any test starts a pool. Running `tsc` every time costs 4 s even
 * when nothing changed (it parses 410 files), so instead a stamp written after
 * each build holds the SHA-256 of every source (src/, workers/) and of every
 * compiled `.js` beside it, and the build runs only when one of them differs:
 *
 * - only sources differ: `tsc -p tsconfig.build.json`, incremental from its
 *   build info, which still describes dist (nothing else wrote it);
 * - a compiled file differs: something else wrote dist (`npm test` and
 *   `npm run bench` compile the same sources with tsconfig.json, whose own
 *   build info does not tell ours): tsc's incremental state cannot be trusted
 *   (edit a file, `npm test`, undo the edit: an incremental build keeps the
 *   edited file's output), so dist is compiled from scratch.
 *
 * Content hashes, not times: a file restored with an old mtime is seen too.
 */
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

/** The build the fast loop needs: the product (src/, workers/) into dist/. */
export const BUILD_CONFIG = 'tsconfig.build.json'
/** tsc's incremental state for it (tsconfig.build.json `tsBuildInfoFile`), removed for a build from scratch. */
export const BUILD_INFO = 'dist/tsbuildinfo/build.json'
/** What the last build of the fast loop left. */
export const STAMP = 'dist/tsbuildinfo/fast-stamp.json'
/** The folders `tsconfig.build.json` compiles. */
const SOURCE_DIRS = ['src', 'workers']
/** Files whose change changes what tsc emits, beside the sources. */
const CONFIGS = [BUILD_CONFIG, 'package.json']

/** Configs, sources and compiled files (path relative to the root → SHA-256), and whether tsc succeeded. */
export interface DistStamp {
  ok: boolean
  configs: Record<string, string>
  sources: Record<string, string>
  outputs: Record<string, string>
}

/**
 * The state of dist/ under `root`: `fresh`, `sources` changed since the last
 * build (an incremental build will do), or `dist` written by something else
 * (build from scratch), with the first difference found.
 *
 * @example
 * ```ts
 * distState('/work/bamstream') // { state: 'sources', why: 'src/engine/run.ts changed' }
 * ```
 */
export function distState(root: string): { state: 'fresh' | 'sources' | 'dist'; why: string } {
  const stamp = readStamp(root)
  if (stamp === undefined) return { state: 'dist', why: `no ${STAMP}` }
  const outputs = differs(stamp.outputs, hashes(root, outputFiles(root)))
  if (outputs) return { state: 'dist', why: `${outputs} (dist written by another build)` }
  const config = differs(stamp.configs ?? {}, hashes(root, CONFIGS))
  if (config) return { state: 'dist', why: config }
  const sources = differs(stamp.sources, hashes(root, sourceFiles(root)))
  if (sources) return { state: 'sources', why: sources }
  return stamp.ok ? { state: 'fresh', why: 'dist matches src' } : { state: 'sources', why: 'the last build failed' }
}

/**
 * Builds dist under `root` when {@link distState} says it is stale, then
 * stamps it; throws if tsc fails (a type error stops the fast loop, as
 * `tsc -p tsconfig.build.json && vitest` did).
 *
 * @example
 * ```ts
 * ensureFreshDist('/work/bamstream')
 * ```
 */
export function ensureFreshDist(root: string): void {
  const { state, why } = distState(root)
  if (state === 'fresh') return
  if (state === 'dist') fs.rmSync(path.join(root, BUILD_INFO), { force: true })
  console.log(`test:fast: ${why}: ${state === 'dist' ? 'compiling dist from scratch' : 'compiling what changed'} (tsc -p ${BUILD_CONFIG})`)
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  const built = spawnSync(process.execPath, [tsc, '-p', BUILD_CONFIG], { cwd: root, stdio: 'inherit' })
  stampDist(root, built.status === 0)
  if (built.status !== 0) throw new Error(`tsc -p ${BUILD_CONFIG} failed (exit ${built.status ?? built.signal}): the fast loop runs once dist/ compiles`)
}

/**
 * Records what a build of dist under `root` left (hashes of configs, sources
 * and compiled files) and whether it succeeded, for {@link distState}.
 *
 * @example
 * ```ts
 * stampDist('/work/bamstream', true)
 * ```
 */
export function stampDist(root: string, ok: boolean): void {
  const stamp: DistStamp = { ok, configs: hashes(root, CONFIGS), sources: hashes(root, sourceFiles(root)), outputs: hashes(root, outputFiles(root)) }
  fs.mkdirSync(path.dirname(path.join(root, STAMP)), { recursive: true })
  fs.writeFileSync(path.join(root, STAMP), JSON.stringify(stamp))
}

/** vitest `globalSetup` entry (vitest.config.ts, fast mode): this repository's dist, fresh before any test runs. */
export default function setup(): void {
  ensureFreshDist(path.resolve(import.meta.dirname, '../..'))
}

function readStamp(root: string): DistStamp | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, STAMP), 'utf8')) as DistStamp
  } catch {
    return undefined
  }
}

/** The first file that is new, gone or changed in `now` against `then`, described; `undefined` when equal. */
function differs(then: Record<string, string>, now: Record<string, string>): string | undefined {
  for (const [file, hash] of Object.entries(now)) {
    if (then[file] === undefined) return `${file} is new`
    if (then[file] !== hash) return `${file} changed`
  }
  const gone = Object.keys(then).find((file) => now[file] === undefined)
  return gone === undefined ? undefined : `${gone} is gone`
}

/** `.ts` sources (not `.d.ts`) under src/ and workers/, relative to `root`. */
function sourceFiles(root: string): string[] {
  return SOURCE_DIRS.flatMap((dir) => filesUnder(root, dir, (f) => f.endsWith('.ts') && !f.endsWith('.d.ts')))
}

/** Compiled `.js` under dist/src and dist/workers, relative to `root`. */
function outputFiles(root: string): string[] {
  return SOURCE_DIRS.flatMap((dir) => filesUnder(root, path.join('dist', dir), (f) => f.endsWith('.js')))
}

function filesUnder(root: string, dir: string, keep: (file: string) => boolean): string[] {
  if (!fs.existsSync(path.join(root, dir))) return []
  return (fs.readdirSync(path.join(root, dir), { recursive: true }) as string[]).filter(keep).map((f) => path.join(dir, f)).sort()
}

function hashes(root: string, files: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const file of files) out[file] = createHash('sha256').update(fs.readFileSync(path.join(root, file))).digest('hex')
  return out
}
