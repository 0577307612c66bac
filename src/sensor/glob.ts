/**
 * Glob patterns and the recursive directory walk of a sensor.
 *
 * Syntax: `*` (any run of characters but `/`), `?` (one character but `/`),
 * `**` (any number of whole directories), `[abc]`, `[a-z]`, `[!abc]`, and
 * `{a,b}` alternatives. A pattern with no `/` matches the file *name* at any
 * depth, as in `.gitignore` (`*.bam` finds `x/y/z.bam`); a pattern with a `/`
 * matches the path relative to the watched directory (`runs/*\/*.bam`, `**\/*.bam`; the backslash here only escapes the comment).
 * Hidden files and directories (names starting with `.`) are never walked:
 * that is where rsync and many downloaders keep their temporary files.
 */
import fs from 'node:fs'
import path from 'node:path'

/**
 * Compiles one glob to a regular expression over `/`-separated paths.
 *
 * @example
 * ```ts
 * globToRegExp('**\/*.{bam,cram}').test('a/b/c.bam') // true
 * ```
 */
export function globToRegExp(pattern: string): RegExp {
  return new RegExp(`^${translate(pattern)}$`)
}

function translate(p: string): string {
  let out = ''
  let i = 0
  while (i < p.length) {
    const c = p[i]!
    if (c === '*' && p[i + 1] === '*') {
      const slash = p[i + 2] === '/'
      out += slash ? '(?:[^/]*/)*' : '.*'
      i += slash ? 3 : 2
    } else if (c === '*') { out += '[^/]*'; i++ }
    else if (c === '?') { out += '[^/]'; i++ }
    else if (c === '[') { const [re, next] = charClass(p, i); out += re; i = next }
    else if (c === '{') { const [re, next] = alternatives(p, i); out += re; i = next }
    else { out += escape(c); i++ }
  }
  return out
}

function charClass(p: string, start: number): [string, number] {
  const end = p.indexOf(']', start + 2)
  if (end < 0) return ['\\[', start + 1]
  let body = p.slice(start + 1, end)
  const negate = body[0] === '!' || body[0] === '^'
  if (negate) body = body.slice(1)
  return [`[${negate ? '^/' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`, end + 1]
}

function alternatives(p: string, start: number): [string, number] {
  let depth = 0
  const parts: string[] = []
  let from = start + 1
  for (let i = start; i < p.length; i++) {
    if (p[i] === '{') depth++
    else if (p[i] === '}' && --depth === 0) {
      parts.push(p.slice(from, i))
      return [`(?:${parts.map(translate).join('|')})`, i + 1]
    } else if (p[i] === ',' && depth === 1) {
      parts.push(p.slice(from, i))
      from = i + 1
    }
  }
  return ['\\{', start + 1]
}

function escape(c: string): string {
  return /[.+^${}()|\\[\]]/.test(c) ? `\\${c}` : c
}

/**
 * A predicate over paths relative to the watched directory (`/`-separated):
 * true when some `include` pattern matches and no `exclude` pattern does.
 *
 * @example
 * ```ts
 * const m = matcher(['*.bam'], ['*.tmp.bam'])
 * m('run1/a.bam') // true
 * m('a.tmp.bam')  // false
 * ```
 */
export function matcher(include: readonly string[], exclude: readonly string[] = []): (rel: string) => boolean {
  const inc = include.map(compileRelative)
  const exc = exclude.map(compileRelative)
  return (rel) => inc.some((f) => f(rel)) && !exc.some((f) => f(rel))
}

function compileRelative(pattern: string): (rel: string) => boolean {
  const re = globToRegExp(pattern.replace(/^\.?\//, ''))
  if (pattern.includes('/')) return (rel) => re.test(rel)
  return (rel) => re.test(rel.slice(rel.lastIndexOf('/') + 1))
}

/** A file found by {@link walkFiles}. */
export interface WalkedFile {
  /** Absolute path. */
  path: string
  /** Path relative to the root, `/`-separated. */
  rel: string
}

/**
 * Lists the regular files under `root`, recursively, in name order, following
 * symbolic links but never entering a directory twice. Hidden entries are
 * skipped. A missing root yields nothing.
 *
 * @example
 * ```ts
 * for await (const f of walkFiles('/data/incoming')) console.log(f.rel)
 * ```
 */
export async function* walkFiles(root: string): AsyncGenerator<WalkedFile> {
  const seen = new Set<string>()
  yield* walkDir(path.resolve(root), '', seen)
}

async function* walkDir(dir: string, rel: string, seen: Set<string>): AsyncGenerator<WalkedFile> {
  let entries: fs.Dirent[]
  try {
    const real = await fs.promises.realpath(dir)
    if (seen.has(real)) return
    seen.add(real)
    entries = await fs.promises.readdir(dir, { withFileTypes: true })
  } catch {
    return // vanished or unreadable: nothing to offer this tick
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (const e of entries) {
    if (e.name.startsWith('.')) continue
    const full = path.join(dir, e.name)
    const childRel = rel ? `${rel}/${e.name}` : e.name
    const kind = e.isSymbolicLink() ? await statKind(full) : e.isDirectory() ? 'dir' : e.isFile() ? 'file' : 'other'
    if (kind === 'dir') yield* walkDir(full, childRel, seen)
    else if (kind === 'file') yield { path: full, rel: childRel }
  }
}

async function statKind(p: string): Promise<'dir' | 'file' | 'other'> {
  try {
    const s = await fs.promises.stat(p)
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : 'other'
  } catch {
    return 'other'
  }
}
