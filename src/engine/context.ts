/**
 * Run context shared with the workers through shared memory: encoded once per
 * run, decoded once per worker and run.
 */
import type { Reference } from '../bam/header.js'
import type { OpContext } from '../ops/op.js'

interface EncodedContext {
  references: Reference[]
  options: Record<string, unknown>
}

/**
 * Encodes references and options as JSON in a SharedArrayBuffer.
 *
 * @example
 * ```ts
 * const sab = encodeContext(header.references, { excludedFlags: 4 })
 * decodeContext(sab).options // { excludedFlags: 4 }
 * ```
 */
export function encodeContext(references: Reference[], options: object): SharedArrayBuffer {
  const bytes = new TextEncoder().encode(JSON.stringify({ references, options }))
  const sab = new SharedArrayBuffer(bytes.length)
  new Uint8Array(sab).set(bytes)
  return sab
}

/** Decodes what {@link encodeContext} wrote. */
export function decodeContext(sab: SharedArrayBuffer): OpContext {
  const copy = new Uint8Array(sab.byteLength)
  copy.set(new Uint8Array(sab))
  const parsed = JSON.parse(new TextDecoder().decode(copy)) as EncodedContext
  return { references: parsed.references, headerText: '', options: parsed.options }
}
