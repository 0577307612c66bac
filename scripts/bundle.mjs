#!/usr/bin/env node
// Bundles the compiled CLI and the pool's worker (tsc's output in dist/) with esbuild, so that
// Node reads and compiles one file at start-up instead of resolving, reading and linking ~60
// ES modules (README "Start-up"):
//
//   dist/bundle/bamstream.cjs       the `bamstream` command (package.json "bin"): src/cli/launcher.ts, which runs
//                                   cli.cjs from V8's code cache when it can
//   dist/bundle/cli.cjs             the command itself (src/cli/main.ts and everything it imports)
//   dist/bundle/worker.cjs          the pool's worker (src/engine/pool.ts's workerFilename() picks it
//                                   when it runs from the bundle itself)
//   dist/bundle/piscina-worker.cjs  piscina's own worker script, which each worker thread starts with and
//                                   which then loads worker.cjs: cli.cjs holds piscina, whose pool starts
//                                   its workers on it (see bundledPiscina and piscinaWorkerSource())
//   dist/bundle/listing-worker.js   the daemon's directory-listing worker (src/sensor/lister.ts finds it
//                                   beside its caller)
//
// CommonJS, not ES modules: Node 20 loads a CommonJS file synchronously, without the ES module
// loader's per-module resolution, asynchronous reads and linking (measured: ~20 ms less per start
// than an ES module bundle split at the dynamic imports). Each module of the bundle still runs only
// when first imported: a command's `await import()` of its engine becomes a call that initialises
// that part of the file. A user's op module is still loaded with import(), as before.
// `import.meta.url` is the bundle file's URL. The files sit two levels below the package root,
// where dist/src/<dir>/*.js's modules are one deeper: paths made from import.meta.url (the native
// addon) are looked up at both depths. commander and piscina are bundled into cli.cjs (piscina's ~15
// modules took ~22 ms to load, on the way to starting the workers); the other runtime dependencies
// stay external (native addons; bullmq and ioredis, loaded only by cluster runs).
//
// Files are replaced one by one, atomically, so that a command running from the bundle meanwhile,
// or a second bundling at the same time, sees whole files.
// usage: node scripts/bundle.mjs [--if-stale] [--metafile]   (run by `npm run build` and `prepare` after tsc;
//   --if-stale: only when some compiled file in dist/src or dist/workers is newer than the bundle, as the tests and
//   benchmarks call it, which run the bundled command after a bare `tsc`)
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as esbuild from 'esbuild'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const outdir = path.join(root, 'dist/bundle')
const ENTRY = path.join(outdir, 'bamstream.cjs')
const CLI = path.join(outdir, 'cli.cjs')
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))
/** Bundled into cli.cjs: commander and piscina (pure JavaScript). Every other dependency stays a package import. */
const BUNDLED_DEPENDENCIES = ['commander', 'piscina']
/** piscina's optional dependency for its `niceIncrement` option (not used by bamstream): left to a runtime require. */
const PISCINA_OPTIONAL = ['@napi-rs/nice']
const external = [...Object.keys(pkg.dependencies ?? {}).filter((d) => !BUNDLED_DEPENDENCIES.includes(d)), ...PISCINA_OPTIONAL]
/** The pool's worker bundle keeps piscina external: it finds piscina's `markMovable` in the worker's main module (workers/chunk.ts). */
const workerExternal = [...external, 'piscina']
/** cli.cjs's import() of op modules: see launcherImports(). */
const IMPORT_BANNER = 'const __imp_ = module.bamstreamImport || ((specifier) => import(specifier));'
const SOURCES = { cli: 'dist/src/cli/main.js', launcher: 'dist/src/cli/launcher.js', worker: 'dist/workers/chunk.js', lister: 'dist/src/sensor/listing-worker.js' }

/**
 * Modules that load when first used instead of when their importer loads: each import of them
 * in the bundle gets a stand-in that requires the real module on its first property access
 * (or call, or `new`). commander requires node:child_process when it loads, for subcommands
 * run as separate executables, which bamstream has none of; with it come node:net, node:dgram
 * and more (~6 ms at every start). The sensor's node:http (its status page), node:crypto,
 * node:worker_threads (its lister) and SQLite (the run store) made `bamstream daemon --help`
 * load them.
 */
