/**
 * SAM text for the auxiliary fields of a BAM record (SAMv1 §1.5 "The
 * alignment section: optional fields" and §4.2.4 "Auxiliary data encoding"),
 * written byte by byte into a {@link TextSink}, as htslib 1.16's
 * `sam_format_aux1` does for `samtools view`.
 */
import { BamError } from '../errors.js'

/** Size of a tag key, §4.2.4 ("tag: char[2]"). */
export const TAG_BYTES = 2
/** Key plus the value type character, §4.2.4. */
export const TAG_HEAD_BYTES = 3
/** B arrays: subtype (1 byte) then count (uint32), §4.2.4. */
export const B_ARRAY_HEAD_BYTES = 5
/** Offset of a B array's count, after its subtype byte, §4.2.4. */
export const B_COUNT_OFFSET = 1
/** htslib prints a field only while at least this many aux bytes remain (key, type and one value byte); shorter tails are ignored. */
export const MIN_TAG_BYTES = 4
/** Most output bytes one aux byte can become ("c" arrays: 1 byte to ",-128"); callers size the sink with it. */
export const AUX_EXPANSION = 5

/** ASCII codes used below. */
const TAB = 0x09, COLON = 0x3a, COMMA = 0x2c, MINUS = 0x2d, ZERO = 0x30, DOT = 0x2e
/** Value type characters, §4.2.4 (`d`, a double, is not in the spec but htslib prints it). */
const TYPE_A = 0x41, TYPE_c = 0x63, TYPE_C = 0x43, TYPE_s = 0x73, TYPE_S = 0x53, TYPE_i = 0x69, TYPE_I = 0x49
const TYPE_f = 0x66, TYPE_d = 0x64, TYPE_Z = 0x5a, TYPE_H = 0x48, TYPE_B = 0x42

/** Output buffer: `out[pos]` is the next byte to write; `view` is over `out`. Callers guarantee room (no bounds checks on the hot path). */
export interface TextSink { out: Uint8Array, view: DataView, pos: number }

/**
 * A sink writing into `out` from its start.
 *
 * @example
 * ```ts
 * const sink = textSink(new Uint8Array(64))
 * ```
 */
export const textSink = (out: Uint8Array): TextSink => ({ out, view: new DataView(out.buffer, out.byteOffset, out.byteLength), pos: 0 })

/**
 * Writes the decimal digits of an integer (any safe integer).
 *
 * @example
 * ```ts
 * const sink = textSink(new Uint8Array(16))
 * writeInt(sink, -42) // out now starts with "-42"
 * ```
 */
export function writeInt(sink: TextSink, n: number): void {
  const out = sink.out
  let p = sink.pos
  if (n < 0) { out[p++] = MINUS; n = -n }
  let digits = 1
  for (let t = 10; t <= n; t *= 10) digits++
  p += digits
  sink.pos = p
  if (n <= 0x7fffffff) { // int32 arithmetic for the common case
    do { out[--p] = ZERO + (n % 10); n = (n / 10) | 0 } while (n > 0)
  } else {
    do { out[--p] = ZERO + (n % 10); n = Math.floor(n / 10) } while (n > 0)
  }
}

/** Writes a Latin-1 string, one byte per character. */
function writeLatin1(sink: TextSink, s: string): void {
  const out = sink.out
  let p = sink.pos
  for (let i = 0; i < s.length; i++) out[p++] = s.charCodeAt(i)
  sink.pos = p
}

/**
 * Formats a number as C's `printf("%g")` does with glibc (6 significant
 * digits, exact round-half-even, `inf`, `nan`/`-nan` by the sign bit,
 * two-digit exponents). htslib 1.16 prints `f` and `d` tags this way.
 *
 * @example
 * ```ts
 * formatG(123456.5) // '123456' (a tie: rounds to even)
 * formatG(1e-5)     // '1e-05'
 * ```
 */
export function formatG(x: number, negative = x < 0 || Object.is(x, -0)): string {
  const sign = negative ? '-' : ''
  if (Number.isNaN(x)) return `${sign}nan`
  const a = Math.abs(x)
  if (a === Infinity) return `${sign}inf`
  if (a === 0) return `${sign}0`
  let [digits, exp] = sixDigits(a)
  if (exp < -4 || exp >= 6) {
    const mant = trimFraction(`${digits[0]}.${digits.slice(1)}`)
    const e = Math.abs(exp)
    return `${sign}${mant}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`
  }
  if (exp < 0) digits = '0'.repeat(-exp) + digits
  const intLen = Math.max(exp, 0) + 1
  return sign + trimFraction(`${digits.slice(0, intLen)}.${digits.slice(intLen)}`)
}

