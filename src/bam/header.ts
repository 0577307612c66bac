/**
 * The BAM header (SAMv1 §4.2): magic, header text and the binary reference list.
 */
import { MAX_HEADER_TEXT, MAX_REFERENCE_NAME, MAX_REFERENCES } from '../constants.js'
import { BamError } from '../errors.js'
import { latin1 } from './record.js'

/** magic: "BAM\1", §4.2 */
export const BAM_MAGIC = [0x42, 0x41, 0x4d, 0x01] as const
/** l_text: int32 after the magic, §4.2 */
export const L_TEXT_OFFSET = 4
/** text: char[l_text], §4.2 */
export const TEXT_OFFSET = 8

/** One reference sequence of the binary header. */
export interface Reference {
  /** Reference name (RNAME). */
  name: string
  /** Length in bases (l_ref). */
  length: number
}

/** A parsed BAM header. */
export interface BamHeader {
  /** Header text exactly as stored (Latin-1 decoded, so bytes round-trip), NUL padding included. */
  text: string
  /** Binary reference list, in refID order. */
  references: Reference[]
  /** Uncompressed size of the header, i.e. the offset of the first record in the decompressed stream. */
  byteLength: number
}

/**
 * Parses a BAM header from the start of the decompressed stream. Returns
 * `null` when `bytes` does not hold the whole header yet. Throws `ERR_NOT_BAM`
 * for a bad magic and `ERR_HEADER_LIMIT` for hostile sizes.
 *
 * @example
 * ```ts
 * const header = parseHeader(decompressedStart)
 * if (header) console.log(header.references.length, header.byteLength)
 * ```
 */
export function parseHeader(bytes: Uint8Array): BamHeader | null {
  const byteLength = headerLength(bytes)
  if (byteLength < 0) return null
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let p = TEXT_OFFSET + view.getInt32(L_TEXT_OFFSET, true)
  const text = latin1(bytes, TEXT_OFFSET, p)
  const nRef = view.getInt32(p, true)
  p += 4
  const references: Reference[] = new Array(nRef)
  for (let i = 0; i < nRef; i++) {
    const lName = view.getInt32(p, true)
    references[i] = { name: latin1(bytes, p + 4, p + 4 + lName - 1), length: view.getUint32(p + 4 + lName, true) }
    p += 8 + lName
  }
  return { text, references, byteLength }
}

/**
 * The header's total length if `bytes` holds all of it, else -1, found by
 * reading only the length fields (cheap enough to call after every block).
 * Throws like {@link parseHeader} on a bad magic or hostile sizes.
 */
export function headerLength(bytes: Uint8Array): number {
  if (bytes.length < TEXT_OFFSET) return checkMagicPrefix(bytes) ?? -1
  checkMagicPrefix(bytes)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const lText = view.getInt32(L_TEXT_OFFSET, true)
  if (lText < 0 || lText > MAX_HEADER_TEXT) {
    throw new BamError('ERR_HEADER_LIMIT', `BAM header text length ${lText} is outside [0, ${MAX_HEADER_TEXT}]`)
  }
  let p = TEXT_OFFSET + lText
  if (bytes.length < p + 4) return -1
  const nRef = view.getInt32(p, true)
  if (nRef < 0 || nRef > MAX_REFERENCES) {
    throw new BamError('ERR_HEADER_LIMIT', `BAM header reference count ${nRef} is outside [0, ${MAX_REFERENCES}]`)
  }
  p += 4
  for (let i = 0; i < nRef; i++) {
    if (bytes.length < p + 4) return -1
    const lName = view.getInt32(p, true)
    if (lName < 1 || lName > MAX_REFERENCE_NAME) {
      throw new BamError('ERR_HEADER_LIMIT', `reference ${i} name length ${lName} is outside [1, ${MAX_REFERENCE_NAME}]`)
    }
    p += 8 + lName
  }
  return bytes.length < p ? -1 : p
}

function checkMagicPrefix(bytes: Uint8Array): null {
  const n = Math.min(bytes.length, BAM_MAGIC.length)
  for (let i = 0; i < n; i++) {
    if (bytes[i] !== BAM_MAGIC[i]) throw new BamError('ERR_NOT_BAM', 'not a BAM file: the decompressed data does not start with "BAM\\1"', 0)
  }
  return null
}
