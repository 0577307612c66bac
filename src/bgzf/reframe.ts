/**
 * BAMs that are not BGZF, which samtools reads all the same: plain gzip (one
 * or more ordinary gzip members, no `BC` subfield) and uncompressed BAM
 * (starting with `BAM\1`). Their bytes are inflated (plain gzip) serially on
 * the main thread and re-framed as BGZF blocks stored without compression, so
 * that the rest of the engine reads them as usual. They cannot be split for
 * parallel inflation; the caller is told so. Byte offsets in errors about
 * such a file are offsets in the re-framed stream, not in the file.
 */
import { createRequire } from 'node:module'
import { BAM_MAGIC } from '../bam/header.js'
import { EOF_BLOCK, EXTRA_OFFSET, FLG_OFFSET, GZIP_FLG_FEXTRA, GZIP_ID1, GZIP_ID2, XLEN_OFFSET, BC_SI1, BC_SI2 } from './block.js'

/** What a stream's first bytes say it is. */
export type InputKind = 'bgzf' | 'gzip' | 'raw-bam' | 'other'

/** Bytes needed to tell the kinds apart (a gzip header with a `BC` subfield first in its extra field). */
export const SNIFF_BYTES = EXTRA_OFFSET + 4
/** deflate level 0: stored blocks, a copy and a CRC. */
const STORED = 0

/**
 * Tells BGZF, plain gzip, uncompressed BAM and anything else apart from the first bytes.
 *
 * @example
 * ```ts
 * inputKind(Buffer.from('BAM\x01')) // 'raw-bam'
 * ```
 */
export function inputKind(head: Uint8Array): InputKind {
  if (head.length >= BAM_MAGIC.length && BAM_MAGIC.every((b, i) => head[i] === b)) return 'raw-bam'
  if (head[0] !== GZIP_ID1 || head[1] !== GZIP_ID2) return 'other'
  if (head.length < SNIFF_BYTES) return 'bgzf' // too short to tell: the scanner says what is wrong
  if ((head[FLG_OFFSET]! & GZIP_FLG_FEXTRA) === 0) return 'gzip'
  const xlen = head[XLEN_OFFSET]! | (head[XLEN_OFFSET + 1]! << 8)
  return xlen >= 6 && head[EXTRA_OFFSET] === BC_SI1 && head[EXTRA_OFFSET + 1] === BC_SI2 ? 'bgzf' : 'gzip'
}

/**
 * Looks at the first bytes of `input` and returns its kind and a stream of
 * BGZF bytes: `input` itself (BGZF or unknown: the scanner reports the
 * latter), or the re-framed bytes of a plain-gzip or uncompressed BAM.
 *
 * @example
 * ```ts
 * const { kind, stream } = await asBgzf(source.stream)
 * if (kind !== 'bgzf') console.error('read serially')
 * ```
 */
export async function asBgzf(input: AsyncIterable<Uint8Array>): Promise<{ kind: InputKind; stream: AsyncIterable<Uint8Array> }> {
  const it = input[Symbol.asyncIterator]()
  const first: Uint8Array[] = []
  let have = 0
  let done = false
  while (have < SNIFF_BYTES) {
    const next = await it.next()
    if (next.done) { done = true; break }
    first.push(next.value.slice()) // a source may reuse its buffer
    have += next.value.length
  }
  const head = Buffer.concat(first)
  const kind = inputKind(head)
  const rest = (async function* () {
    yield head
    if (done) return
    for (;;) {
      const next = await it.next()
      if (next.done) return
      yield kind === 'bgzf' || kind === 'other' ? next.value : next.value.slice()
    }
  })()
  if (kind === 'bgzf' || kind === 'other') return { kind, stream: rest }
  // node:stream, node:zlib and the writer load only here: reading BGZF (every run's case) needs none of them
  const writer = await import('./writer.js')
  const bytes = kind === 'gzip' ? gunzipStream(rest) : rest
  return { kind, stream: reframe(bytes, writer) }
}

function gunzipStream(bytes: AsyncIterable<Uint8Array>): AsyncIterable<Buffer> {
  const require = createRequire(import.meta.url)
  const { Readable } = require('node:stream') as typeof import('node:stream')
  const zlib = require('node:zlib') as typeof import('node:zlib')
  return Readable.from(bytes, { objectMode: false }).pipe(zlib.createGunzip()) as AsyncIterable<Buffer>
}

/** Cuts a byte stream into BGZF blocks stored without compression, then the EOF block. */
async function* reframe(bytes: AsyncIterable<Uint8Array>, { compressBlock, MAX_BLOCK_DATA }: typeof import('./writer.js')): AsyncGenerator<Uint8Array> {
  let block = new Uint8Array(MAX_BLOCK_DATA)
  let filled = 0
  for await (const piece of bytes) {
    for (let at = 0; at < piece.length;) {
      const n = Math.min(piece.length - at, MAX_BLOCK_DATA - filled)
      block.set(piece.subarray(at, at + n), filled)
      filled += n
      at += n
      if (filled === MAX_BLOCK_DATA) {
        yield compressBlock(block, STORED)
        block = new Uint8Array(MAX_BLOCK_DATA)
        filled = 0
      }
    }
  }
  if (filled > 0) yield compressBlock(block.subarray(0, filled), STORED)
  yield EOF_BLOCK
}
