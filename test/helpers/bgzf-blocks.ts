import fs from 'node:fs'

/**
 * [uncompressed start, file offset] of every BGZF block of `file`, read from the
 * block headers (SAMv1 §4.1: BSIZE at byte 16, ISIZE in the last 4): where the
 * tests expect a record's error offset to point.
 *
 * @example
 * ```ts
 * const [, fileOffset] = blockStarts(file).findLast(([u]) => u <= recordStart)!
 * ```
 */
export function blockStarts(file: string): [number, number][] {
  const bytes = fs.readFileSync(file)
  const out: [number, number][] = []
  let u = 0
  for (let c = 0; c < bytes.length;) {
    const size = bytes.readUInt16LE(c + 16) + 1
    out.push([u, c])
    u += bytes.readUInt32LE(c + size - 4)
    c += size
  }
  return out
}