/** 6 significant digits of a > 0 and its decimal exponent, rounded like glibc (ties to even). */
function sixDigits(a: number): [string, number] {
  const s = a.toExponential(5) // ECMAScript rounds exact ties up; glibc rounds them to even
  const e = s.indexOf('e')
  let n = Number(s.slice(0, 1) + s.slice(2, e))
  const exp = Number(s.slice(e + 1))
  if (n % 2 === 1 && isMidpoint(a, n, exp - 5)) n -= 1
  return [String(n), exp]
}

const F64 = new Float64Array(1)
const F64_BITS = new BigUint64Array(F64.buffer)

/** True when a === (n - 1/2) * 10^k exactly (BigInt arithmetic, so no rounding). */
function isMidpoint(a: number, n: number, k: number): boolean {
  if (!a.toExponential(6).includes('5e')) return false // quick reject: a tie has 7 significant digits ending in 5
  F64[0] = a
  const bits = F64_BITS[0]!
  const biased = Number(bits >> 52n)
  const mant = (bits & 0xfffffffffffffn) | (biased === 0 ? 0n : 1n << 52n)
  // a = mant * 2^e2; test 2 * mant * 2^e2 === (2n - 1) * 2^k * 5^k, moving 5^-k and the powers of 2 across
  const shift = (biased === 0 ? -1074 : biased - 1075) + 1 - k
  const left = k < 0 ? mant * 5n ** BigInt(-k) : mant
  const right = BigInt(2 * n - 1) * (k > 0 ? 5n ** BigInt(k) : 1n)
  return shift >= 0 ? left << BigInt(shift) === right : left === right << BigInt(-shift)
}

/** Drops trailing zeros of a fraction, and the point when nothing is left after it. */
function trimFraction(s: string): string {
  let end = s.length
  while (s.charCodeAt(end - 1) === ZERO) end--
  if (s.charCodeAt(end - 1) === DOT) end--
  return s.slice(0, end)
}

/** Scale factors of htslib 1.16 `kputd` for d in [1e-4, 1e6): [upper bound, multiplier, digits before the point - 10]. */
const KPUTD_SCALES: readonly (readonly [number, number, number])[] = [
  [0.001, 1e9, 1], [0.01, 1e8, 2], [0.1, 1e7, 3], [1, 1e6, 4], [10, 1e5, 5],
  [100, 1e4, 6], [1000, 1e3, 7], [10000, 1e2, 8], [100000, 1e1, 9], [Infinity, 1, 10],
]

/**
 * Formats a `B:f` array element as htslib 1.16's `kputd`: `%g` outside
 * [0.0001, 999999], otherwise 6 significant digits rounded half *up*
 * (`(uint32_t)(d * 10^k + 0.5)`), unlike the tie-to-even of `%g`.
 *
 * @example
 * ```ts
 * formatKputd(123456.5) // '123457'
 * ```
 */
export function formatKputd(d: number, negative = d < 0 || Object.is(d, -0)): string {
  const a = Math.abs(d)
  if (!(a >= 0.0001 && a <= 999999)) return formatG(d, negative)
  const [, mult, sub] = KPUTD_SCALES.find(([limit]) => a < limit)!
  const digits = String(Math.floor(a * mult + 0.5)) // 6 digits, or 7 when it rounds up to 1000000
  const p = sub + digits.length
  const kept = p <= 10
    ? `0.${'0'.repeat(10 - p)}${digits.slice(0, 6)}`
    : `${digits.slice(0, p - 10)}.${digits.slice(p - 10)}`.slice(0, 7)
  return (negative ? '-' : '') + trimFraction(kept)
}

/** Bytes per element of a B array subtype, 0 for an invalid one (htslib accepts c C s S i I f). */
function arrayElementSize(sub: number): number {
  switch (sub) {
    case TYPE_c: case TYPE_C: return 1
    case TYPE_s: case TYPE_S: return 2
    case TYPE_i: case TYPE_I: case TYPE_f: return 4
    default: return 0
  }
}

/**
 * Byte length of the aux field whose key starts at `at`, or throws
 * `ERR_BAD_RECORD` when its type is unknown or it runs past `end`.
 *
 * @example
 * ```ts
 * let p = rec.auxOffset
 * while (rec.end - p >= TAG_HEAD_BYTES) p += auxFieldLength(rec.bytes, rec.view, p, rec.end)
 * ```
 */
export function auxFieldLength(bytes: Uint8Array, view: DataView, at: number, end: number): number {
  const type = bytes[at + TAG_BYTES]!
  const v = at + TAG_HEAD_BYTES
  let len = scalarSize(type)
  if (type === TYPE_Z || type === TYPE_H) { // NUL-terminated
    let q = v
    while (q < end && bytes[q] !== 0) q++
    len = q < end ? q + 1 - v : -1
  } else if (type === TYPE_B && end - v >= B_ARRAY_HEAD_BYTES) {
    const size = arrayElementSize(bytes[v]!)
    const n = view.getUint32(v + B_COUNT_OFFSET, true)
    len = size > 0 && n <= (end - v - B_ARRAY_HEAD_BYTES) / size ? B_ARRAY_HEAD_BYTES + n * size : -1
  }
  if (len < 0 || v + len > end) throw badAux(at, type)
  return TAG_HEAD_BYTES + len
}