const LAZY = [
  { filter: /^(node:)?child_process$/, importer: /[\\/]node_modules[\\/]commander[\\/]/ },
  { filter: /^node:(http|crypto|worker_threads)$/, importer: /[\\/]dist[\\/]src[\\/]sensor[\\/]/ },
  { filter: /^better-sqlite3$/, importer: /[\\/]dist[\\/]src[\\/]sensor[\\/]/ },
]
const lazyModules = {
  name: 'lazy-modules',
  setup(build) {
    build.onResolve({ filter: /^(node:)?child_process$|^node:(http|crypto|worker_threads)$|^better-sqlite3$/ }, (args) => (
      LAZY.some((l) => l.filter.test(args.path) && l.importer.test(args.importer)) ? { path: args.path, namespace: 'lazy' } : undefined
    ))
    build.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => ({
      loader: 'js',
      // A function target, so that the stand-in of a module that is a class (better-sqlite3) can be called and constructed.
      // `__esModule` is answered without loading: esbuild's interop (__toESM) asks it at import, then makes an object whose
      // prototype is the stand-in's: that prototype looks names up in the real module, so named imports work too.
      contents: `let real
const load = () => (real ??= require(${JSON.stringify(args.path)}))
const names = new Proxy({}, { get: (_, key) => load()[key] })
module.exports = new Proxy(function lazy() {}, {
  get: (_, key) => (key === '__esModule' ? undefined : load()[key]),
  apply: (_, self, list) => Reflect.apply(load(), self, list),
  construct: (_, list) => Reflect.construct(load(), list),
  getPrototypeOf: () => names,
})
`,
    }))
  },
}

/**
 * Every `createRequire(import.meta.url)` in the CommonJS bundles makes a require() relative to the
 * bundle file itself, which is the bundle's own `require`: the bundles get that instead of
 * node:module, which would load the ES module loader's internals at every start.
 */
const ownRequire = {
  name: 'own-require',
  setup(build) {
    build.onResolve({ filter: /^(node:)?module$/ }, () => ({ path: 'module', namespace: 'own-require' }))
    build.onLoad({ filter: /.*/, namespace: 'own-require' }, () => ({
      loader: 'js',
      contents: 'module.exports = { createRequire: () => require }',
    }))
  },
}

/**
 * piscina in cli.cjs, two edits made while bundling (each checked to still apply):
 * - src/engine/pool.ts loads piscina on first use, through `createRequire(import.meta.url)('piscina')`,
 *   which esbuild cannot follow: that call becomes a plain `require('piscina')`, which it bundles (and
 *   which still runs only when the first pool is made);
 * - piscina starts each worker thread on `worker.js` beside its own module, which in dist/bundle/ would
 *   be an ES module (the package is "type": "module"): it starts them on piscina-worker.cjs instead.
 */
const PISCINA_EDITS = [
  { file: /[\\/]dist[\\/]src[\\/]engine[\\/]pool\.js$/, from: "createRequire(import.meta.url)('piscina')", to: "require('piscina')" },
  { file: /[\\/]node_modules[\\/]piscina[\\/]dist[\\/]index\.js$/, from: "(__dirname, 'worker.js')", to: "(__dirname, 'piscina-worker.cjs')" },
]
const bundledPiscina = {
  name: 'bundled-piscina',
  setup(build) {
    for (const edit of PISCINA_EDITS) {
      build.onLoad({ filter: edit.file }, (args) => {
        const text = fs.readFileSync(args.path, 'utf8')
        if (!text.includes(edit.from)) throw new Error(`bundle: ${args.path} no longer holds ${edit.from}`)
        return { contents: text.replace(edit.from, edit.to), loader: 'js' }
      })
    }
  },
}

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  external,
  sourcemap: true,
  write: false,
  metafile: true,
  logLevel: 'warning',
}
/**
 * CommonJS output: `import.meta.url` made from __filename; whitespace and comments left out
 * (a third less to read and compile at every start; stack traces map back to the sources with
 * `node --enable-source-maps`, the .map files beside the bundle).
 */
