/**
 * Encoding a BAM header, SAMv1 §4.2 "The BAM format": magic, text and
 * references (what `view -b` writes before the records it copies).
 */
import { BamError } from '../errors.js'
import { BAM_MAGIC, L_TEXT_OFFSET, TEXT_OFFSET, type Reference } from './header.js'

const INT32_BYTES = 4 // l_text, n_ref, l_name, l_ref: int32, §4.2

/**
 * Encodes the BAM header: magic, l_text, text, n_ref and each reference's
 * l_name (NUL included), name and l_ref, §4.2. Text and names are Latin-1.
 *
 * @example
 * ```ts
 * const bytes = encodeHeader('@HD\tVN:1.6\n', [{ name: 'chr1', length: 1000 }])
 * ```
 */
export function encodeHeader(text: string, refs: readonly Reference[]): Uint8Array {
  let size = TEXT_OFFSET + text.length + INT32_BYTES
  for (const r of refs) size += INT32_BYTES + r.name.length + 1 + INT32_BYTES
  const out = new Uint8Array(size)
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength)
  out.set(BAM_MAGIC)
  view.setInt32(L_TEXT_OFFSET, text.length, true)
  writeLatin1(out, TEXT_OFFSET, text)
  let p = TEXT_OFFSET + text.length
  view.setInt32(p, refs.length, true)
  p += INT32_BYTES
  for (const ref of refs) {
    const lName = ref.name.length + 1 // l_name: NUL included
    if (!(ref.length >= 0 && ref.length <= 0x7fffffff)) throw new BamError('ERR_OPTION', `reference ${ref.name} has length ${ref.length}`)
    view.setInt32(p, lName, true)
    writeLatin1(out, p + INT32_BYTES, ref.name)
    p += INT32_BYTES + lName
    view.setInt32(p, ref.length, true)
    p += INT32_BYTES
  }
  return out
}

/**
 * Writes `s` one byte per character at `out[at]`; a character above U+00FF is
 * an `ERR_OPTION` (header text and names are Latin-1 here).
 *
 * @example
 * ```ts
 * writeLatin1(out, 8, '@HD') // out[8..11) = 0x40 0x48 0x44
 * ```
 */
export function writeLatin1(out: Uint8Array, at: number, s: string): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c > 0xff) throw new BamError('ERR_OPTION', `character U+${c.toString(16)} is not Latin-1`)
    out[at + i] = c
  }
}
