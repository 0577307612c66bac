import fs from 'node:fs'
import path from 'node:path'

/** Folder of the htslib corpus BAMs with samtools 1.16 outputs beside each. */
export const CORPUS = path.resolve(import.meta.dirname, '../fixtures/htslib')

/** Every corpus BAM's base name (without .bam). */
export function corpusNames(): string[] {
  return fs.readdirSync(CORPUS).filter((f) => f.endsWith('.bam')).map((f) => f.slice(0, -4)).sort()
}

/** Reads an expectation file beside a corpus BAM, e.g. `expected(name, 'flagstat.txt')`. */
export function expected(name: string, ext: string): string {
  return fs.readFileSync(path.join(CORPUS, `${name}.${ext}`), 'latin1')
}

/** Path of a corpus BAM. */
export function corpusBam(name: string): string {
  return path.join(CORPUS, `${name}.bam`)
}

/** True if a command is on PATH. */
export function hasCommand(cmd: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((d) => fs.existsSync(path.join(d, cmd)))
}
