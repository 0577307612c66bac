/**
 * Values and operators of htslib 1.16's filter expressions (hts_expr.c):
 * numbers, strings, undefined values and the forced truth of present tags, with
 * each operator's rules for undefined and mixed operands. See `expr.ts`.
 */
import { BamError } from '../errors.js'
import type { Reference } from './header.js'
import type { RecordView } from './record.js'

/** A value as hts_expr_val_t holds it: a string (`s`, null when absent) or a number (`d`, NaN when undefined), and a forced truth. */
export interface Val {
  str: boolean
  s: string | null
  d: number
  t: boolean
}

/** What an expression reads: the record, the header's reference names, and its read groups' libraries (`@RG` ID → LB). */
export interface ExprInput {
  rec: RecordView
  refs: readonly Reference[]
  libraries?: Readonly<Record<string, string>>
}

export type Node = (x: ExprInput) => Val

/** Evaluation failed for this record (htslib returns -1; samtools then drops the record). */
export class EvalError extends Error {}

export const num = (d: number, t = false): Val => ({ str: false, s: null, d, t })
export const str = (s: string | null): Val => ({ str: true, s, d: 0, t: false })
export const undef = (): Val => num(NaN)
export const exists = (v: Val): boolean => !(v.str && v.s === null) && !(!v.str && Number.isNaN(v.d))
export const existsT = (v: Val): boolean => v.t || exists(v)
export const truthy = (v: Val): boolean => v.t || (v.str && v.s !== null) || (!v.str && v.d !== 0 && !Number.isNaN(v.d))
export const int64 = (d: number): bigint => BigInt(Math.trunc(Number.isFinite(d) ? d : 0))

export const ARITH: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b, '-': (a, b) => a - b, '*': (a, b) => a * b, '/': (a, b) => a / b,
  '%': (a, b) => (Math.trunc(b) === 0 ? NaN : Number(int64(a) % int64(b))),
}

/** Arithmetic as add_expr/mul_expr: undefined if either side is, an error on strings. */
export function arith(a: Val, b: Val, f: (a: number, b: number) => number): Val {
  if (!exists(a) || !exists(b)) return undef()
  if (a.str || b.str) throw new EvalError()
  const d = f(a.d, b.d)
  return num(d, !Number.isNaN(d) && d !== 0)
}

export function not(v: Val): Val {
  if (v.t) return num(0)
  if (!exists(v)) return num(1, true)
  if (v.str) return num(v.s === null ? 1 : 0, v.s === null)
  const d = int64(v.d) === 0n ? 1 : 0
  return num(d, d !== 0)
}

export function complement(v: Val): Val {
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

export function cmpNode(l: Node, r: Node, op: string): Node {
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

export function eqNode(l: Node, r: Node, negate: boolean): Node {
  return (x) => {
    const a = l(x), b = r(x)
    if (!exists(a) || !exists(b)) return undef()
    const same = a.str ? b.str && strcmp(a.s!, b.s!) === 0 : !b.str && a.d === b.d
    const d = negate ? !same : same
    return num(d ? 1 : 0, d)
  }
}

export function matchNode(l: Node, r: Node, negate: boolean, invalid: () => BamError): Node {
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

export function andNode(l: Node, r: Node): Node {
  return (x) => {
    const a = l(x), b = r(x)
    if (!existsT(a) || !existsT(b)) return { ...undef(), d: 0 }
    const d = truthy(a) && truthy(b)
    return num(d ? 1 : 0, d)
  }
}

export function orNode(l: Node, r: Node): Node {
  return (x) => {
    const a = l(x), b = r(x)
    if ((!existsT(a) && !existsT(b)) || (!existsT(a) && !truthy(b)) || (!existsT(b) && !truthy(a))) return { ...undef(), d: 0 }
    const d = truthy(a) || truthy(b)
    return num(d ? 1 : 0, d)
  }
}

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

export const FUNCTIONS: Record<string, ((a: Val, b: Val) => Val) | ((a: Val) => Val)> = {
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
