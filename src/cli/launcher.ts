/**
 * The `bamstream` command's first file: package.json's bin,
 * dist/bundle/bamstream.cjs, made from this by scripts/bundle.mjs. It runs the
 * bundled command (dist/bundle/cli.cjs) with V8's code cache: the compiled
 * code of an earlier run, kept in a private folder of the temporary directory
 * (`bamstream-code-cache-<uid>`, mode 0700), so that a start does not parse
 * and compile the bundle again (about a quarter of bamstream's start-up
 * measured over bare Node; README "Start-up"). The cache is keyed by the
 * bundle's size, mtime and inode, Node's version and flags; V8 refuses a cache
 * made by another build of itself. With `BAMSTREAM_CODE_CACHE=0` or under
 * `node --enable-source-maps` the bundle is simply required; without a private folder for the cache, it is compiled
 * as then, with no cache read or written.
 *
 * @example
 * ```sh
 * node dist/bundle/bamstream.cjs flagstat in.bam     # what `bamstream flagstat in.bam` runs
 * BAMSTREAM_CODE_CACHE=0 bamstream flagstat in.bam   # no cache read or written
 * ```
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import vm from 'node:vm'

/** The CommonJS module system's constructor (a `module` object's own: node:module need not be loaded). */
type ModuleConstructor = {
  new (id: string, parent?: NodeJS.Module): NodeJS.Module & { filename: string; paths: string[] }
  wrap(source: string): string
  createRequire(file: string): NodeJS.Require
  _nodeModulePaths(dir: string): string[]
}

/** Permission bits that let other users into a folder. */
const GROUP_OTHER_BITS = 0o077

/** FNV-1a, 32 bits: a short file name for the cache key (node:crypto would cost more than it saves). */
function fnv1a(text: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return (h >>> 0).toString(16).padStart(8, '0')
}

/** True under `node --enable-source-maps`, which maps only code that Node's own loader compiled (not a vm.Script). */
function sourceMapsEnabled(): boolean {
  return (process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled ?? process.execArgv.includes('--enable-source-maps')
}

/**
 * Where the code cache of `bundle` lives, or null when caching is off
 * (`BAMSTREAM_CODE_CACHE=0`, or `node --enable-source-maps`). The name changes with the bundle file
 * (size, mtime, inode: scripts/bundle.mjs replaces files by renaming), Node's
 * version, architecture and flags.
 *
 * @example
 * ```ts
 * codeCacheFile('/x/dist/bundle/cli.cjs', fs.statSync('/x/dist/bundle/cli.cjs')) // '/tmp/bamstream-code-cache-1000/cli-3f2a9c10.bin'
 * ```
 */
export function codeCacheFile(bundle: string, stat: fs.Stats, env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.BAMSTREAM_CODE_CACHE === '0' || sourceMapsEnabled()) return null
  const uid = process.getuid?.() ?? 0
  const key = [bundle, stat.size, stat.mtimeMs, stat.ino, process.version, process.arch, process.execArgv.join(' ')].join('\0')
  return path.join(os.tmpdir(), `bamstream-code-cache-${uid}`, `${path.basename(bundle, '.cjs')}-${fnv1a(key)}.bin`)
}

/**
 * Makes `dir` if needed and says whether it is this user's alone: a folder
 * that others may write could hold code someone else compiled.
 *
 * @example
 * ```ts
 * if (privateFolder('/tmp/bamstream-code-cache-1000')) { … }
 * ```
 */
export function privateFolder(dir: string): boolean {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
    const st = fs.lstatSync(dir)
    return st.isDirectory() && st.uid === (process.getuid?.() ?? st.uid) && (st.mode & GROUP_OTHER_BITS) === 0
  } catch {
    return false
  }
}

/** The cache's bytes, or undefined when there is none (or no private folder for it). */
function readCache(file: string | null): Buffer | undefined {
  if (file === null || !privateFolder(path.dirname(file))) return undefined
  try {
    return fs.readFileSync(file)
  } catch {
    return undefined
  }
}

/** Writes the cache through a temporary file renamed into place; a cache that cannot be written is no error. */
function writeCache(file: string, data: Buffer): void {
  const temp = `${file}.${process.pid}.tmp`
  try {
    fs.writeFileSync(temp, data, { mode: 0o600 })
    fs.renameSync(temp, file)
  } catch {
    fs.rmSync(temp, { force: true })
  }
}

/**
 * Runs `bundle` as Node would require it from `parent` (the CommonJS module
 * calling this: scripts/bundle.mjs makes that entry), compiled from the code
 * cache when there is a valid one; the cache is (re)written when the process
 * exits if there was none or V8 refused it, holding every function compiled by then.
 *
 * @example
 * ```ts
 * runBundle(path.join(__dirname, 'cli.cjs'), module)
 * ```
 */
export function runBundle(bundle: string, parent: NodeJS.Module): void {
  const Module = parent.constructor as unknown as ModuleConstructor
  const file = codeCacheFile(bundle, fs.statSync(bundle))
  if (file === null) {
    parent.require(bundle)
    return
  }
  const cachedData = readCache(file)
  const source = fs.readFileSync(bundle, 'utf8').replace(/^#!.*/, '')
  const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData })
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => { if (privateFolder(path.dirname(file))) writeCache(file, script.createCachedData()) })
  }
  const m = new Module(bundle, parent) as NodeJS.Module & { filename: string; paths: string[]; bamstreamImport?: (specifier: string) => Promise<unknown> }
  // V8 does not keep what import() needs in the code cache: the bundle's import() (a user's op module) calls this instead (scripts/bundle.mjs)
  m.bamstreamImport = (specifier) => import(specifier)
  m.filename = bundle
  m.paths = Module._nodeModulePaths(path.dirname(bundle))
  const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: NodeJS.Module, filename: string, dirname: string) => void
  run.call(m.exports, m.exports, Module.createRequire(bundle), m, bundle, path.dirname(bundle))
}

