/**
 * samtools' `-e` filter expressions, with htslib 1.16's grammar and value
 * rules (hts_expr.c) and its record symbols (sam.c `bam_sym_lookup`).
 * The text is compiled once into closures; each record is then evaluated
 * without parsing. What htslib rejects while evaluating (arithmetic on a
 * string, a `B` array tag) drops the record, as samtools does; what can be
 * known wrong before reading a record (syntax, unknown names, `library`,
 * which needs the header's read groups) is refused up front with its position.
 */
import { FLAG_NAMES } from './flags.js'
import type { Reference } from './header.js'
import type { RecordView } from './record.js'
import { endPosition } from './region.js'
import { BamError } from '../errors.js'

/** A value as hts_expr_val_t holds it: a string (`s`, null when absent) or a number (`d`, NaN when undefined), and a forced truth. */
interface Val {
  str: boolean
  s: string | null
  d: number
  t: boolean
}

/** What an expression reads: the record and the header's reference names. */
export interface ExprInput {
  rec: RecordView
  refs: readonly Reference[]
}

type Node = (x: ExprInput) => Val

/** Evaluation failed for this record (htslib returns -1; samtools then drops the record). */
class EvalError extends Error {}

const num = (d: number, t = false): Val => ({ str: false, s: null, d, t })
const str = (s: string | null): Val => ({ str: true, s, d: 0, t: false })
const undef = (): Val => num(NaN)
const exists = (v: Val): boolean => !(v.str && v.s === null) && !(!v.str && Number.isNaN(v.d))
const existsT = (v: Val): boolean => v.t || exists(v)
const truthy = (v: Val): boolean => v.t || (v.str && v.s !== null) || (!v.str && v.d !== 0 && !Number.isNaN(v.d))
const int64 = (d: number): bigint => BigInt(Math.trunc(Number.isFinite(d) ? d : 0))

/**
 * A compiled filter: `test(rec, refs)` is true when samtools would keep the record.
 *
 * @example
 * ```ts
 * const f = compileExpr('mapq >= 30 && [NM] < 3 && rname == "chr1"')
 * if (f.test(rec, header.references)) keep(rec)
 * ```
 */
export interface CompiledExpr {
  test(rec: RecordView, refs: readonly Reference[]): boolean
}

/**
 * Compiles a filter expression, or throws `ERR_OPTION` naming what is wrong and where.
 *
 * @example
 * ```ts
 * compileExpr('flag.paired && !flag.proper_pair')
 * ```
 */
export function compileExpr(text: string): CompiledExpr {
  const parser = new Parser(text)
  const root = parser.expression()
  parser.skipSpace()
  if (parser.p < text.length) throw parser.error('unexpected text')
  return {
    test(rec, refs) {
      try {
        const v = root({ rec, refs })
        return v.str ? v.t || v.s !== null : v.t || (exists(v) && v.d !== 0)
      } catch (e) {
        if (e instanceof EvalError) return false
        throw e
      }
    },
  }
}

/** Recursive descent over the text, one method per htslib grammar rule. */
class Parser {
  p = 0
  constructor(readonly text: string) {}

  error(why: string): BamError {
    return new BamError('ERR_OPTION', `filter expression: ${why} at column ${this.p + 1}: ${this.text}`)
  }

  skipSpace(): void {
    while (this.text[this.p] === ' ' || this.text[this.p] === '\t') this.p++
  }

  private peek(s: string): boolean {
    return this.text.startsWith(s, this.p)
  }

  /** and_expr: `&&` and `||` at one level, left to right. */
  expression(): Node {
    let left = this.eq()
    for (;;) {
      this.skipSpace()
      const op = this.peek('&&') ? '&&' : this.peek('||') ? '||' : ''
      if (!op) return left
      this.p += 2
      const right = this.eq()
      left = op === '&&' ? andNode(left, right) : orNode(left, right)
    }
  }

