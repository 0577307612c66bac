/**
 * Deterministic synthetic BAM data for tests and benchmarks: the same options
 * always give the same bytes. Reads are cut from a seeded pseudo-genome, so MD
 * and NM agree with the CIGAR and overlapping reads compress as real ones do.
 * Mapped records come in coordinate order; unmapped reads (refID -1) come last.
 */
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { finished } from 'node:stream/promises'
import { BgzfWriter, type BgzfWriterOptions } from '../../src/bgzf/writer.js'
import { BamError } from '../../src/errors.js'
import { encodeHeader } from '../../src/bam/encoder.js'
import type { Reference } from '../../src/bam/header.js'
import { MAX_READ, ReadSimulator, Rng, Slab } from './reads.js'
import {
  addTemplate, KEY_REF, MARGIN, MIN_CONTIG, READ_GROUPS, unmappedTemplate, type TemplateState,
} from './templates.js'

/** Options of {@link syntheticRecords}. Lengths are in bases. */
export interface SyntheticOptions {
  /** PRNG seed (integer). */
  seed: number
  /** Exact number of records (default 1000 unless `targetBytes` or `progress` is given). */
  count?: number
  /** Stop after about this many uncompressed record bytes. */
  targetBytes?: number
  /** Custom stop rule: a fraction done, from 0 to ≥ 1 (e.g. compressed bytes written / target). */
  progress?: () => number
  /** Reference sequences in the header (default 25: chr1-22, X, Y, then small contigs). */
  nRefs?: number
  /** Short-read length range, inclusive (default [100, 151]). */
  readLength?: readonly [number, number]
  /** Fraction of short-read templates sequenced as pairs (default 0.9). */
  pairedFraction?: number
  /** Fraction of the output that is unplaced unmapped reads at the end (default 0.02). */
  unmappedTailFraction?: number
  /** Every n-th template is one long read (default 0: none). */
  longReadEvery?: number
  /** Long-read length range, inclusive, at most 50000 (default [2000, 20000]). */
  longReadLength?: readonly [number, number]
  /** Mean depth inside a cluster of overlapping templates (default 20). */
  coverage?: number
}

type Resolved = Required<Omit<SyntheticOptions, 'count' | 'targetBytes' | 'progress'>>
const DEFAULTS = {
  nRefs: 25, readLength: [100, 151], pairedFraction: 0.9, unmappedTailFraction: 0.02,
  longReadEvery: 0, longReadLength: [2000, 20000], coverage: 20,
} as const

interface State extends TemplateState { o: Resolved; cum: Float64Array; cluster: number }

/**
 * The references of a synthetic header: chr1-22, chrX, chrY with human-like lengths, then contigs.
 *
 * @example
 * ```ts
 * syntheticReferences(25, 1)[0] // { name: 'chr1', length: 250000000 }
 * ```
 */
export function syntheticReferences(nRefs: number, seed: number): Reference[] {
  const rng = new Rng(seed ^ 0x5eed)
  return Array.from({ length: nRefs }, (_, i) => ({
    name: i < 22 ? `chr${i + 1}` : i === 22 ? 'chrX' : i === 23 ? 'chrY' : `chrUn_syn${String(i).padStart(6, '0')}`,
    length: i < 24 ? Math.floor(250_000_000 * 0.94 ** i) : rng.int(MIN_CONTIG, 2_000_000),
  }))
}

/**
 * SAM header text for {@link syntheticReferences}: @HD (coordinate-sorted), @SQ per reference, @RG, @PG.
 *
 * @example
 * ```ts
 * syntheticHeaderText(syntheticReferences(2, 1), 1).startsWith('@HD\tVN:1.6\tSO:coordinate\n') // true
 * ```
 */
export function syntheticHeaderText(refs: readonly Reference[], seed: number): string {
  return [
    '@HD\tVN:1.6\tSO:coordinate', ...refs.map((r) => `@SQ\tSN:${r.name}\tLN:${r.length}`),
    ...READ_GROUPS.map((id) => `@RG\tID:${id}\tSM:synthetic\tLB:lib-${id}\tPL:ILLUMINA`),
    `@PG\tID:bamstream-synthetic\tPN:bamstream\tVN:0.1.0\tCL:synthetic --seed ${seed}`, '',
  ].join('\n')
}

