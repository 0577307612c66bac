/**
 * BAI index reading and region queries (SAMv1 §5.2 "The BAI index format",
 * §5.3 "C source code for computing bin number and overlapping bins").
 */
import { BamError } from '../errors.js'
import type { Region } from './region.js'

/** magic: "BAI\1", §5.2 */
const BAI_MAGIC = [0x42, 0x41, 0x49, 0x01] as const
/** n_ref: int32 after the magic, §5.2 */
const N_REF_OFFSET = 4
/** The pseudo-bin holding per-reference metadata, §5.2 */
const PSEUDO_BIN = 37450
/** bin: uint32, then n_chunk: int32, §5.2 */
const BIN_BYTES = 4
/** A chunk: chunk_beg then chunk_end, each a uint64 virtual offset, §5.2 */
const VOFFSET_BYTES = 8
const CHUNK_BYTES = 2 * VOFFSET_BYTES
/** Linear index window: 16 kbp, §5.2 */
const LINEAR_SHIFT = 14

/** A chunk of the file in virtual offsets (coffset << 16 | uoffset), [beg, end). */
export interface VirtualChunk {
  beg: number
  end: number
}

/** One reference's bins and linear index. */
interface RefIndex {
  bins: Map<number, VirtualChunk[]>
  linear: number[]
}

/** A parsed BAI. */
export interface BaiIndex {
  refs: RefIndex[]
}

/**
 * Parses a BAI file's bytes.
 *
 * @example
 * ```ts
 * const index = parseBai(fs.readFileSync('x.bam.bai'))
 * queryChunks(index, { refID: 0, beg: 0, end: 1000 })
 * ```
 */
export function parseBai(bytes: Uint8Array): BaiIndex {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let i = 0; i < BAI_MAGIC.length; i++) {
    if (bytes[i] !== BAI_MAGIC[i]) throw new BamError('ERR_NOT_BAM', 'not a BAI index: bad magic', 0)
  }
  const cursor = { p: N_REF_OFFSET + 4 }
  const need = (n: number): void => {
    if (cursor.p + n > bytes.length) throw new BamError('ERR_TRUNCATED', 'truncated BAI index', cursor.p)
  }
  need(0)
  const nRef = view.getInt32(N_REF_OFFSET, true)
  const refs: RefIndex[] = []
  for (let r = 0; r < nRef; r++) refs.push(readRef(view, cursor, need))
  return { refs }
}

function readRef(view: DataView, c: { p: number }, need: (n: number) => void): RefIndex {
  need(4)
  const nBin = view.getInt32(c.p, true)
  c.p += 4
  const bins = new Map<number, VirtualChunk[]>()
  for (let b = 0; b < nBin; b++) {
    need(8)
    const bin = view.getUint32(c.p, true)
    const nChunk = view.getInt32(c.p + BIN_BYTES, true)
    c.p += BIN_BYTES + 4
    need(CHUNK_BYTES * nChunk)
    const chunks: VirtualChunk[] = []
    for (let k = 0; k < nChunk; k++, c.p += CHUNK_BYTES) chunks.push({ beg: voffset(view, c.p), end: voffset(view, c.p + VOFFSET_BYTES) })
    bins.set(bin, chunks)
  }
  need(4)
  const nIntv = view.getInt32(c.p, true)
  c.p += 4
  need(VOFFSET_BYTES * nIntv)
  const linear: number[] = []
  for (let i = 0; i < nIntv; i++, c.p += VOFFSET_BYTES) linear.push(voffset(view, c.p))
  return { bins, linear }
}

/** The high 32 bits of a little-endian uint64 follow its low 32 bits. */
const HIGH_WORD_OFFSET = 4

/** A uint64 virtual offset as a JS number (exact below 2^53, i.e. compressed offsets below 2^37: files under 128 GiB). */
function voffset(view: DataView, p: number): number {
  return view.getUint32(p + HIGH_WORD_OFFSET, true) * 2 ** 32 + view.getUint32(p, true)
}

/**
 * Bins that may hold records overlapping [beg, end), SAMv1 §5.3 `reg2bins`.
 *
 * @example
 * ```ts
 * reg2bins(0, 1)[0] // 0
 * ```
 */
export function reg2bins(beg: number, end: number): number[] {
  const list = [0]
  end--
  for (const [offset, shift] of [[1, 26], [9, 23], [73, 20], [585, 17], [4681, 14]] as const) {
    for (let k = offset + (beg >> shift); k <= offset + (end >> shift); k++) list.push(k)
  }
  return list
}

/**
 * The merged, sorted file chunks that may hold records of `region`, as htslib
 * computes them (bins from reg2bins, chunks ending before the linear index's
 * minimum offset dropped, overlapping chunks merged).
 */
export function queryChunks(index: BaiIndex, region: Region): VirtualChunk[] {
  const ref = index.refs[region.refID]
  if (!ref) return []
  const end = Math.min(region.end, 2 ** 29)
  const window = region.beg >> LINEAR_SHIFT
  const minOffset = ref.linear.length === 0 ? 0 : ref.linear[Math.min(window, ref.linear.length - 1)]!
  const found: VirtualChunk[] = []
  for (const bin of reg2bins(region.beg, end)) {
    if (bin === PSEUDO_BIN) continue
    for (const c of ref.bins.get(bin) ?? []) if (c.end > minOffset) found.push({ ...c })
  }
  found.sort((a, b) => a.beg - b.beg)
  const merged: VirtualChunk[] = []
  for (const c of found) {
    const last = merged[merged.length - 1]
    if (last && c.beg <= last.end) last.end = Math.max(last.end, c.end)
    else merged.push(c)
  }
  return merged
}

/**
 * Where the records without a reference begin: past the last record placed on
 * any reference (the largest `ref_end` of the references' pseudo-bins, §5.2),
 * as htslib finds the start of `HTS_IDX_NOCOOR` (`samtools view FILE '*'`).
 * 0 when no reference has records.
 *
 * @example
 * ```ts
 * const chunk = { beg: unplacedStart(index), end: Infinity }
 * ```
 */
export function unplacedStart(index: BaiIndex): number {
  let start = 0
  for (const ref of index.refs) {
    const meta = ref.bins.get(PSEUDO_BIN)?.[0] // ref_beg, ref_end
    if (meta && meta.end > start) start = meta.end
  }
  return start
}