  /** eq_expr: `==`, `!=`, `=~`, `!~`, right-recursive. */
  private eq(): Node {
    const left = this.cmp()
    this.skipSpace()
    const op = ['==', '!=', '=~', '!~'].find((o) => this.peek(o))
    if (!op) return left
    this.p += 2
    const at = this.p
    const right = this.eq()
    if (op === '==' || op === '!=') return eqNode(left, right, op === '!=')
    return matchNode(left, right, op === '!~', () => new Parser(this.text).errorAt(at, 'invalid regular expression'))
  }

  errorAt(at: number, why: string): BamError {
    this.p = at
    return this.error(why)
  }

  /** cmp_expr: `<`, `<=`, `>`, `>=`, right-recursive. */
  private cmp(): Node {
    const left = this.bitor()
    this.skipSpace()
    const op = ['>=', '<=', '>', '<'].find((o) => this.peek(o))
    if (!op) return left
    this.p += op.length
    return cmpNode(left, this.cmp(), op)
  }

  private bitor(): Node {
    return this.binaryLoop(() => this.bitxor(), (t) => t === '|' && this.text[this.p + 1] !== '|', (a, b) => a | b)
  }

  private bitxor(): Node {
    return this.binaryLoop(() => this.bitand(), (t) => t === '^', (a, b) => a ^ b)
  }

  private bitand(): Node {
    return this.binaryLoop(() => this.add(), (t) => t === '&' && this.text[this.p + 1] !== '&', (a, b) => a & b)
  }

  /** The bitwise rules: int64 operands, undefined when either side is. */
  private binaryLoop(next: () => Node, isOp: (t: string | undefined) => boolean, f: (a: bigint, b: bigint) => bigint): Node {
    let left = next()
    for (;;) {
      this.skipSpace()
      if (!isOp(this.text[this.p])) return left
      this.p++
      const l = left, r = next()
      left = (x) => arith(l(x), r(x), (a, b) => Number(f(int64(a), int64(b))))
    }
  }

  /** add_expr and mul_expr. */
  private add(): Node {
    return this.arithLoop(() => this.mul(), '+-')
  }

  private mul(): Node {
    return this.arithLoop(() => this.unary(), '*/%')
  }

  private arithLoop(next: () => Node, ops: string): Node {
    let left = next()
    for (;;) {
      this.skipSpace()
      const op = this.text[this.p]
      if (op === undefined || !ops.includes(op)) return left
      this.p++
      const l = left, r = next()
      left = (x) => arith(l(x), r(x), ARITH[op]!)
    }
  }

  /** unary_expr: `+`/`-` apply to a simple expression, `!`/`~` to a unary one. */
  private unary(): Node {
    this.skipSpace()
    const c = this.text[this.p]
    if (c === '+' || c === '-') {
      this.p++
      const inner = this.simple()
      return (x) => {
        const v = inner(x)
        if (!exists(v)) return undef()
        if (v.str) throw new EvalError()
        const d = c === '-' ? -v.d : v.d
        return num(d, d !== 0)
      }
    }
    if (c === '!' || c === '~') {
      this.p++
      const inner = this.unary()
      return c === '!' ? (x) => not(inner(x)) : (x) => complement(inner(x))
    }
    return this.simple()
  }

  /** simple_expr: `( expression )`, a number, a string, a symbol, or a function call. */
  private simple(): Node {
    this.skipSpace()
    if (this.text[this.p] === '(') {
      this.p++
      const inner = this.expression()
      this.expect(')')
      return inner
    }
    const number = NUMBER.exec(this.text.slice(this.p))
    if (number) {
      this.p += number[0].length
      const d = parseNumber(number[0])
      return () => num(d)
    }
    if (this.text[this.p] === '"') return this.string()
    return this.symbol() ?? this.func()
  }

  private expect(c: string): void {
    this.skipSpace()
    if (this.text[this.p] !== c) throw this.error(`missing '${c}'`)
    this.p++
  }

  private string(): Node {
    let s = ''
    let q = this.p + 1
    for (; q < this.text.length && this.text[q] !== '"'; q++) {
      if (this.text[q] === '\\' && q + 1 < this.text.length) s += ESCAPES[this.text[++q]!] ?? `\\${this.text[q]}`
      else s += this.text[q]
    }
    if (this.text[q] !== '"') throw this.error('unterminated string')
    this.p = q + 1
    return () => str(s)
  }

