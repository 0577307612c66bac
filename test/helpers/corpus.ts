import fs from 'node:fs'
import path from 'node:path'

/** Folder of the htslib corpus BAMs with samtools 1.16 outputs beside each. */
export const CORPUS = path.resolve(import.meta.dirname, '../fixtures/htslib')

/**
 * The corpus files `npm run test:fast` runs the golden tests on: one of each
 * shape (multi-reference, unmapped, long reads and aux, base modifications,
 * BGZF blocks cut mid-record, no @SQ lines, unsorted, odd mate positions).
 */
const FAST_SUBSET = [
  'htslib_samples_sample', 'htslib_test_auxf_values', 'htslib_test_base_mods_MM-MNf1', 'htslib_test_bgzf_boundaries_bgzf_boundaries1',
  'htslib_test_c1_noseq', 'htslib_test_ce_1000', 'htslib_test_ce_large_seq', 'htslib_test_ce_unmap1', 'htslib_test_index',
  'htslib_test_mpileup_small', 'htslib_test_no_hdr_sq_1', 'htslib_test_xx_large_aux', 'htslib_test_xx_unsorted',
]

/** True under `npm run test:fast` (vitest.config.ts): no processes, a corpus subset. */
export function fastMode(): boolean {
  return Boolean(process.env.BAMSTREAM_TEST_FAST)
}

/** Every corpus BAM's base name (without .bam). */
export function allCorpusNames(): string[] {
  return fs.readdirSync(CORPUS).filter((f) => f.endsWith('.bam')).map((f) => f.slice(0, -4)).sort()
}

/** The corpus BAMs the golden tests run on: all of them, or under `npm run test:fast` a subset of each shape. */
export function corpusNames(): string[] {
  const all = allCorpusNames()
  return fastMode() ? all.filter((n) => FAST_SUBSET.includes(n)) : all
}

/** Reads an expectation file beside a corpus BAM, e.g. `expected(name, 'flagstat.txt')`. */
export function expected(name: string, ext: string): string {
  return fs.readFileSync(path.join(CORPUS, `${name}.${ext}`), 'latin1')
}

/** Path of a corpus BAM. */
export function corpusBam(name: string): string {
  return path.join(CORPUS, `${name}.bam`)
}

/** False under `npm run test:fast`, which starts no processes (vitest.config.ts). */
export function canSpawn(): boolean {
  return !fastMode()
}

/** True if a command is on PATH (never under `npm run test:fast`, which starts no processes). */
export function hasCommand(cmd: string): boolean {
  if (!canSpawn()) return false
  return (process.env.PATH ?? '').split(path.delimiter).some((d) => fs.existsSync(path.join(d, cmd)))
}
