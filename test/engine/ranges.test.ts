/**
 * Local files read by byte ranges (src/engine/ranges.ts): the main thread's
 * header walk finds the scanner's blocks and fails as it fails; a run over a
 * path gives what a run over the same bytes as a stream gives, results and
 * errors (code, offset, message) alike; chunks are redone exactly; the file's
 * descriptor is closed at the end of every run; a file that shrinks or changes
 * under a worker is a clear ERR_SOURCE, one that grows is read on.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { Piscina } from 'piscina'
import { describe, expect, it } from 'vitest'
import { EOF_BLOCK } from '../../src/bgzf/block.js'
import { scanBlocks } from '../../src/bgzf/scanner.js'
import { chunks, count, flagstat } from '../../src/engine/api.js'
import { inlinePool, type ChunkPool } from '../../src/engine/pool.js'
import { BlockWalker, nativeWalk, readChunk, type WalkKind } from '../../src/engine/ranges.js'
import { openBamForRun } from '../../src/engine/reader.js'
import { run, type InternalRunOptions } from '../../src/engine/run.js'
import { openLocalFile } from '../../src/engine/source.js'
import type { ChunkTask } from '../../src/engine/task.js'
import { BamError } from '../../src/errors.js'
import { FUZZ_RUN, fuzzCase, readBaseBam } from '../support/fuzz-bam.js'
import { corpusBam, corpusNames, fastMode } from '../helpers/corpus.js'
import { usePoolAndDir } from '../helpers/setup.js'

let pool: Piscina
let dir: string
usePoolAndDir('ranges', (p, d) => { pool = p; dir = d })

const SAMPLE = corpusBam('htslib_test_ce_1000')
/** `npm run test:fast` takes a sample of each sweep: every STEP-th case or offset. */
const STEP = fastMode() ? 7 : 1
const bytes = fs.readFileSync(SAMPLE)

function write(name: string, data: Uint8Array): string {
  const file = path.join(dir, name)
  fs.writeFileSync(file, data)
  return file
}

/** What a run ends with: its result, or its error's code, offset and message. */
async function outcome(f: () => Promise<unknown>): Promise<unknown> {
  try {
    return { ok: await f() }
  } catch (e) {
    if (!(e instanceof BamError)) throw e
    return { code: e.code, offset: e.offset, message: e.message }
  }
}

/** The same bytes as a stream: the path that reads on the main thread. */
function stream(data: Uint8Array): AsyncIterable<Uint8Array> {
  return (async function* () { yield data })()
}

/** Blocks (or the error) as the stream scanner sees them, fed in pieces of 1000 bytes. */
async function scanned(data: Uint8Array): Promise<unknown> {
  const blocks: unknown[] = []
  const missing: number[] = []
  const pieces = (async function* () { for (let i = 0; i < data.length; i += 1000) yield data.subarray(i, i + 1000) })()
  return outcome(async () => {
    for await (const b of scanBlocks(pieces, (at) => missing.push(at))) blocks.push([b.coffset, b.csize, b.isize, b.eof])
    return { blocks, missing }
  })
}

/** Blocks (or the error) as the header walk sees them. */
async function walkedWith(file: string, withBytes = false, readAhead?: number, walk?: WalkKind): Promise<unknown> {
  const fd = fs.openSync(file, 'r')
  try {
    const blocks: unknown[] = []
    const missing: number[] = []
    const walker = new BlockWalker(fd, (at) => missing.push(at), 0, readAhead, walk)
    walker.withBytes = withBytes
    return await outcome(async () => {
      for (let b = walker.next(); b; b = walker.next()) {
        if (withBytes) expect(Buffer.compare(b.bytes, fs.readFileSync(file).subarray(b.coffset, b.coffset + b.csize))).toBe(0)
        blocks.push([b.coffset, b.csize, b.isize, b.eof])
      }
      expect(walker.next()).toBeUndefined() // ended: told once
      return { blocks, missing }
    })
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * Descriptors open in this process on one of `files` (Linux). Only those: under
 * `npm run test:fast` other test files run in this process at the same time,
 * and their descriptors come and go.
 */
function openFdsOn(files: string[]): number {
  const targets = new Set(files.map((f) => fs.realpathSync(f)))
  let n = 0
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      if (targets.has(fs.readlinkSync(`/proc/self/fd/${fd}`))) n++
    } catch {
      // closed since the directory was listed
    }
  }
  return n
}

