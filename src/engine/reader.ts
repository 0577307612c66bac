/**
 * Opening a BAM for streaming (DESIGN.md steps 1–2): the block scanner over the
 * source, and the header, inflated on the main thread from the leading blocks.
 */
import { parseHeader, type BamHeader } from '../bam/header.js'
import { inflateBlockLikeHtslib } from '../bgzf/inflate-select.js'
import { SNIFF_BYTES, asBgzf, inputKind } from '../bgzf/reframe.js'
import { scanBlocks, type Block } from '../bgzf/scanner.js'
import { BamError } from '../errors.js'
import type { HttpOptions } from './http.js'
import { BlockWalker, readAt, type ChunkFile } from './ranges.js'
import { localPath, openLocalFile, openSource, type LocalSource, type OpenedSource, type Source } from './source.js'

/** A BAM whose header has been read and whose records are next. */
export interface OpenBam {
  /** The opened source (name, size). */
  source: OpenedSource
  /** The BAM header. */
  header: BamHeader
  /** The rest of the blocks, in file order. */
  blocks: AsyncIterator<Block>
  /** The block holding the first record, if the header ended inside it. */
  first?: { block: Block; start: number }
  /** File offset where record blocks begin. */
  recordsCoffset: number
  /**
   * Set when the BAM is a local file read by byte ranges ({@link openBamForRun}):
   * its blocks then come without their bytes, and the workers read each chunk
   * from this file themselves (see ranges.ts).
   */
  file?: LocalBlocks
}

/** A local file's descriptor and the walk over its block headers, which `blocks` also yields from. */
export interface LocalBlocks extends ChunkFile {
  walker: BlockWalker
}

/**
 * Opens `source`, scans its first blocks and parses the BAM header.
 *
 * @example
 * ```ts
 * const bam = await openBam('test/fixtures/htslib/htslib_test_ce_1000.bam')
 * console.log(bam.header.references.map((r) => r.name))
 * bam.source.close()
 * ```
 */
export async function openBam(source: Source, signal?: AbortSignal, http?: HttpOptions, onWarning: (message: string) => void = warnOnStderr): Promise<OpenBam> {
  const opened = await openSource(source, signal, http)
  try {
    return await readHeader(opened, onWarning)
  } catch (e) {
    opened.close()
    throw e instanceof BamError ? e.withSource(opened.name) : e
  }
}

/**
 * The default for warnings about an input that is read anyway (as htslib
 * logs them): one line on stderr.
 *
 * @example
 * ```ts
 * warnOnStderr('x.bam: no BGZF EOF marker block at the end') // bamstream: warning: x.bam: …
 * ```
 */
export function warnOnStderr(message: string): void {
  process.stderr.write(`bamstream: warning: ${message}\n`)
}

/**
 * Opens `source` for a run: a local regular BGZF file by byte ranges (the
 * main thread reads block headers only; `file` is set, see ranges.ts),
 * anything else (stdin, http(s), a stream, a FIFO, plain gzip or uncompressed
 * BAM) as {@link openBam} does. Close it with `source.close()` once no chunk
 * is in flight any more.
 *
 * @example
 * ```ts
 * const bam = await openBamForRun('test/fixtures/htslib/htslib_test_ce_1000.bam')
 * bam.source.close()
 * ```
 */
export async function openBamForRun(source: Source, signal?: AbortSignal, http?: HttpOptions, onWarning: (message: string) => void = warnOnStderr): Promise<OpenBam> {
  const path = localPath(source)
  const local = path === undefined ? undefined : openLocalFile(path)
  if (!local) return openBam(source, signal, http, onWarning)
  try {
    if (isBgzf(local)) return await readLocalHeader(local, onWarning)
  } catch (e) {
    local.close()
    throw e instanceof BamError ? e.withSource(local.name) : e
  }
  local.close()
  return openBam(source, signal, http, onWarning)
}

/** True when the file starts like BGZF (too short to tell counts: the walk then says what is wrong). */
function isBgzf(local: LocalSource): boolean {
  const head = new Uint8Array(SNIFF_BYTES)
  return inputKind(head.subarray(0, readAt(local.fd, head, SNIFF_BYTES, 0))) === 'bgzf'
}

/** The header of a local BGZF file, its blocks read whole by the walk; then the walk goes on with headers only. */
async function readLocalHeader(local: LocalSource, onWarning: (message: string) => void): Promise<OpenBam> {
  const walker = new BlockWalker(local.fd, missingEof(local.name, onWarning))
  walker.withBytes = true
  const blocks: AsyncIterator<Block> = { next: async () => { const b = walker.next(); return b ? { value: b } : { done: true, value: undefined } } }
  const bam = await headerFromBlocks(local, blocks, undefined, onWarning)
  walker.withBytes = false
  return { ...bam, file: { fd: local.fd, name: local.name, walker } }
}

function missingEof(name: string, onWarning: (message: string) => void): () => void {
  return () => onWarning(`${name}: no BGZF EOF marker block at the end: the file may be truncated (read as it is, like samtools)`)
}

async function readHeader(source: OpenedSource, onWarning: (message: string) => void): Promise<OpenBam> {
  const { kind, stream } = await asBgzf(source.stream)
  const serial = kind === 'gzip' || kind === 'raw-bam' // told once the header shows it is a BAM
    ? `${source.name}: ${kind === 'gzip' ? 'plain gzip, not BGZF' : 'uncompressed BAM'}: read serially (it cannot be split for parallel inflation); byte offsets in its errors are not file offsets`
    : undefined
  const blocks = scanBlocks(stream, missingEof(source.name, onWarning))[Symbol.asyncIterator]()
  return headerFromBlocks(source, blocks, serial, onWarning)
}

/** Inflates leading blocks until the header is whole; `serial` is the warning for an input that is not BGZF. */
async function headerFromBlocks(source: OpenedSource, blocks: AsyncIterator<Block>, serial: string | undefined, onWarning: (message: string) => void): Promise<OpenBam> {
  let buf: Uint8Array = new Uint8Array(64 * 1024)
  let filled = 0
  for (;;) {
    const next = await blocks.next()
    if (next.done) throw new BamError('ERR_TRUNCATED', 'truncated file: it ends inside the BAM header', -1)
    const block = next.value
    const data = inflateBlockLikeHtslib(block.bytes, block.coffset) // like htslib: ISIZE not trusted; native when the run's inflater is
    if (filled + data.length > buf.length) buf = grow(buf, filled + data.length)
    buf.set(data, filled)
    const before = filled
    filled += data.length
    let header: BamHeader | null
    try {
      header = parseHeader(buf.subarray(0, filled))
    } catch (e) {
      throw e instanceof BamError ? new BamError(e.code, e.message, block.coffset) : e
    }
    if (block.eof && !header) throw new BamError('ERR_TRUNCATED', 'truncated file: it ends inside the BAM header', block.coffset)
    if (!header) continue
    if (serial) onWarning(serial)
    const start = header.byteLength - before
    const atEnd = header.byteLength === filled
    return {
      source, header, blocks,
      // copied: the scanner reuses its buffer once resumed
      first: atEnd ? undefined : { block: { ...block, bytes: block.bytes.slice() }, start },
      recordsCoffset: atEnd ? block.coffset + block.csize : block.coffset,
    }
  }
}

function grow(buf: Uint8Array, needed: number): Uint8Array {
  const out = new Uint8Array(Math.max(needed, buf.length * 2))
  out.set(buf)
  return out
}
