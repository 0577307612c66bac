/**
 * Small byte-array helpers.
 */

/**
 * Concatenates two byte arrays. Returns `b` itself when `a` is empty.
 *
 * @example
 * ```ts
 * concatBytes(new Uint8Array([1]), new Uint8Array([2])) // Uint8Array [1, 2]
 * ```
 */
export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}
