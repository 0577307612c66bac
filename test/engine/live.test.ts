import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import type { Piscina } from 'piscina'
import { count, flagstat, idxstats } from '../../src/engine/api.js'
import { usePoolAndDir } from '../helpers/setup.js'
import { writeSyntheticBam } from '../../bench/synthetic/synthetic.js'
import { formatFlagstat, formatFlagstatJson } from '../../src/ops/flagstat.js'
import { formatIdxstats } from '../../src/ops/idxstats.js'
import { hasCommand } from '../helpers/corpus.js'

// samtools as a live oracle on generated files of several sizes and shapes
// (records split across BGZF blocks, small blocks, long reads). CI installs samtools.
const SHAPES = [
  { name: 'tiny', count: 1_000, blockSize: 65280 },
  { name: 'small-blocks', count: 20_000, blockSize: 3000 },
  { name: 'long-reads', count: 3_000, blockSize: 65280, longReadEvery: 40, longReadLength: [20_000, 50_000] as const },
  { name: 'medium', count: 120_000, blockSize: 65280 },
]

let pool: Piscina
let dir: string
usePoolAndDir('live', (p, d) => { pool = p; dir = d })

const samtools = (args: string[]): string => execFileSync('samtools', args, { encoding: 'latin1', maxBuffer: 1 << 28 })

describe.runIf(hasCommand('samtools'))('live comparison with samtools', () => {
  it.each(SHAPES)('$name ($count records)', async ({ name, ...opts }) => {
    const file = path.join(dir, `${name}.bam`)
    await writeSyntheticBam(file, { seed: 3, ...opts })
    for (const chunkBytes of [undefined, 100_000]) {
      const stats = await flagstat(file, { pool, chunkBytes })
      expect(formatFlagstat(stats)).toBe(samtools(['flagstat', file]))
      expect(formatFlagstatJson(stats)).toBe(samtools(['flagstat', '-O', 'json', file]))
    }
    for (const [f, F, q] of [[0, 0, 0], [0x1, 0x900, 0], [0x40, 0x4, 20]] as const) {
      expect(await count(file, { pool, requiredFlags: f, excludedFlags: F, minMapq: q }))
        .toBe(Number(samtools(['view', '-c', '-f', `${f}`, '-F', `${F}`, '-q', `${q}`, file])))
    }
    samtools(['index', file])
    expect(formatIdxstats(await idxstats(file, { pool }))).toBe(samtools(['idxstats', file]))
  })
})