function resolve(opts: SyntheticOptions): Resolved {
  const o: Resolved = { ...DEFAULTS, ...stripUndefined(opts), seed: opts.seed }
  const bad = (what: string): never => { throw new BamError('ERR_OPTION', `synthetic: ${what}`) }
  if (!Number.isInteger(o.seed)) bad(`seed must be an integer, got ${o.seed}`)
  if (!Number.isInteger(o.nRefs) || o.nRefs < 1) bad(`nRefs must be a positive integer, got ${o.nRefs}`)
  for (const [lo, hi] of [o.readLength, o.longReadLength]) {
    if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 1 && lo <= hi && hi <= MAX_READ)) {
      bad(`length range [${lo}, ${hi}] must be integers with 1 <= min <= max <= ${MAX_READ}`)
    }
  }
  for (const f of [o.pairedFraction, o.unmappedTailFraction]) if (!(f >= 0 && f <= 1)) bad(`fraction ${f} not in [0, 1]`)
  if (!(o.coverage > 0)) bad(`coverage must be positive, got ${o.coverage}`)
  if (!Number.isInteger(o.longReadEvery) || o.longReadEvery < 0) bad(`longReadEvery must be >= 0, got ${o.longReadEvery}`)
  return o
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}

function createState(opts: SyntheticOptions): State {
  const o = resolve(opts)
  const rng = new Rng(o.seed)
  const refs = syntheticReferences(o.nRefs, o.seed)
  const total = refs.reduce((n, r) => n + r.length, 0)
  const cum = new Float64Array(refs.length) // each reference's share of reads: half by length, half equal
  refs.forEach((r, i) => { cum[i] = (i > 0 ? cum[i - 1]! : 0) + (0.5 * r.length) / total + 0.5 / refs.length })
  return { o, rng, sim: new ReadSimulator(rng), slab: new Slab(), refs, cum, ref: 0, pos: 0, cluster: 0, template: 0, pending: [] }
}

/**
 * Moves to the next template start and returns its sort key. Templates come in
 * clusters of overlapping reads; each cluster starts where `done` (the fraction
 * of mapped output made) falls along the references, so reads spread over all of them.
 */
function advance(s: State, done: number): number {
  if (--s.cluster <= 0) {
    s.cluster = s.rng.int(20, 400)
    const at = Math.min(1, done) * s.cum[s.refs.length - 1]!
    let r = s.ref
    while (r < s.refs.length - 1 && s.cum[r]! <= at) r++
    const lo = r > 0 ? s.cum[r - 1]! : 0
    const target = Math.floor(Math.min(1, Math.max(0, (at - lo) / (s.cum[r]! - lo))) * (s.refs[r]!.length - MARGIN))
    s.pos = r > s.ref ? target : Math.max(s.pos, target)
    s.ref = r
  }
  const meanLen = (s.o.readLength[0] + s.o.readLength[1]) / 2
  s.pos += s.rng.geo(Math.min(0.9, s.o.coverage / meanLen))
  const limit = s.refs[s.ref]!.length - MARGIN
  if (s.pos > limit && s.ref < s.refs.length - 1) [s.ref, s.pos] = [s.ref + 1, 0]
  else s.pos = Math.min(s.pos, limit)
  return s.ref * KEY_REF + s.pos
}

/** How many more records may be made, by count, by uncompressed bytes, or by a progress function. */
interface Budget { note(bytes: number): void; mapped(pending: number): number; tail(): number; done(): number }

function makeBudget(opts: SyntheticOptions, tail: number): Budget {
  let records = 0
  let bytes = 0
  const note = (n: number): void => { records++; bytes += n }
  const target = opts.targetBytes
  if (target !== undefined && !(target > 0)) throw new BamError('ERR_OPTION', `synthetic: targetBytes must be > 0, got ${target}`)
  const progress = opts.progress ?? (target !== undefined ? (): number => bytes / target : undefined)
  if (progress) {
    const mapped = (): number => (progress() < 1 - tail ? Infinity : 0)
    return { note, mapped, tail: () => (progress() < 1 ? Infinity : 0), done: () => progress() / (1 - tail) }
  }
  const count = opts.count ?? 1000
  if (!Number.isInteger(count) || count < 0) throw new BamError('ERR_OPTION', `synthetic: count must be an integer >= 0, got ${count}`)
  const quota = Math.round(count * (1 - tail))
  return { note, mapped: (pending) => quota - records - pending, tail: () => count - records, done: () => records / quota }
}

