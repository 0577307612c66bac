/**
 * samtools' `-e` filter expressions, with htslib 1.16's grammar and value
 * rules (hts_expr.c) and its record symbols (sam.c `bam_sym_lookup`).
 * The text is compiled once into closures; each record is then evaluated
 * without parsing. What htslib rejects while evaluating (arithmetic on a
 * string, a `B` array tag) drops the record, as samtools does; what can be
 * known wrong before reading a record (syntax, unknown names) is refused up
 * front with its position.
 */
import { BamError } from '../errors.js'
import type { Reference } from './header.js'
import type { RecordView } from './record.js'
import {
  ARITH, EvalError, FUNCTIONS, andNode, arith, cmpNode, complement, eqNode, exists, int64, matchNode, not, num, orNode, str, undef,
  type Node, type Val,
} from './expr-values.js'
import { FLAG_SYMBOLS, SYMBOLS, tagNode } from './expr-symbols.js'

export type { ExprInput } from './expr-values.js'
export { readGroupLibraries } from './expr-symbols.js'

/**
 * A compiled filter: `test(rec, refs, libraries)` is true when samtools would
 * keep the record (`libraries`, from {@link readGroupLibraries}, serve `library`).
 *
 * @example
 * ```ts
 * const f = compileExpr('mapq >= 30 && [NM] < 3 && rname == "chr1"')
 * if (f.test(rec, header.references)) keep(rec)
 * ```
 */
export interface CompiledExpr {
  test(rec: RecordView, refs: readonly Reference[], libraries?: Readonly<Record<string, string>>): boolean
  /** True when the expression names `library` (it then needs the header's read groups). */
  readonly usesLibrary: boolean
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
    usesLibrary: parser.usesLibrary,
    test(rec, refs, libraries) {
      try {
        const v = root({ rec, refs, libraries })
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
  usesLibrary = false
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
    if (sym[0] === 'library') this.usesLibrary = true
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