  /** A record field (`bam_sym_lookup`: names match as prefixes, in its order), or undefined. */
  private symbol(): Node | undefined {
    const rest = this.text.slice(this.p)
    if (rest.startsWith('flag.')) {
      const name = FLAG_SYMBOLS.find(([n]) => rest.startsWith(n, 5))
      if (!name) throw this.error('unrecognised flag name')
      this.p += 5 + name[0].length
      const bit = name[1]
      return (x) => num(x.rec.flag & bit)
    }
    const tag = /^\[(..)\]/s.exec(rest)
    if (tag) {
      this.p += 4
      return tagNode(tag[1]!)
    }
    const sym = SYMBOLS.find(([n]) => rest.startsWith(n))
    if (!sym) return undefined
    if (sym[0] === 'library') throw this.error('"library" is not supported (it needs the header\'s read groups)')
    this.p += sym[0].length
    return sym[1]
  }

  /** func_expr: `NAME(` immediately, arguments, `)`. */
  private func(): Node {
    const m = /^([a-z]+)\(/.exec(this.text.slice(this.p))
    const f = m ? FUNCTIONS[m[1]!] : undefined
    if (!m || !f) throw this.error(m ? `unknown function "${m[1]}"` : 'expected a value')
    this.p += m[0].length
    const args = [this.expression()]
    if (f.length === 2) {
      this.expect(',')
      args.push(this.expression())
    }
    this.expect(')')
    return (x) => f(...args.map((a) => a(x)) as [Val, Val])
  }
}

/** strtod-like numbers as hts_str2dbl accepts them (sign included, hex, inf, nan). */
const NUMBER = /^[+-]?(?:0x[0-9a-f]+|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|inf(?:inity)?|nan)/i

function parseNumber(t: string): number {
  const negative = t.startsWith('-')
  const body = t.replace(/^[+-]/, '').toLowerCase()
  const d = body.startsWith('0x') ? parseInt(body.slice(2), 16) : body.startsWith('inf') ? Infinity : body === 'nan' ? NaN : Number(body)
  return negative ? -d : d
}

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', t: '\t', n: '\n', r: '\r' }

const ARITH: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b, '-': (a, b) => a - b, '*': (a, b) => a * b, '/': (a, b) => a / b,
  '%': (a, b) => (Math.trunc(b) === 0 ? NaN : Number(int64(a) % int64(b))),
}

/** Arithmetic as add_expr/mul_expr: undefined if either side is, an error on strings. */
function arith(a: Val, b: Val, f: (a: number, b: number) => number): Val {
  if (!exists(a) || !exists(b)) return undef()
  if (a.str || b.str) throw new EvalError()
  const d = f(a.d, b.d)
  return num(d, !Number.isNaN(d) && d !== 0)
}

function not(v: Val): Val {
  if (v.t) return num(0)
  if (!exists(v)) return num(1, true)
  if (v.str) return num(v.s === null ? 1 : 0, v.s === null)
  const d = int64(v.d) === 0n ? 1 : 0
  return num(d, d !== 0)
}

function complement(v: Val): Val {
  if (!exists(v)) return undef()
  if (v.str) throw new EvalError()
  const d = Number(~int64(v.d))
  return num(d, d !== 0)
}

/** A string as C sees it: up to its first NUL (htslib compares and matches C strings; `qual` may hold a 0). */
const cString = (s: string): string => {
  const nul = s.indexOf('\0')
  return nul < 0 ? s : s.slice(0, nul)
}

/** C's strcmp sign on latin1 strings. */
function strcmp(a: string, b: string): number {
  const x = cString(a), y = cString(b)
  return x < y ? -1 : x > y ? 1 : 0
}

function cmpNode(l: Node, r: Node, op: string): Node {
  const f = CMP[op]!
  return (x) => {
    const a = l(x), b = r(x)
    if (!exists(a) || !exists(b)) return undef()
    const d = a.str && b.str ? f(strcmp(a.s!, b.s!), 0) : !a.str && !b.str && f(a.d, b.d)
    return num(d ? 1 : 0, d)
  }
}

