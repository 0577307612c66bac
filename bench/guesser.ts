/**
 * How often the boundary checker is wrong. For every byte offset of a file's
 * inflated record data, `isChainAt` (what `findRecordStart` asks at each
 * candidate) should accept exactly the true record starts, found by walking
 * `block_size` from the first record. Reported per file and in total:
 *
 * - false positives: offsets accepted that are not record starts (rate over
 *   all non-start offsets);
 * - false negatives: record starts refused (rate over all starts);
 * - one-record false positives: offsets that are not record starts where the
 *   record rules alone (`plausibleRecordSize`, no chain) accept: what the
 *   chain of `BOUNDARY_CHAIN` records adds;
 * - wrong guesses: offsets `from` where `findRecordStart(data, nRef, from)`
 *   does not return the next true start, i.e. how often a chunk cut at a
 *   uniformly random offset would be guessed wrong and redone by the stitcher.
 *
 * Each offset is judged with the whole file's data after it, so the chain is
 * cut short only at the file's end (in a worker it is cut at the chunk's end).
 *
 * @example
 * ```sh
 * node dist/bench/guesser.js                       # test/fixtures/htslib and /work/shared/corpus/htslib
 * node dist/bench/guesser.js a.bam dir/ --json
 * ```
 */
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { gunzipSync } from 'node:zlib'
import { isChainAt, plausibleRecordSize } from '../src/bam/boundary.js'
import { parseHeader } from '../src/bam/header.js'
import { BLOCK_SIZE_BYTES, FIXED_BYTES } from '../src/bam/record.js'

/** Error counts of the checker on one file (or a sum of files). */
export interface GuesserErrors {
  file: string
  /** Offsets judged: every byte of the record data where a fixed part fits. */
  offsets: number
  /** True record starts among them. */
  starts: number
  falsePositives: number
  falseNegatives: number
  /** Non-starts accepted by the one-record rules without the chain. */
  oneRecordFalsePositives: number
  /** Offsets from which `findRecordStart` returns something other than the next true start. */
  wrongGuesses: number
}

/**
 * Measures the checker on one BAM file (inflated whole: small files only).
 *
 * @example
 * ```ts
 * const e = measureGuesser('test/fixtures/htslib/htslib_test_ce_1000.bam')
 * e.falsePositives / (e.offsets - e.starts) // false-positive rate
 * ```
 */
export function measureGuesser(file: string): GuesserErrors {
  const data = new Uint8Array(gunzipSync(fs.readFileSync(file)))
  const header = parseHeader(data)
  if (!header) throw new RangeError(`${file}: header not complete`)
  const nRef = header.references.length
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const isStart = trueStarts(view, header.byteLength, data.length)
  const last = data.length - BLOCK_SIZE_BYTES - FIXED_BYTES // findRecordStart's last candidate
  const e: GuesserErrors = { file, offsets: 0, starts: 0, falsePositives: 0, falseNegatives: 0, oneRecordFalsePositives: 0, wrongGuesses: 0 }
  let nextAccepted = -1 // first accepted offset ≥ p, scanning backwards
  let nextStart = -1 // first true start ≥ p
  for (let p = last; p >= header.byteLength; p--) {
    const accepted = isChainAt(view, data, p, nRef)
    const start = isStart[p - header.byteLength] === 1
    e.offsets++
    if (start) e.starts++
    if (accepted && !start) e.falsePositives++
    if (start && !accepted) e.falseNegatives++
    if (!start && plausibleRecordSize(view, data, p, nRef) >= 0) e.oneRecordFalsePositives++
    if (accepted) nextAccepted = p
    if (start) nextStart = p
    if (nextAccepted !== nextStart) e.wrongGuesses++
  }
  return e
}

/** 1 at each record start (walked by block_size from `first`), 0 elsewhere. */
function trueStarts(view: DataView, first: number, end: number): Uint8Array {
  const marks = new Uint8Array(end - first)
  for (let p = first; p + BLOCK_SIZE_BYTES <= end; p += BLOCK_SIZE_BYTES + view.getInt32(p, true)) marks[p - first] = 1
  return marks
}

/**
 * Sums per-file errors.
 *
 * @example
 * ```ts
 * const total = sumErrors(files.map(measureGuesser))
 * ```
 */
export function sumErrors(list: GuesserErrors[]): GuesserErrors {
  const total: GuesserErrors = { file: `${list.length} files`, offsets: 0, starts: 0, falsePositives: 0, falseNegatives: 0, oneRecordFalsePositives: 0, wrongGuesses: 0 }
  for (const e of list) {
    total.offsets += e.offsets
    total.starts += e.starts
    total.falsePositives += e.falsePositives
    total.falseNegatives += e.falseNegatives
    total.oneRecordFalsePositives += e.oneRecordFalsePositives
    total.wrongGuesses += e.wrongGuesses
  }
  return total
}

/** The BAM files named, folders expanded to the .bam files in them. */
function bamFiles(args: string[]): string[] {
  return args.flatMap((a) => fs.statSync(a).isDirectory()
    ? fs.readdirSync(a).filter((f) => f.endsWith('.bam')).sort().map((f) => path.join(a, f))
    : [a])
}

function rate(n: number, of: number): string {
  return of === 0 ? '-' : `${n} / ${of} = ${(n / of).toExponential(2)}`
}

function row(e: GuesserErrors): string {
  const nonStarts = e.offsets - e.starts
  return `| ${e.file} | ${e.offsets} | ${e.starts} | ${rate(e.falsePositives, nonStarts)} | ${rate(e.falseNegatives, e.starts)} | ${rate(e.oneRecordFalsePositives, nonStarts)} | ${rate(e.wrongGuesses, e.offsets)} |\n`
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2).filter((a) => a !== '--json')
  const dirs = args.length > 0 ? args : ['test/fixtures/htslib', '/work/shared/corpus/htslib'].filter((d) => fs.existsSync(d))
  const list = bamFiles(dirs).map(measureGuesser)
  const total = sumErrors(list)
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify({ files: list, total }, null, 2)}\n`)
  } else {
    process.stdout.write('| file | offsets | starts | false positives | false negatives | one-record false positives | wrong guesses |\n|---|---|---|---|---|---|---|\n')
    for (const e of list) if (e.falsePositives + e.falseNegatives > 0) process.stdout.write(row({ ...e, file: path.basename(e.file) }))
    process.stdout.write(row(total))
  }
}
