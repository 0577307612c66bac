/**
 * Writes a deterministic synthetic BAM for benchmarks and tests.
 *
 * `--size` is the target size of the *compressed file* on disk: generation
 * stops once the BGZF writer has emitted at least that many bytes, then the
 * unplaced unmapped tail (the last `--unmapped-fraction` of the target) and
 * the EOF block follow, so the file ends up slightly over (by less than a
 * block plus a few records). Suffixes: K, M, G are powers of 1024; KB, MB, GB
 * powers of 1000. `--count` asks for an exact number of records instead.
 *
 * @example
 * ```sh
 * npx tsc && node dist/bench/generate.js --out bench/data/1g.bam --size 1G --seed 1 --refs 25
 * node dist/bench/generate.js --out small.bam --count 5000 --block-size 4096 --align-records
 * ```
 */
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { writeSyntheticBam, type WriteSyntheticOptions } from './synthetic/synthetic.js'
import { BamError } from '../src/errors.js'

const USAGE = `usage: node dist/bench/generate.js --out FILE (--size SIZE | --count N) [options]
  --out FILE               output BAM path
  --size SIZE              target compressed file size, e.g. 200M, 1G (1024-based) or 500MB (1000-based)
  --count N                exact number of records instead of --size
  --seed N                 PRNG seed (default 1)
  --refs N                 reference sequences in the header (default 25)
  --level N                zlib level -1..9 (default 6, as samtools)
  --block-size N           uncompressed bytes per BGZF block (default 65280)
  --align-records          do not split records across blocks (htslib style)
  --long-read-every N      every N-th template is a long read (default 0: none)
  --paired-fraction F      fraction of paired templates (default 0.9)
  --unmapped-fraction F    fraction of unplaced unmapped reads at the end (default 0.02)`

const UNITS: Record<string, number> = {
  '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12,
}

/**
 * Parses a size such as `1G`, `200M`, `1.5GB` or `123456` into bytes.
 *
 * @example
 * ```ts
 * parseSize('1G') // 1073741824
 * parseSize('500MB') // 500000000
 * ```
 */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]B?|)$/i.exec(text.trim())
  const unit = m ? UNITS[m[2]!.toUpperCase()] : undefined
  if (!m || unit === undefined) throw new BamError('ERR_OPTION', `invalid size ${JSON.stringify(text)}, expected e.g. 200M or 1G`)
  return Math.round(Number(m[1]) * unit)
}

function number(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const n = Number(text)
  if (!Number.isFinite(n)) throw new BamError('ERR_OPTION', `--${name} must be a number, got ${JSON.stringify(text)}`)
  return n
}

/**
 * Turns command-line arguments into the output path and {@link writeSyntheticBam} options.
 *
 * @example
 * ```ts
 * parseCli(['--out', 'x.bam', '--size', '1G']) // { out: 'x.bam', opts: { seed: 1, targetFileBytes: 1073741824, ... } }
 * ```
 */
export function parseCli(argv: string[]): { out: string; opts: WriteSyntheticOptions } {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' }, size: { type: 'string' }, count: { type: 'string' }, seed: { type: 'string' },
      refs: { type: 'string' }, level: { type: 'string' }, 'block-size': { type: 'string' },
      'align-records': { type: 'boolean' }, 'long-read-every': { type: 'string' },
      'paired-fraction': { type: 'string' }, 'unmapped-fraction': { type: 'string' }, help: { type: 'boolean' },
    },
  })
  if (v.help || !v.out || (v.size === undefined) === (v.count === undefined)) {
    throw new BamError('ERR_OPTION', v.help ? USAGE : `give --out and exactly one of --size or --count\n${USAGE}`)
  }
  const opts: WriteSyntheticOptions = {
    seed: number('seed', v.seed) ?? 1,
    count: number('count', v.count),
    targetFileBytes: v.size === undefined ? undefined : parseSize(v.size),
    nRefs: number('refs', v.refs),
    level: number('level', v.level),
    blockSize: number('block-size', v['block-size']),
    alignRecords: v['align-records'] ?? false,
    longReadEvery: number('long-read-every', v['long-read-every']),
    pairedFraction: number('paired-fraction', v['paired-fraction']),
    unmappedTailFraction: number('unmapped-fraction', v['unmapped-fraction']),
  }
  return { out: v.out, opts }
}

async function main(): Promise<void> {
  if (process.argv.includes('--help')) return void console.log(USAGE)
  const { out, opts } = parseCli(process.argv.slice(2))
  const started = performance.now()
  const { bytes, records, uncompressedBytes } = await writeSyntheticBam(out, opts)
  const seconds = (performance.now() - started) / 1000
  const mb = (n: number): string => (n / 1e6).toFixed(1)
  console.log(
    `wrote ${out}: ${bytes} bytes (${mb(bytes)} MB), ${records} records, ${mb(uncompressedBytes)} MB uncompressed, ` +
    `in ${seconds.toFixed(1)} s: ${mb(bytes / seconds)} MB/s compressed, ${mb(uncompressedBytes / seconds)} MB/s uncompressed`,
  )
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e instanceof BamError ? e.describe() : e)
    process.exitCode = 2
  })
}