/** Value bytes of a fixed-size type, -1 for Z, H, B and unknown types. */
function scalarSize(type: number): number {
  switch (type) {
    case TYPE_A: case TYPE_c: case TYPE_C: return 1
    case TYPE_s: case TYPE_S: return 2
    case TYPE_i: case TYPE_I: case TYPE_f: return 4
    case TYPE_d: return 8
    default: return -1
  }
}

/** The record's file offset is added by the run: the message names the field, not a buffer position. */
const badAux = (_at: number, type: number): BamError =>
  new BamError('ERR_BAD_RECORD', `corrupted aux data: a field of type '${String.fromCharCode(type)}' is invalid or truncated`)

/**
 * Appends `\tTG:T:value` for every aux field in [start, end), skipping the
 * field that starts at `skip` (the moved `CG` tag, or -1). Matches htslib
 * 1.16: a tail of fewer than {@link MIN_TAG_BYTES} bytes is ignored; an
 * unknown type, a `B` subtype other than c C s S i I f, a missing NUL or an
 * overrun throws `ERR_BAD_RECORD`.
 *
 * @example
 * ```ts
 * writeAuxFields(sink, rec.bytes, rec.view, rec.auxOffset, rec.end, -1)
 * ```
 */
export function writeAuxFields(sink: TextSink, bytes: Uint8Array, view: DataView, start: number, end: number, skip: number): void {
  let at = start
  while (end - at >= MIN_TAG_BYTES) {
    const len = auxFieldLength(bytes, view, at, end)
    if (at !== skip) writeAuxField(sink, bytes, view, at)
    at += len
  }
}

/** One validated field: `\t`, key, `:`, SAM type, `:`, value. */
function writeAuxField(sink: TextSink, bytes: Uint8Array, view: DataView, at: number): void {
  const out = sink.out
  const type = bytes[at + TAG_BYTES]!
  const v = at + TAG_HEAD_BYTES
  let p = sink.pos
  out[p++] = TAB
  out[p++] = bytes[at]!
  out[p++] = bytes[at + 1]!
  out[p++] = COLON
  const isInt = scalarSize(type) > 0 && type !== TYPE_A && type !== TYPE_f && type !== TYPE_d
  out[p++] = isInt ? TYPE_i : type
  out[p++] = COLON
  sink.pos = p
  if (isInt) writeInt(sink, readInteger(view, v, type))
  else if (type === TYPE_A) out[sink.pos++] = bytes[v]!
  else if (type === TYPE_f) writeLatin1(sink, formatG(view.getFloat32(v, true), signBit(bytes, v, 4)))
  else if (type === TYPE_d) writeLatin1(sink, formatG(view.getFloat64(v, true), signBit(bytes, v, 8)))
  else if (type === TYPE_B) writeArray(sink, bytes, view, v)
  else writeString(sink, bytes, v)
}

/** Sign bit of the little-endian IEEE number of `size` bytes at `at` (a NaN's sign is lost once read as a JS number). */
const signBit = (bytes: Uint8Array, at: number, size: number): boolean => bytes[at + size - 1]! >= 0x80

/** Integer value of type c C s S i I at `at`. */
function readInteger(view: DataView, at: number, type: number): number {
  switch (type) {
    case TYPE_c: return view.getInt8(at)
    case TYPE_C: return view.getUint8(at)
    case TYPE_s: return view.getInt16(at, true)
    case TYPE_S: return view.getUint16(at, true)
    case TYPE_i: return view.getInt32(at, true)
    default: return view.getUint32(at, true)
  }
}

/** Z/H value: raw bytes up to the NUL (validated to exist). */
function writeString(sink: TextSink, bytes: Uint8Array, at: number): void {
  const out = sink.out
  let p = sink.pos
  for (let q = at; bytes[q] !== 0; q++) out[p++] = bytes[q]!
  sink.pos = p
}

/** B value: subtype letter then `,element` for each element. */
function writeArray(sink: TextSink, bytes: Uint8Array, view: DataView, at: number): void {
  const sub = bytes[at]!
  const size = arrayElementSize(sub)
  const n = view.getUint32(at + B_COUNT_OFFSET, true)
  sink.out[sink.pos++] = sub
  let q = at + B_ARRAY_HEAD_BYTES
  for (let i = 0; i < n; i++, q += size) {
    sink.out[sink.pos++] = COMMA
    if (sub === TYPE_f) writeLatin1(sink, formatKputd(view.getFloat32(q, true), signBit(bytes, q, 4)))
    else writeInt(sink, readInteger(view, q, sub))
  }
}
