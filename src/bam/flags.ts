/** FLAG bits, SAMv1 §1.4.2. */

/** 0x1: template having multiple segments in sequencing */
export const FPAIRED = 0x1
/** 0x2: each segment properly aligned */
export const FPROPER_PAIR = 0x2
/** 0x4: segment unmapped */
export const FUNMAP = 0x4
/** 0x8: next segment in the template unmapped */
export const FMUNMAP = 0x8
/** 0x10: SEQ being reverse complemented */
export const FREVERSE = 0x10
/** 0x20: SEQ of the next segment reverse complemented */
export const FMREVERSE = 0x20
/** 0x40: the first segment in the template */
export const FREAD1 = 0x40
/** 0x80: the last segment in the template */
export const FREAD2 = 0x80
/** 0x100: secondary alignment */
export const FSECONDARY = 0x100
/** 0x200: not passing quality controls */
export const FQCFAIL = 0x200
/** 0x400: PCR or optical duplicate */
export const FDUP = 0x400
/** 0x800: supplementary alignment */
export const FSUPPLEMENTARY = 0x800

/** Flag names as `samtools flags` and htslib's `bam_str2flag` know them, by bit. */
export const FLAG_NAMES: readonly (readonly [string, number])[] = [
  ['PAIRED', FPAIRED], ['PROPER_PAIR', FPROPER_PAIR], ['UNMAP', FUNMAP], ['MUNMAP', FMUNMAP],
  ['REVERSE', FREVERSE], ['MREVERSE', FMREVERSE], ['READ1', FREAD1], ['READ2', FREAD2],
  ['SECONDARY', FSECONDARY], ['QCFAIL', FQCFAIL], ['DUP', FDUP], ['SUPPLEMENTARY', FSUPPLEMENTARY],
]

/**
 * Parses a FLAG option as samtools' `-f/-F/-G/--rf` do (htslib `bam_str2flag`):
 * a number (decimal, `0x` hex or `0` octal, as C's `strtol(s, &end, 0)`), or
 * a comma-separated list of names (`UNMAP,SECONDARY`, case-insensitive).
 * Returns undefined for text that is neither (samtools would take such text
 * as -1, i.e. every bit: callers refuse it instead).
 *
 * @example
 * ```ts
 * parseFlags('0x904')           // 2308
 * parseFlags('unmap,SECONDARY') // 260
 * parseFlags('UNMAPPED')        // undefined
 * ```
 */
export function parseFlags(text: string): number | undefined {
  const number = /^\s*([+-]?)(0x[0-9a-f]+|0[0-7]*|[1-9]\d*)/i.exec(text)
  if (number) {
    const digits = number[2]!
    const n = /^0x/i.test(digits) ? parseInt(digits.slice(2), 16) : digits.length > 1 && digits.startsWith('0') ? parseInt(digits, 8) : Number(digits)
    return number[1] === '-' ? -n : n
  }
  let flag = 0
  if (text === '') return 0 // samtools: no names, no bits
  for (const name of text.split(',')) {
    const bit = FLAG_NAMES.find(([n]) => n === name.toUpperCase())
    if (!bit) return undefined
    flag |= bit[1]
  }
  return flag
}