const commonjs = {
  ...common,
  format: 'cjs',
  plugins: [lazyModules, ownRequire],
  minifyWhitespace: true,
  define: { 'import.meta.url': '__bamstreamModuleUrl' },
  banner: {
    js: [
      "const __bamstreamModuleUrl = require('node:url').pathToFileURL(__filename).href;",
      '// __nodeM: see builtinImports() in scripts/bundle.mjs',
      'const __nodeM = (mod) => Object.create(mod, { default: { value: mod, enumerable: true } });',
    ].join('\n'),
  },
}

for (const entry of Object.values(SOURCES)) {
  if (!fs.existsSync(path.join(root, entry))) {
    console.error(`bundle: ${entry} is missing: run tsc first (npm run build)`)
    process.exit(1)
  }
}
if (process.argv.includes('--if-stale') && !isStale()) process.exit(0)

const builds = [
  await esbuild.build({
    ...commonjs, stdin: cliSource(), outfile: CLI, banner: { js: `${commonjs.banner.js}\n${IMPORT_BANNER}` }, plugins: [...commonjs.plugins, bundledPiscina],
  }),
  await esbuild.build({ ...commonjs, stdin: launcherSource(), outfile: ENTRY, banner: { js: `${shebang()}\n${commonjs.banner.js}` } }),
  await esbuild.build({ ...commonjs, entryPoints: [SOURCES.worker], outfile: path.join(outdir, 'worker.cjs'), external: workerExternal }),
  await esbuild.build({ ...commonjs, stdin: piscinaWorkerSource(), outfile: path.join(outdir, 'piscina-worker.cjs'), banner: {}, define: {} }),
  await esbuild.build({
    ...common, format: 'esm', entryPoints: [SOURCES.lister], outfile: path.join(outdir, 'listing-worker.js'),
    banner: { js: "import { createRequire as __bamstreamCreateRequire } from 'node:module';\nconst require = __bamstreamCreateRequire(import.meta.url);" },
  }),
]
writeOutputs(builds.flatMap((b) => b.outputFiles).map((f) => ({ path: f.path, text: f.text })).map(builtinImports).map(launcherImports))

if (process.argv.includes('--metafile')) {
  for (const b of builds) console.log(await esbuild.analyzeMetafile(b.metafile))
}
console.log(`bundle: ${builds.map((b) => path.basename(b.outputFiles.find((f) => !f.path.endsWith('.map')).path)).join(', ')} in ${path.relative(root, outdir)}/`)

/**
 * The CLI's compiled entry, read as the bundle's input. Its first line is `#!/usr/bin/env -S node …`,
 * which esbuild keeps; a CommonJS file has no top-level await, so the entry must start `main()`
 * without awaiting it (src/cli/main.ts does).
 */
function cliSource() {
  const contents = fs.readFileSync(path.join(root, SOURCES.cli), 'utf8')
  if (/^await /m.test(contents)) throw new Error(`bundle: ${SOURCES.cli} has a top-level await, which CommonJS cannot hold`)
  return { contents, resolveDir: path.dirname(path.join(root, SOURCES.cli)), sourcefile: SOURCES.cli, loader: 'js' }
}

/**
 * esbuild turns each `import fs from 'node:fs'` of a CommonJS bundle into `__toESM(require("node:fs"), 1)`,
 * which copies every property of the module onto a new object: node:fs, imported by ~20 modules,
 * costs ~5 ms of start-up that way, and the garbage of it more. A built-in module needs only its
 * `default` added: `__nodeM` (banner) makes an object with the module as its prototype. Same length,
 * so the source map still holds.
 */
function builtinImports(file) {
  if (!file.path.endsWith('.cjs')) return file
  return { path: file.path, text: file.text.replace(/__toESM\((require\("node:[a-z_/]+"\)(, ?1)?)\)/g, '__nodeM($1)') }
}

