#!/usr/bin/env node
/**
 * Compares bamstream (the built library, one process, one shared pool) with the
 * installed samtools on every BAM of the given folders, in one sitting, and
 * prints "category identical/total" lines, then each difference:
 *   flagstat (text, JSON); count (view -c with samtools filters); view (SAM -h,
 *   and -b read back by samtools); idxstats (samtools with an index when it can
 *   build one, else its slow method); regions (an indexed copy: single and
 *   several regions, '*', '.', unknown, reversed and bad ones, vs samtools view -M;
 *   records and count: one region vs plain samtools view, which parses it with
 *   hts_parse_region; several vs samtools view -M, which merges them as bamstream
 *   does but parses each with the older hts_parse_reg, so `chr:-N` and `chr:N-`
 *   are left out of the lists).
 * PARITY_ONLY=regions (or another category prefix) runs only those comparisons.
 * Usage: npx tsc -p tsconfig.json && node scripts/samtools-parity.mjs [DIR…]
 * (default test/fixtures/htslib). Files named alike in several folders count once.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import { countRecords, createPool, flagstat, formatFlagstat, formatFlagstatJson, formatIdxstats, idxstats, view } from '../dist/src/index.js'

const dirs = process.argv.slice(2)
const files = new Map()
for (const dir of dirs.length ? dirs : ['test/fixtures/htslib']) {
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.bam')).sort()) if (!files.has(f)) files.set(f, path.join(dir, f))
}
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'samtools-parity-'))
const pool = createPool(2)
const same = new Map()
const total = new Map()
const diffs = []

function samtools(args) {
  const r = spawnSync('samtools', args, { encoding: 'latin1', maxBuffer: 1 << 30 })
  return { ok: r.status === 0, out: r.stdout }
}

async function ours(f) {
  try {
    return { ok: true, out: await f() }
  } catch (e) {
    return { ok: false, out: '', error: e }
  }
}

async function compare(category, label, theirs, mine) {
  const a = theirs()
  const b = await mine()
  total.set(category, (total.get(category) ?? 0) + 1)
  if (a.ok === b.ok && a.out === b.out) same.set(category, (same.get(category) ?? 0) + 1)
  else diffs.push(`${category} ${label}: samtools ${a.ok ? 'ok' : 'fails'}, bamstream ${b.ok ? 'ok' : `fails (${b.error?.message})`}${a.out !== b.out ? ', output differs' : ''}`)
}

class Collector extends Writable {
  chunks = []
  _write(chunk, _enc, done) { this.chunks.push(chunk); done() }
  get text() { return Buffer.concat(this.chunks).toString('latin1') }
}

async function viewText(file, options) {
  const out = new Collector()
  await view(file, { output: out, pool, ...options })
  return out.text
}

// [samtools arguments, bamstream options]
const FILTERS = [
  [[], {}], [['-f', '1'], { requiredFlags: 1 }], [['-F', '4'], { excludedFlags: 4 }], [['-q', '30'], { minMapq: 30 }],
  [['-q', '-1'], { minMapq: -1 }], [['-F', 'UNMAP,SECONDARY'], { excludedFlags: 0x104 }], [['-f', 'PAIRED', '-F', '0x900'], { requiredFlags: 1, excludedFlags: 0x900 }],
  [['-G', '12'], { excludedAllFlags: 12 }], [['--rf', '0x40'], { anyFlags: 0x40 }], [['-e', 'mapq >= 30 && !flag.reverse'], { expression: 'mapq >= 30 && !flag.reverse' }],
  [['-s', '42.5'], { subsample: 0.5, subsampleSeed: 42 }], [['--subsample', '0.3', '--subsample-seed', '7'], { subsample: 0.3, subsampleSeed: 7 }],
]

function regionsFor(bam) {
  const names = samtools(['view', '-H', bam]).out.split('\n').filter((l) => l.startsWith('@SQ')).map((l) => /\tSN:([^\t]*)/.exec(l)?.[1]).filter((n) => n && !/[:{},*]/.test(n)).slice(0, 3)
  const sets = [['.'], ['*'], ['chrUnknown'], ['chrUnknown:1-10']]
  for (const r of names) sets.push([r], [`${r}:1-1000`], [`${r}:100-`], [`${r}:-2k`], [`${r}:1,001-1e4`], [`${r}:500-100`], [`${r}:abc`])
  if (names.length >= 2) sets.push([names[1], `${names[0]}:1-500`, `${names[0]}:400-2000`])
  if (names.length >= 1) sets.push([`${names[0]}:1-1000`, `${names[0]}:1-1000`, '*'])
  return sets
}

const ONLY = process.env.PARITY_ONLY ?? ''
for (const [name, bam] of files) {
  if (!'flagstat count view idxstats'.split(' ').some((c) => c.startsWith(ONLY) || ONLY.startsWith(c))) {
    await regionComparisons(name, bam)
    continue
  }
  await compare('flagstat', name, () => samtools(['flagstat', bam]), () => ours(async () => formatFlagstat(await flagstat(bam, { pool }))))
  await compare('flagstat-json', name, () => samtools(['flagstat', '-O', 'json', bam]), () => ours(async () => formatFlagstatJson(await flagstat(bam, { pool }))))
  for (const [args, options] of FILTERS) {
    await compare('count', `${name} ${args.join(' ')}`, () => samtools(['view', '-c', ...args, bam]), () => ours(async () => `${await countRecords(bam, { ...options, pool })}\n`))
  }
  await compare('view-sam', name, () => samtools(['view', '--no-PG', '-h', bam]), () => ours(() => viewText(bam, { header: 'include' })))
  const outBam = path.join(work, 'out.bam')
  await compare('view-bam', name, () => samtools(['view', '--no-PG', '-h', bam]), () => ours(async () => {
    await view(bam, { output: outBam, format: 'bam', pool })
    const back = samtools(['view', '--no-PG', '-h', outBam])
    if (!back.ok) throw new Error('samtools cannot read our BAM')
    return back.out
  }))
  const copy = path.join(work, 'x.bam')
  fs.copyFileSync(bam, copy)
  fs.rmSync(`${copy}.bai`, { force: true })
  const indexed = spawnSync('samtools', ['index', copy], { stdio: 'ignore' }).status === 0
  if (!indexed) fs.rmSync(`${copy}.bai`, { force: true })
  await compare('idxstats', name, () => samtools(['idxstats', copy]), () => ours(async () => formatIdxstats(await idxstats(copy, { pool }))))
  if (indexed) await regionComparisons(name, bam)
}

/** Region comparisons on an indexed copy (none when samtools cannot index the file). */
async function regionComparisons(name, bam) {
  const copy = path.join(work, 'x.bam')
  fs.copyFileSync(bam, copy)
  fs.rmSync(`${copy}.bai`, { force: true })
  if (spawnSync('samtools', ['index', copy], { stdio: 'ignore' }).status !== 0) return
  for (const regions of regionsFor(bam)) {
    const label = `${name} ${regions.join(' ')}`
    const selection = { regions, onRegionWarning: () => {} }
    const merge = regions.length > 1 ? ['-M'] : []
    await compare('regions', label, () => samtools(['view', '--no-PG', ...merge, copy, ...regions]), () => ours(() => viewText(copy, selection)))
    await compare('regions-count', label, () => samtools(['view', '-c', ...merge, copy, ...regions]), () => ours(async () => `${await countRecords(copy, { ...selection, pool })}\n`))
  }
}
await pool.destroy()
fs.rmSync(work, { recursive: true, force: true })

let s = 0, t = 0
for (const [category, n] of [...total].sort()) {
  console.log(`${category} ${same.get(category) ?? 0}/${n}`)
  s += same.get(category) ?? 0
  t += n
}
console.log(`all ${s}/${t}`)
console.log('--- differences')
for (const d of diffs) console.log(d)