const CMP: Record<string, (a: number, b: number) => boolean> = {
  '>=': (a, b) => a >= b, '>': (a, b) => a > b, '<=': (a, b) => a <= b, '<': (a, b) => a < b,
}

function eqNode(l: Node, r: Node, negate: boolean): Node {
  return (x) => {
    const a = l(x), b = r(x)
    if (!exists(a) || !exists(b)) return undef()
    const same = a.str ? b.str && strcmp(a.s!, b.s!) === 0 : !b.str && a.d === b.d
    const d = negate ? !same : same
    return num(d ? 1 : 0, d)
  }
}

function matchNode(l: Node, r: Node, negate: boolean, invalid: () => BamError): Node {
  const cache = new Map<string, RegExp>()
  return (x) => {
    const a = l(x), b = r(x)
    if (!a.str || !b.str) throw new EvalError()
    if (a.s === null || b.s === null) return undef() // a null string or pattern is false
    let re = cache.get(b.s)
    if (!re) {
      try {
        re = new RegExp(posixClasses(b.s)) // POSIX extended syntax, as far as JavaScript shares it
      } catch {
        throw invalid()
      }
      cache.set(b.s, re)
    }
    const d = re.test(cString(a.s)) !== negate
    return num(d ? 1 : 0, d)
  }
}

/** POSIX bracket classes (`[[:digit:]]`) as JavaScript ranges. */
const POSIX_CLASSES: Record<string, string> = {
  alpha: 'a-zA-Z', digit: '0-9', alnum: '0-9a-zA-Z', upper: 'A-Z', lower: 'a-z', space: ' \\t\\n\\r\\f\\v',
  blank: ' \\t', punct: '!-\\/:-@\\[-`{-~', xdigit: '0-9a-fA-F',
}
const posixClasses = (re: string): string => re.replace(/\[:([a-z]+):\]/g, (m, name: string) => POSIX_CLASSES[name] ?? m)

function andNode(l: Node, r: Node): Node {
  return (x) => {
    const a = l(x), b = r(x)
    if (!existsT(a) || !existsT(b)) return { ...undef(), d: 0 }
    const d = truthy(a) && truthy(b)
    return num(d ? 1 : 0, d)
  }
}

function orNode(l: Node, r: Node): Node {
  return (x) => {
    const a = l(x), b = r(x)
    if ((!existsT(a) && !existsT(b)) || (!existsT(a) && !truthy(b)) || (!existsT(b) && !truthy(a))) return { ...undef(), d: 0 }
    const d = truthy(a) || truthy(b)
    return num(d ? 1 : 0, d)
  }
}

/** `[XX]`: present tags are true even when 0; absent ones are undefined strings. */
function tagNode(key: string): Node {
  return (x) => {
    const v = x.rec.tag(key)
    if (v === undefined) return str(null)
    if (typeof v === 'number') return num(v, true)
    if (typeof v === 'string') return { ...str(v), t: true }
    throw new EvalError() // B arrays: "Aux type 'B' not yet supported by filters"
  }
}

/** Name of a reference, `*` for none. */
const refName = (refs: readonly Reference[], id: number): string => refs[id]?.name ?? '*'

/** CIGAR op lengths: M I S = X consume the query, M D N = X the reference (§1.4.6). */
function cigarLength(rec: RecordView, consumes: number): number {
  let n = 0
  for (const op of rec.cigarOps()) if ((consumes >> (op & 0xf)) & 1) n += op >>> 4
  return n
}
const QUERY_OPS = 0b110010011
const REF_OPS = 0b110001101

/** Soft-clipped bases at both ends, looking through an outer hard clip (htslib `sclen`). */
function softClipLength(rec: RecordView): number {
  const ops = rec.cigarOps()
  const n = ops.length
  const code = (i: number): number => ops[i]! & 0xf
  const len = (i: number): number => ops[i]! >>> 4
  let sclen = 0, left = 0
  if (n > 0 && code(0) === 4) sclen += len(0)
  else if (n > 1 && code(0) === 5 && code(1) === 4) { left = 1; sclen += len(1) }
  if (n - 1 > left && code(n - 1) === 4) sclen += len(n - 1)
  else if (n - 2 > left && code(n - 1) === 5 && code(n - 2) === 4) sclen += len(n - 2)
  return sclen
}