/**
 * piscina's worker script (node_modules/piscina/dist/worker.js), for the piscina bundled in cli.cjs,
 * which starts its workers on it (see bundledPiscina). Its exports are the `markMovable` and
 * `isMovable` of the very `common` module that worker.js checks results with: a bundled worker
 * script has no child modules to find them in, so workers/chunk.ts looks for them here
 * (`require.main.exports`), and results move to the main thread instead of being copied.
 */
function piscinaWorkerSource() {
  const dist = path.join(root, 'node_modules/piscina/dist')
  return {
    contents: [
      `const common = require(${JSON.stringify(path.join(dist, 'common.js'))})`,
      `require(${JSON.stringify(path.join(dist, 'worker.js'))})`,
      'module.exports = { markMovable: common.markMovable, isMovable: common.isMovable }',
    ].join('\n'),
    resolveDir: root, sourcefile: 'piscina-worker.cjs', loader: 'js',
  }
}

/** The bin: src/cli/launcher.ts running cli.cjs, with the `module` it needs (a CommonJS global, which an ES module has not). */
function launcherSource() {
  return {
    contents: `require('./${SOURCES.launcher}').runBundle(require('node:path').join(__dirname, 'cli.cjs'), module)\n`,
    resolveDir: root, sourcefile: 'bamstream.cjs', loader: 'js',
  }
}

/** The CLI's `#!/usr/bin/env -S node …` line (src/cli/main.ts), for the launcher that users run. */
function shebang() {
  const line = fs.readFileSync(path.join(root, SOURCES.cli), 'utf8').split('\n', 1)[0]
  if (!line.startsWith('#!')) throw new Error(`bundle: ${SOURCES.cli} does not start with #!`)
  return line
}

/**
 * The launcher (src/cli/launcher.ts) runs cli.cjs from V8's code cache, and a function compiled from
 * that cache cannot import(): V8 does not keep the host options import() needs ("A dynamic import
 * callback was not specified"). So cli.cjs's own `await import(x)` (src/ops/registry.ts: a user's op
 * module) calls `__imp_` instead: the launcher's import(), given on the module object, or, when
 * cli.cjs is required directly, a plain one. Same length, so the source map still holds.
 */
function launcherImports(file) {
  if (file.path !== CLI) return file
  const text = file.text.replace(/\bawait import\(/g, 'await __imp_(')
  if (!text.includes('await __imp_(')) throw new Error('bundle: cli.cjs has no import() of op modules left to route (src/ops/registry.ts changed?)')
  return { path: file.path, text }
}

/** True when the bundle is missing or older than some compiled module it is made of. */
function isStale() {
  let built
  try {
    built = fs.statSync(ENTRY).mtimeMs
  } catch {
    return true
  }
  const newer = (dir) => fs.readdirSync(dir, { withFileTypes: true }).some((e) => {
    const p = path.join(dir, e.name)
    return e.isDirectory() ? newer(p) : e.name.endsWith('.js') && fs.statSync(p).mtimeMs > built
  })
  return newer(path.join(root, 'dist/src')) || newer(path.join(root, 'dist/workers'))
}

/**
 * Writes each output file unless it already holds the same bytes (each through a temporary file
 * renamed into place), removes files of earlier builds that are no longer made, and marks the
 * entry as built now (its mtime is what --if-stale compares).
 */
function writeOutputs(outputs) {
  fs.mkdirSync(outdir, { recursive: true })
  for (const f of outputs) {
    const same = fs.existsSync(f.path) && fs.readFileSync(f.path, 'utf8') === f.text
    if (same) continue
    const tmp = `${f.path}.${process.pid}.tmp`
    fs.writeFileSync(tmp, f.text, { mode: f.path === ENTRY ? 0o755 : 0o644 })
    fs.renameSync(tmp, f.path)
  }
  const made = new Set(outputs.map((f) => path.basename(f.path)))
  for (const name of fs.readdirSync(outdir)) {
    if (!made.has(name) && /\.(c?js|c?js\.map)$/.test(name)) fs.rmSync(path.join(outdir, name), { force: true })
  }
  const now = new Date()
  fs.utimesSync(ENTRY, now, now)
}