/**
 * Yields encoded BAM records (each with its `block_size`): mapped ones in
 * coordinate order over the references of {@link syntheticReferences}, then
 * unplaced unmapped reads. Deterministic for a given set of options.
 *
 * @example
 * ```ts
 * for await (const rec of syntheticRecords({ seed: 1, count: 100 })) new RecordView(rec).pos
 * ```
 */
export async function* syntheticRecords(opts: SyntheticOptions): AsyncGenerator<Uint8Array, void, undefined> {
  const s = createState(opts)
  const budget = makeBudget(opts, s.o.unmappedTailFraction)
  const take = (): Uint8Array => {
    const bytes = s.pending.pop()!.bytes
    budget.note(bytes.length)
    return bytes
  }
  for (let room = budget.mapped(0); room > 0; room = budget.mapped(s.pending.length)) {
    const frontier = advance(s, budget.done())
    addTemplate(s, room)
    while (s.pending.length > 0 && s.pending[s.pending.length - 1]!.key <= frontier) yield take()
  }
  while (s.pending.length > 0) yield take()
  for (let room = budget.tail(); room > 0; room = budget.tail()) {
    s.pending = unmappedTemplate(s, room).reverse()
    while (s.pending.length > 0) yield take()
  }
}

/** Options of {@link writeSyntheticBam}: the records', the BGZF writer's, and where to stop. */
export interface WriteSyntheticOptions extends SyntheticOptions, BgzfWriterOptions {
  /** Stop once the file has about this many compressed bytes (header and EOF block included). */
  targetFileBytes?: number
  /** Start a new block rather than split a record that would fit in one, as htslib does (default false: records straddle blocks). */
  alignRecords?: boolean
}

/**
 * Streams a synthetic BAM (header, records, EOF block) to `path` through a
 * {@link BgzfWriter}, waiting for the file stream to drain, so memory stays flat.
 * Returns the file size, the record count and the uncompressed BAM bytes.
 *
 * @example
 * ```ts
 * const { bytes, records } = await writeSyntheticBam('/tmp/x.bam', { seed: 1, count: 5000 })
 * ```
 */
export async function writeSyntheticBam(path: string, opts: WriteSyntheticOptions): Promise<{ bytes: number; records: number; uncompressedBytes: number }> {
  const refs = syntheticReferences(opts.nRefs ?? DEFAULTS.nRefs, opts.seed)
  const bgzf = new BgzfWriter(opts)
  const target = opts.targetFileBytes
  if (target !== undefined && !(target > 0)) throw new BamError('ERR_OPTION', `targetFileBytes must be > 0, got ${target}`)
  const progress = target !== undefined ? (): number => bgzf.bytesOut / target : opts.progress
  const out = createWriteStream(path)
  out.on('error', () => {}) // reported by `once` or `finished` below
  const sink = async (blocks: readonly Uint8Array[]): Promise<void> => {
    for (const b of blocks) {
      if (out.errored) throw out.errored
      if (!out.write(b)) await once(out, 'drain')
    }
  }
  let records = 0
  try {
    await sink(bgzf.write(encodeHeader(syntheticHeaderText(refs, opts.seed), refs)))
    await sink(bgzf.flush()) // the header ends its block, as samtools writes it
    for await (const rec of syntheticRecords({ ...opts, progress })) {
      if (opts.alignRecords && rec.length > bgzf.room && rec.length <= bgzf.blockSize) await sink(bgzf.flush())
      const blocks = bgzf.write(rec)
      if (blocks.length > 0) await sink(blocks)
      records++
    }
    await sink([bgzf.end()])
    out.end()
    await finished(out)
  } catch (e) {
    out.destroy()
    throw e instanceof BamError ? e : new BamError('ERR_OUTPUT', `cannot write ${path}: ${(e as Error).message}`)
  }
  return { bytes: bgzf.bytesOut, records, uncompressedBytes: bgzf.bytesIn }
}