/**
 * The walks: the native one (native/walk.c, with the JavaScript walk for the blocks it leaves), then the JavaScript
 * one alone at its read-aheads: its default (a window holding many blocks), none (a read for every header and
 * trailer), the former 0.5 KiB. Under test:fast, only the walk runs use (the native one when the addon is built).
 */
const NATIVE: [WalkKind, number | undefined][] = nativeWalk() ? [['native', undefined]] : []
const WALKS: [WalkKind, number | undefined][] = fastMode() && NATIVE.length > 0
  ? NATIVE
  : [...NATIVE, ...(fastMode() ? [undefined] : [undefined, 0, 512]).map((r): [WalkKind, number | undefined] => ['js', r])]

describe.each(WALKS)('the header walk (%s), read-ahead %s', (walk, readAhead) => {
  const walked = (file: string, withBytes = false): Promise<unknown> => walkedWith(file, withBytes, readAhead, walk)

  it('finds exactly the scanner\'s blocks in every corpus file, with or without their bytes', async () => {
    for (const file of corpusNames().map(corpusBam)) {
      const data = fs.readFileSync(file)
      if (data[0] !== 0x1f) continue // uncompressed BAMs are streamed
      const want = await scanned(data)
      expect(await walked(file), file).toEqual(want)
      expect(await walked(file, true), file).toEqual(want)
    }
  })

  it('finds every block of a file of a thousand blocks and more (the native walk\'s batches hold 256), cut or whole', async () => {
    const body = bytes.subarray(0, bytes.length - EOF_BLOCK.length)
    const copies = Math.ceil(1000 / (((await scanned(bytes)) as { ok: { blocks: unknown[] } }).ok.blocks.length - 1))
    const many = Buffer.concat([...Array.from({ length: copies }, () => body), EOF_BLOCK])
    expect(await walked(write('many.bam', many))).toEqual(await scanned(many))
    const cut = many.subarray(0, Math.floor(many.length * 0.7))
    expect(await walked(write('many-cut.bam', cut))).toEqual(await scanned(cut))
  })

  it('fails where the scanner fails, with the same code, offset and message: a cut at every offset of the first blocks', async () => {
    for (let cut = 1; cut < 300; cut += STEP) {
      const file = write('cut.bam', bytes.subarray(0, cut))
      expect(await walked(file), `cut at ${cut}`).toEqual(await scanned(bytes.subarray(0, cut)))
    }
    for (let cut = bytes.length - 80; cut <= bytes.length; cut += STEP) {
      const file = write('cut.bam', bytes.subarray(0, cut))
      expect(await walked(file), `cut at ${cut}`).toEqual(await scanned(bytes.subarray(0, cut)))
    }
  })

  it('fails where the scanner fails on every flipped byte of a block header, and on a long extra field', async () => {
    const second = (bytes[16]! | (bytes[17]! << 8)) + 1
    for (let i = 0; i < 18; i++) {
      const broken = Uint8Array.from(bytes)
      broken[second + i]! ^= 0x41
      expect(await walked(write('flip.bam', broken)), `byte ${i}`).toEqual(await scanned(broken))
    }
    // an empty block whose extra field holds a 1000-byte subfield `XX` before BC: XLEN 1010, BSIZE 1031
    const eof = Uint8Array.from([
      ...EOF_BLOCK.subarray(0, 10), 0xf2, 0x03, // fixed gzip header; XLEN = 1010
      0x58, 0x58, 0xe8, 0x03, ...new Uint8Array(1000), // SI1 SI2 'XX', SLEN = 1000, its data
      ...EOF_BLOCK.subarray(12, 16), 0x07, 0x04, // 'BC', SLEN = 2, BSIZE = 1031
      ...EOF_BLOCK.subarray(18), // empty deflate data, CRC32 0, ISIZE 0
    ])
    const long = Uint8Array.from([...bytes.subarray(0, bytes.length - EOF_BLOCK.length), ...eof])
    expect(await walked(write('xlen.bam', long))).toEqual(await scanned(long))
    expect(((await walked(write('xlen.bam', long))) as { ok: { blocks: unknown[][] } }).ok.blocks.at(-1)).toEqual([bytes.length - EOF_BLOCK.length, eof.length, 0, false])
  })
})

