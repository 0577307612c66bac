/**
 * The `bamstream` command as users run it: package.json's "bin", the bundle
 * that scripts/bundle.mjs makes from tsc's output (dist/bundle/bamstream.cjs).
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fastMode } from './corpus.js'

/** The package root. */
export const ROOT = path.resolve(import.meta.dirname, '../..')

/** package.json's `bin.bamstream`, absolute. */
export const BIN = path.join(ROOT, (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: { bamstream: string } }).bin.bamstream)

let checked = false

/**
 * Returns {@link BIN} after bundling again when tsc's output is newer than
 * the bundle (`npx tsc` then `npx vitest run test/cli`: the bundle is then out
 * of date; `npm test` bundles before vitest starts); checked once per test
 * file. Under `npm run test:fast`, which starts no processes and so never runs
 * the command, nothing is checked.
 *
 * @example
 * ```ts
 * spawnSync(process.execPath, [builtBin(), 'flagstat', 'in.bam'])
 * ```
 */
export function builtBin(): string {
  if (checked || fastMode()) return BIN
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/bundle.mjs'), '--if-stale'], { stdio: ['ignore', 'ignore', 'inherit'] })
  checked = true
  return BIN
}
