/**
 * A realistic benchmark input: Illumina-like 2×150 bp read pairs simulated with
 * `dwgsim` from a generated random reference, aligned with `minimap2 -ax sr`
 * and coordinate-sorted by `samtools sort`, as an aligner's output looks
 * (real CIGARs with clips and indels, MD/NM/AS/de/rl tags, mate fields,
 * unmapped mates placed by their partners, secondary/supplementary records).
 * The synthetic generator (bench/generate.ts) is the fallback when one of the
 * tools is missing. Made on demand in bench/data/ (gitignored), never committed.
 *
 * Recipe (what {@link ensureRealistic} runs):
 * ```sh
 * # reference: 8 contigs, 4–6 Mbp each, uniform random ACGT (xorshift32, seed 1)
 * dwgsim -N 1000000 -1 150 -2 150 -z 1 -e 0.001-0.01 -E 0.001-0.01 -r 0.001 ref.fa reads
 * minimap2 -ax sr -t 2 ref.fa reads.bwa.read1.fastq.gz reads.bwa.read2.fastq.gz | samtools sort -@2 -m 256M -o realistic.bam
 * ```
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { DATA_DIR, type BenchInput } from './inputs.js'
import { hasCommand } from './measure.js'

/** Read pairs simulated by default: 2.0 M records, about 150 MB of BAM (the size). */
export const DEFAULT_PAIRS = 1_000_000
/** Tools the recipe needs. */
export const REALISTIC_TOOLS = ['dwgsim', 'minimap2', 'samtools'] as const
/** Contig lengths of the random reference, in bp. */
const CONTIGS = [6e6, 5.5e6, 5e6, 5e6, 4.5e6, 4.5e6, 4e6, 4e6]
const FASTA_LINE = 60
const BASES = 'ACGT'

/** Options of {@link ensureRealistic}. */
export interface RealisticOptions {
  /** Read pairs to simulate (default {@link DEFAULT_PAIRS}). */
  pairs?: number
  /** Threads for minimap2 and samtools sort (default 2). */
  threads?: number
  /** Folder for the reference, reads and BAM (default bench/data). */
  dir?: string
  /** Progress messages (default: standard error). */
  log?: (s: string) => void
}

/**
 * The tools of the recipe that are missing here (empty: the realistic input can be made).
 *
 * @example
 * ```ts
 * if (missingRealisticTools().length === 0) await ensureRealistic()
 * ```
 */
export function missingRealisticTools(): string[] {
  return REALISTIC_TOOLS.filter((t) => !hasCommand(t))
}

/**
 * The shell recipe, as run, for the report.
 *
 * @example
 * ```ts
 * realisticRecipe(1e6, 2) // 'dwgsim -N 1000000 … | samtools sort …'
 * ```
 */
export function realisticRecipe(pairs = DEFAULT_PAIRS, threads = 2): string {
  return [
    `# ref.fa: ${CONTIGS.length} contigs (${CONTIGS.map((c) => c / 1e6).join(', ')} Mbp), uniform random ACGT from xorshift32 seed 1 (bench/realistic.ts)`,
    `dwgsim -N ${pairs} -1 150 -2 150 -z 1 -e 0.001-0.01 -E 0.001-0.01 -r 0.001 ref.fa reads`,
    `minimap2 -ax sr -t ${threads} ref.fa reads.bwa.read1.fastq.gz reads.bwa.read2.fastq.gz | samtools sort -@${threads} -m 256M -o realistic.bam`,
  ].join('\n')
}

/**
 * `<dir>/realistic-<pairs>.bam`, made with the recipe if missing; null when a tool is missing.
 *
 * @example
 * ```ts
 * const input = ensureRealistic({ pairs: 100_000 }) ?? ensureBase()
 * ```
 */
export function ensureRealistic(opts: RealisticOptions = {}): BenchInput | null {
  const pairs = opts.pairs ?? DEFAULT_PAIRS
  const threads = opts.threads ?? 2
  const dir = opts.dir ?? DATA_DIR
  const log = opts.log ?? ((s: string) => process.stderr.write(s))
  const file = path.join(dir, `realistic-${pairs}.bam`)
  if (fs.existsSync(file)) return { label: 'realistic', path: file, bytes: fs.statSync(file).size }
  const missing = missingRealisticTools()
  if (missing.length > 0) {
    log(`realistic input skipped: ${missing.join(', ')} not installed (Debian: apt-get install dwgsim minimap2 samtools)\n`)
    return null
  }
  fs.mkdirSync(dir, { recursive: true })
  const work = fs.mkdtempSync(path.join(dir, 'realistic-work-'))
  try {
    const ref = path.join(work, 'ref.fa')
    log(`making ${file}: reference...\n`)
    writeReference(ref, 1)
    log(`simulating ${pairs} read pairs with dwgsim...\n`)
    run('dwgsim', ['-N', String(pairs), '-1', '150', '-2', '150', '-z', '1', '-e', '0.001-0.01', '-E', '0.001-0.01', '-r', '0.001', ref, path.join(work, 'reads')])
    log('aligning with minimap2 -ax sr and sorting with samtools sort (a few minutes)...\n')
    const tmp = `${file}.tmp`
    const r1 = path.join(work, 'reads.bwa.read1.fastq.gz')
    const r2 = path.join(work, 'reads.bwa.read2.fastq.gz')
    const t = String(threads)
    const script = 'set -o pipefail; minimap2 -ax sr -t "$1" "$2" "$3" "$4" 2>/dev/null | samtools sort -@"$1" -m 256M -T "$5" -o "$6" -'
    run('bash', ['-c', script, 'recipe', t, ref, r1, r2, path.join(work, 'sort'), tmp])
    fs.renameSync(tmp, file)
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
  return { label: 'realistic', path: file, bytes: fs.statSync(file).size }
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20 })
  if (r.status !== 0) throw new Error(`${cmd} failed (exit ${r.status}): ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`)
}

/**
 * Writes the random reference FASTA: {@link CONTIGS} of uniform ACGT from xorshift32.
 *
 * @example
 * ```ts
 * writeReference('/tmp/ref.fa', 1)
 * ```
 */
export function writeReference(file: string, seed: number): void {
  let x = seed >>> 0 || 1
  const fd = fs.openSync(file, 'w')
  try {
    CONTIGS.forEach((length, i) => {
      fs.writeSync(fd, `>ctg${i + 1}\n`)
      const page: Buffer[] = []
      for (let done = 0; done < length; done += FASTA_LINE) {
        const n = Math.min(FASTA_LINE, length - done)
        const out = Buffer.alloc(n + 1)
        for (let j = 0; j < n; j++) {
          x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0
          out[j] = BASES.charCodeAt(x & 3)
        }
        out[n] = 0x0a
        page.push(out)
        if (page.length === 4096) fs.writeSync(fd, Buffer.concat(page.splice(0)))
      }
      if (page.length) fs.writeSync(fd, Buffer.concat(page))
    })
  } finally {
    fs.closeSync(fd)
  }
}