describe('runs over a path and over a stream of the same bytes', () => {
  it('give the same result or the same error (code, offset, message) on the fuzzed files, with workers and on this thread', async () => {
    const base = readBaseBam(FUZZ_RUN.base, FUZZ_RUN.records)
    for (let i = 0; i < FUZZ_RUN.cases; i += fastMode() ? 64 : 4) { // 80 cases; 5 under test:fast
      const c = fuzzCase(base, FUZZ_RUN.seed, i)
      const file = write('fuzz.bam', c.bam)
      for (const p of [pool, inlinePool()]) {
        const o = { pool: p, chunkBytes: 2048 }
        expect(await outcome(() => flagstat(file, o)), c.name).toEqual(await outcome(() => flagstat(stream(c.bam), o)))
        expect(await outcome(() => count(file, o)), c.name).toEqual(await outcome(() => count(stream(c.bam), o)))
      }
    }
  })

  it('give the same outcome for files cut at 40 offsets and files with a flipped data byte', async () => {
    for (let i = 1; i < 40; i += STEP) {
      const cut = bytes.subarray(0, Math.floor(bytes.length * i / 40))
      const o = { pool, chunkBytes: 1 + (i % 3) * 20_000 }
      expect(await outcome(() => count(write('cut.bam', cut), o)), `cut ${i}`).toEqual(await outcome(() => count(stream(cut), o)))
    }
    for (let at = 100; at < bytes.length; at += 997) {
      const broken = Uint8Array.from(bytes)
      broken[at]! ^= 0x5a
      expect(await outcome(() => count(write('flip.bam', broken), { pool })), `flip ${at}`).toEqual(await outcome(() => count(stream(broken), { pool })))
    }
  })

  it('agree, at true file offsets, with EOF marker blocks between the blocks of a chunk (kept in it: a chunk is one byte range)', async () => {
    const offsets: number[] = []
    for (let p = 0; p < bytes.length; p += (bytes[p + 16]! | (bytes[p + 17]! << 8)) + 1) offsets.push(p)
    const parts: Uint8Array[] = []
    offsets.forEach((at, i) => {
      parts.push(bytes.subarray(at, offsets[i + 1] ?? bytes.length))
      if (i % 3 === 1 && i < offsets.length - 1) parts.push(EOF_BLOCK, EOF_BLOCK)
    })
    const padded = Buffer.concat(parts)
    const last = offsets.length - 2
    for (const flip of [-1, offsets[last]! + 28 * last + 60]) {
      const data = Uint8Array.from(padded)
      if (flip >= 0) data[flip]! ^= 0x5a
      let block = 0 // the file offset of the block holding the flipped byte
      for (let p = 0; p <= flip; p += (data[p + 16]! | (data[p + 17]! << 8)) + 1) block = p
      if (flip >= 0) expect(await outcome(() => flagstat(stream(data), { pool }))).toMatchObject({ offset: block })
      for (const chunkBytes of [1, 30_000, undefined]) {
        const o = { pool, chunkBytes }
        expect(await outcome(() => flagstat(write('eofs.bam', data), o)), `${flip} ${chunkBytes}`).toEqual(await outcome(() => flagstat(stream(data), o)))
      }
    }
    expect(await count(write('eofs.bam', padded), { pool })).toBe(await count(SAMPLE, { pool }))
  })

  it('are exact when every guessed chunk start is wrong (the stitcher redoes chunks read by range)', async () => {
    const want = await flagstat(stream(bytes), { pool })
    for (const guessHook of ['misalign', 'skip'] as const) {
      const stats: unknown[] = []
      const options: InternalRunOptions = { pool, chunkBytes: 1, guessHook, onStats: (s) => stats.push(s) }
      expect(await run(SAMPLE, 'flagstat', {}, options)).toEqual(want)
      expect((stats[0] as { redone: number }).redone).toBeGreaterThan(0)
    }
  })
})

describe('planning by range', () => {
  it('sends descriptors without bytes for a path; chunks() still yields every chunk\'s compressed bytes', async () => {
    const bam = await openBamForRun(SAMPLE)
    try {
      expect(bam.file?.name).toBe(SAMPLE)
    } finally {
      bam.source.close()
    }
    for await (const { value } of chunks(SAMPLE, { chunkBytes: 100_000 })) {
      expect(value.file).toBeUndefined()
      expect(Buffer.compare(new Uint8Array(value.compressed), bytes.subarray(value.coffset, value.cend))).toBe(0)
    }
  })

  it('streams what cannot be read by range: a device, a plain-gzip BAM', async () => {
    expect(openLocalFile('/dev/null')).toBeUndefined()
    const gz = write('plain.bam', (await import('node:zlib')).gzipSync((await import('node:zlib')).gunzipSync(bytes)))
    const plain = await openBamForRun(gz, undefined, undefined, () => {})
    plain.source.close()
    expect(plain.file).toBeUndefined()
    expect(await count(gz, { pool, onWarning: () => {} })).toBe(await count(SAMPLE, { pool }))
  })

  it('reads a chunk\'s bytes with its block headers checked, and says so when they changed', () => {
    const fd = fs.openSync(SAMPLE, 'r')
    try {
      const first = (bytes[16]! | (bytes[17]! << 8)) + 1
      const second = (bytes[first + 16]! | (bytes[first + 17]! << 8)) + 1
      const got = readChunk({ fd, name: SAMPLE }, 0, [first, second])
      expect(Buffer.compare(got, bytes.subarray(0, first + second))).toBe(0)
      const e = (() => { try { readChunk({ fd, name: SAMPLE }, 0, [first + 1]) } catch (err) { return err } return undefined })() as BamError
      expect([e.code, e.offset, e.source]).toEqual(['ERR_SOURCE', 0, SAMPLE])
      expect(e.message).toMatch(/changed while it was read/)
    } finally {
      fs.closeSync(fd)
    }
  })
})

