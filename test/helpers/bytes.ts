/**
 * Deterministic test bytes (xorshift32); `alphabet` small means compressible,
 * 256 means incompressible.
 *
 * @example
 * ```ts
 * bytes(65536, 2, 4) // 64 KiB over 4 symbols: compresses well
 * ```
 */
export function bytes(n: number, seed = 1, alphabet = 256): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed >>> 0 || 1
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0 // xorshift32
    out[i] = x % alphabet
  }
  return out
}
