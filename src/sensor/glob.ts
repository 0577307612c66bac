/**
 * Glob patterns of a sensor.
 *
 * Syntax: `*` (any run of characters but `/`), `?` (one character but `/`),
 * `**` (any number of whole directories), `[abc]`, `[a-z]`, `[!abc]`, and
 * `{a,b}` alternatives. A pattern with no `/` matches the file *name* at any
 * depth, as in `.gitignore` (`*.bam` finds `x/y/z.bam`); a pattern with a `/`
 * matches the path relative to the watched directory (`runs/*\/*.bam`, `**\/*.bam`; the backslash here only escapes the comment).
 * Matching ignores case (`*.bam` finds `X.BAM`). Hidden files and directories
 * (names starting with `.`) are never walked (listing.ts): that is where rsync
 * and many downloaders keep their temporary files.
 */

/**
 * Compiles one glob to a regular expression over `/`-separated paths.
 *
 * @example
 * ```ts
 * globToRegExp('**\/*.{bam,cram}').test('a/b/c.bam') // true
 * ```
 */
export function globToRegExp(pattern: string): RegExp {
  return new RegExp(`^${translate(pattern)}$`, 'i')
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