/** A pool that calls `before` with each task, then runs it on `inner`. */
function hookedPool(inner: ChunkPool, before: (task: ChunkTask, n: number) => void): ChunkPool {
  let n = 0
  return { options: inner.options, run: (task: ChunkTask, o?: never) => { before(task, n++); return inner.run(task, o) }, destroy: async () => {} }
}

describe('a file changing under the run', () => {
  it('that shrinks under a worker: ERR_SOURCE naming the file and the chunk\'s offset, no hang', async () => {
    const file = write('shrinks.bam', bytes)
    let cutAt = -1
    const shrinking = hookedPool(pool, (task, n) => {
      if (n === 3) {
        cutAt = task.coffset
        fs.truncateSync(file, task.coffset + 10)
      }
    })
    const e = await count(file, { pool: shrinking, chunkBytes: 1, maxInFlight: 1 }).catch((err: unknown) => err) as BamError
    expect(e).toBeInstanceOf(BamError)
    expect([e.code, e.offset, e.source]).toEqual(['ERR_SOURCE', cutAt, file])
    expect(e.describe()).toMatch(/shrinks\.bam: the file shrank while it was read: \d+ bytes expected here, 10 present \(at byte \d+\)/)
  })

  it('that is rewritten under a worker: ERR_SOURCE, the block header no longer the one found', async () => {
    const file = write('changes.bam', bytes)
    let at = -1
    const changing = hookedPool(pool, (task, n) => {
      if (n === 2) {
        at = task.coffset
        const fd = fs.openSync(file, 'r+')
        fs.writeSync(fd, Uint8Array.of(0x10, 0x00), 0, 2, task.coffset + 16) // BSIZE
        fs.closeSync(fd)
      }
    })
    const e = await outcome(() => count(file, { pool: changing, chunkBytes: 1, maxInFlight: 1 }))
    expect(e).toMatchObject({ code: 'ERR_SOURCE', offset: at })
  })

  it('that grows while its headers are walked: the new blocks are read (here an extra EOF block, skipped)', async () => {
    const file = write('grows.bam', bytes)
    const growing = hookedPool(pool, (_task, n) => { if (n === 0) fs.appendFileSync(file, EOF_BLOCK) })
    expect(await count(file, { pool: growing, chunkBytes: 1, maxInFlight: 1 })).toBe(await count(stream(bytes), { pool }))
    expect(fs.statSync(file).size).toBe(bytes.length + EOF_BLOCK.length)
  })
})

describe('the file descriptor', () => {
  it('is closed at the end of every run: done, failed, aborted; with workers and on this thread', async () => {
    const corrupt = Uint8Array.from(bytes)
    corrupt[bytes.length - 2000]! ^= 0x5a
    const bad = write('fd-bad.bam', corrupt)
    const good = write('fd-good.bam', bytes) // a copy of its own: other test files may have SAMPLE open
    for (let i = 0; i < 20; i += STEP) {
      for (const p of [pool, inlinePool()]) {
        await count(good, { pool: p, chunkBytes: 1 + (i % 2) * 50_000 })
        await expect(count(bad, { pool: p, chunkBytes: 1 })).rejects.toBeInstanceOf(BamError)
        const controller = new AbortController()
        const aborting = hookedPool(p, (_t, n) => { if (n === 2) controller.abort() })
        await expect(count(good, { pool: aborting, chunkBytes: 1, signal: controller.signal })).rejects.toThrow(/abort/i)
      }
    }
    expect(openFdsOn([good, bad])).toBe(0)
  })
})
