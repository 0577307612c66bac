/**
 * Benchmark inputs, made on demand and never committed (bench/data/ is
 * gitignored): a synthetic base BAM from bench/generate.ts, and larger files
 * made from copies of it (`samtools cat` when installed, else a block-level
 * concatenation here), which is fast and valid BAM.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { EOF_BLOCK } from '../src/bgzf/block.js'
import { openBam } from '../src/engine/reader.js'
import { hasCommand } from './measure.js'

/** Default folder for generated inputs. */
export const DATA_DIR = fileURLToPath(new URL('../../bench/data/', import.meta.url))

/** A benchmark input file. */
export interface BenchInput {
  /** Short label, e.g. `200M`. */
  label: string
  path: string
  /** Size on disk. */
  bytes: number
}

function input(label: string, file: string): BenchInput {
  return { label, path: file, bytes: fs.statSync(file).size }
}

/**
 * The base input: `<dir>/base-<size>-seed<seed>.bam`, generated if missing.
 *
 * @example
 * ```ts
 * const base = ensureBase('bench/data', '200M') // ~1 min the first time
 * ```
 */
export function ensureBase(dir = DATA_DIR, size = '200M', seed = 1): BenchInput {
  const file = path.join(dir, `base-${size}-seed${seed}.bam`)
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true })
    process.stderr.write(`generating ${file} (synthetic, --size ${size} --seed ${seed})...\n`)
    const generator = fileURLToPath(new URL('./generate.js', import.meta.url))
    const tmp = `${file}.tmp`
    const r = spawnSync(process.execPath, [generator, '--out', tmp, '--size', size, '--seed', String(seed)], { stdio: ['ignore', 'ignore', 'inherit'] })
    if (r.status !== 0) throw new Error(`generator failed with exit ${r.status}`)
    fs.renameSync(tmp, file)
  }
  return input(size, file)
}

/**
 * `copies` copies of `base`'s records after its header, as `<dir>/<label>.bam`, made if missing.
 *
 * @example
 * ```ts
 * const oneGig = await ensureCopies(base, 5, '1G')
 * ```
 */
export async function ensureCopies(base: BenchInput, copies: number, label: string, dir = DATA_DIR): Promise<BenchInput> {
  const file = path.join(dir, `${label}-from-${path.basename(base.path, '.bam')}.bam`)
  if (fs.existsSync(file)) return input(label, file)
  const tmp = `${file}.tmp`
  process.stderr.write(`making ${file} from ${copies} copies of ${base.path}...\n`)
  if (hasCommand('samtools')) {
    const r = spawnSync('samtools', ['cat', '-o', tmp, ...Array<string>(copies).fill(base.path)], { stdio: 'inherit' })
    if (r.status !== 0) throw new Error(`samtools cat failed with exit ${r.status}`)
  } else {
    await concatRecords(base.path, copies, tmp)
  }
  fs.renameSync(tmp, file)
  return input(label, file)
}

/**
 * Header blocks once, then the record blocks `copies` times, then the EOF block
 * (needs a block-aligned header; samtools cat handles the other case).
 *
 * @example
 * ```ts
 * await concatRecords('in.bam', 3, 'out.bam')
 * ```
 */
export async function concatRecords(src: string, copies: number, out: string): Promise<void> {
  const bam = await openBam(src)
  bam.source.close()
  if (bam.first) throw new Error(`${src}: its header ends inside a BGZF block; install samtools to concatenate it`)
  const size = fs.statSync(src).size
  const fd = fs.openSync(out, 'w')
  try {
    copyRange(src, 0, bam.recordsCoffset, fd)
    for (let i = 0; i < copies; i++) copyRange(src, bam.recordsCoffset, size - EOF_BLOCK.length, fd)
    fs.writeSync(fd, EOF_BLOCK)
  } finally {
    fs.closeSync(fd)
  }
}

function copyRange(src: string, start: number, end: number, fd: number): void {
  const inFd = fs.openSync(src, 'r')
  const buf = Buffer.allocUnsafe(8 << 20)
  try {
    for (let p = start; p < end;) {
      const n = fs.readSync(inFd, buf, 0, Math.min(buf.length, end - p), p)
      fs.writeSync(fd, buf, 0, n)
      p += n
    }
  } finally {
    fs.closeSync(inFd)
  }
}
