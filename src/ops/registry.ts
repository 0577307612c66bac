/**
 * Built-in ops by name, and loading of a user's op from a module path.
 */
import { pathToFileURL } from 'node:url'
import path from 'node:path'
import { BamError } from '../errors.js'
import { countOp } from './count.js'
import { flagstatOp } from './flagstat.js'
import type { AnyOp } from './op.js'

const builtins = new Map<string, AnyOp>([
  [countOp.name, countOp],
  [flagstatOp.name, flagstatOp],
])

/** Registers a built-in op (used by modules that add ops, e.g. view and idxstats). */
export function registerOp(op: AnyOp): void {
  builtins.set(op.name, op)
}

/** Names of the built-in ops. */
export function builtinOpNames(): string[] {
  return [...builtins.keys()]
}

/**
 * Resolves an op reference to a string that any thread can load: a built-in
 * name stays as it is, a module path becomes an absolute `file:` URL.
 *
 * @example
 * ```ts
 * opReference('flagstat')      // 'flagstat'
 * opReference('./my-op.js')    // 'file:///abs/path/my-op.js'
 * ```
 */
export function opReference(nameOrPath: string): string {
  if (builtins.has(nameOrPath) || nameOrPath.startsWith('file:')) return nameOrPath
  if (!/[/\\.]/.test(nameOrPath)) {
    throw new BamError('ERR_OPTION', `unknown op "${nameOrPath}" (built-in ops: ${builtinOpNames().join(', ')}; or give a module path)`)
  }
  return pathToFileURL(path.resolve(nameOrPath)).href
}

const loaded = new Map<string, AnyOp>()

/** Loads an op from a reference made by {@link opReference}. */
export async function loadOp(ref: string): Promise<AnyOp> {
  const builtin = builtins.get(ref)
  if (builtin) return builtin
  const cached = loaded.get(ref)
  if (cached) return cached
  const mod = (await import(ref)) as { default?: AnyOp }
  const op = mod.default
  if (!op || typeof op.record !== 'function' || typeof op.init !== 'function' || typeof op.merge !== 'function' || typeof op.finish !== 'function') {
    throw new BamError('ERR_OPTION', `module ${ref} has no default export implementing Op (init, record, merge, finish)`)
  }
  loaded.set(ref, op)
  return op
}