/** The raw quality bytes as a latin1 string (0xFF bytes when absent), as htslib copies them. */
function qualText(rec: RecordView): string {
  const n = Math.max(0, rec.lSeq), at = rec.qualOffset
  return Buffer.from(rec.bytes.buffer, rec.bytes.byteOffset + at, n).toString('latin1')
}

/** `flag.NAME` symbols, lower-case `samtools flags` names. */
const FLAG_SYMBOLS: readonly (readonly [string, number])[] = FLAG_NAMES.map(([n, bit]) => [n.toLowerCase(), bit])

/** `bam_sym_lookup`'s names, in its matching order (a name matches as a prefix of the text). */
const SYMBOLS: readonly (readonly [string, Node])[] = [
  ['cigar', (x) => str(x.rec.cigar)],
  ['endpos', (x) => num(endPosition(x.rec))],
  ['flag', (x) => num(x.rec.flag)],
  ['library', () => undef()],
  ['mapq', (x) => num(x.rec.mapq)],
  ['mpos', (x) => num(x.rec.nextPos + 1)],
  ['mrname', (x) => str(refName(x.refs, x.rec.nextRefID))],
  ['mrefid', (x) => num(x.rec.nextRefID)],
  ['ncigar', (x) => num(x.rec.cigarOps().length)],
  ['pos', (x) => num(x.rec.pos + 1)],
  ['pnext', (x) => num(x.rec.nextPos + 1)],
  ['qlen', (x) => num(cigarLength(x.rec, QUERY_OPS))],
  ['qname', (x) => str(x.rec.name)],
  ['qual', (x) => str(qualText(x.rec))],
  ['rlen', (x) => num(cigarLength(x.rec, REF_OPS))],
  ['rname', (x) => str(refName(x.refs, x.rec.refID))],
  ['rnext', (x) => str(refName(x.refs, x.rec.nextRefID))],
  ['refid', (x) => num(x.rec.refID)],
  ['seq', (x) => str(x.rec.lSeq > 0 ? x.rec.seq : '')],
  ['sclen', (x) => num(softClipLength(x.rec))],
  ['tlen', (x) => num(x.rec.tlen)],
]

/** The string-reducing functions take a string; `length`, `min`, `max`, `avg` fail on numbers. */
function onString(f: (codes: number[]) => number): (v: Val) => Val {
  return (v) => {
    if (!v.str) throw new EvalError()
    const s = v.s ?? ''
    const codes: number[] = new Array(s.length)
    for (let i = 0; i < s.length; i++) codes[i] = s.charCodeAt(i)
    return num(f(codes))
  }
}

/** A maths function: undefined when its result is NaN. */
const maths = (f: (d: number) => number) => (v: Val): Val => {
  const d = f(v.d)
  return Number.isNaN(d) ? undef() : num(d)
}

const FUNCTIONS: Record<string, ((a: Val, b: Val) => Val) | ((a: Val) => Val)> = {
  avg: onString((c) => (c.length ? c.reduce((s, x) => s + x, 0) / c.length : 0)),
  default: (a: Val, b: Val) => (existsT(a) ? a : b),
  exists: (v: Val) => { const e = existsT(v); return num(e ? 1 : 0, e) },
  exp: maths(Math.exp),
  length: onString((c) => c.length),
  log: maths(Math.log),
  min: onString((c) => (c.length ? c.reduce((m, x) => Math.min(m, x)) : NaN)),
  max: onString((c) => (c.length ? c.reduce((m, x) => Math.max(m, x)) : NaN)),
  pow: (a: Val, b: Val) => {
    if (!exists(a) || !exists(b)) return undef()
    if (a.str || b.str) throw new EvalError()
    return maths((d) => d ** b.d)(a)
  },
  sqrt: maths(Math.sqrt),
}
