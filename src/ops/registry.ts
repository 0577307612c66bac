/**
 * Op references: a built-in op's name (see builtins.ts) or a user's op module.
 * A user's op is always a module (its default export implements Op), so that
 * every thread — and every machine — can load it by the same reference.
 */
import { fileURLToPath, pathToFileURL } from 'node:url'
import path from 'node:path'
import { BamError, thrownText } from '../errors.js'
import { BUILTIN_OPS } from './builtins.js'
import type { AnyOp } from './op.js'

/**
 * Names of the built-in ops.
 *
 * @example
 * ```ts
 * builtinOpNames() // ['count', 'flagstat', 'idxstats', 'view']
 * ```
 */
export function builtinOpNames(): string[] {
  return Object.keys(BUILTIN_OPS)
}

function isBuiltin(name: string): boolean {
  return Object.hasOwn(BUILTIN_OPS, name)
}

/** What an op name names: a built-in op, or a user's op module. */
export type ResolvedOp =
  | { kind: 'builtin'; name: string }
  | { kind: 'module'; path: string; url: string; label: string }

/**
 * The one op-name resolver (CLI, API, daemon config): a built-in op's name, or
 * a module path (anything with a slash, backslash or dot; relative to `baseDir`) or
 * `file:` URL; anything else is an unknown op (`ERR_OPTION`). A module's label
 * is its file name without the extension (used in result file names).
 *
 * @example
 * ```ts
 * resolveOp('flagstat')           // { kind: 'builtin', name: 'flagstat' }
 * resolveOp('ops/mapq.js', '/x')  // { kind: 'module', path: '/x/ops/mapq.js', url: 'file:///x/ops/mapq.js', label: 'mapq' }
 * ```
 */
export function resolveOp(nameOrPath: string, baseDir = process.cwd()): ResolvedOp {
  if (isBuiltin(nameOrPath)) return { kind: 'builtin', name: nameOrPath }
  if (!nameOrPath.startsWith('file:') && !/[/\\.]/.test(nameOrPath)) {
    throw new BamError('ERR_OPTION', `unknown op "${nameOrPath}" (built-in ops: ${builtinOpNames().join(', ')}; or give a module path)`)
  }
  const file = nameOrPath.startsWith('file:') ? fileURLToPath(nameOrPath) : path.resolve(baseDir, nameOrPath)
  return { kind: 'module', path: file, url: pathToFileURL(file).href, label: path.basename(file).replace(/\.[cm]?[jt]s$/, '') }
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
  const op = resolveOp(nameOrPath)
  return op.kind === 'builtin' ? op.name : op.url
}

const loaded = new Map<string, AnyOp>()

/**
 * Loads an op from a reference made by {@link opReference}, once per thread.
 *
 * @example
 * ```ts
 * const op = await loadOp(opReference('./my-op.js'))
 * ```
 */
export async function loadOp(ref: string): Promise<AnyOp> {
  const cached = loaded.get(ref)
  if (cached) return cached
  const builtin = isBuiltin(ref) ? BUILTIN_OPS[ref] : undefined
  const op = builtin ? await builtin() : await importOp(ref)
  if (!op || typeof op.record !== 'function' || typeof op.init !== 'function' || typeof op.merge !== 'function' || typeof op.finish !== 'function') {
    throw new BamError('ERR_OPTION', `module ${ref} has no default export implementing Op (init, record, merge, finish)`)
  }
  loaded.set(ref, op)
  return op
}

/** A user's op module's default export; a module that is missing is a bad option, one that throws while loading is the op's failure. */
async function importOp(ref: string): Promise<AnyOp | undefined> {
  try {
    return ((await import(ref)) as { default?: AnyOp }).default
  } catch (e) {
    if ((e as { code?: unknown })?.code === 'ERR_MODULE_NOT_FOUND') throw new BamError('ERR_OPTION', `op module ${ref} not found: ${(e as Error).message}`)
    throw new BamError('ERR_OP', `op module ${ref} failed to load: ${thrownText(e)}`, -1, '', { cause: e })
  }
}

