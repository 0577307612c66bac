/**
 * Giant records (issue 9.2): whole-process time and peak RSS of `count` on
 * (a) a BAM where one record's `block_size` has bit 26 flipped (64 MiB too
 * large, swallowing the records after it), and (b) a legitimate 1 Mbp and an
 * 8 Mbp read (1.5 and 12 MB records) among short reads, at 64 KiB chunks so
 * that they span ~25 and ~200 chunks; each with a control file. Files are cut from a base BAM and re-compressed (level 1).
 * Each `--cli` given is timed (e.g. the build before and after a change),
 * and samtools when on PATH.
 *
 * @example
 * ```sh
 * npx tsc && node dist/bench/giant-record.js --base bench/data/base-200M-seed1.bam --out /tmp/giant \
 *   --cli before=/tmp/main/dist/src/cli/main.js --cli after=dist/src/cli/main.js
 * ```
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import zlib from 'node:zlib'
import { encodeRecord, packCigar } from './synthetic/record-encoder.js'
import { headerLength } from '../src/bam/header.js'
import { EOF_BLOCK, blockSize } from '../src/bgzf/block.js'
import { compressBlock, MAX_BLOCK_DATA } from '../src/bgzf/writer.js'

/** Compressed bytes of the base file to use. */
const BASE_BYTES = 24 << 20
/** Index of the record whose block_size is damaged, and the bit flipped. */
const DAMAGED_RECORD = 2000, FLIPPED_BIT = 26
/** Lengths of the legitimate long reads (one file each), and 0 for the control (short reads only). */
const LONG_READS = [0, 1_000_000, 8_000_000]

/** Header bytes and record bytes of the first {@link BASE_BYTES} of a BAM. */
function readBase(file: string): { header: Uint8Array; records: Uint8Array[] } {
  const fd = fs.openSync(file, 'r')
  const raw = new Uint8Array(BASE_BYTES)
  const n = fs.readSync(fd, raw, 0, raw.length, 0)
  fs.closeSync(fd)
  let end = 0
  for (let size = blockSize(raw, 0, 0); size > 0 && end + size <= n; size = end + 18 <= n ? blockSize(raw, end, end) : -1) end += size
  const data = new Uint8Array(zlib.gunzipSync(raw.subarray(0, end)))
  const hlen = headerLength(data)
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const records: Uint8Array[] = []
  for (let p = hlen; p + 4 <= data.length && p + 4 + view.getInt32(p, true) <= data.length; p += 4 + view.getInt32(p, true)) {
    records.push(data.subarray(p, p + 4 + view.getInt32(p, true)))
  }
  return { header: data.subarray(0, hlen), records }
}

/** Writes `parts` as BGZF (level 1) plus the EOF block. */
function writeBam(file: string, parts: Uint8Array[]): void {
  const data = Buffer.concat(parts)
  const fd = fs.openSync(file, 'w')
  for (let u = 0; u < data.length; u += MAX_BLOCK_DATA) fs.writeSync(fd, compressBlock(data.subarray(u, Math.min(data.length, u + MAX_BLOCK_DATA)), 1))
  fs.writeSync(fd, EOF_BLOCK)
  fs.closeSync(fd)
}

/** The two test files, written into `dir`. */
export function prepare(base: string, dir: string): { intact: string; bogus: string; longReads: [number, string][] } {
  const { header, records } = readBase(base)
  fs.mkdirSync(dir, { recursive: true })
  const intact = path.join(dir, 'intact.bam')
  writeBam(intact, [header, ...records])
  const bogus = path.join(dir, 'bogus-block-size.bam')
  const damaged = records[DAMAGED_RECORD]!.slice()
  const v = new DataView(damaged.buffer)
  v.setInt32(0, v.getInt32(0, true) ^ (1 << FLIPPED_BIT), true)
  writeBam(bogus, [header, ...records.slice(0, DAMAGED_RECORD), damaged, ...records.slice(DAMAGED_RECORD + 1)])
  const longReads = LONG_READS.map((n): [number, string] => {
    const file = path.join(dir, `long-read-${n}.bam`)
    const long = n === 0 ? [] : [encodeRecord({
      name: 'long-read', flag: 0, refID: 0, pos: 100, mapq: 60, cigar: packCigar(`${n}M`), nextRefID: -1, nextPos: -1, tlen: 0,
      seq: 'ACGT'.repeat(n / 4), qual: new Uint8Array(n).fill(30),
    })]
    writeBam(file, [header, ...records.slice(0, 2000), ...long, ...records.slice(2000, 4000)])
    return [n, file]
  })
  return { intact, bogus, longReads }
}

/** Seconds and peak RSS (MiB) of a command, with its exit status and last stderr line. */
function timed(cmd: string[]): { s: number; rssMiB: number; status: number | null; err: string } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', ...cmd], { encoding: 'utf8', maxBuffer: 1 << 28, timeout: 900_000 })
  const lines = r.stderr.trimEnd().split('\n').filter((l) => !l.startsWith('Command exited'))
  const [s, kb] = (lines.pop() ?? '0 0').split(' ').map(Number)
  return { s: s ?? 0, rssMiB: Math.round((kb ?? 0) / 1024), status: r.status, err: (lines.pop() ?? '').slice(0, 140) }
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const { values } = parseArgs({ options: { base: { type: 'string' }, out: { type: 'string' }, cli: { type: 'string', multiple: true }, threads: { type: 'string', default: '2' } } })
  if (!values.base || !values.out) throw new Error('usage: giant-record.js --base BAM --out DIR [--cli name=path/to/main.js ...]')
  const files = prepare(values.base, values.out)
  const rows: string[] = []
  const runs: [string, string, string][] = [
    ['intact file (control)', files.intact, '2M'],
    ['bogus block_size (bit 26)', files.bogus, '2M'],
    ...files.longReads.map(([n, file]): [string, string, string] => [n === 0 ? 'short reads only, 64 KiB chunks (control)' : `${n / 1e6} Mbp read, 64 KiB chunks`, file, '64k']),
  ]
  for (const [label, file, chunk] of runs) {
    for (const cli of values.cli ?? []) {
      const [name, main] = cli.split('=') as [string, string]
      const t = timed([process.execPath, main, 'count', '-@', values.threads!, '--chunk-size', chunk, file])
      rows.push(`${label}\t${name}\t${t.s.toFixed(2)} s\t${t.rssMiB} MiB\texit ${t.status}\t${t.err}`)
    }
    const t = timed(['samtools', 'view', '-c', file])
    rows.push(`${label}\tsamtools\t${t.s.toFixed(2)} s\t${t.rssMiB} MiB\texit ${t.status}\t${t.err}`)
  }
  process.stdout.write(`${rows.join('\n')}\n`)
}
