#!/usr/bin/env node
/**
 * Builds the optional libdeflate addon in native/. It is the package's `install`
 * script, so it runs for a git clone's `npm ci` and for users who install
 * bamstream from the registry as a dependency; `npm run build:native` reruns it.
 *
 * It never fails the install: when libdeflate's headers (Debian: libdeflate-dev)
 * or a C toolchain are missing, it says so and exits 0, and bamstream falls back
 * to node:zlib at run time. It tries node-gyp first (npm sets
 * `npm_config_node_gyp` in lifecycle scripts; npm's bundled copy otherwise),
 * using the headers of the running Node when they are installed beside it, and
 * then a plain `cc -shared` build. `BAMSTREAM_NO_NATIVE=1` skips it.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const dir = path.join(root, 'native')
const out = path.join(dir, 'build', 'Release', 'bgzf.node')
/** The addon's C sources (as in native/binding.gyp). */
const SOURCES = ['bgzf.c', 'sam.c', 'scan.c', 'walk.c']
const say = (msg) => process.stderr.write(`bamstream native: ${msg}\n`)

/** Directories that may hold libdeflate.h. */
const INCLUDE_DIRS = ['/usr/include', '/usr/local/include', '/opt/homebrew/include', ...(process.env.CPATH ?? '').split(':').filter(Boolean)]

function main() {
  if (process.env.BAMSTREAM_NO_NATIVE) return say('skipped (BAMSTREAM_NO_NATIVE is set); using node:zlib')
  if (!INCLUDE_DIRS.some((d) => fs.existsSync(path.join(d, 'libdeflate.h')))) {
    return say('libdeflate.h not found (apt-get install libdeflate-dev); using node:zlib')
  }
  // ISA-L (Debian: libisal-dev) inflates BGZF blocks with about 15% less CPU than libdeflate; optional
  if (INCLUDE_DIRS.some((d) => fs.existsSync(path.join(d, 'isa-l', 'igzip_lib.h')))) process.env.BAMSTREAM_ISAL = '1'
  else say('ISA-L headers not found (apt-get install libisal-dev for faster inflation); building with libdeflate alone')
  if (tryNodeGyp() || tryCc()) return verify()
  say('build failed; using node:zlib')
}

/** The directory holding include/node/node_api.h for this Node, if installed (Debian, nvm, official tarballs). */
function nodeDir() {
  const prefix = path.resolve(path.dirname(process.execPath), '..')
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : null
}

function nodeGypScript() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ]
  return candidates.find((c) => c && fs.existsSync(c))
}

function tryNodeGyp() {
  const gyp = nodeGypScript()
  if (!gyp) return false
  const nd = nodeDir()
  const args = [gyp, 'rebuild', '--directory', dir, ...(nd ? [`--nodedir=${nd}`] : [])]
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 180_000, encoding: 'utf8' })
  if (r.status === 0 && fs.existsSync(out)) return true
  say(`node-gyp failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`)
  return false
}

function tryCc() {
  const nd = nodeDir()
  if (!nd) return false
  fs.mkdirSync(path.dirname(out), { recursive: true })
  const cc = process.env.CC ?? 'cc'
  const isal = process.env.BAMSTREAM_ISAL === '1' ? ['-DBAMSTREAM_ISAL'] : []
  const args = ['-O3', '-std=c11', '-ffp-contract=off', '-shared', '-fPIC', ...isal, `-I${path.join(nd, 'include', 'node')}`, ...SOURCES.map((f) => path.join(dir, f)), '-ldeflate', ...(isal.length ? ['-lisal'] : []), '-lm', '-o', out]
  try {
    execFileSync(cc, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 })
    return true
  } catch (e) {
    say(`${cc} failed: ${String(e.stderr ?? e.message).trim().split('\n').slice(-2).join(' | ')}`)
    return false
  }
}

/** Loads the addon once in a child process, so that a broken build is removed rather than crashing later. */
function verify() {
  const check = `const a = require(${JSON.stringify(out)}); if (typeof a.inflate !== 'function' || typeof a.deflate !== 'function' || typeof a.samAppend !== 'function') process.exit(1)`
  const r = spawnSync(process.execPath, ['-e', check], { stdio: 'ignore', timeout: 30_000 })
  if (r.status === 0) return say(`built ${path.relative(root, out)} (libdeflate${process.env.BAMSTREAM_ISAL === '1' ? ', ISA-L' : ''})`)
  fs.rmSync(out, { force: true })
  say('built addon does not load; removed it; using node:zlib')
}

try {
  main()
} catch (e) {
  say(`unexpected error, skipped: ${e.message}`)
}
