/**
 * Partials as plain JSON for Redis: a sealed partial is structured-clone data
 * (objects, arrays, numbers, strings, bigints, typed arrays), and job data and
 * return values in BullMQ are JSON. Typed arrays and bigints are tagged.
 */

/** Tag key of an encoded typed array or bigint. */
const TAG = '$bamstream'

type TypedArrayName =
  | 'Uint8Array' | 'Int8Array' | 'Uint16Array' | 'Int16Array' | 'Uint32Array' | 'Int32Array'
  | 'Float32Array' | 'Float64Array' | 'BigInt64Array' | 'BigUint64Array' | 'Uint8ClampedArray'

const CONSTRUCTORS: Record<TypedArrayName, new (b: ArrayBuffer) => ArrayBufferView> = {
  Uint8Array, Int8Array, Uint16Array, Int16Array, Uint32Array, Int32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array, Uint8ClampedArray,
}

/**
 * Turns a structured-clone value into JSON-safe data ({@link decodeValue} undoes it).
 *
 * @example
 * ```ts
 * JSON.stringify(encodeValue({ n: 1n, a: new Float64Array([1]) }))
 * ```
 */
export function encodeValue(value: unknown): unknown {
  if (typeof value === 'bigint') return { [TAG]: 'bigint', v: value.toString() }
  if (value === null || typeof value !== 'object') return value
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength)
    return { [TAG]: value.constructor.name, v: bytes.toString('base64') }
  }
  if (Array.isArray(value)) return value.map(encodeValue)
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[k] = encodeValue(v)
  return out
}

/**
 * Rebuilds a value encoded by {@link encodeValue}.
 *
 * @example
 * ```ts
 * decodeValue(encodeValue(new Uint32Array([7]))) // Uint32Array [7]
 * ```
 */
export function decodeValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map(decodeValue)
  const o = value as Record<string, unknown>
  const tag = o[TAG]
  if (typeof tag === 'string' && typeof o.v === 'string') {
    if (tag === 'bigint') return BigInt(o.v)
    const make = CONSTRUCTORS[tag as TypedArrayName]
    if (make) {
      const bytes = Buffer.from(o.v, 'base64')
      const own = new ArrayBuffer(bytes.length)
      new Uint8Array(own).set(bytes)
      return new make(own)
    }
  }
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(o)) out[k] = decodeValue(v)
  return out
}
